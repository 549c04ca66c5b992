// Entry point of the on-device runtime: config from the environment, start, stop cleanly on SIGTERM/SIGINT.
import { startApp } from "./app.js";
import { configFromEnv } from "./config.js";
import { logger } from "./log.js";
import { livenessFor } from "./systemd/index.js";

const log = logger("main");

async function main(): Promise<void> {
  const app = await startApp(configFromEnv());
  log.info("ready", { url: `http://${app.config.host}:${app.port}` });
  // Under systemd (Type=notify): READY after a self-test prediction, WATCHDOG while predictions succeed.
  const liveness = livenessFor(app);
  await liveness.start();
  const shutdown = (signal: string): void => {
    log.info("shutting down", { signal });
    liveness.stop().then(() => app.stop()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error("shutdown failed", { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  // A broken start-up is fatal: systemd restarts us.
  log.error("start-up failed", { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
