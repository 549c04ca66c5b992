// The model report: one self-contained index.html (inline SVG plots, PNG digits as data URIs, no scripts,
// no network) plus report.json with the same numbers, written atomically into a folder.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Manifest } from "@digit-kiosk/runtime/contracts/manifest";
import type { LatencyStats } from "@digit-kiosk/runtime/model/latency";
import type { ValidationReport } from "@digit-kiosk/runtime/model/validate";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { EpochRecord } from "./history.js";
import { dataUri, digitGridPng, digitPng } from "./images.js";
import { barChart, confusionHeatmap, escapeXml as esc, lineChart, type Series } from "./svg.js";

export interface Scored {
  correct: number;
  count: number;
}

export interface ModelFacts {
  kind: "fp32" | "int8";
  file: string;
  sizeBytes: number;
  sha256: string;
  mnistTest: Scored & { confusion: number[][] };
  pendigits: Scored | null;
  latency: LatencyStats | null;
  /** op type -> count in the graph onnxruntime runs */
  optimizedOps: Record<string, number>;
}

export interface MethodRow {
  method: string;
  selection: Scored & { agreement: number };
  test: Scored;
  chosen: boolean;
}

export interface Mistake {
  pixels: Uint8Array;
  label: number;
  predicted: number;
  confidence: number;
  source: string;
}

export interface ReportData {
  manifest: Manifest;
  deployed: "int8" | "fp32";
  /** one or two sentences: which model is deployed and why */
  decision: string;
  fp32: ModelFacts;
  int8: ModelFacts | null;
  methods: MethodRow[];
  calibration: { count: number; source: string; percentile: number; selectionSet: string };
  /** Conv/Gemm nodes deliberately left in fp32 */
  fp32Nodes: string[];
  /** what the pendigits row measures, e.g. "pendigits-val (6 held-out writers, rendered strokes)" */
  pendigitsName: string;
  activations: { tensor: string; min: number; max: number; scale: number; zeroPoint: number }[];
  history: EpochRecord[] | null;
  mistakes: Mistake[];
  augmentation: { png: Buffer; caption: string } | null;
  golden: { images: Uint8Array; labels: Uint8Array; count: number };
  validation: ValidationReport;
  command: string;
  machine: string;
}

const pct = (s: Scored, digits = 2): string => (s.count === 0 ? "n/a" : `${((100 * s.correct) / s.count).toFixed(digits)} %`);
const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "n/a" : `${(v * 1000).toFixed(1)} µs`);
const opsText = (ops: Record<string, number>): string =>
  Object.entries(ops)
    .map(([op, n]) => `${op.replace(/^com\.microsoft\./, "ms.")} ×${n}`)
    .join(", ");

function perClass(confusion: number[][]): number[] {
  return confusion.map((row, d) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : (100 * (row[d] ?? 0)) / total;
  });
}

function comparisonTable(d: ReportData): string {
  const cols = d.int8 === null ? [d.fp32] : [d.fp32, d.int8];
  const head = cols.map((m) => `<th>${m.kind}${m.kind === d.deployed ? " (deployed)" : ""}</th>`).join("");
  const row = (name: string, cell: (m: ModelFacts) => string): string => `<tr><th>${esc(name)}</th>${cols.map((m) => `<td>${cell(m)}</td>`).join("")}</tr>`;
  return `<table><tr><th></th>${head}</tr>
${row("MNIST test accuracy", (m) => `${pct(m.mnistTest)} <small>(${m.mnistTest.correct}/${m.mnistTest.count})</small>`)}
${row(`${d.pendigitsName} accuracy`, (m) => (m.pendigits === null ? "n/a" : `${pct(m.pendigits)} <small>(${m.pendigits.correct}/${m.pendigits.count})</small>`))}
${row("file size", (m) => `${m.sizeBytes.toLocaleString("en")} bytes <small>(${((100 * m.sizeBytes) / d.fp32.sizeBytes).toFixed(1)} % of fp32)</small>`)}
${row("latency, 1 sample, median", (m) => ms(m.latency?.medianMs))}
${row("latency, 1 sample, p99", (m) => `${ms(m.latency?.p99Ms)} <small>(${m.latency?.runs ?? 0} runs)</small>`)}
${row("what onnxruntime runs", (m) => `<small>${esc(opsText(m.optimizedOps))}</small>`)}
${row("file / sha256", (m) => `<code>${esc(m.file)}</code><br><small><code>${m.sha256.slice(0, 16)}…</code></small>`)}
</table>`;
}

