// Tells systemd the truth about the runtime: READY after the first good self-test prediction, WATCHDOG only
// while self-test predictions keep succeeding, STOPPING on shutdown. Without $NOTIFY_SOCKET it does nothing.
import { logger } from "../log.js";
import { SystemdNotifier, watchdogPeriodMs } from "./notifier.js";
import type { SelfTest, SelfTestResult } from "./selftest.js";

const log = logger("systemd");

export interface LivenessOptions {
  /** retry period of the start-up self-test until it first succeeds (systemd's TimeoutStartSec bounds it) */
  readyRetryMs?: number;
  /** the watchdog period; read from WATCHDOG_USEC/WATCHDOG_PID by default */
  watchdogMs?: number | null;
}

export class SystemdLiveness {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ready = false;
  private lastProblem: string | null = null;
  private readonly readyRetryMs: number;
  private readonly watchdogMs: number | null;

  constructor(
    private readonly selfTest: SelfTest,
    private readonly notifier = new SystemdNotifier(),
    options: LivenessOptions = {},
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.readyRetryMs = options.readyRetryMs ?? 1000;
    this.watchdogMs = options.watchdogMs !== undefined ? options.watchdogMs : watchdogPeriodMs(env);
  }

  /** Opens the notifier and schedules the first self-test; READY follows once it succeeds. */
  async start(): Promise<void> {
    if (!this.notifier.enabled || this.running) return;
    await this.notifier.start();
    this.running = true;
    this.schedule(0);
  }

  /** Sends STOPPING and closes the notifier; never rejects, so shutdown carries on. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.notifier.notify({ STOPPING: 1, STATUS: "stopping" });
      await this.notifier.stop();
    } catch (err) {
      log.warn("could not tell systemd we are stopping", { error: String(err) });
    }
  }

  /** Self-tests run three times per watchdog period, so one slow or failed probe does not kill the service. */
  private get checkEveryMs(): number {
    return this.watchdogMs === null ? 0 : Math.max(50, Math.floor(this.watchdogMs / 3));
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const timeoutMs = this.ready ? this.checkEveryMs : Math.max(this.readyRetryMs, 5000);
    let result: SelfTestResult | null = null;
    try {
      result = await this.selfTest(timeoutMs);
    } catch (err) {
      this.report(err instanceof Error ? err.message : String(err));
    }
    if (!this.running) return;
    try {
      if (result !== null) await this.passed(result);
    } catch (err) {
      log.error("sd_notify failed", { error: String(err) });
    }
    if (!this.ready) this.schedule(this.readyRetryMs);
    else if (this.watchdogMs !== null) this.schedule(this.checkEveryMs);
  }

  private async passed(result: SelfTestResult): Promise<void> {
    const status = `serving; self-test prediction ${result.digit ?? "none"} (${result.confidence.toFixed(3)}) in ${result.elapsedMs.toFixed(0)} ms`;
    if (this.lastProblem !== null) log.info("self-test prediction succeeds again");
    this.lastProblem = null;
    if (!this.ready) {
      await this.notifier.notify({ READY: 1, STATUS: status });
      this.ready = true;
      log.info("told systemd we are ready", { digit: result.digit, watchdogMs: this.watchdogMs, via: this.notifier.transportName });
      if (result.digit !== 7) log.warn("the active model does not read the self-test drawing as a 7", { digit: result.digit });
    } else {
      await this.notifier.notify({ WATCHDOG: 1, STATUS: status });
    }
  }

  private report(problem: string): void {
    if (problem !== this.lastProblem) {
      log.warn(this.ready ? "self-test prediction failed; withholding the watchdog ping" : "start-up self-test failed; not ready yet", { problem });
      this.notifier.notify({ STATUS: `self-test failing: ${problem}` }).catch(() => undefined);
    }
    this.lastProblem = problem;
  }
}
