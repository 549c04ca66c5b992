// Ways to deliver sd_notify datagrams from Node, which has no unix datagram sockets of its own.
//
// systemd (252, Bookworm) attributes a notification to a unit by reading /proc/<sender>/cgroup when it
// processes the datagram. A sender that has already exited by then is not attributed and its message is
// dropped ("Cannot find unit for notify message"): `systemd-notify --no-block` loses READY and WATCHDOG
// this way under load. Two senders that cannot lose the race:
//  - SocatRelay: one long-lived `socat` child for the life of the service. Every line we write to its
//    stdin becomes a datagram on $NOTIFY_SOCKET; the sender is alive whenever systemd looks it up.
//  - SystemdNotifyExec: one blocking `systemd-notify` per message (no --no-block). It follows each
//    message with a BARRIER=1 and waits until PID 1 has handled both, so it is alive at lookup time.
//    Costs a fork+exec and a round trip per message: the fallback when socat is not installed.
// Both need NotifyAccess=all in the unit, as neither sender is the main process.
import { spawn, type ChildProcess } from "node:child_process";

export interface NotifyTransport {
  readonly name: string;
  /** resolves once the transport can send; rejects if it cannot be used here */
  open(): Promise<void>;
  /** one sd_notify message: newline-separated VARIABLE=VALUE assignments */
  send(message: string): Promise<void>;
  close(): Promise<void>;
}

/** The socat address of $NOTIFY_SOCKET, or null when socat cannot express it safely. */
export function socatAddress(notifySocket: string): string | null {
  const safe = /^[A-Za-z0-9_./@-]+$/;
  if (!safe.test(notifySocket)) return null;
  if (notifySocket.startsWith("@")) return `ABSTRACT-SENDTO:${notifySocket.slice(1)}`;
  if (notifySocket.startsWith("/")) return `UNIX-SENDTO:${notifySocket}`;
  return null;
}

export class SocatRelay implements NotifyTransport {
  readonly name = "socat";
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private closing = false;

  constructor(
    private readonly notifySocket: string,
    private readonly onUnexpectedExit: (detail: string) => void,
    private readonly command = "socat",
  ) {}

  open(): Promise<void> {
    const address = socatAddress(this.notifySocket);
    if (address === null) return Promise.reject(new Error(`socat cannot address NOTIFY_SOCKET ${JSON.stringify(this.notifySocket)}`));
    // -u: one direction only, stdin -> socket; each read of stdin is sent as one datagram.
    const child = spawn(this.command, ["-u", "STDIN", address], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-2000);
    });
    // A write after socat died must not crash the runtime; the exit handler reports it.
    child.stdin?.on("error", () => undefined);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      child.once("error", (err) => reject(err));
      child.once("spawn", () => {
        this.child = child;
        child.once("exit", (code, signal) => {
          this.child = null;
          if (!this.closing) this.onUnexpectedExit(`socat exited (${signal ?? code ?? "?"}): ${stderr.trim()}`);
        });
        resolve();
      });
    });
  }

  send(message: string): Promise<void> {
    const stdin = this.child?.stdin;
    if (stdin === null || stdin === undefined || !stdin.writable) return Promise.reject(new Error("the socat relay is not running"));
    // Pipe writes below PIPE_BUF are atomic, so socat never splits a message across two datagrams;
    // two messages read together form one datagram, which sd_notify's newline format allows.
    return new Promise((resolve, reject) => {
      stdin.write(`${message}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (child === null) return;
    // EOF makes socat send what it has read and exit; a kill is the backstop.
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGTERM"), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

export class SystemdNotifyExec implements NotifyTransport {
  readonly name = "systemd-notify";
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly notifySocket: string,
    private readonly command = "systemd-notify",
  ) {}

  async open(): Promise<void> {
    await this.run(["--version"]);
  }

  send(message: string): Promise<void> {
    const assignments = message.split("\n").filter((line) => line.length > 0);
    // One at a time, so systemd sees the messages in the order we sent them.
    const next = this.queue.then(() => this.run(assignments));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
  }

  private run(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const env = { ...process.env, NOTIFY_SOCKET: this.notifySocket };
      const child = spawn(this.command, args, { env, stdio: ["ignore", "ignore", "pipe"], timeout: 10000 });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`systemd-notify ${args.join(" ")} failed (${signal ?? code ?? "?"}): ${stderr.trim()}`));
      });
    });
  }
}
