// npm run bench -w kiosk: the kiosk's download size (JS + CSS, gzipped) and, in Chromium, the time from
// navigation to a ready drawing pad and to a connected socket. Writes artifacts/bench/kiosk.json and a table.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { startApp } from "@digit-kiosk/runtime/app";
import { buildKiosk, DIST_DIR, KIOSK_DIR } from "./build.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIZE_GOAL_BYTES = 40 * 1024;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function sizes(): Promise<Record<string, { bytes: number; gzip: number }>> {
  const out: Record<string, { bytes: number; gzip: number }> = {};
  for (const name of ["app.js", "app.css", "index.html"]) {
    const body = await readFile(path.join(DIST_DIR, name));
    out[name] = { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
  }
  return out;
}

interface Load {
  canvasReadyMs: number;
  connectedMs: number;
}

async function loads(port: number): Promise<Load[]> {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const out: Load[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A fresh context each time: nothing cached, like the kiosk's first start.
      const context = await browser.newContext({ viewport: { width: 800, height: 480 }, hasTouch: true });
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => performance.getEntriesByName("kiosk-connected").length > 0 && performance.getEntriesByName("kiosk-canvas-ready").length > 0);
      const marks = await page.evaluate(() => ({
        canvasReadyMs: performance.getEntriesByName("kiosk-canvas-ready")[0]?.startTime ?? NaN,
        connectedMs: performance.getEntriesByName("kiosk-connected")[0]?.startTime ?? NaN,
      }));
      out.push(marks);
      await context.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  await buildKiosk();
  const files = await sizes();
  const jsCssGzip = files["app.js"]!.gzip + files["app.css"]!.gzip;
  const app = await startApp({ host: "127.0.0.1", port: 0, staticDir: DIST_DIR });
  let runs: Load[];
  try {
    runs = await loads(app.port);
  } finally {
    await app.stop();
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", arch: process.arch, node: process.version },
    note: "navigation start to the first sized, painted drawing pad (performance mark), and to the first open WebSocket; Chromium headless at 800x480, fresh context per run, runtime on the same machine",
    files,
    jsCssGzipBytes: jsCssGzip,
    jsCssGzipGoalBytes: SIZE_GOAL_BYTES,
    runs,
    canvasReadyMedianMs: median(runs.map((r) => r.canvasReadyMs)),
    connectedMedianMs: median(runs.map((r) => r.connectedMs)),
  };
  const outDir = path.resolve(KIOSK_DIR, "..", "artifacts", "bench");
  await mkdir(outDir, { recursive: true });
  const outFile = path.join(outDir, "kiosk.json");
  await writeFile(outFile, JSON.stringify(result, null, 2) + "\n");
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log("file        bytes      gzip");
  for (const [name, s] of Object.entries(files)) console.log(`${name.padEnd(10)} ${kb(s.bytes).padStart(9)} ${kb(s.gzip).padStart(9)}`);
  console.log(`kiosk JS+CSS gzipped: ${kb(jsCssGzip)} (goal <= ${kb(SIZE_GOAL_BYTES)})`);
  console.log(`navigation -> ready canvas: median ${result.canvasReadyMedianMs.toFixed(0)} ms; -> connected: median ${result.connectedMedianMs.toFixed(0)} ms (${RUNS} runs)`);
  console.log(`written: ${path.relative(process.cwd(), outFile)}`);
}

main().catch((err: unknown) => {
  console.error(`kiosk bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
