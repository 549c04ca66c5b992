// The deploy client: `npm run deploy-model -- ...`. Streams a model package to a kiosk's receiver over the
// system's OpenSSH client, queries it, rolls it back, and makes and uses Ed25519 signing keys. Prints the
// receiver's JSON result as one line on stdout (for scripts and Ansible), a summary on stderr; exits with the
// receiver's code (0 done, 1 refused or failed, 2 not allowed) or 255 when ssh itself failed.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateSigningKeys, SIGNATURE_FILE } from "../../runtime/src/deploy/signature.js";
import { writeTar } from "../../runtime/src/deploy/tar.js";
import { packageEntries, PackError, signPackage } from "./pack.js";
import { runRemote, type SshTarget } from "./ssh.js";
import { summarize } from "./summary.js";

const USAGE = `usage:
  npm run deploy-model -- [push] --host [user@]kiosk [--port N] [--identity FILE] [--sign KEY] PACKAGE_DIR
  npm run deploy-model -- status --host [user@]kiosk [ssh options]
  npm run deploy-model -- rollback --host [user@]kiosk [ssh options] [SHA256]
  npm run deploy-model -- keygen --out DIR            (writes DIR/model-signing.key and .pub)
  npm run deploy-model -- sign --key KEY PACKAGE_DIR  (writes PACKAGE_DIR/signature)
ssh options: --port N, --identity FILE, --ssh-config FILE, --ssh-option KEY=VALUE (repeatable)`;

class UsageError extends Error {}

const SUBCOMMANDS = ["push", "status", "rollback", "keygen", "sign"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

function target(values: { host?: string; port?: string; identity?: string; "ssh-config"?: string; "ssh-option"?: string[] }): SshTarget {
  if (values.host === undefined) throw new UsageError("--host is required");
  const t: SshTarget = { host: values.host, options: values["ssh-option"] ?? [] };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, got ${values.port}`);
    t.port = port;
  }
  if (values.identity !== undefined) t.identity = values.identity;
  if (values["ssh-config"] !== undefined) t.config = values["ssh-config"];
  return t;
}

/** The receiver's answer: its last stdout line that is a JSON object. */
function answerOf(stdout: string): Record<string, unknown> | null {
  const lines = stdout.trim().split("\n").reverse();
  for (const line of lines) {
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // not the result line
    }
  }
  return null;
}

async function remote(t: SshTarget, command: string, input?: AsyncIterable<Uint8Array>): Promise<number> {
  const { code, stdout } = await runRemote(t, command, input);
  const answer = answerOf(stdout);
  if (answer === null) {
    const message = code === 255 ? "ssh failed (see its message above)" : `the kiosk gave no result (exit ${code}); is the deploy key set up with the receiver as its command?`;
    process.stdout.write(`${JSON.stringify({ ok: false, action: command.split(" ")[0], host: t.host, error: { code: "ssh", message, exitCode: code } })}\n`);
    process.stderr.write(`${t.host}: ${message}\n`);
    return code === 0 ? 1 : code;
  }
  process.stdout.write(`${JSON.stringify({ host: t.host, ...answer })}\n`);
  process.stderr.write(`${summarize(t.host, answer)}\n`);
  return code;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      identity: { type: "string", short: "i" },
      sign: { type: "string" },
      "ssh-config": { type: "string", short: "F" },
      "ssh-option": { type: "string", short: "o", multiple: true },
      out: { type: "string" },
      key: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const first = positionals[0];
  const sub: Subcommand = (SUBCOMMANDS as readonly string[]).includes(first ?? "") ? (first as Subcommand) : "push";
  const args = sub === first ? positionals.slice(1) : positionals;
  switch (sub) {
    case "push": {
      if (args.length !== 1) throw new UsageError("push takes exactly one PACKAGE_DIR");
      const t = target(values);
      const { entries, bytes, signed } = await packageEntries(path.resolve(args[0]!), values.sign);
      process.stderr.write(`${t.host}: sending ${entries.length} entries (${(bytes / 1024).toFixed(0)} KiB${signed ? ", signed" : ", unsigned"})\n`);
      return remote(t, "push", writeTar(entries));
    }
    case "status":
      if (args.length !== 0) throw new UsageError("status takes no arguments");
      return remote(target(values), "status");
    case "rollback":
      if (args.length > 1 || (args.length === 1 && !/^[0-9a-f]{6,64}$/.test(args[0]!))) throw new UsageError("rollback takes at most one package id (6 to 64 hex digits)");
      return remote(target(values), args.length === 1 ? `rollback ${args[0]}` : "rollback");
    case "keygen": {
      if (values.out === undefined || args.length !== 0) throw new UsageError("keygen needs --out DIR and nothing else");
      const keys = generateSigningKeys();
      await mkdir(values.out, { recursive: true, mode: 0o700 });
      const privateFile = path.join(values.out, "model-signing.key");
      const publicFile = path.join(values.out, "model-signing.pub");
      await writeFile(privateFile, keys.privatePem, { mode: 0o600, flag: "wx" });
      await chmod(privateFile, 0o600);
      await writeFile(publicFile, keys.publicPem, { mode: 0o644, flag: "wx" });
      process.stdout.write(`${JSON.stringify({ ok: true, action: "keygen", keyId: keys.keyId, privateKey: privateFile, publicKey: publicFile })}\n`);
      process.stderr.write(`key ${keys.keyId}: keep ${privateFile} secret; pin ${publicFile} on each kiosk as /etc/digit-kiosk/model-signing.pub\n`);
      return 0;
    }
    case "sign": {
      if (values.key === undefined || args.length !== 1) throw new UsageError("sign needs --key KEY and one PACKAGE_DIR");
      const dir = path.resolve(args[0]!);
      const text = await signPackage(dir, values.key);
      await writeFile(path.join(dir, SIGNATURE_FILE), text);
      process.stdout.write(`${JSON.stringify({ ok: true, action: "sign", file: path.join(dir, SIGNATURE_FILE) })}\n`);
      return 0;
    }
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
    const message = err instanceof Error ? err.message : String(err);
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: usage ? "usage" : err instanceof PackError ? "package" : "client", message } })}\n`);
    process.stderr.write(`deploy-model: ${message}${usage ? `\n${USAGE}` : ""}\n`);
    process.exit(usage ? 2 : 1);
  },
);
