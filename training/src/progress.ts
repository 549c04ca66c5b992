// A progress bar on stderr: redrawn in place on a terminal, one line per ~10 % otherwise (logs, CI).

export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const total = Math.max(0, Math.round(s));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}:${String(sec).padStart(2, "0")}`;
}

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastDecile = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly width = 28,
  ) {}

  /** done images so far; extra is appended (e.g. running loss). */
  update(done: number, extra = ""): void {
    const now = performance.now();
    if (this.stream.isTTY === true) {
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      this.stream.write(`\r\x1b[2K${this.line(done, now, extra)}`);
    } else {
      const decile = Math.floor((10 * done) / this.total);
      if (decile <= this.lastDecile || done >= this.total) return;
      this.lastDecile = decile;
      this.stream.write(`${this.line(done, now, extra)}\n`);
    }
  }

  /** Replaces the bar with a final summary line. */
  finish(summary: string): void {
    this.stream.write(`${this.stream.isTTY === true ? "\r\x1b[2K" : ""}${this.label} ${summary}\n`);
  }

  elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  private line(done: number, now: number, extra: string): string {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const filled = Math.round(fraction * this.width);
    const bar = "=".repeat(filled) + (filled < this.width ? ">" : "") + " ".repeat(Math.max(0, this.width - filled - 1));
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Number.POSITIVE_INFINITY;
    const pct = `${(100 * fraction).toFixed(0)}%`.padStart(4);
    return `${this.label} [${bar}] ${pct} ${done}/${this.total} ${rate.toFixed(0)} img/s ETA ${formatSeconds(eta)}${extra ? ` ${extra}` : ""}`;
  }
}
