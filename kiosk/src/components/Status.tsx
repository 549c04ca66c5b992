// Connection status (a plain warning while reconnecting), whether drawings are collected, and the model that answers.
import type { Messages } from "../messages.js";
import type { Connection } from "../state/connection.js";
import type { PredictionModel } from "../state/prediction.js";

const formatMs = (ms: number): string => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);

export function Status({ connection, prediction, t, collecting }: { connection: Connection; prediction: PredictionModel; t: Messages; collecting: boolean }) {
  const status = connection.status.value;
  const result = prediction.result.value;
  const label = status === "connected" ? t.connected : status === "reconnecting" ? t.reconnecting : t.connecting;
  return (
    <div class={`status status-is-${status}`}>
      <span class={`status-conn status-${status}`} data-testid="status" data-status={status} role="status">
        <span class="status-dot" aria-hidden="true" />
        {label}
      </span>
      {status === "reconnecting" ? (
        <span class="status-hint">{t.reconnectingHint}</span>
      ) : collecting ? (
        <span class="status-collecting" data-testid="collecting">
          {t.collecting}
        </span>
      ) : (
        result !== null && (
          <span class="status-model" title={`${result.model.name} ${result.model.version}`}>
            {result.model.version} · {formatMs(result.elapsedMs)}
          </span>
        )
      )}
    </div>
  );
}
