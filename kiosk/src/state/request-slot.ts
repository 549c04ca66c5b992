// The in-flight bookkeeping shared by live predictions and classroom explanations: one request on the
// socket at a time, each drawing revision sent once (again only after the request was lost), and a
// request unanswered in time given up.

export class RequestSlot<R extends { revision: number }> {
  private request: R | null = null;
  /** The newest revision sent and not lost; -1 when none. */
  private sentRevision = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * onTimeout runs after a request went unanswered for timeoutMs (the slot is already free);
   * onBusy follows whether a request is in flight.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void = () => undefined,
    private readonly onBusy: (busy: boolean) => void = () => undefined,
  ) {}

  /** The request awaiting its answer, if any. */
  get inFlight(): R | null {
    return this.request;
  }

  /** Whether this revision should go out now: nothing in flight and not sent already. */
  wants(revision: number): boolean {
    return this.request === null && revision !== this.sentRevision;
  }

  /** Records a request just sent. */
  sent(request: R): void {
    this.sentRevision = request.revision;
    this.request = request;
    this.onBusy(true);
    this.timer = setTimeout(() => {
      this.forget();
      this.onTimeout();
    }, this.timeoutMs);
  }

  /** The request was answered: free the slot. */
  settle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.request = null;
    this.onBusy(false);
  }

  /** The request in flight will never be answered (socket gone, or too slow): free the slot and send its revision again. */
  forget(): void {
    if (this.request === null) return;
    this.settle();
    this.sentRevision = -1;
  }

  /** Send the next revision even if it is the one sent last (the drawing was cleared and started again). */
  resend(): void {
    this.sentRevision = -1;
  }
}
