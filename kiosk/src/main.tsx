// Entry point: creates the models, connects to the runtime and renders the kiosk screen.
import { render } from "preact";
import { App } from "./components/App.js";
import { installKioskGuards } from "./guards.js";
import { Connection, defaultSocketUrl } from "./state/connection.js";
import { DrawingModel } from "./state/drawing.js";
import { ExplainModel } from "./state/explain.js";
import { FeedbackModel } from "./state/feedback.js";
import { IdleModel } from "./state/idle.js";
import { attachCornerLongPress, OperatorModel } from "./state/operator.js";
import { PredictionModel } from "./state/prediction.js";
import { SettingsModel } from "./state/settings.js";

const root = document.getElementById("app");
if (root === null) throw new Error("#app is missing from index.html");

const drawing = new DrawingModel();
const connection = new Connection(defaultSocketUrl());
const settings = new SettingsModel(connection.opens);
const prediction = new PredictionModel(drawing, connection);
const explain = new ExplainModel(drawing, connection);
const feedback = new FeedbackModel(drawing, prediction);
const idle = new IdleModel(drawing, settings.config);
const operator = new OperatorModel(() => settings.config.peek().operator);

// The config's classroom setting applies once, when it first arrives; after that the teacher decides.
const stopClassroomDefault = settings.loads.subscribe((loads) => {
  if (loads === 1) explain.enabled.value = settings.config.peek().classroom;
});
const stopAttractCloses = idle.onAttract(() => {
  operator.close();
  feedback.pick(false);
});

const stopGuards = installKioskGuards();
const stopLongPress = attachCornerLongPress(window, () => operator.open());
settings.start();
prediction.start();
explain.start();
feedback.start();
idle.start();
connection.start();
render(<App {...{ drawing, connection, prediction, settings, explain, feedback, idle, operator }} />, root);

window.addEventListener("pagehide", (event: PageTransitionEvent) => {
  if (event.persisted) return;
  render(null, root);
  for (const stop of [stopLongPress, stopAttractCloses, stopClassroomDefault, stopGuards]) stop();
  for (const part of [idle, feedback, explain, prediction, operator, settings, connection]) {
    try {
      part.stop();
    } catch (err) {
      console.error("kiosk: stopping failed", err);
    }
  }
});
