// Shared e2e harness: the runtime in-process serving the built kiosk, Chromium with touch emulation, and the
// checks every e2e test uses (answers, ink, layout, touch targets, no request off the device, screenshots).
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import sharp from "sharp";
import { startApp, type RunningApp } from "@digit-kiosk/runtime/app";
import type { Config } from "@digit-kiosk/runtime/config";
import { buildKiosk, DIST_DIR, isBuildStale, KIOSK_DIR } from "../build.js";
import { tap, type Box, type PagePoint } from "./touch.js";

export type { Box, PagePoint } from "./touch.js";

/** Screenshots worth keeping (committed, small palette PNGs) and the rest (gitignored). */
export const KEPT_SCREENSHOTS = path.join(KIOSK_DIR, "screenshots");
export const SCRATCH_SCREENSHOTS = path.resolve(KIOSK_DIR, "..", "artifacts", "screenshots");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
/** Generous: the machine is shared with training runs. Never an assertion about speed. */
export const WAIT_MS = 30_000;

export interface Viewport {
  name: string;
  width: number;
  height: number;
  deviceScaleFactor: number;
}

/** The five kiosk screens of the issue: the Pi 7" display, 1024x600, 1280x800 (at 2x), full HD, and portrait. */
export const VIEWPORTS: Viewport[] = [
  { name: "800x480", width: 800, height: 480, deviceScaleFactor: 1 },
  { name: "1024x600", width: 1024, height: 600, deviceScaleFactor: 1 },
  { name: "1280x800", width: 1280, height: 800, deviceScaleFactor: 2 },
  { name: "1920x1080", width: 1920, height: 1080, deviceScaleFactor: 1 },
  { name: "480x800", width: 480, height: 800, deviceScaleFactor: 1 },
];

export const viewport = (name: string): Viewport => {
  const v = VIEWPORTS.find((x) => x.name === name);
  assert.ok(v !== undefined, `viewport ${name}`);
  return v;
};

export async function prepare(): Promise<void> {
  if (await isBuildStale()) await buildKiosk();
  await mkdir(KEPT_SCREENSHOTS, { recursive: true });
  await mkdir(SCRATCH_SCREENSHOTS, { recursive: true });
}

export function startRuntime(options: Partial<Config> = {}): Promise<RunningApp> {
  return startApp({ host: "127.0.0.1", port: 0, staticDir: DIST_DIR, ...options });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  viewport: Viewport;
  /** the port the page was loaded from: the runtime's, or a relay's in front of it */
  port: number;
  requests: string[];
  sockets: string[];
  pageErrors: string[];
}

/** Opens the kiosk with touch emulation and waits until it is connected and has its config. */
export async function openKiosk(browser: Browser, vp: Viewport, port: number): Promise<Session> {
  const context = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    deviceScaleFactor: vp.deviceScaleFactor,
    hasTouch: true,
    isMobile: false,
  });
  const page = await context.newPage();
  // A fetch the CSP blocks never shows up as a request: record those attempts too.
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.defineProperty(window, "__blocked", { value: seen });
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const session: Session = { context, page, port, viewport: vp, cdp: await context.newCDPSession(page), requests: [], sockets: [], pageErrors: [] };
  page.on("request", (r) => session.requests.push(r.url()));
  page.on("websocket", (ws) => session.sockets.push(ws.url()));
  page.on("pageerror", (e) => session.pageErrors.push(e.message));
  const config = page.waitForResponse((r) => r.url().endsWith("/api/kiosk-config"), { timeout: WAIT_MS });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('[data-testid="status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
  await config;
  return session;
}

export const byTestId = (page: Page, id: string, extra = ""): ReturnType<Page["locator"]> => page.locator(`[data-testid="${id}"]${extra}`);

export async function boxOf(page: Page, selector: string): Promise<Box> {
  const box = await page.locator(selector).first().boundingBox();
  assert.ok(box !== null, `${selector} is on screen`);
  return box;
}

export const canvasBox = (page: Page): Promise<Box> => boxOf(page, '[data-testid="canvas"]');

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A finger needs a moment to travel to a button; Chromium also drops a tap within ~0.1 s of a fast stroke's lift. */
const REACH_MS = 300;

/** Taps the middle of the first element matching the selector with a real touch. */
export async function tapOn(session: Session, selector: string): Promise<void> {
  const box = await boxOf(session.page, selector);
  await pause(REACH_MS);
  await tap(session.cdp, [box.x + box.width / 2, box.y + box.height / 2]);
}

/** Waits for the answer to the finished drawing; returns its state and digit. */
export async function settledAnswer(page: Page): Promise<{ state: string; digit: string }> {
  const answer = page.locator('[data-testid="answer"][data-settled="true"]');
  await answer.waitFor({ timeout: WAIT_MS });
  return { state: (await answer.getAttribute("data-state")) ?? "", digit: (await answer.getAttribute("data-digit")) ?? "" };
}

export async function clearDrawing(session: Session): Promise<void> {
  await tapOn(session, '[data-testid="clear"]');
  try {
    await byTestId(session.page, "answer", '[data-state="empty"]').waitFor({ timeout: WAIT_MS });
  } catch (err) {
    const state = await session.page.evaluate(async () => ({
      answer: document.querySelector('[data-testid="answer"]')?.getAttribute("data-state"),
      raf: await Promise.race([new Promise((r) => requestAnimationFrame(() => r("raf fired"))), new Promise((r) => setTimeout(() => r("raf stalled"), 2000))]),
      visibility: document.visibilityState,
    }));
    await screenshot(session.page, `failed-clear-${session.viewport.name}`);
    throw new Error(`Clear did not clear: ${JSON.stringify(state)}`, { cause: err });
  }
}

