// The store's change history (<store>/.history.json, atomic writes, the last 100 events): what was activated
// when, from what, by which client. Also the order in which old packages are pruned.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../model/layout.js";

export const HISTORY_FILE = ".history.json";
const HISTORY_FORMAT = "digit-kiosk-model-history/1";
const MAX_EVENTS = 100;

export interface HistoryEvent {
  at: string;
  action: "push" | "rollback";
  sha256: string;
  name: string;
  version: string;
  /** the package that was current before */
  from: string | null;
  /** the ssh client's address (SSH_CONNECTION), when known */
  client: string | null;
}

export async function readHistory(root: string): Promise<HistoryEvent[]> {
  try {
    const value = JSON.parse(await readFile(path.join(root, HISTORY_FILE), "utf8")) as { format?: unknown; events?: unknown };
    return value.format === HISTORY_FORMAT && Array.isArray(value.events) ? (value.events as HistoryEvent[]) : [];
  } catch {
    return [];
  }
}

export async function appendHistory(root: string, event: HistoryEvent): Promise<void> {
  const events = [...(await readHistory(root)), event].slice(-MAX_EVENTS);
  await writeFileAtomic(path.join(root, HISTORY_FILE), `${JSON.stringify({ format: HISTORY_FORMAT, events }, null, 1)}\n`);
}

/** When each package was last made current (ms since the epoch), from the history. */
export function lastActivated(events: readonly HistoryEvent[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const e of events) map.set(e.sha256, Date.parse(e.at));
  return map;
}
