// The drawing being made: strokes of [x, y, t] in CSS pixels of the canvas, with signals views can follow.
import { computed, signal } from "@preact/signals";
import { LIMITS, type Point, type Stroke } from "@digit-kiosk/runtime/contracts/api";

export interface Surface {
  width: number;
  height: number;
}

/** A pointer sample: CSS pixels from the canvas's top-left corner, and the event's timeStamp (ms). */
export interface Sample {
  x: number;
  y: number;
  timeStamp: number;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** Samples closer than this (CSS px) to the previous one add nothing a 28x28 image can show. */
const MIN_STEP_PX = 1;

export class DrawingModel {
  /** Bumps on every change to the strokes; a prediction names the revision it answers. */
  readonly revision = signal(0);
  /** Bumps on every clear; answers to an older generation are stale. */
  readonly generation = signal(0);
  /** True while the drawing pointer is down. */
  readonly drawing = signal(false);
  readonly isEmpty = computed(() => this.revision.value >= 0 && this.list.length === 0);

  private list: Stroke[] = [];
  private size: Surface = { width: 0, height: 0 };
  private startedAt = 0;
  private points = 0;

  get strokes(): readonly Stroke[] {
    return this.list;
  }

  get surface(): Surface {
    return this.size;
  }

  /** Records the canvas size in CSS pixels; a drawing made at another size is scaled to the new one. */
  setSurface(width: number, height: number): void {
    const old = this.size;
    if (width === old.width && height === old.height) return;
    this.size = { width, height };
    if (this.list.length === 0 || old.width <= 0 || old.height <= 0) return;
    const sx = width / old.width;
    const sy = height / old.height;
    this.list = this.list.map((stroke) => stroke.map((p): Point => (p.length === 3 ? [round1(p[0] * sx), round1(p[1] * sy), p[2]] : [round1(p[0] * sx), round1(p[1] * sy)])));
    this.revision.value += 1;
  }

  /** Starts a stroke; past the API's stroke or point limits the drawing takes no more ink. */
  beginStroke(sample: Sample): void {
    if (this.list.length >= LIMITS.maxStrokes || this.points >= LIMITS.maxPointsTotal) return;
    if (this.list.length === 0) this.startedAt = sample.timeStamp;
    this.list.push([this.point(sample)]);
    this.points += 1;
    this.drawing.value = true;
    this.revision.value += 1;
  }

  extendStroke(samples: readonly Sample[]): void {
    const stroke = this.list.at(-1);
    if (!this.drawing.value || stroke === undefined) return;
    let added = false;
    for (const s of samples) {
      if (stroke.length >= LIMITS.maxPointsPerStroke || this.points >= LIMITS.maxPointsTotal) break;
      const p = this.point(s);
      const last = stroke[stroke.length - 1];
      if (last !== undefined && Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_STEP_PX) continue;
      stroke.push(p);
      this.points += 1;
      added = true;
    }
    if (added) this.revision.value += 1;
  }

  endStroke(): void {
    this.drawing.value = false;
  }

  clear(): void {
    this.list = [];
    this.points = 0;
    this.drawing.value = false;
    this.generation.value += 1;
    this.revision.value += 1;
  }

  private point(s: Sample): [number, number, number] {
    return [round1(s.x), round1(s.y), Math.max(0, Math.round(s.timeStamp - this.startedAt))];
  }
}
