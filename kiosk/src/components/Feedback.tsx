// "Was I right?": a tick, a cross (then the digit picker), and the thanks; the picker of the right digit.
import type { Messages } from "../messages.js";
import type { FeedbackModel } from "../state/feedback.js";
import { CrossIcon, TickIcon } from "./icons.js";

export function FeedbackAsk({ feedback, t, unsure }: { feedback: FeedbackModel; t: Messages; unsure: boolean }) {
  const phase = feedback.phase.value;
  if (phase === "hidden") return null;
  if (phase === "thanks") {
    return (
      <p class="feedback feedback-thanks" data-testid="feedback" data-phase={phase} data-stored={String(feedback.stored.value)}>
        {feedback.stored.value ? t.thanksSaved : t.thanks}
      </p>
    );
  }
  const busy = phase === "sending";
  return (
    <div class="feedback" data-testid="feedback" data-phase={phase}>
      <span class="feedback-question">{phase === "failed" ? t.sendFailed : unsure ? t.askWhich : t.askRight}</span>
      <span class="feedback-buttons">
        {unsure ? (
          <button
            type="button"
            class="round-button feedback-tell"
            data-testid="feedback-tell"
            aria-expanded={feedback.picking.value}
            disabled={busy}
            onClick={() => feedback.pick()}
          >
            {t.tellMe}
          </button>
        ) : (
          <>
            <button type="button" class="round-button feedback-yes" data-testid="feedback-yes" aria-label={t.yes} disabled={busy} onClick={() => feedback.confirm()}>
              <TickIcon />
            </button>
            <button
              type="button"
              class="round-button feedback-no"
              data-testid="feedback-no"
              aria-label={t.no}
              aria-expanded={feedback.picking.value}
              disabled={busy}
              onClick={() => feedback.pick()}
            >
              <CrossIcon />
            </button>
          </>
        )}
      </span>
    </div>
  );
}

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

export function DigitPicker({ feedback, t }: { feedback: FeedbackModel; t: Messages }) {
  return (
    <div class="picker" data-testid="picker" role="group" aria-label={t.pickTitle}>
      <div class="picker-head">
        <span class="picker-title">{t.pickTitle}</span>
        <button type="button" class="round-button picker-cancel" data-testid="picker-cancel" aria-label={t.cancel} onClick={() => feedback.pick(false)}>
          <CrossIcon />
        </button>
      </div>
      <div class="picker-digits">
        {DIGITS.map((d) => (
          <button type="button" key={d} class="picker-digit" data-testid="pick-digit" data-digit={d} aria-label={t.pickDigit(d)} onClick={() => feedback.choose(d)}>
            {d}
          </button>
        ))}
      </div>
    </div>
  );
}
