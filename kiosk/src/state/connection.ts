// The WebSocket to the runtime: connects, reconnects with backoff, and hands parsed messages to listeners.
import { signal } from "@preact/signals";
import type { WsAnyServerMessage, WsClientMessage } from "@digit-kiosk/runtime/contracts/api";
import { Backoff } from "./backoff.js";
import { parseServerMessage } from "./protocol.js";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting";

type Listener = (message: WsAnyServerMessage) => void;

/** Marks the first open socket (read by the kiosk bench). */
const CONNECTED_MARK = "kiosk-connected";

/** An open socket that lived this long counts as healthy: the backoff starts over after it. */
const STABLE_MS = 3_000;

export function defaultSocketUrl(loc: Location = location): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

export class Connection {
  readonly status = signal<ConnectionStatus>("connecting");
  /** Bumps each time a socket opens, so others can resend what a closed socket lost. */
  readonly opens = signal(0);

  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private openedAt = 0;
  private running = false;
  private readonly listeners = new Set<Listener>();
  private readonly backoff = new Backoff();

  constructor(private readonly url: string) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropSocket();
  }

  /** Closes the current socket (e.g. it stopped answering) and reconnects after the backoff. */
  restart(): void {
    if (!this.running) return;
    this.dropSocket();
    this.scheduleReconnect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends when open; false when the message could not be sent. */
  send(message: WsClientMessage): boolean {
    if (this.socket === null || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  onMessage(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private connect(): void {
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (performance.getEntriesByName(CONNECTED_MARK).length === 0) performance.mark(CONNECTED_MARK);
      this.openedAt = Date.now();
      this.status.value = "connected";
      this.opens.value += 1;
    };
    socket.onmessage = (event: MessageEvent) => {
      const message = parseServerMessage(event.data);
      if (message === null) return;
      for (const listener of this.listeners) listener(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleReconnect();
    };
    // An error is always followed by close, which does the work.
    socket.onerror = null;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    this.status.value = "reconnecting";
    if (this.openedAt > 0 && Date.now() - this.openedAt >= STABLE_MS) this.backoff.reset();
    this.openedAt = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, this.backoff.next());
  }
}
