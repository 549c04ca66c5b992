// Device health for the operator overlay: CPU temperature, Pi throttling, memory, disk, load and uptime.
// Read on request and cached for a few seconds; every read is asynchronous and bounded by a timeout.
import { readdir, readFile, statfs } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import si from "systeminformation";
import type { DeviceHealth } from "../contracts/api.js";
import { logger } from "../log.js";
import { readThrottling, THROTTLED_FILE } from "./throttling.js";

const log = logger("health");

export interface HealthOptions {
  /** the file system reported as "disk" is the one holding this path (or its nearest existing parent) */
  diskPath: string;
  /** a snapshot younger than this is served from the cache */
  maxAgeMs?: number;
  /** each source gives up after this long (null then) */
  timeoutMs?: number;
  thermalRoot?: string;
  throttledFile?: string;
}

/** systeminformation's cpuTemperature() runs a shell synchronously on Linux: used only when sysfs has no zone, and rarely. */
const SI_TEMPERATURE_EVERY_MS = 60_000;
/** Shared by every reporter in the process, so restarts in one process do not run that shell again. */
const siFallback = { at: -Infinity, celsius: null as number | null };

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([work.catch(() => null), timeout]).finally(() => clearTimeout(timer));
}

/** The CPU's thermal zone in sysfs ("cpu-thermal" on a Pi, "x86_pkg_temp" on a PC), else the first zone; °C. */
export async function readThermalZone(root = "/sys/class/thermal"): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(root)).filter((n) => n.startsWith("thermal_zone")).sort();
  } catch {
    return null;
  }
  const readings: Array<{ type: string; celsius: number }> = [];
  for (const zone of zones) {
    try {
      const [type, temp] = await Promise.all([readFile(path.join(root, zone, "type"), "utf8"), readFile(path.join(root, zone, "temp"), "utf8")]);
      const milli = Number(temp.trim());
      if (Number.isFinite(milli)) readings.push({ type: type.trim().toLowerCase(), celsius: Math.round(milli / 100) / 10 });
    } catch {
      // a zone without a readable temperature
    }
  }
  const pick = readings.find((r) => r.type.includes("cpu")) ?? readings.find((r) => r.type.includes("pkg")) ?? readings[0];
  return pick?.celsius ?? null;
}

/** statfs of the nearest existing folder at or above p. */
async function diskOf(p: string): Promise<DeviceHealth["disk"]> {
  let dir = path.resolve(p);
  for (;;) {
    try {
      const fs = await statfs(dir);
      return { path: dir, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  }
}

export class HealthReporter {
  private cached: DeviceHealth | null = null;
  private cachedAt = 0;
  private reading: Promise<DeviceHealth> | null = null;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: HealthOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** Primes the CPU load measurement (it compares with the previous call); nothing is read until someone asks. */
  async start(): Promise<void> {
    si.currentLoad().catch((err: unknown) => log.warn("cannot read the CPU load", { error: String(err) }));
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.reading?.catch(() => undefined);
  }

  /** The latest health, read afresh when the cached one is older than maxAgeMs. */
  snapshot(): Promise<DeviceHealth> {
    if (this.cached !== null && Date.now() - this.cachedAt < this.maxAgeMs) return Promise.resolve(this.cached);
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async read(): Promise<DeviceHealth> {
    const t = this.timeoutMs;
    const [temperature, throttling, memory, disk, load] = await Promise.all([
      withTimeout(this.temperature(), t),
      withTimeout(readThrottling(this.options.throttledFile ?? THROTTLED_FILE), t),
      withTimeout(si.mem().then((m) => ({ totalBytes: m.total, availableBytes: m.available })), t),
      withTimeout(diskOf(this.options.diskPath), t),
      withTimeout(si.currentLoad().then((l) => ({ percent: Math.round(l.currentLoad * 10) / 10, average1: os.loadavg()[0] ?? 0 })), t),
    ]);
    const health: DeviceHealth = {
      at: new Date().toISOString(),
      cpuTemperatureC: temperature,
      throttling,
      memory,
      disk,
      load,
      systemUptimeS: Math.round(os.uptime()),
    };
    this.cached = health;
    this.cachedAt = Date.now();
    return health;
  }

  private async temperature(): Promise<number | null> {
    const zone = await readThermalZone(this.options.thermalRoot);
    if (zone !== null) return zone;
    if (Date.now() - siFallback.at >= SI_TEMPERATURE_EVERY_MS) {
      siFallback.at = Date.now();
      const t = await si.cpuTemperature();
      siFallback.celsius = typeof t.main === "number" && t.main > 0 ? t.main : null;
    }
    return siFallback.celsius;
  }
}
