// Proves, in real Chromium with real touch events against the real runtime, that drawn 0, 1, 4 and 7 are read right,
// the bars, preview and Clear work, layouts fit without scrolling, it reconnects, and no other host is contacted.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { startApp } from "@digit-kiosk/runtime/app";
import { buildKiosk, DIST_DIR, isBuildStale, KIOSK_DIR } from "../build.js";
import { DIGIT_PATHS } from "./digits.js";
import { TcpRelay } from "./relay.js";
import { drawStrokes, drawWithSecondFinger, placeStrokes, tap, type Box, type PagePoint } from "./touch.js";

const SCREENSHOTS = path.resolve(KIOSK_DIR, "..", "artifacts", "screenshots");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const DIGITS = ["0", "1", "4", "7"] as const;
const ANSWER_TIMEOUT_MS = 20_000;

interface Viewport {
  name: string;
  width: number;
  height: number;
  deviceScaleFactor: number;
}

const VIEWPORTS: Viewport[] = [
  { name: "800x480", width: 800, height: 480, deviceScaleFactor: 1 },
  { name: "480x800", width: 480, height: 800, deviceScaleFactor: 1 },
  { name: "1280x800@2x", width: 1280, height: 800, deviceScaleFactor: 2 },
];

type App = Awaited<ReturnType<typeof startApp>>;

interface Session {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** the port the page was loaded from: the runtime's, or the relay's in front of it */
  port: number;
  requests: string[];
  sockets: string[];
  pageErrors: string[];
}

let app: App;
let browser: Browser;

async function open(viewport: Viewport, port: number = app.port): Promise<Session> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    deviceScaleFactor: viewport.deviceScaleFactor,
    hasTouch: true,
    isMobile: false,
  });
  const page = await context.newPage();
  const session: Session = { context, page, port, cdp: await context.newCDPSession(page), requests: [], sockets: [], pageErrors: [] };
  page.on("request", (r) => session.requests.push(r.url()));
  page.on("websocket", (ws) => session.sockets.push(ws.url()));
  page.on("pageerror", (e) => session.pageErrors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('[data-testid="status"][data-status="connected"]').waitFor({ timeout: ANSWER_TIMEOUT_MS });
  return session;
}

async function canvasBox(page: Page): Promise<Box> {
  const box = await page.locator('[data-testid="canvas"]').boundingBox();
  assert.ok(box !== null, "the canvas is on screen");
  return box;
}

/** Waits for the answer to the finished drawing; returns its state and digit. */
async function settledAnswer(page: Page): Promise<{ state: string; digit: string }> {
  const answer = page.locator('[data-testid="answer"][data-settled="true"]');
  await answer.waitFor({ timeout: ANSWER_TIMEOUT_MS });
  return {
    state: (await answer.getAttribute("data-state")) ?? "",
    digit: (await answer.getAttribute("data-digit")) ?? "",
  };
}

/** Counts lit pixels on the drawing canvas, optionally only inside a CSS-pixel rectangle of it. */
async function inkedPixels(page: Page, region?: Box): Promise<number> {
  return page.locator('[data-testid="canvas"]').evaluate((el, r) => {
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
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) > 128) lit++;
    return lit;
  }, region);
}

async function previewLitPixels(page: Page): Promise<number> {
  return page.locator('[data-testid="input-preview"]').evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) > 0) lit++;
    return lit;
  });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), animations: "disabled" });
}

/** A finger needs a moment to travel from the canvas to the button; Chromium also drops a tap within ~0.1 s of a fast stroke's lift. */
const REACH_FOR_BUTTON_MS = 300;

async function clear(session: Session): Promise<void> {
  const box = await session.page.locator('[data-testid="clear"]').boundingBox();
  assert.ok(box !== null, "Clear is on screen");
  await new Promise((resolve) => setTimeout(resolve, REACH_FOR_BUTTON_MS));
  await tap(session.cdp, [box.x + box.width / 2, box.y + box.height / 2]);
  await session.page.locator('[data-testid="answer"][data-state="empty"]').waitFor({ timeout: ANSWER_TIMEOUT_MS });
}

async function assertCleared(page: Page): Promise<void> {
  assert.equal(await inkedPixels(page), 0, "the canvas is blank after Clear");
  assert.equal(await page.locator('[data-testid="answer"]').getAttribute("data-digit"), "");
  assert.equal(await previewLitPixels(page), 0, "the preview is blank after Clear");
  const percents = await page.locator('[data-testid="bar"] .bar-pct').allTextContents();
  assert.deepEqual(percents, Array<string>(10).fill(""), "the bars are empty after Clear");
}