function historySection(history: EpochRecord[] | null): string {
  if (history === null || history.length === 0) {
    return `<p class="note">This package's manifest records no per-epoch history (<code>training.history</code>), so there are no training curves.</p>`;
  }
  const line = (pick: (e: EpochRecord) => number | undefined, name: string, dashed = false): Series => ({
    name,
    dashed,
    points: history.flatMap((e) => {
      const v = pick(e);
      return v === undefined ? [] : [[e.epoch, v] as [number, number]];
    }),
  });
  // accuracies as fractions (the contract); a history written in percent is shown as it is
  const toPct = Math.max(...history.map((e) => e.accuracy)) <= 1.0001 ? 100 : 1;
  const loss = [line((e) => e.loss, "train"), line((e) => e.valLoss, "validation", true)].filter((s) => s.points.length > 0);
  const valSets = [...new Set(history.flatMap((e) => Object.keys(e.valAccuracies ?? {})))];
  const acc = [
    line((e) => toPct * e.accuracy, "train"),
    line((e) => (e.valAccuracy === undefined ? undefined : toPct * e.valAccuracy), "validation", true),
    ...valSets.map((name) => line((e) => { const v = e.valAccuracies?.[name]; return v === undefined ? undefined : toPct * v; }, name, true)),
  ].filter((s) => s.points.length > 0);
  return `<div class="row">${lineChart(loss, { title: "Loss per epoch", xLabel: "epoch", yLabel: "loss", yMin: 0 })}${lineChart(acc, {
    title: "Accuracy per epoch",
    xLabel: "epoch",
    yLabel: "accuracy, %",
  })}</div>`;
}

async function mistakesSection(mistakes: Mistake[]): Promise<string> {
  if (mistakes.length === 0) return `<p>No mistakes on the MNIST test set.</p>`;
  const figures = await Promise.all(
    mistakes.map(async (m) => {
      const png = await digitPng(m.pixels, 0, 3);
      return `<figure><img src="${dataUri(png)}" width="56" height="56" alt="digit ${m.label}"><figcaption>${m.label} → <b>${m.predicted}</b><br>${(100 * m.confidence).toFixed(0)} %<br><small>${esc(m.source)}</small></figcaption></figure>`;
    }),
  );
  return `<div class="grid">${figures.join("")}</div>`;
}

function validationSection(v: ValidationReport): string {
  const items: string[] = [];
  items.push(`<li>manifest valid, sha256 of model.onnx matches, onnxruntime loads it, input and output match the manifest</li>`);
  if (v.golden !== null) items.push(`<li>golden digits shipped in the package: ${v.golden.passed} of ${v.golden.total} answered correctly</li>`);
  if (v.accuracy !== null) {
    items.push(`<li>accuracy on ${esc(v.accuracy.set)}: ${pct(v.accuracy)}${v.accuracy.min === null ? "" : ` (required ≥ ${(100 * v.accuracy.min).toFixed(2)} %)`}</li>`);
  }
  if (v.latency !== null) items.push(`<li>median single-sample latency ${ms(v.latency.medianMs)}${v.latency.budgetMs === null ? "" : ` (budget ${v.latency.budgetMs} ms)`}</li>`);
  const verdict = v.ok ? `<p class="ok">Passed: every check below.</p>` : `<p class="bad">Refused: ${v.problems.map(esc).join("; ")}</p>`;
  return `${verdict}<ul>${items.join("")}</ul>`;
}

export async function renderReportHtml(d: ReportData): Promise<string> {
  const m = d.manifest;
  const deployedFacts = d.deployed === "int8" && d.int8 !== null ? d.int8 : d.fp32;
  const classes = d.fp32.mnistTest.confusion.map((_, i) => String(i));
  const fp32Class = perClass(d.fp32.mnistTest.confusion);
  const int8Class = d.int8 === null ? null : perClass(d.int8.mnistTest.confusion);
  const lowest = Math.min(...fp32Class, ...(int8Class ?? []));
  const bars = barChart(
    classes.map((label, i) => ({ label, values: int8Class === null ? [fp32Class[i]!] : [fp32Class[i]!, int8Class[i]!] })),
    int8Class === null ? ["fp32"] : ["fp32", "int8"],
    { title: "Per-class accuracy, MNIST test", yLabel: "accuracy, %", yMin: Math.max(0, Math.floor(lowest - 1)), yMax: 100 },
  );
  const goldenPng = await digitGridPng(d.golden.images, d.golden.count, 10, 2);
  const methodRows = d.methods
    .map(
      (r) =>
        `<tr${r.chosen ? ' class="chosen"' : ""}><td>${esc(r.method)}${r.chosen ? " (kept)" : ""}</td><td>${pct(r.selection)} <small>(${r.selection.correct}/${r.selection.count})</small></td><td>${(100 * r.selection.agreement).toFixed(2)} %</td><td>${pct(r.test)}</td></tr>`,
    )
    .join("");
  const activationRows = d.activations
    .map((a) => `<tr><td><code>${esc(a.tensor)}</code></td><td>${a.min.toFixed(3)} … ${a.max.toFixed(3)}</td><td>${a.scale.toPrecision(4)}</td><td>${a.zeroPoint}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${m.name} ${m.version}: model report`)}</title>
