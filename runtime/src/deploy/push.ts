// `push`: a package as a tar stream on stdin -> size cap, safe names, files fsynced in a private folder ->
// signature (required when a key is pinned) -> THE package validator (manifest, sha256, onnxruntime, golden
// digits, latency budget) -> <store>/<sha256>/ -> current switched, runtime swapped. Refused: nothing changes.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { validatePackage, type ValidationReport } from "../model/validate.js";
import { activate, type Activation } from "./activate.js";
import { DeployError } from "./errors.js";
import { listPackage } from "./files.js";
import { cleanStale, ensureStore, installPackage, receivePackage, removePackage, type Received } from "./install.js";
import { logChange, progress } from "./journal.js";
import { withStoreLock } from "./lock.js";
import { loadPinnedKeys } from "./settings.js";
import { packageDigest, SIGNATURE_FILE, verifyDigest } from "./signature.js";
import type { ReceiverSettings } from "./settings.js";

export type SignatureState = { state: "verified"; keyId: string } | { state: "unsigned" } | { state: "not-checked"; reason: string };

export interface PushResult extends Omit<Activation, "swapMs"> {
  ok: true;
  action: "push";
  installed: "installed" | "replaced" | "unchanged";
  signature: SignatureState;
  validation: { golden: { passed: number; total: number } | null; latency: { medianMs: number; budgetMs: number | null } | null };
  bytes: number;
  timingsMs: { receive: number; verify: number; install: number; swap: number; total: number };
}

async function checkSignature(settings: ReceiverSettings, dir: string): Promise<SignatureState> {
  const pinned = await loadPinnedKeys(settings.configDir);
  const listing = await listPackage(dir);
  const signed = listing.files.some((f) => f.path === SIGNATURE_FILE);
  if (pinned === null) return signed ? { state: "not-checked", reason: "no signing key is pinned on this kiosk" } : { state: "unsigned" };
  if (!signed) throw new DeployError("unsigned", `the package is not signed, and this kiosk accepts only packages signed with the key pinned in ${pinned.file} (sign with --sign KEY)`);
  const verdict = verifyDigest(await packageDigest(dir, listing.files), await readFile(path.join(dir, SIGNATURE_FILE), "utf8"), pinned.keys);
  if (!verdict.ok) throw new DeployError("bad_signature", verdict.problem);
  return { state: "verified", keyId: verdict.keyId };
}

function refuseInvalid(report: ValidationReport): never {
  throw new DeployError("invalid_package", `the package is refused: ${report.problems.join("; ")}`, report.problems);
}

export async function push(settings: ReceiverSettings, stdin: AsyncIterable<Uint8Array>): Promise<PushResult> {
  const root = settings.modelsDir;
  await ensureStore(root);
  const stale = await cleanStale(root);
  if (stale.length > 0) await logChange("removed what an interrupted deploy left", { stale }, "warning");
  const t0 = performance.now();
  let received: Received | null = null;
  try {
    received = await receivePackage(stdin, root, settings.maxPackageBytes);
    const { dir: incoming, bytes } = received;
    const t1 = performance.now();
    progress("package received", { bytes, files: received.files, ms: Math.round(t1 - t0) });
    const signature = await checkSignature(settings, incoming);
    const report = await validatePackage(incoming, {
      requireGolden: settings.requireGolden,
      ...(settings.latencyBudgetMs !== null ? { latencyBudgetMs: settings.latencyBudgetMs, latencyRuns: settings.latencyRuns } : {}),
    });
    if (!report.ok || report.manifest === null) refuseInvalid(report);
    const id = report.manifest.sha256;
    const t2 = performance.now();
    progress("package valid", { sha256: id, name: report.manifest.name, version: report.manifest.version, signature: signature.state, ms: Math.round(t2 - t1) });

    return await withStoreLock(root, settings.lockTimeoutMs, async () => {
      const installed = await installPackage(root, incoming, id);
      const t3 = performance.now();
      let activation: Activation;
      try {
        activation = await activate(settings, id, "push");
      } catch (err) {
        if (installed === "installed") await removePackage(root, id).catch(() => undefined);
        throw err;
      }
      const { swapMs, ...rest } = activation;
      const t4 = performance.now();
      return {
        ok: true as const,
        action: "push" as const,
        installed,
        ...rest,
        signature,
        validation: {
          golden: report.golden === null ? null : { passed: report.golden.passed, total: report.golden.total },
          latency: report.latency === null ? null : { medianMs: Number(report.latency.medianMs.toFixed(3)), budgetMs: report.latency.budgetMs },
        },
        bytes,
        timingsMs: {
          receive: Math.round(t1 - t0),
          verify: Math.round(t2 - t1),
          install: Math.round(t3 - t2),
          swap: Math.round(swapMs),
          total: Math.round(t4 - t0),
        },
      };
    });
  } catch (err) {
    if (err instanceof DeployError) await logChange("push refused", { code: err.code, message: err.message }, "warning");
    throw err;
  } finally {
    if (received !== null) await rm(received.dir, { recursive: true, force: true });
  }
}
