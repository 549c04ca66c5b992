// Exhibit behaviour: after some idle seconds the drawing is cleared, later the attract mode starts;
// the first touch ends the attract mode at once (and, on the pad, already draws).
import { signal, type ReadonlySignal } from "@preact/signals";
import type { KioskConfig } from "@digit-kiosk/runtime/contracts/api";
import type { DrawingModel } from "./drawing.js";

export interface IdleOptions {
  now?: () => number;
}

export class IdleModel {
  readonly attract = signal(false);

  private lastActivity: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cleanups: Array<() => void> = [];
  private readonly attractListeners = new Set<() => void>();
  private swallowClick = false;
  private readonly now: () => number;

  constructor(
    private readonly drawing: DrawingModel,
    private readonly config: ReadonlySignal<KioskConfig>,
    options: IdleOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.lastActivity = this.now();
  }

  start(target: Window = window): void {
    const listening = new AbortController();
    const capture = { signal: listening.signal, capture: true, passive: true };
    target.addEventListener("pointerdown", (e: PointerEvent) => this.onPointerDown(e), capture);
    target.addEventListener("pointermove", () => this.touch(), capture);
    target.addEventListener("keydown", () => this.poke(), capture);
    // A tap that only ended the attract mode must not also press the button under it.
    target.addEventListener(
      "click",
      (e: MouseEvent) => {
        if (!this.swallowClick) return;
        this.swallowClick = false;
        e.preventDefault();
        e.stopPropagation();
      },
      { signal: listening.signal, capture: true },
    );
    this.cleanups.push(
      () => listening.abort(),
      this.config.subscribe(() => this.schedule()),
      this.drawing.drawing.subscribe((down) => {
        if (!down) this.poke();
      }),
      () => clearTimeout(this.timer),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** Called when the attract mode starts (e.g. to close overlays). */
  onAttract(listener: () => void): () => void {
    this.attractListeners.add(listener);
    return () => {
      this.attractListeners.delete(listener);
    };
  }

  /** Someone is here: the idle time starts again and the attract mode ends. */
  poke(): void {
    this.touch();
    if (this.attract.value) this.attract.value = false;
    this.schedule();
  }

  private onPointerDown(e: PointerEvent): void {
    const wasAttracting = this.attract.value;
    this.poke();
    const target = e.target as Partial<Element> | null;
    const onPad = typeof target?.closest === "function" && target.closest("[data-testid='canvas']") !== null;
    this.swallowClick = wasAttracting && !onPad;
  }

  /** Notes activity without rescheduling (pointermove is frequent; the timer checks when it fires). */
  private touch(): void {
    this.lastActivity = this.now();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const { clearAfterSeconds, attractAfterSeconds } = this.config.value;
    const deadlines = [clearAfterSeconds, attractAfterSeconds].filter((s) => s > 0).map((s) => this.lastActivity + s * 1000);
    if (deadlines.length === 0) return;
    const next = Math.min(...deadlines.filter((d) => d > this.now()), Math.max(...deadlines));
    this.timer = setTimeout(() => this.check(), Math.max(50, next - this.now()));
  }

  private check(): void {
    const idleMs = this.now() - this.lastActivity;
    const { clearAfterSeconds, attractAfterSeconds } = this.config.value;
    if (this.drawing.drawing.value) {
      this.poke();
      return;
    }
    if (clearAfterSeconds > 0 && idleMs >= clearAfterSeconds * 1000 && !this.drawing.isEmpty.value) this.drawing.clear();
    if (attractAfterSeconds > 0 && idleMs >= attractAfterSeconds * 1000 && !this.attract.value) {
      if (!this.drawing.isEmpty.value) this.drawing.clear();
      this.attract.value = true;
      for (const listener of this.attractListeners) listener();
    }
    if (!this.attract.value) this.schedule();
  }
}
