// Which files a model package may hold when it travels to a kiosk, and listing them in a package folder.
// One rule set for the deploy client (what it sends), the tar reader (what it accepts) and the signature.
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/** Files allowed at the top of a package; anything else goes under report/. */
export const TOP_LEVEL_FILES: readonly string[] = ["manifest.json", "model.onnx", "model-fp32.onnx", "golden.json", "signature"];
export const REPORT_DIR = "report";
/** report/ plus at most this many folder levels below it */
const MAX_REPORT_DEPTH = 3;
/** One path segment: no leading dot (so no "..", no hidden files), no slashes, a short portable name. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,99}$/;

export type EntryKind = "file" | "directory";

/** The problem with a path inside a package ("a/b", no leading slash), or null when it is allowed. */
export function packagePathProblem(name: string, kind: EntryKind): string | null {
  if (name === "") return "an entry has an empty name";
  if (name.startsWith("/")) return `${JSON.stringify(name)} is an absolute path`;
  const segments = name.split("/");
  if (segments.includes("..")) return `${JSON.stringify(name)} climbs out of the package (..)`;
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) return `${JSON.stringify(name)} has a name that is not allowed (${JSON.stringify(bad)})`;
  if (kind === "directory") {
    if (segments[0] === REPORT_DIR && segments.length <= 1 + MAX_REPORT_DEPTH) return null;
    return `${JSON.stringify(name)} is a folder; a package may only have folders under ${REPORT_DIR}/`;
  }
  if (segments.length === 1 && TOP_LEVEL_FILES.includes(name)) return null;
  if (segments[0] === REPORT_DIR && segments.length >= 2 && segments.length <= 2 + MAX_REPORT_DEPTH) return null;
  return `${JSON.stringify(name)} is not a package file (allowed: ${TOP_LEVEL_FILES.join(", ")}, ${REPORT_DIR}/...)`;
}

export interface PackageFile {
  /** the path inside the package, "/"-separated */
  path: string;
  size: number;
}

export interface PackageListing {
  files: PackageFile[];
  directories: string[];
  problems: string[];
}

/** Every regular file and folder of a package folder, sorted; symlinks, devices and names not allowed are problems. */
export async function listPackage(dir: string): Promise<PackageListing> {
  const listing: PackageListing = { files: [], directories: [], problems: [] };
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        const problem = packagePathProblem(name, "directory");
        if (problem !== null) listing.problems.push(problem);
        else {
          listing.directories.push(name);
          await walk(name);
        }
      } else if (entry.isFile()) {
        const problem = packagePathProblem(name, "file");
        if (problem !== null) listing.problems.push(problem);
        else listing.files.push({ path: name, size: (await lstat(path.join(dir, name))).size });
      } else {
        listing.problems.push(`${JSON.stringify(name)} is not a regular file (symlinks and special files are not allowed)`);
      }
    }
  };
  await walk("");
  return listing;
}
