// Scores answers the way the kiosk shows them: a digit or null ("not sure"); accuracy counts null as wrong.
import { NOT_A_DIGIT } from "../data/strokes.js";

export interface Answer {
  /** 0..9, or NOT_A_DIGIT for a drawing that is not a digit */
  label: number;
  /** what was answered: a digit, or null when not sure */
  digit: number | null;
  /** the top class whatever the confidence */
  top: number;
  confidence: number;
  kind?: string;
}

export interface SetReport {
  set: string;
  via: string;
  count: number;
  /** digits: answered and right / all digits; non-digits: answered null / all */
  accuracy: number;
  /** share given a digit (not null) */
  answeredShare: number;
  /** digits only: right among those answered */
  accuracyAnswered?: number;
  /** digits only: top class right, ignoring the threshold */
  topAccuracy?: number;
  perClass?: Array<{ digit: number; count: number; accuracy: number }>;
  /** digits only: confusion[label][answer], answer 10 = null */
  confusion?: number[][];
  /** non-digits only: share answered null per kind */
  perKind?: Record<string, { count: number; nullShare: number }>;
}

export function scoreAnswers(set: string, via: string, answers: readonly Answer[]): SetReport {
  const count = answers.length;
  const answered = answers.filter((a) => a.digit !== null).length;
  const digits = answers.filter((a) => a.label !== NOT_A_DIGIT);
  if (digits.length === 0) {
    const perKind: Record<string, { count: number; nullShare: number }> = {};
    const kinds = new Map<string, { count: number; nulls: number }>();
    for (const a of answers) {
      const k = (a.kind ?? "unknown").split(":")[0]!;
      const e = kinds.get(k) ?? { count: 0, nulls: 0 };
      e.count++;
      if (a.digit === null) e.nulls++;
      kinds.set(k, e);
    }
    for (const [k, e] of [...kinds.entries()].sort()) perKind[k] = { count: e.count, nullShare: e.nulls / e.count };
    return { set, via, count, accuracy: count === 0 ? 0 : (count - answered) / count, answeredShare: count === 0 ? 0 : answered / count, perKind };
  }
  const confusion = Array.from({ length: 10 }, () => new Array<number>(11).fill(0));
  let correct = 0;
  let top = 0;
  for (const a of digits) {
    confusion[a.label]![a.digit ?? 10]!++;
    if (a.digit === a.label) correct++;
    if (a.top === a.label) top++;
  }
  const perClass = confusion.map((row, digit) => {
    const n = row.reduce((x, y) => x + y, 0);
    return { digit, count: n, accuracy: n === 0 ? 0 : row[digit]! / n };
  });
  return {
    set,
    via,
    count,
    accuracy: correct / count,
    answeredShare: answered / count,
    accuracyAnswered: answered === 0 ? 0 : correct / answered,
    topAccuracy: top / count,
    perClass,
    confusion,
  };
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

export function formatReport(r: SetReport): string {
  const lines = [`set ${r.set} via ${r.via}: ${r.count} drawings`];
  if (r.confusion === undefined) {
    lines.push(`answered null (not sure): ${pct(r.accuracy)}   answered a digit: ${pct(r.answeredShare)}`);
    for (const [k, e] of Object.entries(r.perKind ?? {})) lines.push(`  ${k.padEnd(10)} ${String(e.count).padStart(4)}  null ${pct(e.nullShare)}`);
    return lines.join("\n");
  }
  lines.push(
    `accuracy ${pct(r.accuracy)} (null counts as wrong)   answered ${pct(r.answeredShare)}   ` +
      `right when answered ${pct(r.accuracyAnswered ?? 0)}   top-1 ignoring "not sure" ${pct(r.topAccuracy ?? 0)}`,
  );
  lines.push(`per class: ${(r.perClass ?? []).map((c) => `${c.digit} ${pct(c.accuracy)}`).join("  ")}`);
  const cell = (v: string | number): string => String(v).padStart(6);
  lines.push(`${"true\\ans".padStart(9)}${Array.from({ length: 10 }, (_, i) => cell(i)).join("")}${cell("null")}`);
  r.confusion.forEach((row, label) => lines.push(`${cell(label).padStart(9)}${row.map((v) => cell(v)).join("")}`));
  return lines.join("\n");
}
