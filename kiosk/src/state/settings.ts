// The kiosk's settings from the runtime's config file (GET /api/kiosk-config), fetched whenever the socket
// (re)opens, and the interface texts in the configured language.
import { computed, signal, type ReadonlySignal } from "@preact/signals";
import type { KioskConfig } from "@digit-kiosk/runtime/contracts/api";
import { MESSAGES, type Messages } from "../messages.js";
import { parseKioskConfig } from "./protocol.js";

/** Used until the runtime answers: the config file's own defaults. */
export const DEFAULT_KIOSK_CONFIG: KioskConfig = {
  language: "en",
  attractAfterSeconds: 60,
  clearAfterSeconds: 30,
  collectSamples: false,
  operator: false,
  classroom: false,
  classroomButton: true,
};

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export class SettingsModel {
  readonly config = signal<KioskConfig>(DEFAULT_KIOSK_CONFIG);
  /** Bumps each time a config arrives. */
  readonly loads = signal(0);
  readonly t: ReadonlySignal<Messages> = computed(() => MESSAGES[this.config.value.language]);

  private cleanups: Array<() => void> = [];

  constructor(
    private readonly opens: ReadonlySignal<number>,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {}

  start(): void {
    this.cleanups.push(
      this.opens.subscribe((n) => {
        if (n > 0) void this.load();
      }),
      this.t.subscribe((t) => {
        document.title = t.pageTitle;
        document.documentElement.lang = this.config.peek().language;
      }),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** Fetches the config; on any failure the current one stays (the next socket open tries again). */
  async load(): Promise<void> {
    try {
      const res = await this.fetcher("/api/kiosk-config", { cache: "no-store" });
      if (!res.ok) return;
      const config = parseKioskConfig(await res.json());
      if (config === null) return;
      this.config.value = config;
      this.loads.value += 1;
    } catch {
      // the runtime went away again: the socket's reconnect brings us back here
    }
  }
}
