// The hidden operator overlay: a PIN (checked by the runtime, never sent to the page), then the model
// and device health from GET /api/status, refreshed while the overlay is open.
import { signal } from "@preact/signals";
import { OPERATOR_PIN_HEADER, type OperatorStatus } from "@digit-kiosk/runtime/contracts/api";
import { parseOperatorStatus } from "./protocol.js";
import type { Fetch } from "./settings.js";

export type OperatorPhase = "closed" | "pin" | "open";
export type OperatorProblem = "wrong" | "locked" | "offline";

const REFRESH_MS = 5_000;
const MAX_PIN = 12;

export class OperatorModel {
  readonly phase = signal<OperatorPhase>("closed");
  readonly pin = signal("");
  readonly problem = signal<OperatorProblem | null>(null);
  readonly status = signal<OperatorStatus | null>(null);

  private acceptedPin = "";
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly enabled: () => boolean,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {}

  stop(): void {
    this.close();
  }

  /** The hidden gesture: asks for the PIN (when the config sets one). */
  open(): void {
    if (!this.enabled() || this.phase.value !== "closed") return;
    this.pin.value = "";
    this.problem.value = null;
    this.phase.value = "pin";
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.acceptedPin = "";
    this.pin.value = "";
    this.status.value = null;
    this.problem.value = null;
    this.phase.value = "closed";
  }

  press(digit: number): void {
    if (this.pin.value.length < MAX_PIN) this.pin.value += String(digit);
    this.problem.value = null;
  }

  backspace(): void {
    this.pin.value = this.pin.value.slice(0, -1);
  }

  async submit(): Promise<void> {
    const pin = this.pin.value;
    if (pin === "") return;
    const problem = await this.fetchStatus(pin);
    if (this.phase.value !== "pin") return;
    if (problem !== null) {
      this.problem.value = problem;
      this.pin.value = "";
      return;
    }
    this.acceptedPin = pin;
    this.pin.value = "";
    this.phase.value = "open";
    this.timer = setInterval(() => void this.fetchStatus(this.acceptedPin), REFRESH_MS);
  }

  private async fetchStatus(pin: string): Promise<OperatorProblem | null> {
    try {
      const res = await this.fetcher("/api/status", { headers: { [OPERATOR_PIN_HEADER]: pin }, cache: "no-store" });
      if (res.status === 403) return "wrong";
      if (res.status === 429) return "locked";
      const status = res.ok ? parseOperatorStatus(await res.json()) : null;
      if (status === null) return "offline";
      this.status.value = status;
      return null;
    } catch {
      return "offline";
    }
  }
}

/**
 * Calls onLongPress when a pointer stays still for holdMs within `corner` CSS px of the screen's
 * top-right corner. Listens without blocking anything else.
 */
export function attachCornerLongPress(target: Window, onLongPress: () => void, holdMs = 2_000, corner = 64): () => void {
  let pointer: { id: number; x: number; y: number } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = (): void => {
    clearTimeout(timer);
    pointer = null;
  };
  const listening = new AbortController();
  const options = { signal: listening.signal, capture: true, passive: true };
  target.addEventListener(
    "pointerdown",
    (e: PointerEvent) => {
      cancel();
      if (e.clientX < target.innerWidth - corner || e.clientY > corner) return;
      pointer = { id: e.pointerId, x: e.clientX, y: e.clientY };
      timer = setTimeout(() => {
        pointer = null;
        onLongPress();
      }, holdMs);
    },
    options,
  );
  target.addEventListener(
    "pointermove",
    (e: PointerEvent) => {
      if (pointer !== null && e.pointerId === pointer.id && Math.hypot(e.clientX - pointer.x, e.clientY - pointer.y) > 16) cancel();
    },
    options,
  );
  for (const type of ["pointerup", "pointercancel"] as const) {
    target.addEventListener(
      type,
      (e: PointerEvent) => {
        if (pointer !== null && e.pointerId === pointer.id) cancel();
      },
      options,
    );
  }
  return () => {
    cancel();
    listening.abort();
  };
}
