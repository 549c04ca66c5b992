// Composes the runtime's parts (model store, predictor, the kiosk's explainer, sample store and health, HTTP/WebSocket server) with one start/stop life.
import { DEFAULT_CONFIG, type Config } from "./config.js";
import { Explainer } from "./explain/explainer.js";
import { HealthReporter } from "./health/reporter.js";
import { logger } from "./log.js";
import { ModelStore } from "./model/store.js";
import { Predictor } from "./predictor.js";
import { SampleStore } from "./samples/store.js";
import { HttpServer } from "./server/http.js";
import { KioskRoutes } from "./server/routes-kiosk.js";
import { loadStaticFiles } from "./server/static.js";

const log = logger("app");

export interface RunningApp {
  port: number;
  config: Config;
  stop(): Promise<void>;
}

export async function startApp(options: Partial<Config> = {}): Promise<RunningApp> {
  const config: Config = { ...DEFAULT_CONFIG, ...options };
  const models = new ModelStore(config.modelDir, { maxBatch: config.maxBatch, maxQueue: config.maxQueue });
  await models.start();
  // The kiosk's parts: classroom activations, the opt-in sample store, device health for the operator.
  const explainer = new Explainer(models);
  const samples = new SampleStore({ dir: config.samplesDir, enabled: config.collectSamples, maxSamples: config.maxSamples });
  const health = new HealthReporter({ diskPath: config.samplesDir });
  const kioskParts = [["explainer", explainer], ["samples", samples], ["health", health]] as const;
  try {
    for (const [, part] of kioskParts) await part.start();
  } catch (err) {
    for (const [, part] of kioskParts) await part.stop().catch(() => undefined);
    await models.stop();
    throw err;
  }
  const staticFiles = await loadStaticFiles(config.staticDir);
  if (staticFiles.size === 0) log.warn("no kiosk files found; GET / will answer 404", { staticDir: config.staticDir });
  const server = new HttpServer({
    host: config.host,
    port: config.port,
    models,
    predictor: new Predictor(models, config.confidenceThreshold),
    staticFiles,
    kiosk: new KioskRoutes({ config, models, explainer, samples, health }),
  });
  try {
    await server.start();
  } catch (err) {
    for (const [, part] of kioskParts) await part.stop().catch(() => undefined);
    await models.stop();
    throw err;
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const [name, part] of [["server", server], ...kioskParts, ["models", models]] as const) {
        try {
          await part.stop();
        } catch (err) {
          log.error(`stopping ${name} failed`, { error: String(err) });
        }
      }
      log.info("stopped");
    })();
    return stopping;
  };
  return { port: server.port, config, stop };
}