/** Counts lit pixels on a canvas (default: the drawing pad), optionally only inside a CSS-pixel rectangle of it. */
export async function litPixels(page: Page, selector = '[data-testid="canvas"]', region?: Box, threshold = 128): Promise<number> {
  return page.locator(selector).first().evaluate(
    (el, [r, limit]) => {
      const canvas = el as HTMLCanvasElement;
      const ctx = canvas.getContext("2d");
      if (ctx === null) return -1;
      const sx = canvas.width / canvas.clientWidth;
      const sy = canvas.height / canvas.clientHeight;
      const x = r === undefined ? 0 : Math.round(r.x * sx);
      const y = r === undefined ? 0 : Math.round(r.y * sy);
      const w = r === undefined ? canvas.width : Math.round(r.width * sx);
      const h = r === undefined ? canvas.height : Math.round(r.height * sy);
      const data = ctx.getImageData(x, y, w, h).data;
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) > limit) lit++;
      return lit;
    },
    [region, threshold] as const,
  );
}

export const previewLitPixels = (page: Page): Promise<number> => litPixels(page, '[data-testid="input-preview"]', undefined, 0);

/** Every element that matters lies inside the viewport, and the page cannot scroll. */
export async function assertFits(page: Page, vp: Viewport, selectors: Record<string, string>): Promise<void> {
  const metrics = await page.evaluate((sels) => {
    const root = document.scrollingElement ?? document.documentElement;
    // No named inner functions here: the test's transpiler would wrap them in a helper the page lacks.
    return {
      scrollWidth: root.scrollWidth,
      scrollHeight: root.scrollHeight,
      parts: Object.fromEntries(Object.entries(sels).map(([name, sel]) => [name, document.querySelector(sel)?.getBoundingClientRect().toJSON() as DOMRect | undefined])),
    };
  }, selectors);
  assert.ok(metrics.scrollWidth <= vp.width && metrics.scrollHeight <= vp.height, `no scrolling at ${vp.name}`);
  for (const [name, r] of Object.entries(metrics.parts)) {
    assert.ok(r !== undefined, `${name} is rendered at ${vp.name}`);
    assert.ok(r.width > 0 && r.height > 0, `${name} has a size at ${vp.name}`);
    assert.ok(r.left >= 0 && r.top >= 0 && r.right <= vp.width + 0.5 && r.bottom <= vp.height + 0.5, `${name} fits in ${vp.name}: ${JSON.stringify(r)}`);
  }
}

/** Every visible button is at least 48x48 CSS px. */
export async function assertTouchTargets(page: Page, where: string): Promise<number> {
  const small = await page.evaluate(() =>
    Array.from(document.querySelectorAll("button"))
      .map((b) => ({ name: b.getAttribute("data-testid") ?? b.getAttribute("aria-label") ?? b.textContent ?? "", r: b.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0)
      .map(({ name, r }) => ({ name, width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10 })),
  );
  const tooSmall = small.filter((b) => b.width < 48 || b.height < 48);
  assert.deepEqual(tooSmall, [], `touch targets under 48 px at ${where}`);
  return small.length;
}

export async function assertOnlyRuntimeContacted(session: Session): Promise<void> {
  const blocked = await session.page.evaluate(() => (window as unknown as { __blocked?: string[] }).__blocked ?? []);
  assert.deepEqual(blocked, [], "nothing tried to load from elsewhere (CSP violations)");
  const origin = `127.0.0.1:${session.port}`;
  for (const url of session.requests) {
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "blob:") continue;
    assert.equal(u.host, origin, `request to another host: ${url}`);
  }
  assert.ok(session.requests.length > 0, "requests were seen");
  assert.ok(session.sockets.length > 0, "a WebSocket was opened");
  for (const url of session.sockets) assert.equal(url, `ws://${origin}/ws`);
  assert.deepEqual(session.pageErrors, [], "no uncaught errors in the page");
}

/**
 * Saves a screenshot. Kept ones go to kiosk/screenshots as small palette PNGs at CSS size (committed, to be
 * looked at); others to artifacts/screenshots.
 */
export async function screenshot(page: Page, name: string, options: { keep?: boolean; animations?: "allow" | "disabled" } = {}): Promise<void> {
  const png = await page.screenshot({ animations: options.animations ?? "disabled", scale: "css" });
  if (options.keep === true) {
    const small = await sharp(png).png({ palette: true, colours: 64, compressionLevel: 9, effort: 7 }).toBuffer();
    await writeFile(path.join(KEPT_SCREENSHOTS, `${name}.png`), small);
  } else {
    await writeFile(path.join(SCRATCH_SCREENSHOTS, `${name}.png`), png);
  }
}

/** Runs fn with a fresh kiosk page; closes it whatever happens. */
export async function withKiosk(browser: Browser, vp: Viewport, port: number, fn: (session: Session) => Promise<void>): Promise<void> {
  const session = await openKiosk(browser, vp, port);
  try {
    await fn(session);
  } finally {
    await session.context.close();
  }
}

export const pointIn = (box: Box, u: number, v: number): PagePoint => [box.x + box.width * u, box.y + box.height * v];
