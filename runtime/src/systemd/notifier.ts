// sd_notify for the runtime: finds $NOTIFY_SOCKET and the watchdog settings, and sends through the first transport that works.
import { logger } from "../log.js";
import { SocatRelay, SystemdNotifyExec, type NotifyTransport } from "./transport.js";

const log = logger("systemd");

export type NotifyFields = Record<string, string | number>;

/** The message text of sd_notify: one VARIABLE=VALUE per line; values are made single-line. */
export function formatMessage(fields: NotifyFields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, " ")}`)
    .join("\n");
}

/** The watchdog period systemd asked for, in ms, or null when the watchdog is off or meant for another process. */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (env.WATCHDOG_USEC === undefined || !Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec / 1000;
}

export type TransportFactory = (notifySocket: string, onLost: (detail: string) => void) => NotifyTransport[];

const defaultTransports: TransportFactory = (notifySocket, onLost) => [new SocatRelay(notifySocket, onLost), new SystemdNotifyExec(notifySocket)];

export class SystemdNotifier {
  private transport: NotifyTransport | null = null;
  private readonly notifySocket: string | undefined;

  constructor(
    env: NodeJS.ProcessEnv = process.env,
    private readonly transports: TransportFactory = defaultTransports,
  ) {
    this.notifySocket = env.NOTIFY_SOCKET;
  }

  /** false when not started by systemd as Type=notify (development, tests): every call is then a no-op */
  get enabled(): boolean {
    return this.notifySocket !== undefined && this.notifySocket !== "";
  }

  get transportName(): string | null {
    return this.transport?.name ?? null;
  }

  async start(): Promise<void> {
    if (!this.enabled || this.transport !== null) return;
    const candidates = this.transports(this.notifySocket!, (detail) => this.lost(detail));
    const problems: string[] = [];
    for (const candidate of candidates) {
      try {
        await candidate.open();
        this.transport = candidate;
        log.info("sending sd_notify messages", { via: candidate.name, socket: this.notifySocket });
        return;
      } catch (err) {
        problems.push(`${candidate.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`no way to send sd_notify messages (install socat): ${problems.join("; ")}`);
  }

  async notify(fields: NotifyFields): Promise<void> {
    if (!this.enabled) return;
    if (this.transport === null) throw new Error("the notifier is not started");
    await this.transport.send(formatMessage(fields));
  }

  async stop(): Promise<void> {
    const transport = this.transport;
    this.transport = null;
    if (transport !== null) await transport.close();
  }

  /** The relay died: carry on with the exec fallback so systemd keeps hearing from us. */
  private lost(detail: string): void {
    log.error("sd_notify relay lost; falling back to systemd-notify", { detail });
    const fallback = new SystemdNotifyExec(this.notifySocket!);
    this.transport = fallback;
    fallback.open().catch((err: unknown) => {
      log.error("systemd-notify is unusable too; systemd will stop hearing from us", { error: String(err) });
    });
  }
}
