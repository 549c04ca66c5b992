// A throw-away systemd machine for the device tests: systemd-nspawn boots this host's /usr with a fresh,
// empty /etc and /var (--volatile=yes) and a private network, so units run under a real systemd 252.
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { run, waitFor, type RunResult } from "./helpers.js";

async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) found.push(Number(entry));
  }
  return found;
}

export class Container {
  private nspawn: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private console = "";
  /** the container's PID 1 (systemd), as seen from the host */
  leader = 0;

  constructor(
    readonly name: string,
    private readonly binds: Array<{ host: string; inside: string }>,
  ) {}

  async start(): Promise<void> {
    const args = ["-D", "/", "--volatile=yes", "--register=no", "--keep-unit", "-M", this.name, "--private-network", "--console=pipe", "-q"];
    for (const b of this.binds) args.push(`--bind-ro=${b.host}:${b.inside}`);
    args.push("-b");
    const child = spawn("systemd-nspawn", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.nspawn = child;
    const keep = (d: Buffer): void => {
      this.console = (this.console + d.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    const pid = child.pid!;
    this.leader = await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`systemd-nspawn exited (${child.exitCode}):\n${this.console}`);
        const [leader] = await childrenOf(pid);
        return leader;
      },
      "the container's systemd",
      120000, // a give-up limit, not a timing check: a loaded 2-core machine boots slowly
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${this.console}`);
    });
    await waitFor(
      async () => {
        const r = await this.exec(["systemctl", "is-system-running"]);
        return /^(running|degraded)$/m.test(r.stdout) ? true : undefined;
      },
      "the container to finish booting",
      180000,
      200,
    );
  }

  /** Runs a command inside the container (all its namespaces, its root). */
  exec(command: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run("nsenter", ["-t", String(this.leader), "-a", "--", ...command], options);
  }

  /** Runs a host program inside the container's network namespace only (to reach its 127.0.0.1). */
  execInNetwork(command: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
    return run("nsenter", ["-t", String(this.leader), "-n", "--", ...command], options);
  }

  async unitProperty(unit: string, property: string): Promise<string> {
    return (await this.exec(["systemctl", "show", "-p", property, "--value", unit])).stdout.trim();
  }

  /** Powers the container off (nspawn turns SIGTERM into a clean shutdown), killing it if that hangs. */
  async stop(): Promise<void> {
    const child = this.nspawn;
    if (child === null || child.exitCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    await this.exited;
    clearTimeout(timer);
  }
}
