// Model latency bench: single-sample inference time of each package's model.onnx and, beside it,
// model-fp32.onnx (the int8 package's fp32 twin), with onnxruntime-node on one thread like the device.
// Models are timed in alternation, run by run, so background load on a shared machine hits all alike.
// Standalone: `tsx runtime/bench/models.ts [PACKAGE_DIR ...]`; `npm run bench` runs it after the server bench.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { validateManifest } from "../src/contracts/manifest.js";
import { DEVICE_SESSION_OPTIONS, measureLatency, timingInput, type LatencyStats } from "../src/model/latency.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");

export interface ModelRow {
  package: string;
  file: string;
  quantization: "int8-qdq" | "none";
  width: number | null;
  sizeBytes: number;
  mnistTestAccuracy: number | null;
  latency: LatencyStats;
}

interface Subject {
  row: Omit<ModelRow, "latency">;
  bytes: Buffer;
  inputName: string;
}

function subjectsOf(dir: string): Subject[] {
  const manifest = validateManifest(JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as unknown);
  const width = typeof manifest.training.width === "number" ? manifest.training.width : null;
  const fp32Metrics = manifest.metrics.fp32 as { mnistTestAccuracy?: unknown } | undefined;
  const accuracy = (v: unknown): number | null => (typeof v === "number" ? v : null);
  const out: Subject[] = [];
  const add = (file: string, quantization: ModelRow["quantization"], acc: number | null): void => {
    const bytes = readFileSync(path.join(dir, file));
    out.push({ row: { package: path.relative(repoRoot, dir) || dir, file, quantization, width, sizeBytes: bytes.length, mnistTestAccuracy: acc }, bytes, inputName: manifest.input.name });
  };
  add("model.onnx", manifest.quantization, accuracy(manifest.metrics.mnistTestAccuracy));
  if (existsSync(path.join(dir, "model-fp32.onnx"))) add("model-fp32.onnx", "none", accuracy(fp32Metrics?.mnistTestAccuracy));
  return out;
}

/** Times every model of the given packages; writes artifacts/bench/models.json and prints a table. */
export async function runModelBench(dirs: readonly string[], runs = Number(process.env.BENCH_MODEL_RUNS ?? 5000)): Promise<ModelRow[]> {
  const subjects = dirs.flatMap((d) => subjectsOf(path.resolve(d)));
  const sessions = await Promise.all(subjects.map((s) => ort.InferenceSession.create(s.bytes, DEVICE_SESSION_OPTIONS)));
  let stats: Record<string, LatencyStats>;
  try {
    stats = await measureLatency(
      subjects.map((s, i) => ({ name: String(i), session: sessions[i]!, feeds: timingInput(s.inputName) })),
      runs,
      Math.min(500, runs),
    );
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
  const rows: ModelRow[] = subjects.map((s, i) => ({ ...s.row, latency: stats[String(i)]! }));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", arch: process.arch, node: process.version, onnxruntime: ort.env.versions.common },
    method: "single-sample session.run, intraOpNumThreads 1, graphOptimizationLevel all, models alternated run by run",
    runs,
    rows,
  };
  const outDir = path.join(repoRoot, "artifacts", "bench");
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, "models.json");
  await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
  const us = (v: number): string => `${(v * 1000).toFixed(1)}`.padStart(9);
  console.log(`\nmodel latency, 1 sample, 1 thread, ${runs} runs each (${result.machine.model}, onnxruntime ${result.machine.onnxruntime})`);
  console.log("package                      file             quant     width    bytes  MNIST %   p50 µs   p99 µs  mean µs");
  for (const r of rows) {
    const acc = r.mnistTestAccuracy === null ? "n/a" : (100 * r.mnistTestAccuracy).toFixed(2);
    console.log(
      `${r.package.padEnd(28)} ${r.file.padEnd(16)} ${r.quantization.padEnd(8)} ${String(r.width ?? "?").padStart(6)} ${String(r.sizeBytes).padStart(8)} ${acc.padStart(7)} ${us(r.latency.medianMs)} ${us(r.latency.p99Ms)} ${us(r.latency.meanMs)}`,
    );
  }
  console.log(`written: ${path.relative(process.cwd(), outFile)}`);
  return rows;
}

/** The packages to time: BENCH_MODELS (comma-separated folders) or the default model. */
export function benchModelDirs(args: readonly string[] = []): string[] {
  if (args.length > 0) return [...args];
  const env = process.env.BENCH_MODELS;
  if (env !== undefined && env.trim() !== "") return env.split(",").map((d) => d.trim());
  return [path.join(repoRoot, "runtime", "models", "default")];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runModelBench(benchModelDirs(process.argv.slice(2))).catch((err: unknown) => {
    console.error(`model bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
