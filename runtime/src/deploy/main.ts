// The model receiver: the forced command of the kiosk's restricted deploy key (authorized_keys
// `restrict,command="node .../deploy/main.js"`). The sub-command comes from SSH_ORIGINAL_COMMAND and may only
// be `push` (a package as a tar stream on stdin), `status` or `rollback [SHA256]`; anything else, a shell
// command included, is refused. Prints one JSON result line on stdout; the exit code says success (0),
// refused or failed (1), not allowed (2). Progress goes to stderr, changes also to the journal.
//
//   node runtime/dist/deploy/main.js [--models-dir DIR] [--config-dir DIR] [push|status|rollback [SHA256]]
//   (the sub-command on the command line only when not run by sshd)
import { parseArgs } from "node:util";
import { setLogLevel } from "../log.js";
import { DeployError, toDeployError } from "./errors.js";
import { rollback, status } from "./manage.js";
import { push } from "./push.js";
import { parseRequest } from "./request.js";
import { DEFAULT_CONFIG_DIR, DEFAULT_MODELS_DIR, loadSettings } from "./settings.js";

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    stream.write(text, () => resolve());
  });
}

async function main(): Promise<number> {
  // A client that goes away (dropped connection) closes our pipes: finish what was started, quietly.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  process.on("SIGHUP", () => undefined);
  process.on("SIGPIPE", () => undefined);
  // Runtime modules log to stdout at info level; stdout carries only the result here.
  setLogLevel("warn");

  let action = "unknown";
  try {
    const { values, positionals } = parseArgs({
      options: { "models-dir": { type: "string" }, "config-dir": { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
    const underSsh = process.env.SSH_ORIGINAL_COMMAND !== undefined || process.env.SSH_CONNECTION !== undefined;
    if (underSsh && positionals.length > 0) throw new DeployError("usage", "the receiver takes its sub-command from SSH_ORIGINAL_COMMAND under sshd");
    const request = parseRequest(underSsh ? (process.env.SSH_ORIGINAL_COMMAND ?? "") : positionals.join(" "));
    action = request.action;
    const settings = await loadSettings(values["models-dir"] ?? DEFAULT_MODELS_DIR, values["config-dir"] ?? DEFAULT_CONFIG_DIR);
    let result: object;
    switch (request.action) {
      case "push":
        result = await push(settings, process.stdin);
        break;
      case "status":
        result = await status(settings);
        break;
      case "rollback":
        result = await rollback(settings, request.target);
        break;
    }
    await write(process.stdout, `${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    const error = toDeployError(err);
    if (error.code === "internal") process.stderr.write(`ERROR [deploy] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await write(process.stdout, `${JSON.stringify({ ok: false, action, error: error.toJson() })}\n`);
    return error.exitCode;
  }
}

main().then(
  (code) => process.exit(code),
  () => process.exit(1),
);