/** Every element that matters lies inside the viewport, and the page cannot scroll. */
async function assertFits(page: Page, viewport: Viewport): Promise<void> {
  const metrics = await page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    const selectors = {
      canvas: '[data-testid="canvas"]',
      answer: '[data-testid="answer"]',
      preview: '[data-testid="input-preview"]',
      bars: ".bars",
      clear: '[data-testid="clear"]',
      status: '[data-testid="status"]',
    };
    // No named inner functions here: the test's transpiler would wrap them in a helper the page lacks.
    return {
      scrollWidth: root.scrollWidth,
      scrollHeight: root.scrollHeight,
      parts: Object.fromEntries(
        Object.entries(selectors).map(([name, sel]) => [name, document.querySelector(sel)?.getBoundingClientRect().toJSON() as DOMRect | undefined]),
      ),
    };
  });
  assert.ok(metrics.scrollWidth <= viewport.width && metrics.scrollHeight <= viewport.height, `no scrolling at ${viewport.name}`);
  for (const [name, r] of Object.entries(metrics.parts)) {
    assert.ok(r !== undefined, `${name} is rendered`);
    assert.ok(
      r.left >= 0 && r.top >= 0 && r.right <= viewport.width + 0.5 && r.bottom <= viewport.height + 0.5,
      `${name} fits in ${viewport.name}: ${JSON.stringify(r)}`,
    );
  }
  const clearBox = metrics.parts["clear"];
  const style = await page.evaluate(() => ({
    canvasTouchAction: getComputedStyle(document.querySelector('[data-testid="canvas"]') ?? document.body).touchAction,
    bodyUserSelect: getComputedStyle(document.body).userSelect,
  }));
  assert.deepEqual(style, { canvasTouchAction: "none", bodyUserSelect: "none" }, "no panning on the canvas, no text selection");
  assert.ok(clearBox !== undefined && clearBox.width >= 48 && clearBox.height >= 48, "Clear is a large touch target");
}

async function assertBars(page: Page): Promise<void> {
  const bars = page.locator('[data-testid="bar"]');
  assert.equal(await bars.count(), 10, "ten bars");
  assert.deepEqual(await page.locator('[data-testid="bar"] .bar-label').allTextContents(), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  const percents = await page.locator('[data-testid="bar"] .bar-pct').allTextContents();
  for (const p of percents) assert.match(p, /^\d{1,3}%$/, "each bar shows a percentage");
}

function assertOnlyRuntimeContacted(session: Session): void {
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

describe("kiosk e2e: real touch in Chromium against the runtime", { timeout: 300_000 }, () => {
  before(async () => {
    if (await isBuildStale()) await buildKiosk();
    await mkdir(SCREENSHOTS, { recursive: true });
    app = await startApp({ host: "127.0.0.1", port: 0, staticDir: DIST_DIR });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  for (const viewport of VIEWPORTS) {
    it(`reads 0, 1, 4 and 7 drawn with a finger at ${viewport.name}`, async () => {
      const session = await open(viewport);
      const { page, cdp } = session;
      try {
        await assertFits(page, viewport);
        await screenshot(page, `${viewport.name}-empty`);
        for (const digit of DIGITS) {
          await drawStrokes(cdp, placeStrokes(DIGIT_PATHS[digit], await canvasBox(page)));
          const answer = await settledAnswer(page);
          await screenshot(page, `${viewport.name}-${digit}`);
          assert.deepEqual(answer, { state: "digit", digit }, `drawn ${digit} at ${viewport.name}`);
          assert.ok((await inkedPixels(page)) > 0, "the stroke is painted on the canvas");
          assert.ok((await previewLitPixels(page)) > 0, "the preview shows what the model saw");
          await assertBars(page);
          await assertFits(page, viewport);
          await clear(session);
          await assertCleared(page);
        }
        assertOnlyRuntimeContacted(session);
      } finally {
        await session.context.close();
      }
    });
  }

  it("keeps the first finger's stroke when a second finger touches the canvas", async () => {
    const session = await open(VIEWPORTS[0] as Viewport);
    const { page, cdp } = session;
    try {
      const box = await canvasBox(page);
      const corner: Box = { x: 0, y: box.height * 0.85, width: box.width * 0.15, height: box.height * 0.15 };
      const other: PagePoint = [box.x + box.width * 0.05, box.y + box.height * 0.95];
      const [seven] = placeStrokes(DIGIT_PATHS["7"], box);
      assert.ok(seven !== undefined);
      await drawWithSecondFinger(cdp, seven, other);
      const answer = await settledAnswer(page);
      await screenshot(page, "two-fingers-7");
      assert.deepEqual(answer, { state: "digit", digit: "7" });
      assert.equal(await inkedPixels(page, corner), 0, "the second finger left no ink");
      assertOnlyRuntimeContacted(session);
    } finally {
      await session.context.close();
    }
  });

  it("shows reconnecting while the runtime restarts, then reconnects and answers again", async () => {
    const relay = new TcpRelay(app.port);
    const session = await open(VIEWPORTS[0] as Viewport, await relay.start());
    const { page, cdp } = session;
    try {
      relay.retarget(null);
      await app.stop();
      await page.locator('[data-testid="status"][data-status="reconnecting"]').waitFor({ timeout: ANSWER_TIMEOUT_MS });
      await screenshot(page, "reconnecting");
      app = await startApp({ host: "127.0.0.1", port: 0, staticDir: DIST_DIR });
      relay.retarget(app.port);
      await page.locator('[data-testid="status"][data-status="connected"]').waitFor({ timeout: ANSWER_TIMEOUT_MS });
      await drawStrokes(cdp, placeStrokes(DIGIT_PATHS["1"], await canvasBox(page)));
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "1" });
      assertOnlyRuntimeContacted(session);
    } finally {
      await session.context.close();
      await relay.stop();
    }
  });
});
