// The receiver's sub-command, parsed from SSH_ORIGINAL_COMMAND (untrusted: whatever the client asked to run).
import { DeployError } from "./errors.js";

export type Request = { action: "push" } | { action: "status" } | { action: "rollback"; target: string | null };

export const ALLOWED = "this key may only run: push (a package as a tar stream on stdin) | status | rollback [SHA256]";

/** Parses the (untrusted) sub-command line. */
export function parseRequest(line: string): Request {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  const [command, ...args] = words;
  if (command === "push" && args.length === 0) return { action: "push" };
  if (command === "status" && args.length === 0) return { action: "status" };
  if (command === "rollback" && args.length === 0) return { action: "rollback", target: null };
  if (command === "rollback" && args.length === 1 && /^[0-9a-f]{6,64}$/.test(args[0]!)) return { action: "rollback", target: args[0]! };
  const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
  throw new DeployError("usage", words.length === 0 ? `no command given; ${ALLOWED}` : `refused ${JSON.stringify(shown)}: ${ALLOWED}`);
}