<style>
body{font-family:system-ui,"DejaVu Sans",sans-serif;max-width:1080px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
tr.chosen td{background:#eef6ee}.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.grid{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0;text-align:center;font-size:12px;width:78px}
figure img,img.pixels{image-rendering:pixelated}.note{color:#555}.ok{color:#17661d;font-weight:bold}.bad{color:#a11;font-weight:bold}
.summary{background:#f6f8fa;border:1px solid #ddd;padding:8px 16px}code{font-size:.92em}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
</style></head><body>
<h1>${esc(m.name)} <small>${esc(m.version)}</small></h1>
<p>Model report, made ${esc(m.createdAt)} by <code>${esc(d.command)}</code>.</p>
<div class="summary">
<p><b>Deployed model: ${d.deployed === "int8" ? "int8 (ONNX QDQ)" : "fp32"}</b>, ${pct(deployedFacts.mnistTest)} on the MNIST test set,
${deployedFacts.sizeBytes.toLocaleString("en")} bytes, sha256 <code>${esc(m.sha256)}</code>.</p>
<p>${esc(d.decision)}</p>
${validationSection(d.validation)}
</div>

<h2>fp32 and int8 side by side</h2>
${comparisonTable(d)}
<p class="note">Latency: onnxruntime-node on this machine (${esc(d.machine)}), one thread, one image per call, the two models timed in alternation so background load hits both alike.
"What onnxruntime runs" is the graph onnxruntime saves after its optimizations (<code>optimizedModelFilePath</code>): QLinearConv and QGemm are int8 kernels.</p>

<h2>Training</h2>
${historySection(d.history)}

<h2>Where it errs (deployed model, MNIST test)</h2>
<div class="row">${confusionHeatmap(deployedFacts.mnistTest.confusion, `Confusion matrix (${d.deployed})`)}${bars}</div>
<h3>The worst mistakes</h3>
<p class="note">Test digits the model gets wrong with the highest confidence: true digit → <b>answer</b>, its probability.</p>
${await mistakesSection(d.mistakes)}

<h2>Augmentation</h2>
${d.augmentation === null ? `<p class="note">No augmentation grid was provided.</p>` : `<p class="note">${esc(d.augmentation.caption)}</p><img class="pixels" src="${dataUri(d.augmentation.png)}" alt="augmented training digits">`}

<h2>Quantization</h2>
<p>Static post-training quantization in ONNX QDQ form: weights int8 per output channel, symmetric (Conv along axis 0, the dense layer per output column);
biases int32; activations int8 per tensor, asymmetric, calibrated on ${d.calibration.count.toLocaleString("en")} ${esc(d.calibration.source)}.
Candidates were scored on ${esc(d.calibration.selectionSet)} (not the test set); the one with more correct answers was kept (a tie goes to closer agreement with fp32, then to min-max, which clips nothing).${
  d.fp32Nodes.length > 0 ? ` Left in fp32 on purpose: ${d.fp32Nodes.map((n) => `<code>${esc(n)}</code>`).join(", ")}.` : ""
}</p>
${d.methods.length === 0 ? "" : `<table><tr><th>calibration</th><th>selection accuracy</th><th>agrees with fp32</th><th>MNIST test accuracy</th></tr>${methodRows}</table>`}
${d.activations.length === 0 ? "" : `<h3>Activation ranges (${esc(d.methods.find((r) => r.chosen)?.method ?? "kept method")})</h3><table><tr><th>tensor</th><th>range</th><th>scale</th><th>zero point</th></tr>${activationRows}</table>`}

<h2>Golden digits</h2>
<p class="note">These ${d.golden.count} digits ship inside the package (<code>${esc(m.golden?.file ?? "golden.json")}</code>) with the answer the model must give; the device runs them before it activates the model.</p>
<img class="pixels" src="${dataUri(goldenPng)}" alt="golden digits">
<p class="note">Labels, in order: ${Array.from(d.golden.labels.subarray(0, d.golden.count)).join(" ")}</p>

<h2>Manifest</h2>
<pre>${esc(JSON.stringify(m, null, 2))}</pre>
</body></html>
`;
}

/** The numbers of the report without the pictures, for machines. */
export function reportJson(d: ReportData): unknown {
  const facts = (f: ModelFacts | null): unknown =>
    f === null ? null : { file: f.file, sizeBytes: f.sizeBytes, sha256: f.sha256, mnistTest: f.mnistTest, pendigits: f.pendigits, latency: f.latency, optimizedOps: f.optimizedOps };
  return {
    name: d.manifest.name,
    version: d.manifest.version,
    deployed: d.deployed,
    decision: d.decision,
    fp32: facts(d.fp32),
    int8: facts(d.int8),
    methods: d.methods,
    calibration: d.calibration,
    activations: d.activations,
    history: d.history,
    validation: { ok: d.validation.ok, problems: d.validation.problems, golden: d.validation.golden, accuracy: d.validation.accuracy, latency: d.validation.latency },
    command: d.command,
    machine: d.machine,
  };
}

/** Writes dir/index.html and dir/report.json; returns the path of index.html. */
export async function writeReport(dir: string, data: ReportData): Promise<string> {
  await mkdir(dir, { recursive: true });
  const html = await renderReportHtml(data);
  const file = path.join(dir, "index.html");
  await writeFileAtomic(path.join(dir, "report.json"), `${JSON.stringify(reportJson(data), null, 2)}\n`);
  await writeFileAtomic(file, html);
  return file;
}
