// One or a few human lines about a receiver's answer, for the operator's terminal (stderr).

interface Info {
  sha256: string;
  name: string | null;
  version: string | null;
}

const label = (m: Info | null | undefined): string => (m === null || m === undefined ? "none" : `${m.name ?? "?"} ${m.version ?? "?"} (${m.sha256.slice(0, 12)})`);

export function summarize(host: string, answer: Record<string, unknown>): string {
  if (answer.ok !== true) {
    const error = (answer.error ?? {}) as { code?: string; message?: string; problems?: string[] };
    const problems = (error.problems ?? []).map((p) => `\n  - ${p}`).join("");
    return `${host}: REFUSED (${error.code ?? "?"}): ${error.message ?? "no reason given"}${problems}\n${host}: nothing was changed; the kiosk keeps its model`;
  }
  switch (answer.action) {
    case "push":
    case "rollback": {
      const runtime = answer.runtime as { notified: boolean; reason?: string; loadMs?: number };
      const live = runtime.notified ? `live now (runtime swap ${runtime.loadMs ?? "?"} ms)` : `current; the runtime was not told (${runtime.reason ?? "?"})`;
      const verb = answer.action === "push" ? (answer.changed === true ? "installed" : "already current") : answer.changed === true ? "rolled back to" : "already current";
      return `${host}: ${verb} ${label(answer.model as Info)}: ${live}; previous: ${label(answer.previous as Info | null)}`;
    }
    case "status": {
      const runtime = answer.runtime as { reachable: boolean; model?: Info & { source: string }; reason?: string };
      const serving = runtime.reachable ? `serving ${label(runtime.model ?? null)}${runtime.model ? ` from ${runtime.model.source}` : ""}` : `runtime not reachable (${runtime.reason ?? "?"})`;
      const warning = typeof answer.warning === "string" ? `\n${host}: WARNING: ${answer.warning}` : "";
      return `${host}: current ${label(answer.current as Info | null)}, previous ${label(answer.previous as Info | null)}; ${serving}${warning}`;
    }
    default:
      return `${host}: ok`;
  }
}
