// npm run bench: latency (p50, p99) and throughput of POST /api/predict and WS /ws at 1, 16 and 64
// concurrent clients against the built runtime in its own process, plus its RSS idle and under load;
// then fp32 vs int8 model latency (models.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { loadPendigits } from "../../training/src/data/pendigits.js";
import { benchModelDirs, runModelBench } from "./models.js";
import { buildPost, RawHttpClient } from "./rawhttp.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const WARMUP_MS = 1000;
const CLIENTS = [1, 16, 64];

interface Row {
  transport: "http" | "ws";
  clients: number;
  requests: number;
  errors: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  rssMaxMiB: number;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function startRuntime(): Promise<{ child: ChildProcess; port: number }> {
  const main = path.join(repoRoot, "runtime", "dist", "main.js");
  const child = spawn(process.execPath, [main], { env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"url":"http:\/\/[^:]+:(\d+)"/.exec(out);
      if (m !== null && out.includes("ready")) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`runtime exited with ${code} before it was ready`)));
  });
  return { child, port };
}

async function requestBodies(): Promise<string[]> {
  const digits = await loadPendigits();
  // Real pen trajectories, scaled into an 800x480 surface as a kiosk would send them.
  return digits.slice(0, 200).map((d) => {
    const strokes = d.strokes.map((s) => s.map(([x, y]) => [120 + x * 0.8, 40 + y * 0.8]));
    return JSON.stringify({ strokes, width: 800, height: 480 });
  });
}

type Sender = () => Promise<boolean>;

async function runLoad(makeSender: (i: number) => Promise<{ send: Sender; close: () => void }>, clients: number, pid: number): Promise<Omit<Row, "transport" | "clients">> {
  const senders = await Promise.all(Array.from({ length: clients }, (_, i) => makeSender(i)));
  const latencies: number[] = [];
  let errors = 0;
  let rssMax = rssMiB(pid);
  const rssTimer = setInterval(() => {
    rssMax = Math.max(rssMax, rssMiB(pid));
  }, 100);
  const loop = async (s: { send: Sender }, until: number, record: boolean): Promise<void> => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const ok = await s.send();
      if (!record) continue;
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(senders.map((s) => loop(s, performance.now() + WARMUP_MS, false)));
  const start = performance.now();
  await Promise.all(senders.map((s) => loop(s, start + DURATION_MS, true)));
  const elapsed = (performance.now() - start) / 1000;
  clearInterval(rssTimer);
  for (const s of senders) s.close();
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, errors, throughput: latencies.length / elapsed, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), rssMaxMiB: rssMax };
}

async function main(): Promise<void> {
  const bodies = await requestBodies();
  const { child, port } = await startRuntime();
  const pid = child.pid!;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const rssIdle = rssMiB(pid);
    const rows: Row[] = [];
    const httpRequests = bodies.map((b) => buildPost("/api/predict", b));
    for (const clients of CLIENTS) {
      const r = await runLoad(async (i) => {
        const c = await RawHttpClient.connect(port);
        let k = i;
        return {
          send: async () => (await c.request(httpRequests[k++ % httpRequests.length]!)).status === 200,
          close: () => c.close(),
        };
      }, clients, pid);
      rows.push({ transport: "http", clients, ...r });
      process.stderr.write(`bench: http x${clients} done\n`);
    }
    for (const clients of CLIENTS) {
      const r = await runLoad(async (i) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        await new Promise((res, rej) => ws.once("open", res).once("error", rej));
        let waiter: ((ok: boolean) => void) | null = null;
        ws.on("message", (data: Buffer) => {
          const w = waiter;
          waiter = null;
          w?.(data.toString().startsWith('{"type":"prediction"'));
        });
        let k = i;
        return {
          send: () =>
            new Promise<boolean>((resolve) => {
              waiter = resolve;
              ws.send(`{"type":"predict","id":${k},${bodies[k++ % bodies.length]!.slice(1)}`);
            }),
          close: () => ws.close(),
        };
      }, clients, pid);
      rows.push({ transport: "ws", clients, ...r });
      process.stderr.write(`bench: ws x${clients} done\n`);
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", arch: process.arch, node: process.version },
      durationS: DURATION_MS / 1000,
      note: "client and server share this machine's cores; latency is measured by the client from write to full response",
      rssIdleMiB: rssIdle,
      rows,
    };
    const outDir = path.join(repoRoot, "artifacts", "bench");
    await mkdir(outDir, { recursive: true });
    const outFile = path.join(outDir, "bench.json");
    await writeFile(outFile, JSON.stringify(result, null, 2) + "\n");
    const f = (n: number, d = 2) => n.toFixed(d).padStart(9);
    console.log(`runtime RSS idle: ${rssIdle.toFixed(1)} MiB   (${result.machine.cpus} cores, ${result.machine.model})`);
    console.log("transport clients  requests   req/s    p50 ms    p99 ms  errors  RSS max MiB");
    for (const r of rows) {
      console.log(`${r.transport.padEnd(9)} ${String(r.clients).padStart(7)} ${String(r.requests).padStart(9)} ${f(r.throughput, 0)} ${f(r.p50Ms, 3)} ${f(r.p99Ms, 3)} ${String(r.errors).padStart(7)} ${f(r.rssMaxMiB, 1)}`);
    }
    console.log(`written: ${path.relative(process.cwd(), outFile)}`);
  } finally {
    child.kill("SIGTERM");
  }
  // Model latency, fp32 vs int8, one sample on one thread, with the server stopped (models.ts).
  await runModelBench(benchModelDirs());
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
