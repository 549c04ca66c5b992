// The receiver's log: one line per event on stderr (the operator's ssh session shows it) and, for changes,
// the same line to journald through logger(1) (tag digit-kiosk-deploy; no log files on the SD card).
// stdout is reserved for the one JSON result line.
import { spawn } from "node:child_process";

export const JOURNAL_TAG = "digit-kiosk-deploy";

function line(level: string, msg: string, fields?: Record<string, unknown>): string {
  return `${level} [deploy] ${msg}${fields === undefined ? "" : " " + JSON.stringify(fields)}`;
}

export function progress(msg: string, fields?: Record<string, unknown>): void {
  process.stderr.write(`${line("INFO", msg, fields)}\n`);
}

/** A change of the model store: to stderr and to the system journal (best effort: no syslog socket is no error). */
export async function logChange(msg: string, fields: Record<string, unknown>, level: "info" | "warning" | "err" = "info"): Promise<void> {
  const text = line(level === "info" ? "INFO" : level === "warning" ? "WARN" : "ERROR", msg, fields);
  process.stderr.write(`${text}\n`);
  await new Promise<void>((resolve) => {
    const child = spawn("logger", ["-t", JOURNAL_TAG, "-p", `user.${level}`, "--", text], { stdio: "ignore" });
    child.once("error", () => resolve());
    child.once("close", () => resolve());
  });
}
