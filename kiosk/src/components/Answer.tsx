// The big answer: the digit the network reads, or a plain word when it is not sure.
import type { DrawingModel } from "../state/drawing.js";
import type { PredictionModel } from "../state/prediction.js";

type AnswerState = "empty" | "waiting" | "digit" | "unsure" | "error";

const ERROR_TEXT: Record<string, string> = {
  no_model: "No model loaded",
  too_many_requests: "Busy, one moment",
};

export function Answer({ drawing, prediction }: { drawing: DrawingModel; prediction: PredictionModel }) {
  const result = prediction.result.value;
  const error = prediction.error.value;
  const empty = drawing.isEmpty.value;
  const state: AnswerState = empty
    ? "empty"
    : error !== null
      ? "error"
      : result === null
        ? "waiting"
        : result.digit === null
          ? "unsure"
          : "digit";
  const digit = state === "digit" && result !== null && result.digit !== null ? String(result.digit) : "";

  return (
    <div
      class={`answer answer-${state}`}
      data-testid="answer"
      data-state={state}
      data-digit={digit}
      data-settled={String(prediction.settled.value)}
      role="status"
      aria-live="polite"
    >
      {state === "digit" && result !== null ? (
        <>
          <span class="answer-digit">{digit}</span>
          <span class="answer-caption">{Math.round(result.confidence * 100)}% sure</span>
        </>
      ) : state === "unsure" ? (
        <>
          <span class="answer-word">Not sure</span>
          <span class="answer-caption">Try drawing it again</span>
        </>
      ) : state === "error" && error !== null ? (
        <>
          <span class="answer-word">{ERROR_TEXT[error.code] ?? "Cannot read that"}</span>
          <span class="answer-caption">Clear and try again</span>
        </>
      ) : state === "waiting" ? (
        <span class="answer-digit answer-muted">…</span>
      ) : (
        <>
          <span class="answer-digit answer-muted">?</span>
          <span class="answer-caption">Draw one digit, 0 to 9</span>
        </>
      )}
    </div>
  );
}
