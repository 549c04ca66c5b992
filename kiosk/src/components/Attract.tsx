// The attract mode: an animated demo drawing and an invitation; it lets every touch through, and the first one ends it.
import type { Messages } from "../messages.js";

/** Demo digits in a 100x100 box, drawn one after the other as a finger would (CSS animates the strokes). */
const DEMO_PATHS = [
  "M27 31C28 12 71 9 73 30C75 47 42 63 25 86L77 86",
  "M23 17L77 17L43 89",
  "M29 22C44 7 72 13 69 32C67 44 51 48 44 48C59 48 75 55 72 71C69 89 41 94 27 82",
];

export function Attract({ t }: { t: Messages }) {
  return (
    <div class="attract" data-testid="attract" aria-live="polite">
      <svg class="attract-demo" viewBox="0 0 100 100" aria-hidden="true">
        <rect class="attract-pad" x="1" y="1" width="98" height="98" rx="6" />
        {DEMO_PATHS.map((d, i) => (
          <path key={i} class="attract-stroke" style={{ "--i": String(i) }} d={d} pathLength={1} />
        ))}
      </svg>
      <p class="attract-title">{t.attractTitle}</p>
      <p class="attract-hint">{t.attractHint}</p>
    </div>
  );
}
