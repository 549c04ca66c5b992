// A cursor theme whose every cursor is one transparent pixel: hides the pointer on the touch kiosk
// (cage and Chromium load it through XCURSOR_PATH/XCURSOR_THEME, set in the display unit).
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

export const CURSOR_THEME = "digit-kiosk-hidden";

/** Cursor names cage and Chromium ask for; all link to the one transparent image. */
const CURSOR_NAMES = [
  "default", "pointer", "hand1", "hand2", "text", "xterm", "crosshair", "grab", "grabbing", "move", "wait", "progress",
  "not-allowed", "col-resize", "row-resize", "all-scroll", "context-menu", "help", "cell", "copy", "alias", "watch",
];

/** An Xcursor file (libXcursor's format, little-endian) holding one 1x1 fully transparent image. */
export function transparentXcursor(): Buffer {
  const IMAGE_TYPE = 0xfffd0002;
  const words = [
    // file header: size 16, version 1.0, one table-of-contents entry
    16, 0x10000, 1,
    // table of contents: image, nominal size 1, at byte 28
    IMAGE_TYPE, 1, 28,
    // image chunk: header size 36, type, nominal size 1, version 1, 1x1, hotspot (0,0), delay 0
    36, IMAGE_TYPE, 1, 1, 1, 1, 0, 0, 0,
    // the one ARGB pixel: transparent
    0,
  ];
  const buf = Buffer.alloc(4 + words.length * 4);
  buf.write("Xcur", 0, "latin1");
  words.forEach((w, i) => buf.writeUInt32LE(w, 4 + i * 4));
  return buf;
}

/** Writes <dir>/<theme>/{index.theme,cursors/*} and <dir>/default -> the theme (cage's fallback name). */
export async function writeHiddenCursorTheme(dir: string): Promise<void> {
  const theme = path.join(dir, CURSOR_THEME);
  await mkdir(path.join(theme, "cursors"), { recursive: true });
  await writeFile(path.join(theme, "index.theme"), `[Icon Theme]\nName=${CURSOR_THEME}\nComment=transparent cursors for the digit-kiosk touch screen\n`);
  await writeFile(path.join(theme, "cursors", "left_ptr"), transparentXcursor());
  for (const name of CURSOR_NAMES) await symlink("left_ptr", path.join(theme, "cursors", name));
  await symlink(CURSOR_THEME, path.join(dir, "default"));
}
