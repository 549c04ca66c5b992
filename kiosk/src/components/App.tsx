// The kiosk screen: the drawing pad, and beside (or below) it the answer, the bars, what the model saw and Clear.
import type { Connection } from "../state/connection.js";
import type { DrawingModel } from "../state/drawing.js";
import type { PredictionModel } from "../state/prediction.js";
import { Answer } from "./Answer.js";
import { Bars } from "./Bars.js";
import { Canvas } from "./Canvas.js";
import { InputPreview } from "./InputPreview.js";
import { Status } from "./Status.js";

export interface AppProps {
  drawing: DrawingModel;
  connection: Connection;
  prediction: PredictionModel;
}

export function App({ drawing, connection, prediction }: AppProps) {
  return (
    <main class="app">
      <Canvas drawing={drawing} />
      <section class="panel" aria-label="What the network thinks">
        <Status connection={connection} prediction={prediction} />
        <Answer drawing={drawing} prediction={prediction} />
        <InputPreview prediction={prediction} />
        <Bars prediction={prediction} />
        <button type="button" class="clear" data-testid="clear" onClick={() => drawing.clear()}>
          Clear
        </button>
      </section>
    </main>
  );
}
