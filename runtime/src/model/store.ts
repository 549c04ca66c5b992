// Holds the active model and its inference engine: start() loads the configured package, stop() releases it.
import { noModel } from "../contracts/errors.js";
import { InferenceEngine, type EngineOptions } from "../inference/engine.js";
import { logger } from "../log.js";
import { loadPackage } from "./package.js";

const log = logger("model");

export class ModelStore {
  private engine: InferenceEngine | null = null;

  constructor(
    private readonly modelDir: string,
    private readonly engineOptions: EngineOptions,
  ) {}

  async start(): Promise<void> {
    const model = await loadPackage(this.modelDir);
    this.engine = new InferenceEngine(model, this.engineOptions);
    const { name, version, sha256 } = model.manifest;
    log.info("model loaded", { name, version, sha256, dir: this.modelDir });
  }

  async stop(): Promise<void> {
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
}
