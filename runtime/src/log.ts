// Leveled, namespaced logging: one line per event to stdout/stderr, for journald.

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? "info";
if (!(threshold in ORDER)) threshold = "info";

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function logger(namespace: string): Logger {
  const write = (level: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[threshold]) return;
    const extra = fields === undefined ? "" : " " + JSON.stringify(fields);
    const line = `${level.toUpperCase()} [${namespace}] ${msg}${extra}\n`;
    (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}
