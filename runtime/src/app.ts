// Composes the runtime's parts (model store, predictor, HTTP/WebSocket server) with one start/stop life.
import { DEFAULT_CONFIG, type Config } from "./config.js";
import { logger } from "./log.js";
import { ModelStore } from "./model/store.js";
import { Predictor } from "./predictor.js";
import { HttpServer } from "./server/http.js";
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
  const staticFiles = await loadStaticFiles(config.staticDir);
  if (staticFiles.size === 0) log.warn("no kiosk files found; GET / will answer 404", { staticDir: config.staticDir });
  const server = new HttpServer({
    host: config.host,
    port: config.port,
    models,
    predictor: new Predictor(models, config.confidenceThreshold),
    staticFiles,
  });
  try {
    await server.start();
  } catch (err) {
    await models.stop();
    throw err;
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const [name, part] of [["server", server], ["models", models]] as const) {
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
