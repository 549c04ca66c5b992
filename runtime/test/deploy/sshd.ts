// A real OpenSSH server on 127.0.0.1 for the deploy tests: its own host key, client key, port and config in a
// temp folder; the client key's authorized_keys line is the restricted one the kiosk gets,
// `restrict,command="<node> <receiver> --models-dir ... --config-dir ..."`. Needs root and Debian's openssh-server.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const SSHD = "/usr/sbin/sshd";

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Why the sshd tests cannot run here, or undefined. */
export function sshdMissing(): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("must run as root (sshd)");
  if (spawnSync("test", ["-x", SSHD]).status !== 0) problems.push("needs /usr/sbin/sshd (Debian package openssh-server)");
  for (const c of ["ssh", "ssh-keygen"]) if (!has(c)) problems.push(`needs ${c} (Debian package openssh-client)`);
  return problems.length === 0 ? undefined : `skipped: ${problems.join("; ")}`;
}

/** The receiver as the forced command runs it: this Node, tsx by absolute URL (sshd starts it in $HOME), the TS source. */
export function receiverCommand(modelsDir: string, configDir: string): string {
  const tsx = import.meta.resolve("tsx");
  return [process.execPath, "--import", tsx, path.join(repoRoot, "runtime", "src", "deploy", "main.ts"), "--models-dir", modelsDir, "--config-dir", configDir].join(" ");
}

export interface Sshd {
  port: number;
  dir: string;
  /** an ssh_config with Host "kiosk" (127.0.0.1, the port, the client key, the pinned host key) */
  sshConfig: string;
  clientKey: string;
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function keygen(file: string): Promise<string> {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", path.basename(file), "-f", file]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.toString()}`);
  return (await readFile(`${file}.pub`, "utf8")).trim();
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startSshd(forcedCommand: string): Promise<Sshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-sshd-"));
  const hostPub = await keygen(path.join(dir, "host_key"));
  const clientPub = await keygen(path.join(dir, "client_key"));
  // The line provisioning/deploy/authorize-key.sh writes on a kiosk, with the test's receiver command.
  await writeFile(path.join(dir, "authorized_keys"), `restrict,command="${forcedCommand}" ${clientPub}\n`, { mode: 0o600 });
  const port = await freePort();
  const user = os.userInfo().username;
  // Without PAM, sshd refuses accounts whose password is locked ("!..." in /etc/shadow); with PAM it does not.
  const shadow = await readFile("/etc/shadow", "utf8").catch(() => "");
  const locked = shadow.split("\n").some((l) => l.startsWith(`${user}:!`));
  const config = path.join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${path.join(dir, "host_key")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      // The temp folder lives under world-writable /tmp, which StrictModes would refuse.
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      `UsePAM ${locked ? "yes" : "no"}`,
      // Forwarding stays allowed server-wide: the key's `restrict` must be what refuses it.
      "AllowTcpForwarding yes",
      "LogLevel VERBOSE",
      `AllowUsers ${user}`,
      "",
    ].join("\n"),
  );
  await writeFile(
    path.join(dir, "ssh_config"),
    [
      "Host kiosk",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${path.join(dir, "client_key")}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${path.join(dir, "known_hosts")}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  await writeFile(path.join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation folder

  const child: ChildProcess = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const until = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill();
      throw new Error(`sshd did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    sshConfig: path.join(dir, "ssh_config"),
    clientKey: path.join(dir, "client_key"),
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
