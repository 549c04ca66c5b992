// Holds the active model and its inference engine. start() loads the configured package; with the device
// layout (MODEL_DIR = <store>/current) it verifies the active package and falls back to the previous one,
// then to the bundled default. reload() hot-swaps: the new package is validated and loaded fully, then
// switched in at once; predictions already queued finish on the old engine, which is then drained and released.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_CONFIG } from "../config.js";
import { noModel } from "../contracts/errors.js";
import { InferenceEngine, type EngineOptions } from "../inference/engine.js";
import { logger } from "../log.js";
import { CURRENT_LINK, PREVIOUS_LINK, readBundledId, readPackageLink, storeRootOf } from "./layout.js";
import { timingInput } from "./latency.js";
import { loadPackage, PackageError, type LoadedModel } from "./package.js";
import { validatePackage } from "./validate.js";

const log = logger("model");

/** Where the serving package came from. */
export type ModelSource = "package" | "current" | "previous" | "bundled" | "release-default";

export interface ModelSummary {
  name: string;
  version: string;
  sha256: string;
}

export interface ActiveModel extends ModelSummary {
  dir: string;
  source: ModelSource;
}

export interface SwapResult {
  model: ModelSummary;
  previous: ModelSummary | null;
  /** validating and loading the new package, ms */
  loadMs: number;
  /** finishing the old engine's queued predictions, ms */
  drainMs: number;
}

export type SwapErrorCode = "model_refused" | "conflict" | "not_a_store";

/** A refused hot swap; the old model keeps serving. Carries its HTTP status for the admin route. */
export class ModelSwapError extends Error {
  readonly status = 409;
  constructor(
    readonly code: SwapErrorCode,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "ModelSwapError";
  }
}

export interface ModelStoreOptions {
  /** the last resort in the device layout: the package shipped with this release */
  fallbackDir?: string;
}

const summary = (m: LoadedModel): ModelSummary => ({ name: m.manifest.name, version: m.manifest.version, sha256: m.manifest.sha256 });
const problemsOf = (err: unknown): string[] => (err instanceof PackageError ? err.problems : [err instanceof Error ? err.message : String(err)]);

export class ModelStore {
  private engine: InferenceEngine | null = null;
  private source: ModelSource = "package";
  private swapping: Promise<unknown> = Promise.resolve();
  /** the store's folder in the device layout, null when MODEL_DIR is a plain package folder */
  readonly root: string | null;

  constructor(
    private readonly modelDir: string,
    private readonly engineOptions: EngineOptions,
    private readonly options: ModelStoreOptions = {},
  ) {
    this.root = storeRootOf(modelDir);
  }

  async start(): Promise<void> {
    if (this.root === null) {
      this.activate(await this.open(this.modelDir, false), "package");
      return;
    }
    const failures: string[] = [];
    for (const { dir, source } of await this.candidates(this.root)) {
      try {
        this.activate(await this.open(dir, true), source);
        if (source !== "current") log.error("the active model package is not usable: serving a fallback", { source, dir, refused: failures });
        return;
      } catch (err) {
        const problems = problemsOf(err);
        log.error("model package refused at start", { source, dir, problems });
        failures.push(`${source} (${dir}): ${problems.join("; ")}`);
      }
    }
    throw new Error(`no usable model package in ${this.root}: ${failures.join(" | ") || "none installed"}`);
  }

  async stop(): Promise<void> {
    await this.swapping.catch(() => undefined);
    const engine = this.engine;
    this.engine = null;
    if (engine === null) return;
    await engine.drain();
    await engine.model.session.release();
  }

  /** The active engine; throws the contract's 503 while none is loaded. */
  current(): InferenceEngine {
    if (this.engine === null) throw noModel();
    return this.engine;
  }

  get loaded(): boolean {
    return this.engine !== null;
  }

  active(): ActiveModel | null {
    if (this.engine === null) return null;
    return { ...summary(this.engine.model), dir: this.engine.model.dir, source: this.source };
  }

