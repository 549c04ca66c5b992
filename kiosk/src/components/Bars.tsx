// Ten labelled confidence bars, 0 to 9, with percentages; the answer's bar stands out.
import type { PredictionModel } from "../state/prediction.js";

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

const percent = (p: number): string => `${Math.round(p * 100)}%`;

export function Bars({ prediction, label }: { prediction: PredictionModel; label: string }) {
  const result = prediction.result.value;
  return (
    <ol class="bars" aria-label={label}>
      {DIGITS.map((d) => {
        const p = Math.min(1, Math.max(0, result?.probabilities[d] ?? 0));
        const top = result !== null && result.digit === d;
        return (
          <li key={d} class={top ? "bar bar-top" : "bar"} data-testid="bar" data-digit={d} aria-label={`${d}: ${percent(p)}`}>
            <span class="bar-label">{d}</span>
            <span class="bar-track">
              <span class="bar-fill" style={{ "--p": String(p) }} />
            </span>
            <span class="bar-pct">{result === null ? "" : percent(p)}</span>
          </li>
        );
      })}
    </ol>
  );
}
