// `npm run bundle -- --arch arm64|x64`: one offline tarball with Node 20, the built runtime, the kiosk,
// the default model, production node_modules for that architecture, the units and the provisioning scripts.
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { validateManifest } from "../../runtime/src/contracts/manifest.js";
import { sha256Hex } from "../../runtime/src/util/sha256.js";
import { writeHiddenCursorTheme } from "./cursor.js";
import { installProductionModules } from "./deps.js";
import { ARCHES, exec, hashTree, mib, treeBytes, type Arch } from "./files.js";
import { defaultNodeVersion, fetchNode } from "./node.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PROVISIONING_SCRIPTS = ["install.sh", "upgrade.sh", "health.sh", "lib.sh"];
const UNITS = ["digit-kiosk.service", "digit-kiosk-display.service"];

export interface BundleOptions {
  arch: Arch;
  outDir: string;
  build: boolean;
  nodeVersion: string;
  /** default: the package version plus a hash of the bundle's contents */
  version?: string;
  /** the model package to ship as the default (default runtime/models/default) */
  modelDir?: string;
}

export interface BundleResult {
  bundle: string;
  version: string;
  arch: Arch;
  nodeVersion: string;
  bytes: number;
  unpackedBytes: number;
  modelSha256: string;
}

const say = (msg: string): void => void process.stderr.write(`bundle: ${msg}\n`);

async function mustExist(file: string, hint: string): Promise<void> {
  await stat(file).catch(() => {
    throw new Error(`${path.relative(repoRoot, file)} is missing: ${hint}`);
  });
}

