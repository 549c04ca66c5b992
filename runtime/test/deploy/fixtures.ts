// Model packages for the deploy tests, made from the default model: good ones (a distinct sha256 per variant,
// golden digits labelled with the model's own answers), and corrupt, wrong-shape and wrong-hash ones.
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { Stroke } from "../../src/contracts/api.js";
import { DEFAULT_CONFIG } from "../../src/config.js";
import { packageEntries } from "../../../provisioning/deploy/pack.js";
import { writeTar } from "../../src/deploy/tar.js";
import { encodeGolden, GOLDEN_FILE, type GoldenItem } from "../../src/model/golden.js";
import { CURRENT_LINK } from "../../src/model/layout.js";
import { sha256Hex } from "../../src/model/package.js";
import { renderStrokes } from "../../src/preprocess/index.js";
import { sevenStrokes } from "../helpers.js";

const { onnx } = onnxProto;
export const defaultDir = DEFAULT_CONFIG.modelDir;

type ManifestJson = Record<string, unknown> & { sha256: string; version: string; input: { name: string; pixelScale: number; mean: number; std: number }; output: { name: string } };

export async function defaultManifest(): Promise<ManifestJson> {
  return JSON.parse(await readFile(path.join(defaultDir, "manifest.json"), "utf8")) as ManifestJson;
}

function drawings(): Stroke[][] {
  const line = (pts: [number, number][]): Stroke => pts.map(([x, y]) => [x, y] as [number, number]);
  const ellipse = (cx: number, cy: number, rx: number, ry: number): Stroke =>
    Array.from({ length: 41 }, (_, i) => [cx + rx * Math.sin((i / 40) * 2 * Math.PI), cy - ry * Math.cos((i / 40) * 2 * Math.PI)] as [number, number]);
  return [sevenStrokes(), [line([[300, 50], [300, 350]])], [ellipse(300, 200, 90, 140)], [line([[120, 80], [300, 80], [300, 200], [120, 200], [120, 320], [300, 320]])]];
}

let golden: GoldenItem[] | null = null;

/** Golden digits: a few drawings, labelled with the default model's answers (every variant answers the same). */
async function goldenItems(): Promise<GoldenItem[]> {
  if (golden !== null) return golden;
  const manifest = await defaultManifest();
  const session = await ort.InferenceSession.create(path.join(defaultDir, "model.onnx"));
  const items: GoldenItem[] = [];
  for (const [k, strokes] of drawings().entries()) {
    const pixels = renderStrokes(strokes, 600, 400);
    const x = Float32Array.from(pixels, (p) => (p * manifest.input.pixelScale - manifest.input.mean) / manifest.input.std);
    const out = (await session.run({ [manifest.input.name]: new ort.Tensor("float32", x, [1, 1, 28, 28]) }))[manifest.output.name]!.data as Float32Array;
    items.push({ label: out.indexOf(Math.max(...out)), source: `drawing ${k}`, pixels });
  }
  await session.release();
  golden = items;
  return items;
}

/** The default model with a different doc string: the same answers, another sha256. */
export async function variantModel(variant: string): Promise<Uint8Array> {
  const model = onnx.ModelProto.decode(await readFile(path.join(defaultDir, "model.onnx")));
  model.docString = `digit-kiosk deploy test variant ${variant}`;
  return onnx.ModelProto.encode(model).finish();
}

/** A model that loads but wants 32x32 inputs: Flatten, then the first 10 values as "logits". */
export function wrongShapeModel(): Uint8Array {
  const FLOAT = 1;
  const INT64 = 7;
  const int64 = (name: string, v: number) => ({ name, dataType: INT64, dims: [1], int64Data: [v] });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "digit-kiosk deploy test",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "wrong-shape",
      input: [{ name: "input", type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: 1 }, { dimValue: 32 }, { dimValue: 32 }] } } } }],
      output: [{ name: "logits", type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: 10 }] } } } }],
      initializer: [int64("starts", 0), int64("ends", 10), int64("axes", 1)],
      node: [
        { opType: "Flatten", input: ["input"], output: ["flat"], attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: "Slice", input: ["flat", "starts", "ends", "axes"], output: ["logits"] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface PackageOptions {
  version: string;
  model?: Uint8Array;
  /** write this sha256 into the manifest instead of the model's */
  manifestSha256?: string;
  golden?: boolean;
}

/** A package folder: model.onnx, golden.json and a manifest that describes them (unless told otherwise). */
export async function makePackage(parent: string, name: string, options: PackageOptions): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  const model = options.model ?? (await variantModel(name));
  await writeFile(path.join(dir, "model.onnx"), model);
  const manifest = await defaultManifest();
  manifest.sha256 = options.manifestSha256 ?? sha256Hex(model);
  manifest.version = options.version;
  manifest.name = "tinyvgg-deploy-test";
  if (options.golden !== false) {
    const text = encodeGolden(await goldenItems());
    await writeFile(path.join(dir, GOLDEN_FILE), text);
    manifest.golden = { file: GOLDEN_FILE, sha256: sha256Hex(Buffer.from(text)), count: (await goldenItems()).length };
  }
  await writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

export async function shaOf(dir: string): Promise<string> {
  return ((JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { sha256: string }).sha256);
}

/** A model store holding the default package as current (like a freshly provisioned kiosk). */
export async function makeStore(): Promise<{ root: string; etc: string; defaultSha: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), "dk-deploy-"));
  const root = path.join(base, "models");
  const etc = path.join(base, "etc");
  await mkdir(root);
  await mkdir(etc);
  const defaultSha = (await defaultManifest()).sha256;
  await cp(defaultDir, path.join(root, defaultSha), { recursive: true });
  await symlink(defaultSha, path.join(root, CURRENT_LINK));
  await writeFile(path.join(root, ".bundled"), `${defaultSha}\n`);
  return { root, etc, defaultSha };
}

/** The package folder as the tar stream the client sends. */
export async function tarOf(dir: string, signKey?: string): Promise<Buffer> {
  const { entries } = await packageEntries(dir, signKey);
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
