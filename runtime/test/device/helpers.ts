// Helpers for the device tests: commands, prerequisites, cached offline bundles, unpacked bundle runtimes.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { hashTree, type Arch } from "../../../provisioning/bundle/files.js";
import type { BundleResult } from "../../../provisioning/bundle/main.js";
import { sevenStrokes } from "../helpers.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit). */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? "ignore" : "pipe";
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [stdin, "pipe", "pipe"], timeout: options.timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    if (child.stdin !== null) {
      // A command that exits without reading its input is not an error of ours.
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

const DEBIAN_PACKAGE_OF: Record<string, string> = {
  "systemd-analyze": "systemd",
  shellcheck: "shellcheck",
  socat: "socat",
  "qemu-aarch64-static": "qemu-user-static",
  "systemd-nspawn": "systemd-container",
  cage: "cage",
  chromium: "chromium",
  unshare: "util-linux",
  nsenter: "util-linux",
};

/** Why a test cannot run here (a clear skip message), or undefined when it can. */
export function missing(needs: { root?: boolean; commands?: string[]; files?: string[] }): string | undefined {
  const problems: string[] = [];
  if (needs.root === true && process.getuid?.() !== 0) problems.push("must run as root (mount namespaces, containers)");
  for (const c of needs.commands ?? []) if (!hasCommand(c)) problems.push(`needs ${c} (Debian package ${DEBIAN_PACKAGE_OF[c] ?? c})`);
  for (const f of needs.files ?? []) if (spawnSync("test", ["-e", f]).status !== 0) problems.push(`needs ${f}`);
  return problems.length === 0 ? undefined : problems.join("; ");
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 60000, everyMs = 100): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// --- the default model and cached bundles -----------------------------------------------------------

export const defaultModelDir = path.join(repoRoot, "runtime", "models", "default");

/** The bundle ships the committed default model package: without it the checkout is broken. */
async function assertDefaultModel(): Promise<void> {
  const manifest = path.join(defaultModelDir, "manifest.json");
  if (!(await stat(manifest).catch(() => null))?.isFile()) throw new Error(`${manifest} is missing: the bundle ships the committed default model`);
}

/** What `npm run bundle` prints as its last line, read back by the tests. */
export type BuiltBundle = BundleResult;

/** A hash of everything that goes into a bundle: a bundle is rebuilt only when one of them changed. */
async function bundleInputsKey(arch: Arch): Promise<string> {
  const hash = createHash("sha256").update(`${arch}\0${process.versions.node}\0`);
  for (const dir of ["runtime/dist", "kiosk/dist", "runtime/models/default", "systemd", "provisioning"]) {
    hash.update(`${dir}\0${await hashTree(path.join(repoRoot, dir))}\0`);
  }
  for (const file of ["package-lock.json", "package.json", "runtime/package.json"]) hash.update(await readFile(path.join(repoRoot, file)));
  return hash.digest("hex").slice(0, 16);
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(repoRoot, "artifacts", "test-bundles", `${name}.lock`);
  await mkdir(path.dirname(lock), { recursive: true });
  await waitFor(
    async () => {
      try {
        await mkdir(lock);
        return true;
      } catch (err) {
        // A lock left by a killed run is stale after 15 minutes.
        const age = Date.now() - (await stat(lock)).mtimeMs;
        if (age > 15 * 60 * 1000) await rm(lock, { recursive: true, force: true });
        throw err;
      }
    },
    `the ${name} lock`,
    20 * 60 * 1000,
    500,
  );
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The bundle for arch built by `npm run bundle` from the current tree: reused while its inputs are unchanged. */
export async function ensureBundle(arch: Arch): Promise<BuiltBundle> {
  await assertDefaultModel();
  return withLock(`bundle-${arch}`, async () => {
    for (const built of ["runtime/dist/main.js", "kiosk/dist/index.html"]) {
      if (!(await stat(path.join(repoRoot, built)).catch(() => null))) {
        const b = await run("npm", ["run", "--silent", "build"], { cwd: repoRoot });
        if (b.code !== 0) throw new Error(`npm run build failed:\n${b.stderr}`);
        break;
      }
    }
    const key = await bundleInputsKey(arch);
    const cacheRoot = path.join(repoRoot, "artifacts", "test-bundles", arch);
    const dir = path.join(cacheRoot, key);
    const resultFile = path.join(dir, "result.json");
    const cached = await readFile(resultFile, "utf8").catch(() => null);
    if (cached !== null) return JSON.parse(cached) as BuiltBundle;
    await rm(cacheRoot, { recursive: true, force: true });
    const r = await run(process.execPath, ["--import", "tsx", path.join(repoRoot, "provisioning", "bundle", "main.ts"), "--arch", arch, "--skip-build", "--out", dir], {
      cwd: repoRoot,
    });
    if (r.code !== 0) throw new Error(`npm run bundle -- --arch ${arch} failed:\n${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    const result = JSON.parse(lines[lines.length - 1]!) as BuiltBundle;
    await writeFile(resultFile, JSON.stringify(result));
    return result;
  });
}

/** Unpacks a bundle into a fresh temp dir (outside the repository) and returns its top directory. */
export async function unpackBundle(bundle: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-unpacked-"));
  const r = await run("tar", ["-xzf", bundle, "-C", dir]);
  if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
  const [top] = await readdir(dir);
  return path.join(dir, top!);
}

// --- a runtime started from an unpacked bundle ----------------------------------------------------------

/** /proc/cpuinfo of a Raspberry Pi 4 (Cortex-A72): onnxruntime reads it at load and crashes on x86 text. */
export function armCpuinfo(): string {
  let text = "";
  for (let i = 0; i < 4; i++) {
    text += `processor\t: ${i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n`;
  }
  return text + "Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n";
}

export interface BundleProcess {
  child: ChildProcess;
  output(): string;
  url: Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * The command line that runs the bundle's own Node with args: directly, or (emulate) under
 * qemu-aarch64 in a private mount namespace whose /proc/cpuinfo is an ARM one (DESIGN.md's recipe).
 */
export async function bundleNode(dir: string, args: string[], emulate: boolean): Promise<[string, string[]]> {
  const node = path.join(dir, "node", "bin", "node");
  if (!emulate) return [node, args];
  const cpuinfo = path.join(path.dirname(dir), "cpuinfo");
  await writeFile(cpuinfo, armCpuinfo());
  const script = 'mount --bind "$1" /proc/cpuinfo && shift && exec "$@"';
  return ["unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", cpuinfo, "qemu-aarch64-static", "-cpu", "cortex-a72", "-L", "/usr/aarch64-linux-gnu", node, ...args]];
}

/** A clean environment: nothing from the repository or the test runner leaks into the bundle's runtime. */
export const CLEAN_ENV = { PATH: "/usr/bin:/bin", PORT: "0", HOST: "127.0.0.1" };

/**
 * Starts the bundle's runtime (<dir>/app/runtime/dist/main.js on <dir>/node/bin/node) with a clean
 * environment on a free port; url resolves from its "ready" line.
 */
export async function startBundleRuntime(dir: string, emulate = false): Promise<BundleProcess> {
  const [command, args] = await bundleNode(dir, [path.join(dir, "app", "runtime", "dist", "main.js")], emulate);
  const child = spawn(command, args, { env: CLEAN_ENV, stdio: ["ignore", "pipe", "pipe"], cwd: os.tmpdir() });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (): void => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m !== null && /INFO \[main\] ready/.test(out)) resolve(m[1]!);
    };
    child.stdout.on("data", onData);
    void exited.then((code) => reject(new Error(`the bundle's runtime exited (${code}) before it was ready:\n${out}`)));
  });
  return {
    child,
    output: () => out,
    url,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Node code that loads the bundle's native modules the way the runtime does, and prints where from. */
function nativeModulesProbe(arch: Arch): string {
  return [
    "const { createRequire } = require('node:module');",
    "const r = createRequire(process.argv[1] + '/app/runtime/dist/main.js');",
    `const uws = r.resolve('uWebSockets.js/binaries/uws_linux_${arch}_115.node'); r(uws);`,
    "const ort = r('onnxruntime-node'); const sharp = r('sharp');",
    "console.log(JSON.stringify({ arch: process.arch, uws, ort: typeof ort.InferenceSession, sharp: sharp.versions.sharp }));",
  ].join("\n");
}

/** Asserts that the unpacked bundle's own Node (under qemu when emulate) loads its native modules from its own node_modules. */
export async function assertNativeModulesLoad(dir: string, arch: Arch, emulate: boolean): Promise<void> {
  const [command, args] = await bundleNode(dir, ["-e", nativeModulesProbe(arch), dir], emulate);
  const r = await run(command, args, { env: CLEAN_ENV, cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { arch: string; uws: string; ort: string; sharp: string };
  assert.equal(got.arch, arch);
  assert.ok(got.uws.startsWith(dir), `uWebSockets.js from ${got.uws}`);
  assert.equal(got.ort, "function");
  assert.match(got.sharp, /^\d+\.\d+/);
}

/** A test file's unpacked bundle: built (or reused) and unpacked before its tests, removed after them with any runtime still running. */
export interface UnpackedBundle {
  bundle: BuiltBundle;
  dir: string;
  runtime: BundleProcess | null;
}

export function useUnpackedBundle(arch: Arch, skip: string | undefined): UnpackedBundle {
  const fixture: UnpackedBundle = { bundle: undefined as unknown as BuiltBundle, dir: "", runtime: null };
  before(async () => {
    if (skip !== undefined) return;
    fixture.bundle = await ensureBundle(arch);
    fixture.dir = await unpackBundle(fixture.bundle.bundle);
  });
  after(async () => {
    await fixture.runtime?.stop();
    if (fixture.dir !== "") await rm(path.dirname(fixture.dir), { recursive: true, force: true });
  });
  return fixture;
}

/** POSTs the test suite's "7" to /api/predict. */
export async function predictSeven(baseUrl: string): Promise<{ status: number; body: { digit: number | null; confidence: number; probabilities: number[] } }> {
  const res = await fetch(`${baseUrl}/api/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ strokes: sevenStrokes(), width: 800, height: 480 }),
  });
  return { status: res.status, body: (await res.json()) as { digit: number | null; confidence: number; probabilities: number[] } };
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