/** The default model package, checked: a valid manifest whose sha256 is that of model.onnx. */
async function checkedModel(dir: string): Promise<{ dir: string; sha256: string; name: string; version: string }> {
  await mustExist(path.join(dir, "manifest.json"), "train or copy the default model package first");
  const manifest = validateManifest(JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")));
  const actual = sha256Hex(await readFile(path.join(dir, "model.onnx")));
  if (actual !== manifest.sha256) throw new Error(`${dir}: manifest sha256 ${manifest.sha256} is not that of model.onnx (${actual})`);
  return { dir, sha256: actual, name: manifest.name, version: manifest.version };
}

function readme(version: string, arch: Arch, nodeVersion: string): string {
  return `# digit-kiosk ${version} (linux-${arch})

An offline bundle: Node.js ${nodeVersion} (node/), the runtime with its production node_modules
and default model (app/), the kiosk's static files (app/kiosk/dist), systemd units (systemd/),
the provisioning scripts (provisioning/) and a hidden cursor theme for the display (share/).

Install on a fresh 64-bit Raspberry Pi OS Lite (Bookworm), e.g. from a USB stick:

    sudo ./provisioning/install.sh [--rotate 90] [--read-only-root] [--debs DIR]

Without network, the Debian packages (chromium cage fonts-dejavu-core socat libpam-systemd) must
already be installed or be given as .deb files with --debs DIR.

Upgrade a provisioned device (rolls back by itself if the new release is not healthy):

    sudo ./provisioning/upgrade.sh /path/to/digit-kiosk-<version>-linux-${arch}.tar.gz

Run by hand, without installing: node/bin/node app/runtime/dist/main.js  (http://127.0.0.1:8080)
`;
}

export async function buildBundle(options: BundleOptions): Promise<BundleResult> {
  const { arch } = options;
  if (options.build) {
    say("building runtime and kiosk");
    await exec("npm", ["run", "--silent", "build"], { cwd: repoRoot });
  }
  await mustExist(path.join(repoRoot, "runtime", "dist", "main.js"), "run npm run build");
  await mustExist(path.join(repoRoot, "kiosk", "dist", "index.html"), "run npm run build");
  const model = await checkedModel(options.modelDir ?? path.join(repoRoot, "runtime", "models", "default"));
  const rootPackage = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };

  const work = await mkdtemp(path.join(os.tmpdir(), `dk-bundle-${arch}-`));
  try {
    const tree = path.join(work, "tree");
    const app = path.join(tree, "app");
    say(`production node_modules for linux-${arch}`);
    const modules = await installProductionModules(repoRoot, arch, path.join(work, "deps"));
    await rename(modules, path.join(await made(app), "node_modules"));

    say(`Node.js ${options.nodeVersion} for linux-${arch}`);
    const node = await fetchNode(arch, options.nodeVersion, path.join(work, "node"));
    await mkdir(path.join(tree, "node", "bin"), { recursive: true });
    await copyFile(path.join(node.dir, "bin", "node"), path.join(tree, "node", "bin", "node"));
    await chmod(path.join(tree, "node", "bin", "node"), 0o755);
    await copyFile(path.join(node.dir, "LICENSE"), path.join(tree, "node", "LICENSE"));

    say("runtime, kiosk, model, units, scripts");
    await cp(path.join(repoRoot, "runtime", "dist"), path.join(app, "runtime", "dist"), { recursive: true });
    await writeFile(
      path.join(app, "runtime", "package.json"),
      JSON.stringify({ name: "@digit-kiosk/runtime", version: rootPackage.version, private: true, type: "module" }, null, 2) + "\n",
    );
    await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "digit-kiosk", version: rootPackage.version, private: true, type: "module" }, null, 2) + "\n");
    const modelDest = path.join(app, "runtime", "models", "default");
    await mkdir(modelDest, { recursive: true });
    for (const f of ["manifest.json", "model.onnx", "golden.json"]) {
      if (f === "golden.json" && !existsSync(path.join(model.dir, f))) continue; // older packages have no golden digits
      await copyFile(path.join(model.dir, f), path.join(modelDest, f));
    }
    await cp(path.join(repoRoot, "kiosk", "dist"), path.join(app, "kiosk", "dist"), { recursive: true });
    await mkdir(path.join(tree, "systemd"));
    for (const unit of UNITS) await copyFile(path.join(repoRoot, "systemd", unit), path.join(tree, "systemd", unit));
    await writeHiddenCursorTheme(path.join(tree, "share", "cursors"));
    await mkdir(path.join(tree, "provisioning"));
    for (const script of PROVISIONING_SCRIPTS) {
      await copyFile(path.join(repoRoot, "provisioning", script), path.join(tree, "provisioning", script));
      await chmod(path.join(tree, "provisioning", script), script === "lib.sh" ? 0o644 : 0o755);
    }

    // Same contents, same version: a rebuilt bundle installs as the same release.
    const version = options.version ?? `${rootPackage.version}+${(await hashTree(tree)).slice(0, 10)}`;
    if (!/^[A-Za-z0-9._+-]+$/.test(version)) throw new Error(`bad version ${version}`);
    await writeFile(path.join(tree, "README.md"), readme(version, arch, node.version));
    const info = { VERSION: version, ARCH: arch, NODE_VERSION: node.version, MODEL_SHA256: model.sha256, MODEL_NAME: model.name, MODEL_VERSION: model.version };
    await writeFile(
      path.join(tree, "bundle.env"),
      Object.entries(info)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n") + "\n",
    );
    await writeFile(path.join(tree, "BUNDLE.json"), JSON.stringify({ ...info, createdAt: new Date().toISOString() }, null, 2) + "\n");

    const name = `digit-kiosk-${version}-linux-${arch}`;
    await rename(tree, path.join(work, name));
    await mkdir(options.outDir, { recursive: true });
    const bundle = path.join(options.outDir, `${name}.tar.gz`);
    say(`packing ${bundle}`);
    await exec("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-C", work, "-czf", bundle, name]);
    const bytes = (await stat(bundle)).size;
    const unpackedBytes = await treeBytes(path.join(work, name));
    const sha = sha256Hex(await readFile(bundle));
    await writeFile(`${bundle}.sha256`, `${sha}  ${path.basename(bundle)}\n`);
    say(`${path.basename(bundle)}: ${mib(bytes)} (unpacked ${mib(unpackedBytes)}), Node ${node.version}, model ${model.name} ${model.version}`);
    return { bundle, version, arch, nodeVersion: node.version, bytes, unpackedBytes, modelSha256: model.sha256 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function made(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

function usage(): string {
  return `usage: npm run bundle -- --arch arm64|x64 [--out DIR] [--skip-build] [--node-version 20.x.y] [--version V] [--model DIR]
  --out DIR          where the tarball goes (default artifacts/bundles)
  --skip-build       use runtime/dist and kiosk/dist as they are
  --node-version V   Node 20 release to ship (default ${defaultNodeVersion()})
  --version V        release name (default <package version>+<content hash>)
  --model DIR        the model package to ship as the default (default runtime/models/default)`;
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: "string" },
      out: { type: "string", default: path.join(repoRoot, "artifacts", "bundles") },
      "skip-build": { type: "boolean", default: false },
      "node-version": { type: "string", default: defaultNodeVersion() },
      version: { type: "string" },
      model: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage());
    return;
  }
  const arch = values.arch as Arch | undefined;
  if (arch === undefined || !ARCHES.includes(arch)) throw new Error(`--arch must be one of ${ARCHES.join(", ")}\n${usage()}`);
  const result = await buildBundle({
    arch,
    outDir: path.resolve(values.out),
    build: !values["skip-build"],
    nodeVersion: values["node-version"],
    version: values.version,
    modelDir: values.model === undefined ? undefined : path.resolve(values.model),
  });
  // The last line is machine-readable, for scripts and tests.
  console.log(JSON.stringify(result));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
