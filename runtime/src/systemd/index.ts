// systemd integration of the runtime: sd_notify READY/WATCHDOG/STOPPING driven by self-test predictions.
import { SystemdLiveness } from "./liveness.js";
import { httpSelfTest, localBaseUrl } from "./selftest.js";

export { SystemdLiveness } from "./liveness.js";
export { SystemdNotifier } from "./notifier.js";

/** Liveness reporting for a runtime serving on host:port; a no-op unless started by systemd with NOTIFY_SOCKET. */
export function livenessFor(server: { config: { host: string }; port: number }): SystemdLiveness {
  return new SystemdLiveness(httpSelfTest(localBaseUrl(server.config.host, server.port)));
}
