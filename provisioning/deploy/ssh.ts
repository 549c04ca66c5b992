// Runs the kiosk's receiver through the system's OpenSSH client, so ~/.ssh/config, known_hosts, agents and
// ProxyJump work as for any ssh. The remote "command" is only the receiver's sub-command: the kiosk's
// restricted key runs the receiver whatever is asked (SSH_ORIGINAL_COMMAND).
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface SshTarget {
  /** [user@]host, or a Host alias of ~/.ssh/config */
  host: string;
  port?: number;
  identity?: string;
  /** an ssh_config file instead of ~/.ssh/config (ssh -F) */
  config?: string;
  /** extra -o options, e.g. BatchMode=yes */
  options?: string[];
}

export function sshArgs(target: SshTarget, remoteCommand: string): string[] {
  const args = ["-T", "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"];
  if (target.config !== undefined) args.push("-F", target.config);
  if (target.port !== undefined) args.push("-p", String(target.port));
  if (target.identity !== undefined) args.push("-i", target.identity, "-o", "IdentitiesOnly=yes");
  for (const option of target.options ?? []) args.push("-o", option);
  args.push("--", target.host, remoteCommand);
  return args;
}

export interface SshResult {
  code: number;
  stdout: string;
}

/**
 * Runs `ssh ... host command`, streaming input (if any) to the remote stdin; the remote stderr goes to ours.
 * A receiver that stops reading early (a refused package) is not an error here: its answer tells why.
 */
export async function runRemote(target: SshTarget, command: string, input?: AsyncIterable<Uint8Array>, sshCommand = "ssh"): Promise<SshResult> {
  const child = spawn(sshCommand, sshArgs(target, command), { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "inherit"] });
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? (signal !== null ? 128 + 15 : 1)));
  });
  if (input !== undefined && child.stdin !== null) {
    const stdin = child.stdin;
    stdin.on("error", () => undefined);
    try {
      await pipeline(Readable.from(input), stdin);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EPIPE" && code !== "ERR_STREAM_PREMATURE_CLOSE" && code !== "ERR_STREAM_DESTROYED") {
        // Our side failed mid-stream: end the connection, so the receiver sees a cut stream and changes nothing.
        child.kill("SIGTERM");
        await exited.catch(() => undefined);
        throw err;
      }
    }
  }
  return { code: await exited, stdout };
}
