// The operator overlay: a PIN pad, then the model, device health and actions (clear, classroom mode, reload).
import type { DeviceHealth, OperatorStatus } from "@digit-kiosk/runtime/contracts/api";
import type { Messages } from "../messages.js";
import type { OperatorModel } from "../state/operator.js";
import { BackspaceIcon, CrossIcon } from "./icons.js";

export interface OperatorActions {
  clear(): void;
  toggleClassroom(): void;
  classroom: boolean;
  reload(): void;
}

const KEYS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

const gib = (bytes: number): string => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

function throttlingText(t: Messages, throttling: DeviceHealth["throttling"]): string {
  if (throttling === null) return t.opUnknown;
  const now = (["underVoltage", "frequencyCapped", "throttled", "softTemperatureLimit"] as const).filter((k) => throttling[k]).map((k) => t.opThrottleFlags[k]);
  if (now.length > 0) return now.join(", ");
  return throttling.occurred ? `${t.opThrottleOk} (${t.opThrottleFlags.occurred}: ${throttling.raw})` : t.opThrottleOk;
}

function PinPad({ operator, t }: { operator: OperatorModel; t: Messages }) {
  const problem = operator.problem.value;
  const message = problem === "wrong" ? t.opWrongPin : problem === "locked" ? t.opLocked : problem === "offline" ? t.opOffline : t.opEnterPin;
  return (
    <div class="pin" data-testid="pin-pad">
      <p class={problem === null ? "pin-message" : "pin-message pin-problem"} data-testid="pin-message" data-problem={problem ?? ""}>
        {message}
      </p>
      <p class="pin-dots" aria-hidden="true">
        {"●".repeat(operator.pin.value.length) || " "}
      </p>
      <div class="pin-keys">
        {KEYS.map((k) => (
          <button type="button" key={k} class="pin-key" data-testid="pin-key" data-key={k} onClick={() => operator.press(k)}>
            {k}
          </button>
        ))}
        <button type="button" class="pin-key" aria-label={t.opDelete} onClick={() => operator.backspace()}>
          <BackspaceIcon />
        </button>
        <button type="button" class="pin-key" data-testid="pin-key" data-key={0} onClick={() => operator.press(0)}>
          0
        </button>
        <button type="button" class="pin-key pin-ok" data-testid="pin-ok" onClick={() => void operator.submit()}>
          {t.opOk}
        </button>
      </div>
    </div>
  );
}

function StatusView({ status, t, actions }: { status: OperatorStatus; t: Messages; actions: OperatorActions }) {
  const { model, health, samples, feedback } = status;
  const rows: Array<[string, string]> = [
    [t.opName, model.name],
    [t.opVersion, model.version],
    [t.opCreated, model.createdAt.slice(0, 16).replace("T", " ")],
    [t.opQuantization, `${model.quantization} · ${model.sha256.slice(0, 12)}`],
  ];
  const device: Array<[string, string]> = [
    [t.opCpuTemp, health.cpuTemperatureC === null ? t.opUnknown : `${health.cpuTemperatureC.toFixed(1)} °C`],
    [t.opThrottling, throttlingText(t, health.throttling)],
    [t.opMemory, health.memory === null ? t.opUnknown : `${gib(health.memory.availableBytes)} / ${gib(health.memory.totalBytes)}`],
    [t.opDisk, health.disk === null ? t.opUnknown : `${gib(health.disk.freeBytes)} / ${gib(health.disk.totalBytes)}`],
    [t.opLoad, health.load === null ? t.opUnknown : `${Math.round(health.load.percent)} % · ${health.load.average1.toFixed(2)}`],
    [t.opUptime, `${duration(health.systemUptimeS)} · ${duration(status.runtime.uptimeS)}`],
    [t.opSamples, samples.collecting ? t.opCollectingOn(samples.count) : t.opCollectingOff],
    [t.opFeedback, t.opFeedbackCounts(feedback.right, feedback.wrong)],
  ];
  const table = (title: string, entries: Array<[string, string]>, id: string) => (
    <section class="op-section" data-testid={id}>
      <h3 class="op-heading">{title}</h3>
      <dl class="op-list">
        {entries.map(([k, v]) => (
          <div class="op-row" key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
  return (
    <div class="op-status" data-testid="operator-status">
      <div class="op-sections">
        {table(t.opModel, rows, "op-model")}
        {table(t.opDevice, device, "op-device")}
      </div>
      <div class="op-actions">
        <button type="button" class="op-button" data-testid="op-clear" onClick={actions.clear}>
          {t.opClearScreen}
        </button>
        <button type="button" class="op-button" data-testid="op-classroom" aria-pressed={actions.classroom} onClick={actions.toggleClassroom}>
          {t.opClassroom(actions.classroom)}
        </button>
        <button type="button" class="op-button" data-testid="op-reload" onClick={actions.reload}>
          {t.opReload}
        </button>
      </div>
    </div>
  );
}

export function Operator({ operator, t, actions }: { operator: OperatorModel; t: Messages; actions: OperatorActions }) {
  const phase = operator.phase.value;
  const status = operator.status.value;
  if (phase === "closed") return null;
  return (
    <div class="operator" data-testid="operator" data-phase={phase} role="dialog" aria-modal="true" aria-label={t.opTitle}>
      <div class="op-head">
        <h2 class="op-title">{t.opTitle}</h2>
        <button type="button" class="round-button op-close" data-testid="op-close" aria-label={t.opClose} onClick={() => operator.close()}>
          <CrossIcon />
        </button>
      </div>
      {phase === "pin" || status === null ? <PinPad operator={operator} t={t} /> : <StatusView status={status} t={t} actions={actions} />}
    </div>
  );
}
