// Proves the unattended exhibit behaviour in real Chromium with real touch: the not-sure answer, auto-clear and the attract mode after idle (ended at once by the first touch), reconnecting after the runtime restarts, and a second finger or a resting palm not breaking the stroke.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import type { RunningApp } from "@digit-kiosk/runtime/app";
import { DIGIT_PATHS, type UnitStroke } from "./digits.js";
import {
  assertOnlyRuntimeContacted,
  assertTouchTargets,
  byTestId,
  canvasBox,
  clearDrawing,
  launchBrowser,
  litPixels,
  openKiosk,
  pause,
  pointIn,
  prepare,
  screenshot,
  settledAnswer,
  startRuntime,
  viewport,
  WAIT_MS,
  withKiosk,
  type Box,
} from "./harness.js";
import { TcpRelay } from "./relay.js";
import { drawStrokes, drawWithPalmResting, drawWithPointer, drawWithSecondFinger, placeStrokes, touchDown, touchMoves, touchUp } from "./touch.js";

/** A zigzag: not a digit. */
const ZIGZAG: UnitStroke[] = [Array.from({ length: 24 }, (_, i): [number, number] => [0.15 + (i % 2) * 0.7, 0.05 + i * 0.039])];

const EXHIBIT = { confidenceThreshold: 0.999, clearAfterSeconds: 5, attractAfterSeconds: 8 };

let exhibit: RunningApp;
let plain: RunningApp;
let browser: Browser;

describe("kiosk e2e: exhibit behaviour", { timeout: 180_000 }, () => {
  before(async () => {
    await prepare();
    [exhibit, plain] = await Promise.all([startRuntime(EXHIBIT), startRuntime()]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([exhibit?.stop(), plain?.stop()]);
  });

  it("says it is not sure, clears itself when left alone, then attracts; the first touch ends that at once and draws", async () => {
    await withKiosk(browser, viewport("800x480"), exhibit.port, async (session) => {
      const { page, cdp } = session;
      await drawStrokes(cdp, placeStrokes(ZIGZAG, await canvasBox(page)));
      assert.deepEqual(await settledAnswer(page), { state: "unsure", digit: "" }, "a zigzag is answered 'not sure'");
      assert.match((await byTestId(page, "answer").textContent()) ?? "", /Not sure/);
      await byTestId(page, "feedback-tell").waitFor({ timeout: WAIT_MS });
      await assertTouchTargets(page, "not sure");
      await screenshot(page, "not-sure-800x480", { keep: true });

      // Nobody touches: first the drawing is cleared, later the attract mode starts.
      await byTestId(page, "answer", '[data-state="empty"]').waitFor({ timeout: WAIT_MS });
      assert.equal(await litPixels(page), 0, "the pad was cleared after idle seconds");
      assert.equal(await byTestId(page, "attract").count(), 0, "no attract mode before its idle time");
      await byTestId(page, "attract").waitFor({ timeout: WAIT_MS });
      await pause(1200); // let the demo stroke draw itself a little for the picture
      await screenshot(page, "attract-800x480", { keep: true, animations: "allow" });

      // The first touch ends it before the finger even moves, and that touch draws.
      const [one] = placeStrokes(DIGIT_PATHS["1"], await canvasBox(page));
      assert.ok(one !== undefined);
      await touchDown(cdp, one[0]!);
      assert.equal(await byTestId(page, "attract").count(), 0, "the attract mode ended on touch-down");
      await touchMoves(cdp, one.slice(1));
      await touchUp(cdp);
      assert.notEqual((await settledAnswer(page)).state, "empty");
      assert.ok((await litPixels(page)) > 0, "the touch that ended the attract mode drew");
      await assertOnlyRuntimeContacted(session);
    });
  });

  it("shows reconnecting while the runtime restarts, then reconnects by itself and answers again", async () => {
    const relay = new TcpRelay(plain.port);
    const session = await openKiosk(browser, viewport("800x480"), await relay.start());
    const { page, cdp } = session;
    try {
      await drawStrokes(cdp, placeStrokes(DIGIT_PATHS["7"], await canvasBox(page)));
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
      relay.retarget(null);
      await plain.stop();
      await byTestId(page, "status", '[data-status="reconnecting"]').waitFor({ timeout: WAIT_MS });
      await screenshot(page, "reconnecting-800x480", { keep: true });
      plain = await startRuntime();
      relay.retarget(plain.port);
      await byTestId(page, "status", '[data-status="connected"]').waitFor({ timeout: WAIT_MS });
      assert.ok((await litPixels(page)) > 0, "the drawing survived the restart, no page reload");
      await clearDrawing(session);
      await drawStrokes(cdp, placeStrokes(DIGIT_PATHS["1"], await canvasBox(page)));
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "1" }, "answers again after the restart");
      await assertOnlyRuntimeContacted(session);
    } finally {
      await session.context.close();
      await relay.stop();
    }
  });

  it("keeps the first finger's stroke when a second finger touches, and ignores a resting palm", async () => {
    await withKiosk(browser, viewport("800x480"), plain.port, async (session) => {
      const { page, cdp } = session;
      const box = await canvasBox(page);
      const corner: Box = { x: 0, y: box.height * 0.85, width: box.width * 0.15, height: box.height * 0.15 };
      const [seven] = placeStrokes(DIGIT_PATHS["7"], box);
      assert.ok(seven !== undefined);
      await drawWithSecondFinger(cdp, seven, pointIn(box, 0.05, 0.95));
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
      assert.equal(await litPixels(page, undefined, corner), 0, "the second finger left no ink");
      await clearDrawing(session);

      // A palm alone draws nothing.
      await touchDown(cdp, pointIn(box, 0.5, 0.8), { radius: 80 });
      await touchMoves(cdp, [pointIn(box, 0.55, 0.8), pointIn(box, 0.6, 0.82)], { radius: 80 });
      await touchUp(cdp);
      await pause(300);
      assert.equal(await litPixels(page), 0, "a palm leaves no ink");
      assert.equal(await byTestId(page, "answer").getAttribute("data-state"), "empty");

      // A palm resting first, then the finger draws: the finger's stroke counts, the palm's does not.
      await drawWithPalmResting(cdp, seven, pointIn(box, 0.1, 0.9));
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
      assert.equal(await litPixels(page, undefined, corner), 0, "the palm left no ink");
      await assertOnlyRuntimeContacted(session);
    });
  });

  it("draws with a mouse and with a pen too", async () => {
    await withKiosk(browser, viewport("1024x600"), plain.port, async (session) => {
      const { page, cdp } = session;
      for (const pointerType of ["mouse", "pen"] as const) {
        await drawWithPointer(cdp, placeStrokes(DIGIT_PATHS["4"], await canvasBox(page)), pointerType);
        assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "4" }, `a 4 drawn with a ${pointerType}`);
        await clearDrawing(session);
      }
      await assertOnlyRuntimeContacted(session);
    });
  });
});
