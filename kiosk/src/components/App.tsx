// The kiosk screen: the drawing pad and the panel (answer, "Was I right?", bars, what the model saw, Clear);
// in classroom mode the network's layers; the attract mode and the operator overlay above everything.
import type { Connection } from "../state/connection.js";
import type { DrawingModel } from "../state/drawing.js";
import type { ExplainModel } from "../state/explain.js";
import type { FeedbackModel } from "../state/feedback.js";
import type { IdleModel } from "../state/idle.js";
import type { OperatorModel } from "../state/operator.js";
import type { PredictionModel } from "../state/prediction.js";
import type { SettingsModel } from "../state/settings.js";
import { Answer } from "./Answer.js";
import { Attract } from "./Attract.js";
import { Bars } from "./Bars.js";
import { Canvas } from "./Canvas.js";
import { DigitPicker } from "./Feedback.js";
import { LayersIcon } from "./icons.js";
import { InputPreview } from "./InputPreview.js";
import { Network } from "./Network.js";
import { Operator } from "./Operator.js";
import { Status } from "./Status.js";

export interface AppProps {
  drawing: DrawingModel;
  connection: Connection;
  prediction: PredictionModel;
  settings: SettingsModel;
  explain: ExplainModel;
  feedback: FeedbackModel;
  idle: IdleModel;
  operator: OperatorModel;
}

export function App({ drawing, connection, prediction, settings, explain, feedback, idle, operator }: AppProps) {
  const t = settings.t.value;
  const config = settings.config.value;
  const classroom = explain.enabled.value;
  const picking = feedback.picking.value && !classroom;
  return (
    <main class={classroom ? "app app-classroom" : "app"} data-testid="app" data-classroom={String(classroom)}>
      <Canvas drawing={drawing} t={t} />
      <section class="panel" aria-label={t.panelLabel}>
        <Status connection={connection} prediction={prediction} t={t} collecting={config.collectSamples} />
        <Answer drawing={drawing} prediction={prediction} feedback={feedback} t={t} ask={!classroom} />
        <InputPreview prediction={prediction} caption={t.previewCaption} />
        <div class="bars-area">{picking ? <DigitPicker feedback={feedback} t={t} /> : <Bars prediction={prediction} label={t.barsLabel} />}</div>
        <button type="button" class="clear" data-testid="clear" onClick={() => drawing.clear()}>
          {t.clear}
        </button>
        {(config.classroomButton || classroom) && (
          <button
            type="button"
            class="toggle"
            data-testid="classroom-toggle"
            aria-pressed={classroom}
            aria-label={t.classroomLabel}
            onClick={() => explain.toggle()}
          >
            <LayersIcon />
            <span class="toggle-text">{t.classroom}</span>
          </button>
        )}
      </section>
      {classroom && <Network explain={explain} t={t} />}
      {idle.attract.value && <Attract t={t} />}
      <Operator
        operator={operator}
        t={t}
        actions={{
          clear: () => drawing.clear(),
          toggleClassroom: () => explain.toggle(),
          classroom,
          reload: () => location.reload(),
        }}
      />
    </main>
  );
}
