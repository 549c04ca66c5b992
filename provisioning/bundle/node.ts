// Node.js for the target: the binary from the npm package node-linux-<arch>, fetched with `npm pack`
// (it refuses to install on another architecture) and unpacked by hand.
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { elfArch, exec, type Arch } from "./files.js";

export interface FetchedNode {
  /** the unpacked package: bin/node, LICENSE */
  dir: string;
  version: string;
}

/** The Node version to ship: the builder's own when it is a 20.x, else the newest 20.x. */
export function defaultNodeVersion(): string {
  return process.versions.node.startsWith("20.") ? process.versions.node : "20";
}

export async function fetchNode(arch: Arch, version: string, workDir: string): Promise<FetchedNode> {
  await mkdir(workDir, { recursive: true });
  const spec = `node-linux-${arch}@${version}`;
  const packed = JSON.parse(await exec("npm", ["pack", spec, "--json", "--loglevel=error", "--pack-destination", workDir], { cwd: workDir })) as Array<{
    filename: string;
    version: string;
  }>;
  const tarball = packed[0];
  if (tarball === undefined) throw new Error(`npm pack ${spec} produced nothing`);
  if (!tarball.version.startsWith("20.")) throw new Error(`${spec} resolved to ${tarball.version}, not a Node 20`);
  await exec("tar", ["-xzf", path.join(workDir, path.basename(tarball.filename)), "-C", workDir, "package/bin/node", "package/LICENSE", "package/package.json"]);
  const dir = path.join(workDir, "package");
  const found = await elfArch(path.join(dir, "bin", "node"));
  if (found !== arch) throw new Error(`${spec}: bin/node is built for ${found ?? "nothing"}, not ${arch}`);
  const meta = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { version: string };
  return { dir, version: meta.version };
}
