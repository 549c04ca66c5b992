// `status` (what is installed, current, previous, bundled, and what the runtime serves) and `rollback [SHA256]`
// (make the previous package, or any installed one, current again: validated first, swapped like a push).
import path from "node:path";
import { CURRENT_LINK, PREVIOUS_LINK, readBundledId, readPackageLink } from "../model/layout.js";
import { validatePackage } from "../model/validate.js";
import { activate, type Activation } from "./activate.js";
import { DeployError } from "./errors.js";
import { readHistory, type HistoryEvent } from "./history.js";
import { describePackage, ensureStore, installedIds, resolvePackageId, type ModelInfo } from "./install.js";
import { withStoreLock } from "./lock.js";
import { askRuntimeStatus, type RuntimeStatus } from "./runtime.js";
import { loadPinnedKeys, type ReceiverSettings } from "./settings.js";
import { keyIdOf } from "./signature.js";

export interface StatusResult {
  ok: true;
  action: "status";
  current: ModelInfo | null;
  previous: ModelInfo | null;
  bundled: ModelInfo | null;
  packages: Array<ModelInfo & { roles: string[] }>;
  runtime: RuntimeStatus;
  /** set when the runtime serves something else than models/current (a fallback at start, or not told yet) */
  warning: string | null;
  signing: { required: boolean; keyIds: string[] };
  history: HistoryEvent[];
}

export async function status(settings: ReceiverSettings): Promise<StatusResult> {
  const root = settings.modelsDir;
  await ensureStore(root);
  const current = await readPackageLink(root, CURRENT_LINK);
  const previous = await readPackageLink(root, PREVIOUS_LINK);
  const bundled = await readBundledId(root);
  const packages: StatusResult["packages"] = [];
  for (const id of (await installedIds(root)).sort()) {
    const roles = [id === current ? "current" : null, id === previous ? "previous" : null, id === bundled ? "bundled" : null].filter((r): r is string => r !== null);
    packages.push({ ...(await describePackage(root, id)), roles });
  }
  const runtime = await askRuntimeStatus(root);
  let warning: string | null = null;
  if (runtime.reachable && runtime.model !== null && runtime.model.sha256 !== current) {
    warning = `the runtime serves ${runtime.model.name} ${runtime.model.version} (${runtime.model.sha256}, from ${runtime.model.source}), not models/current`;
  }
  const pinned = await loadPinnedKeys(settings.configDir);
  return {
    ok: true,
    action: "status",
    current: current === null ? null : await describePackage(root, current),
    previous: previous === null ? null : await describePackage(root, previous),
    bundled: bundled === null ? null : await describePackage(root, bundled),
    packages,
    runtime,
    warning,
    signing: { required: pinned !== null, keyIds: pinned?.keys.map(keyIdOf) ?? [] },
    history: (await readHistory(root)).slice(-10),
  };
}

export interface RollbackResult extends Omit<Activation, "swapMs"> {
  ok: true;
  action: "rollback";
  timingsMs: { swap: number; total: number };
}

/** Makes target (an id or unique prefix), or else the previous package, current again. */
export async function rollback(settings: ReceiverSettings, target: string | null): Promise<RollbackResult> {
  const root = settings.modelsDir;
  await ensureStore(root);
  const started = performance.now();
  return withStoreLock(root, settings.lockTimeoutMs, async () => {
    let id: string;
    if (target !== null) id = await resolvePackageId(root, target);
    else {
      const previous = await readPackageLink(root, PREVIOUS_LINK);
      if (previous === null) throw new DeployError("not_found", "there is no previous model to roll back to (name one: rollback SHA256; see status)");
      id = previous;
    }
    // Older packages may predate golden digits; they must still be whole, and fit this runtime's preprocessing.
    const report = await validatePackage(path.join(root, id), { requireGolden: false });
    if (!report.ok) throw new DeployError("invalid_package", `the package ${id} cannot be made current: ${report.problems.join("; ")}`, report.problems);
    const { swapMs, ...activation } = await activate(settings, id, "rollback");
    return { ok: true as const, action: "rollback" as const, ...activation, timingsMs: { swap: Math.round(swapMs), total: Math.round(performance.now() - started) } };
  });
}
