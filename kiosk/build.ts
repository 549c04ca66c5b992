// Builds the kiosk into dist/: index.html, app.js and app.css (minified, with source maps), deterministic, no external URLs.
import { copyFile, mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

export const KIOSK_DIR = dirname(fileURLToPath(import.meta.url));
export const SRC_DIR = join(KIOSK_DIR, "src");
export const DIST_DIR = join(KIOSK_DIR, "dist");

/** The oldest browser we ship to: Chromium on Raspberry Pi OS Bookworm is newer than this. */
const TARGET = ["chrome108"];

/** A reference that would make the browser fetch from another host. */
const EXTERNAL_URL = /(?:src|href|url)\s*[=(]\s*["']?\s*(?:https?:)?\/\//i;

export async function buildKiosk(outDir: string = DIST_DIR): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const common: esbuild.BuildOptions = {
    absWorkingDir: KIOSK_DIR,
    bundle: true,
    minify: true,
    sourcemap: "linked",
    target: TARGET,
    logLevel: "warning",
    charset: "utf8",
  };
  await esbuild.build({
    ...common,
    entryPoints: [join(SRC_DIR, "main.tsx")],
    outfile: join(outDir, "app.js"),
    platform: "browser",
    format: "iife",
    jsx: "automatic",
    jsxImportSource: "preact",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(SRC_DIR, "app.css")],
    outfile: join(outDir, "app.css"),
  });
  await copyFile(join(SRC_DIR, "index.html"), join(outDir, "index.html"));

  for (const name of ["index.html", "app.css"]) {
    const text = await readFile(join(outDir, name), "utf8");
    const match = EXTERNAL_URL.exec(text);
    if (match !== null) throw new Error(`${name} refers to another host: ${match[0]}`);
  }
  return (await readdir(outDir)).sort();
}

/** True when dist is missing or older than any source file. */
export async function isBuildStale(outDir: string = DIST_DIR): Promise<boolean> {
  let built: number;
  try {
    const stats = await Promise.all(["index.html", "app.js", "app.css"].map((f) => stat(join(outDir, f))));
    built = Math.min(...stats.map((s) => s.mtimeMs));
  } catch {
    return true;
  }
  const entries = await readdir(SRC_DIR, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const { mtimeMs } = await stat(join(entry.parentPath, entry.name));
    if (mtimeMs > built) return true;
  }
  return false;
}

async function main(): Promise<void> {
  const started = performance.now();
  const files = await buildKiosk();
  const sizes = await Promise.all(files.map(async (f) => `${f} ${(await stat(join(DIST_DIR, f))).size} B`));
  console.log(`kiosk: built ${sizes.join(", ")} in ${Math.round(performance.now() - started)} ms`);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().catch((err: unknown) => {
    console.error("kiosk: build failed:", err);
    process.exitCode = 1;
  });
}
