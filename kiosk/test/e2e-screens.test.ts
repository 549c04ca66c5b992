// Proves, at each of the five kiosk screens in real Chromium with real touch, that the layout fits with 48 px targets, answers stream while the finger moves, drawn 0, 1, 4 and 7 are read right, Clear works, and no request leaves the device.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { RunningApp } from "@digit-kiosk/runtime/app";
import { DIGIT_PATHS } from "./digits.js";
import {
  assertFits,
  assertOnlyRuntimeContacted,
  assertTouchTargets,
  byTestId,
  canvasBox,
  clearDrawing,
  launchBrowser,
  litPixels,
  prepare,
  previewLitPixels,
  screenshot,
  settledAnswer,
  startRuntime,
  VIEWPORTS,
  WAIT_MS,
  withKiosk,
} from "./harness.js";
import { drawStrokes, placeStrokes, touchDown, touchMoves, touchUp } from "./touch.js";

const PARTS = {
  canvas: '[data-testid="canvas"]',
  answer: '[data-testid="answer"]',
  preview: '[data-testid="input-preview"]',
  bars: ".bars",
  clear: '[data-testid="clear"]',
  toggle: '[data-testid="classroom-toggle"]',
  status: '[data-testid="status"]',
};

let app: RunningApp;
let browser: Browser;

async function assertBars(page: Page): Promise<void> {
  assert.equal(await byTestId(page, "bar").count(), 10, "ten bars");
  assert.deepEqual(await page.locator('[data-testid="bar"] .bar-label').allTextContents(), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  for (const p of await page.locator('[data-testid="bar"] .bar-pct').allTextContents()) assert.match(p, /^\d{1,3}%$/, "each bar shows a percentage");
}

async function assertCleared(page: Page): Promise<void> {
  assert.equal(await litPixels(page), 0, "the canvas is blank after Clear");
  assert.equal(await byTestId(page, "answer").getAttribute("data-digit"), "");
  assert.equal(await previewLitPixels(page), 0, "the preview is blank after Clear");
  assert.deepEqual(await page.locator('[data-testid="bar"] .bar-pct').allTextContents(), Array<string>(10).fill(""), "the bars are empty after Clear");
}

async function assertKioskHygiene(page: Page): Promise<void> {
  const style = await page.evaluate(() => ({
    canvasTouchAction: getComputedStyle(document.querySelector('[data-testid="canvas"]') ?? document.body).touchAction,
    bodyTouchAction: getComputedStyle(document.body).touchAction,
    bodyUserSelect: getComputedStyle(document.body).userSelect,
    overscroll: getComputedStyle(document.documentElement).overscrollBehaviorY,
    // false: a listener prevented the default (no long-press or right-click menu)
    contextMenuAllowed: document.querySelector('[data-testid="canvas"]')?.dispatchEvent(new MouseEvent("contextmenu", { bubbles: true, cancelable: true })),
  }));
  assert.deepEqual(
    style,
    { canvasTouchAction: "none", bodyTouchAction: "none", bodyUserSelect: "none", overscroll: "none", contextMenuAllowed: false },
    "no panning, pinch or double-tap zoom, pull-to-refresh, selection or context menu",
  );
}

describe("kiosk e2e: every screen size, real touch in Chromium against the runtime", { timeout: 240_000 }, () => {
  before(async () => {
    await prepare();
    app = await startRuntime();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  for (const vp of VIEWPORTS) {
    it(`at ${vp.name}: fits, streams answers while drawing, reads 7, 0, 1 and 4, clears`, async () => {
      await withKiosk(browser, vp, app.port, async (session) => {
        const { page, cdp } = session;
        await assertFits(page, vp, PARTS);
        await assertTouchTargets(page, vp.name);
        await assertKioskHygiene(page);
        assert.equal(await byTestId(page, "collecting").count(), 0, "no 'saved' notice while collectSamples is off");
        await screenshot(page, `${vp.name}-empty`);

        // Live: answers arrive while the finger is still down, then the final one after the lift.
        const [seven] = placeStrokes(DIGIT_PATHS["7"], await canvasBox(page));
        assert.ok(seven !== undefined);
        const half = Math.floor(seven.length * 0.6);
        await touchDown(cdp, seven[0]!);
        await touchMoves(cdp, seven.slice(1, half));
        const live = page.locator('[data-testid="answer"][data-settled="false"]:is([data-state="digit"], [data-state="unsure"])');
        await live.waitFor({ timeout: WAIT_MS });
        assert.ok((await litPixels(page)) > 0, "ink is painted while the finger moves");
        await touchMoves(cdp, seven.slice(half));
        await touchUp(cdp);
        assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" }, `drawn 7 at ${vp.name}`);
        assert.ok((await previewLitPixels(page)) > 0, "the preview shows what the model saw");
        await assertBars(page);
        await byTestId(page, "feedback", '[data-phase="ask"]').waitFor({ timeout: WAIT_MS });
        await assertFits(page, vp, { ...PARTS, yes: '[data-testid="feedback-yes"]', no: '[data-testid="feedback-no"]' });
        await assertTouchTargets(page, `${vp.name} with an answer`);
        await screenshot(page, vp.name, { keep: true });
        await clearDrawing(session);
        await assertCleared(page);

        for (const digit of ["0", "1", "4"] as const) {
          await drawStrokes(cdp, placeStrokes(DIGIT_PATHS[digit], await canvasBox(page)));
          assert.deepEqual(await settledAnswer(page), { state: "digit", digit }, `drawn ${digit} at ${vp.name}`);
          await screenshot(page, `${vp.name}-${digit}`);
          await clearDrawing(session);
          await assertCleared(page);
        }
        await assertOnlyRuntimeContacted(session);
      });
    });
  }
});
