// Connection status and, once known, the model that answers.
import type { Connection, ConnectionStatus } from "../state/connection.js";
import type { PredictionModel } from "../state/prediction.js";

const LABEL: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
};

const formatMs = (ms: number): string => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);

export function Status({ connection, prediction }: { connection: Connection; prediction: PredictionModel }) {
  const status = connection.status.value;
  const result = prediction.result.value;
  return (
    <div class="status">
      <span class={`status-conn status-${status}`} data-testid="status" data-status={status} role="status">
        <span class="status-dot" aria-hidden="true" />
        {LABEL[status]}
      </span>
      {result !== null && (
        <span class="status-model" title={`${result.model.name} ${result.model.version}`}>
          model {result.model.version} · {formatMs(result.elapsedMs)}
        </span>
      )}
    </div>
  );
}
