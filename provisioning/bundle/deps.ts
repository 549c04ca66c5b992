// Production node_modules of the runtime for one architecture: npm ci from the lockfile with
// --os/--cpu (no install scripts run: nothing is built), then pruned to that architecture.
import { copyFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { elfArch, exec, listTree, type Arch } from "./files.js";

/** Node 20's native-module ABI (process.versions.modules): the uWebSockets.js binary we keep. */
export const NODE20_ABI = "115";

interface RootPackage {
  workspaces?: string[];
}

/** Installs the runtime workspace's production dependencies for linux-<arch> into <workDir>/node_modules. */
export async function installProductionModules(repoRoot: string, arch: Arch, workDir: string): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const root = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as RootPackage;
  for (const file of ["package.json", "package-lock.json", ".npmrc"]) {
    await copyFile(path.join(repoRoot, file), path.join(workDir, file)).catch((err: NodeJS.ErrnoException) => {
      if (!(file === ".npmrc" && err.code === "ENOENT")) throw err;
    });
  }
  // The lockfile names every workspace: each needs its package.json, though only runtime's deps are installed.
  for (const ws of root.workspaces ?? []) {
    await mkdir(path.join(workDir, ws), { recursive: true });
    await copyFile(path.join(repoRoot, ws, "package.json"), path.join(workDir, ws, "package.json"));
  }
  await exec(
    "npm",
    ["ci", "--omit=dev", "--workspace=runtime", "--os=linux", `--cpu=${arch}`, "--libc=glibc", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    { cwd: workDir, env: { ...process.env, npm_config_update_notifier: "false" } },
  );
  const modules = path.join(workDir, "node_modules");
  // Workspace links point back into the staging tree, not into the bundle.
  await rm(path.join(modules, "@digit-kiosk"), { recursive: true, force: true });
  await pruneToArch(modules, arch);
  await checkModules(modules, arch);
  return modules;
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Removes the binaries of other systems that the native packages ship side by side. */
export async function pruneToArch(modules: string, arch: Arch): Promise<void> {
  // onnxruntime-node: bin/napi-v*/<os>/<arch>/
  const ortBin = path.join(modules, "onnxruntime-node", "bin");
  for (const napi of await subdirs(ortBin)) {
    for (const os of await subdirs(path.join(ortBin, napi))) {
      for (const cpu of await subdirs(path.join(ortBin, napi, os))) {
        if (os !== "linux" || cpu !== arch) await rm(path.join(ortBin, napi, os, cpu), { recursive: true });
      }
      if ((await subdirs(path.join(ortBin, napi, os))).length === 0) await rm(path.join(ortBin, napi, os), { recursive: true });
    }
  }
  // uWebSockets.js: binaries/uws_<os>_<arch>_<abi>.node; dist/ holds the JS fallback (and stray binaries).
  const uws = path.join(modules, "uWebSockets.js");
  const keep = `uws_linux_${arch}_${NODE20_ABI}.node`;
  for (const dir of ["binaries", "dist"]) {
    const files = await readdir(path.join(uws, dir)).catch(() => [] as string[]);
    for (const f of files) if (f.endsWith(".node") && !(dir === "binaries" && f === keep)) await rm(path.join(uws, dir, f));
  }
  // Never loaded at run time: type declarations, and protobufjs 6's command-line tool with its own
  // node_modules (20 MB).
  await rm(path.join(modules, "@types"), { recursive: true, force: true });
  await rm(path.join(modules, "protobufjs", "cli"), { recursive: true, force: true });
  // node-gyp-build style prebuilds/<os>-<arch>/ (bufferutil, utf-8-validate).
  for (const rel of await listTree(modules)) {
    const parts = rel.split(path.sep);
    const i = parts.indexOf("prebuilds");
    if (i >= 0 && parts.length > i + 1 && parts[i + 1] !== `linux-${arch}`) {
      await rm(path.join(modules, ...parts.slice(0, i + 2)), { recursive: true, force: true });
    }
  }
}

/** Fails unless the native parts are present for arch and no binary of another architecture is left. */
export async function checkModules(modules: string, arch: Arch): Promise<void> {
  const required = [
    `onnxruntime-node/bin/napi-v6/linux/${arch}/onnxruntime_binding.node`,
    `onnxruntime-node/bin/napi-v6/linux/${arch}/libonnxruntime.so.1`,
    `uWebSockets.js/binaries/uws_linux_${arch}_${NODE20_ABI}.node`,
  ];
  const sharpLib = `@img/sharp-linux-${arch}/lib`;
  const sharpNode = (await readdir(path.join(modules, sharpLib)).catch(() => [] as string[])).find((f) => f.endsWith(".node"));
  required.push(`${sharpLib}/${sharpNode ?? `sharp-linux-${arch}.node`}`);
  const problems: string[] = [];
  for (const rel of required) {
    const found = await elfArch(path.join(modules, rel)).catch(() => null);
    if (found !== arch) problems.push(`${rel}: ${found === null ? "missing" : `built for ${found}`}`);
  }
  for (const rel of await listTree(modules)) {
    if (!/\.(node|so(\.\d+)*)$/.test(rel)) continue;
    const found = await elfArch(path.join(modules, rel)).catch(() => null);
    if (found !== null && found !== arch) problems.push(`${rel}: built for ${found}, not ${arch}`);
  }
  if (problems.length > 0) throw new Error(`node_modules for linux-${arch} are not right:\n  ${problems.join("\n  ")}`);
}
