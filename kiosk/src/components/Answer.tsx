// The big answer: the digit the network reads, or a plain word when it is not sure; then "Was I right?".
import type { Messages } from "../messages.js";
import type { DrawingModel } from "../state/drawing.js";
import type { FeedbackModel } from "../state/feedback.js";
import type { PredictionModel } from "../state/prediction.js";
import { FeedbackAsk } from "./Feedback.js";

type AnswerState = "empty" | "waiting" | "digit" | "unsure" | "error";

export interface AnswerProps {
  drawing: DrawingModel;
  prediction: PredictionModel;
  feedback: FeedbackModel;
  t: Messages;
  /** "Was I right?" is offered (not in classroom mode) */
  ask: boolean;
}

export function Answer({ drawing, prediction, feedback, t, ask }: AnswerProps) {
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
  const errorText = error?.code === "no_model" ? t.errorNoModel : error?.code === "too_many_requests" ? t.errorBusy : t.errorOther;

  return (
    <div
      class={`answer answer-${state}`}
      data-testid="answer"
      data-state={state}
      data-digit={digit}
      data-settled={String(prediction.settled.value)}
      aria-live="polite"
    >
      {state === "digit" && result !== null ? (
        <>
          <span class="answer-digit">{digit}</span>
          <div class="answer-side">
            <span class="answer-caption answer-sure">{t.sure(Math.round(result.confidence * 100))}</span>
            {ask && <FeedbackAsk feedback={feedback} t={t} unsure={false} />}
          </div>
        </>
      ) : state === "unsure" ? (
        <>
          <span class="answer-word">{t.notSure}</span>
          <div class="answer-side">
            <span class="answer-caption">{t.notSureHint}</span>
            {ask && <FeedbackAsk feedback={feedback} t={t} unsure={true} />}
          </div>
        </>
      ) : state === "error" ? (
        <>
          <span class="answer-word">{errorText}</span>
          <div class="answer-side">
            <span class="answer-caption">{t.errorHint}</span>
          </div>
        </>
      ) : state === "waiting" ? (
        <span class="answer-digit answer-muted">…</span>
      ) : (
        <>
          <span class="answer-digit answer-muted">?</span>
          <div class="answer-side">
            <span class="answer-caption">{t.emptyCaption}</span>
          </div>
        </>
      )}
    </div>
  );
}
