// Entry point: creates the models, connects to the runtime and renders the kiosk screen.
import { render } from "preact";
import { App } from "./components/App.js";
import { installKioskGuards } from "./guards.js";
import { Connection, defaultSocketUrl } from "./state/connection.js";
import { DrawingModel } from "./state/drawing.js";
import { PredictionModel } from "./state/prediction.js";

const root = document.getElementById("app");
if (root === null) throw new Error("#app is missing from index.html");

const drawing = new DrawingModel();
const connection = new Connection(defaultSocketUrl());
const prediction = new PredictionModel(drawing, connection);

const stopGuards = installKioskGuards();
prediction.start();
connection.start();
render(<App drawing={drawing} connection={connection} prediction={prediction} />, root);

window.addEventListener(
  "pagehide",
  (event: PageTransitionEvent) => {
    if (event.persisted) return;
    render(null, root);
    prediction.stop();
    connection.stop();
    stopGuards();
  },
);