  /**
   * Hot-swaps to the package <store>/current points at (expectedSha256: refuse unless it is that one).
   * One swap at a time; a refused package leaves the old model serving.
   */
  reload(expectedSha256?: string): Promise<SwapResult> {
    const next = this.swapping.catch(() => undefined).then(() => this.swap(expectedSha256));
    this.swapping = next;
    return next;
  }

  private async swap(expectedSha256: string | undefined): Promise<SwapResult> {
    if (this.root === null) throw new ModelSwapError("not_a_store", `MODEL_DIR ${this.modelDir} is a plain package folder, not a model store's ${CURRENT_LINK} link`);
    const id = await readPackageLink(this.root, CURRENT_LINK);
    if (id === null) throw new ModelSwapError("model_refused", `${path.join(this.root, CURRENT_LINK)} does not point at an installed package`);
    if (expectedSha256 !== undefined && id !== expectedSha256) {
      throw new ModelSwapError("conflict", `${CURRENT_LINK} points at ${id}, not at the expected ${expectedSha256}`);
    }
    const started = performance.now();
    let model: LoadedModel;
    try {
      model = await this.open(path.join(this.root, id), true);
    } catch (err) {
      const problems = problemsOf(err);
      log.error("hot swap refused: the old model keeps serving", { id, problems });
      throw new ModelSwapError("model_refused", `the package ${id} is refused: ${problems.join("; ")}`, problems);
    }
    const loadMs = performance.now() - started;
    const old = this.engine;
    // The switch: from here on every new prediction goes to the new engine.
    this.activate(model, "current");
    let drainMs = 0;
    if (old !== null) {
      const drainStarted = performance.now();
      await old.drain();
      await old.model.session.release();
      drainMs = performance.now() - drainStarted;
    }
    log.info("model swapped", { from: old === null ? null : summary(old.model), to: summary(model), loadMs: Math.round(loadMs), drainMs: Math.round(drainMs) });
    return { model: summary(model), previous: old === null ? null : summary(old.model), loadMs, drainMs };
  }

  /** Start-up order in the device layout: current, previous, the bundled default, the release's own default. */
  private async candidates(root: string): Promise<Array<{ dir: string; source: ModelSource }>> {
    const list: Array<{ dir: string; source: ModelSource }> = [];
    const current = await readPackageLink(root, CURRENT_LINK);
    const previous = await readPackageLink(root, PREVIOUS_LINK);
    const bundled = await readBundledId(root);
    if (current !== null) list.push({ dir: path.join(root, current), source: "current" });
    else log.error("no current model link", { link: path.join(root, CURRENT_LINK) });
    if (previous !== null) list.push({ dir: path.join(root, previous), source: "previous" });
    if (bundled !== null) list.push({ dir: path.join(root, bundled), source: "bundled" });
    list.push({ dir: this.options.fallbackDir ?? DEFAULT_CONFIG.modelDir, source: "release-default" });
    const seen = new Set<string>();
    return list.filter(({ dir }) => {
      const key = path.resolve(dir);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /**
   * Loads a package fully before it may serve: (validate: the package validator without requiring golden
   * digits, so a package trained for another preprocessing is refused) then the session, then one warm-up run.
   */
  private async open(dir: string, validate: boolean): Promise<LoadedModel> {
    // The real folder (not models/current), so the loaded model keeps naming its files after current moves on.
    const real = await realpath(dir).catch(() => dir);
    if (validate) {
      const report = await validatePackage(real, { requireGolden: false });
      if (!report.ok) throw new PackageError(real, report.problems);
    }
    const model = await loadPackage(real);
    try {
      await model.session.run(timingInput(model.manifest.input.name), [model.manifest.output.name]);
    } catch (err) {
      await model.session.release();
      throw new PackageError(real, [`the model does not run: ${(err as Error).message}`]);
    }
    return model;
  }

  private activate(model: LoadedModel, source: ModelSource): void {
    this.engine = new InferenceEngine(model, this.engineOptions);
    this.source = source;
    const { name, version, sha256 } = model.manifest;
    log.info("model loaded", { name, version, sha256, dir: model.dir, source });
  }
}
