// Making an installed package the active one (push and rollback alike): previous := current, current := the
// package (each an atomic symlink rename), then the runtime swaps. When the runtime refuses, both links go
// back as they were, so the kiosk keeps serving and the disk keeps naming what it serves. Every change is logged.
import { CURRENT_LINK, PREVIOUS_LINK, readBundledId, readPackageLink, removeLink, switchLink } from "../model/layout.js";
import { appendHistory, lastActivated, readHistory } from "./history.js";
import { describePackage, prune, type ModelInfo } from "./install.js";
import { logChange } from "./journal.js";
import { askRuntimeToSwap, type RuntimeSwap } from "./runtime.js";
import type { ReceiverSettings } from "./settings.js";

export interface Activation {
  /** false when the package was already current */
  changed: boolean;
  model: ModelInfo;
  previous: ModelInfo | null;
  runtime: RuntimeSwap;
  pruned: string[];
  swapMs: number;
}

/** The ssh client's address, for the history. */
const client = (): string | null => process.env.SSH_CONNECTION?.split(" ")[0] ?? null;

/** Activates the installed package id (the caller holds the store lock). Throws the runtime's refusal after reverting. */
export async function activate(settings: ReceiverSettings, id: string, action: "push" | "rollback"): Promise<Activation> {
  const root = settings.modelsDir;
  const before = { current: await readPackageLink(root, CURRENT_LINK), previous: await readPackageLink(root, PREVIOUS_LINK) };
  const changed = before.current !== id;
  const model = await describePackage(root, id);
  const from = before.current === null ? null : await describePackage(root, before.current);
  if (changed) {
    // previous first: a power cut between the two renames leaves the old model current, and the new one installed.
    if (before.current !== null) await switchLink(root, PREVIOUS_LINK, before.current);
    await switchLink(root, CURRENT_LINK, id);
  }
  const started = performance.now();
  let runtime: RuntimeSwap;
  try {
    runtime = await askRuntimeToSwap(root, id, settings.runtimeTimeoutMs);
  } catch (err) {
    if (changed) {
      if (before.current !== null) await switchLink(root, CURRENT_LINK, before.current);
      else await removeLink(root, CURRENT_LINK);
      if (before.previous !== null) await switchLink(root, PREVIOUS_LINK, before.previous);
      else await removeLink(root, PREVIOUS_LINK);
    }
    await logChange(`${action} reverted: the runtime refused the model`, { model, kept: from, error: (err as Error).message }, "err");
    throw err;
  }
  const swapMs = performance.now() - started;
  const fields = { action, model, from, runtime: runtime.notified ? "swapped" : runtime.reason, client: client() };
  if (changed) {
    await appendHistory(root, { at: new Date().toISOString(), action, sha256: id, name: model.name ?? "?", version: model.version ?? "?", from: before.current, client: client() });
    await logChange(action === "push" ? "model activated" : "model rolled back", fields);
  } else await logChange("model re-activated (it was already current)", fields);
  if (!runtime.notified) await logChange("the runtime was not told: it loads models/current when it starts", { reason: runtime.reason }, "warning");

  const protect = new Set<string>([id]);
  if (changed && before.current !== null) protect.add(before.current);
  else if (before.previous !== null) protect.add(before.previous);
  const bundled = await readBundledId(root);
  if (bundled !== null) protect.add(bundled);
  const pruned = await prune(root, settings.keep, protect, lastActivated(await readHistory(root)));
  if (pruned.length > 0) await logChange("old model packages removed", { pruned, keep: settings.keep });
  return { changed, model, previous: changed ? from : before.previous === null ? null : await describePackage(root, before.previous), runtime, pruned, swapMs };
}
