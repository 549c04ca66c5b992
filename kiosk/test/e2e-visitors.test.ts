// Proves, in real Chromium with real touch, that "Was I right?" stores labelled samples (PNG + JSON) when collectSamples is on, classroom mode shows every layer's activations at three screen sizes, the operator overlay opens only with the PIN and shows model and health, and the language comes from the config.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import type { RunningApp } from "@digit-kiosk/runtime/app";
import { DEFAULT_CONFIG } from "@digit-kiosk/runtime/config";
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
  screenshot,
  settledAnswer,
  startRuntime,
  tapOn,
  viewport,
  WAIT_MS,
  withKiosk,
  type Session,
} from "./harness.js";
import { drawStrokes, longPress, placeStrokes } from "./touch.js";

const PIN = "2468";

let app: RunningApp;
let browser: Browser;
let samplesDir: string;

interface StoredSample {
  label: number;
  predicted: number | null;
  correct: boolean;
  strokes: unknown[];
  image: string;
}

/** The samples stored under <samplesDir>/<digit>/, checked file by file. */
async function samplesOf(digit: number): Promise<StoredSample[]> {
  const dir = path.join(samplesDir, String(digit));
  const names = await readdir(dir).catch(() => [] as string[]);
  assert.deepEqual(names.filter((n) => n.startsWith(".")), [], "no temporary files left behind");
  const out: StoredSample[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    const sample = JSON.parse(await readFile(path.join(dir, name), "utf8")) as StoredSample;
    const png = await readFile(path.join(dir, sample.image));
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ["png", 28, 28, 1], "a 28x28 grey PNG beside the JSON");
    const data = await sharp(png).extractChannel(0).raw().toBuffer();
    assert.ok(data.some((v) => v > 128), "the PNG holds the ink");
    out.push(sample);
  }
  return out;
}

async function draw(session: Session, digit: keyof typeof DIGIT_PATHS): Promise<void> {
  await drawStrokes(session.cdp, placeStrokes(DIGIT_PATHS[digit], await canvasBox(session.page)));
}

/** Lit pixels per feature-map canvas of the network view. */
async function layerInk(page: Page): Promise<number[]> {
  const count = await byTestId(page, "layer-maps").count();
  const ink: number[] = [];
  for (let i = 0; i < count; i++) ink.push(await litPixels(page, `[data-testid="layer-maps"] >> nth=${i}`, undefined, 60));
  return ink;
}

describe("kiosk e2e: visitors, teachers and operators", { timeout: 180_000 }, () => {
  before(async () => {
    await prepare();
    samplesDir = await mkdtemp(path.join(os.tmpdir(), "dk-samples-"));
    app = await startRuntime({ collectSamples: true, samplesDir, operatorPin: PIN });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await rm(samplesDir, { recursive: true, force: true });
  });

  it("stores a sample when the visitor confirms the answer or taps the right digit, and says so on screen", async () => {
    await withKiosk(browser, viewport("1024x600"), app.port, async (session) => {
      const { page } = session;
      await byTestId(page, "collecting").waitFor({ timeout: WAIT_MS });

      await draw(session, "7");
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
      await tapOn(session, '[data-testid="feedback-yes"]');
      await byTestId(page, "feedback", '[data-phase="thanks"][data-stored="true"]').waitFor({ timeout: WAIT_MS });
      const [right] = await samplesOf(7);
      assert.ok(right !== undefined, "the confirmed 7 was stored under 7/");
      assert.deepEqual([right.label, right.predicted, right.correct], [7, 7, true]);
      assert.ok(right.strokes.length > 0, "with its strokes");
      await clearDrawing(session);

      await draw(session, "1");
      assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "1" });
      await tapOn(session, '[data-testid="feedback-no"]');
      await byTestId(page, "picker").waitFor({ timeout: WAIT_MS });
      await assertTouchTargets(page, "the digit picker");
      await assertFits(page, viewport("1024x600"), { picker: '[data-testid="picker"]', clear: '[data-testid="clear"]' });
      await screenshot(page, "feedback-picker-1024x600", { keep: true });
      await tapOn(session, '[data-testid="pick-digit"][data-digit="7"]');
      await byTestId(page, "feedback", '[data-phase="thanks"][data-stored="true"]').waitFor({ timeout: WAIT_MS });
      const sevens = await samplesOf(7);
      assert.equal(sevens.length, 2, "the drawing the visitor labelled 7 was stored under 7/");
      assert.ok(sevens.some((s) => s.predicted === 1 && s.label === 7 && !s.correct));
      assert.deepEqual(await samplesOf(1), [], "nothing stored under the wrong answer");
      await assertOnlyRuntimeContacted(session);
    });
  });

  for (const name of ["1280x800", "800x480", "480x800"]) {
    it(`classroom mode at ${name}: every layer's feature maps for the drawing, then the output`, async () => {
      const vp = viewport(name);
      await withKiosk(browser, vp, app.port, async (session) => {
        const { page } = session;
        await tapOn(session, '[data-testid="classroom-toggle"]');
        await byTestId(page, "network").waitFor({ timeout: WAIT_MS });
        assert.equal(await byTestId(page, "feedback").count(), 0, "no 'Was I right?' in classroom mode");
        await draw(session, "7");
        assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
        await byTestId(page, "network", '[data-layers="6"]').waitFor({ timeout: WAIT_MS });
        await page.waitForFunction(
          () => {
            const revision = document.querySelector('[data-testid="network"]')?.getAttribute("data-revision");
            return revision !== null && revision !== "-1";
          },
          undefined,
          { timeout: WAIT_MS },
        );
        const ink = await layerInk(page);
        assert.equal(ink.length, 7, "the input and six layers (conv, conv, pool, conv, conv, pool)");
        for (const [i, lit] of ink.entries()) assert.ok(lit > 0, `layer ${i} shows activations`);
        await assertFits(page, vp, {
          canvas: '[data-testid="canvas"]',
          network: '[data-testid="network"]',
          answer: '[data-testid="answer"]',
          clear: '[data-testid="clear"]',
          toggle: '[data-testid="classroom-toggle"]',
        });
        await assertTouchTargets(page, `classroom ${name}`);
        await screenshot(page, `classroom-${name}`, { keep: true });
        await tapOn(session, '[data-testid="classroom-toggle"]');
        await byTestId(page, "network").waitFor({ state: "detached", timeout: WAIT_MS });
        assert.ok((await litPixels(page)) > 0, "the drawing is kept (rescaled) when the layout changes");
        await assertOnlyRuntimeContacted(session);
      });
    });
  }

  it("opens the operator overlay with a long press in the corner and the PIN; shows model and health; clears", async () => {
    const vp = viewport("800x480");
    await withKiosk(browser, vp, app.port, async (session) => {
      const { page, cdp } = session;
      await draw(session, "1");
      await settledAnswer(page);
      await longPress(cdp, [vp.width - 20, 20], 2_400);
      await byTestId(page, "pin-pad").waitFor({ timeout: WAIT_MS });
      await assertTouchTargets(page, "the PIN pad");
      await assertFits(page, vp, { pad: '[data-testid="pin-pad"]', close: '[data-testid="op-close"]' });
      for (const key of "1111") await tapOn(session, `[data-testid="pin-key"][data-key="${key}"]`);
      await tapOn(session, '[data-testid="pin-ok"]');
      await byTestId(page, "pin-message", '[data-problem="wrong"]').waitFor({ timeout: WAIT_MS });
      assert.equal(await byTestId(page, "operator-status").count(), 0, "a wrong PIN shows nothing");
      await screenshot(page, "operator-pin-800x480", { keep: true });
      for (const key of PIN) await tapOn(session, `[data-testid="pin-key"][data-key="${key}"]`);
      await tapOn(session, '[data-testid="pin-ok"]');
      await byTestId(page, "operator-status").waitFor({ timeout: WAIT_MS });
      const model = (await byTestId(page, "op-model").textContent()) ?? "";
      const manifest = JSON.parse(readFileSync(path.join(DEFAULT_CONFIG.modelDir, "manifest.json"), "utf8")) as { name: string; version: string };
      assert.ok(model.includes(manifest.name) && model.includes(manifest.version), `the overlay names ${manifest.name} ${manifest.version}: ${model}`);
      const device = (await byTestId(page, "op-device").textContent()) ?? "";
      for (const row of [/CPU temperature/, /Throttling/, /Memory free.*\d/, /Disk free.*\d/, /Uptime/, /collecting, \d+ stored/]) assert.match(device, row);
      await assertTouchTargets(page, "the operator overlay");
      await assertFits(page, vp, { status: '[data-testid="operator-status"]', reload: '[data-testid="op-reload"]' });
      await screenshot(page, "operator-800x480", { keep: true });
      await tapOn(session, '[data-testid="op-clear"]');
      await tapOn(session, '[data-testid="op-close"]');
      await byTestId(page, "operator").waitFor({ state: "detached", timeout: WAIT_MS });
      assert.equal(await byTestId(page, "answer").getAttribute("data-state"), "empty", "the operator cleared the screen");
      await assertOnlyRuntimeContacted(session);
    });
  });

  it("speaks the configured language, and has no operator overlay without a PIN", async () => {
    const german = await startRuntime({ language: "de" });
    try {
      await withKiosk(browser, viewport("800x480"), german.port, async (session) => {
        const { page, cdp } = session;
        await page.waitForFunction(() => document.documentElement.lang === "de", undefined, { timeout: WAIT_MS });
        assert.equal((await byTestId(page, "clear").textContent())?.trim(), "Löschen");
        assert.equal(await page.title(), "Zeichne eine Ziffer");
        await longPress(cdp, [780, 20], 2_400);
        await page.waitForTimeout(300);
        assert.equal(await byTestId(page, "operator").count(), 0, "no overlay without an operatorPin");
        await draw(session, "7");
        assert.deepEqual(await settledAnswer(page), { state: "digit", digit: "7" });
        assert.match((await byTestId(page, "feedback").textContent()) ?? "", /Richtig erkannt\?/);
        await assertFits(page, viewport("800x480"), { answer: '[data-testid="answer"]', yes: '[data-testid="feedback-yes"]', no: '[data-testid="feedback-no"]' });
        await screenshot(page, "800x480-de");
        await assertOnlyRuntimeContacted(session);
      });
    } finally {
      await german.stop();
    }
  });
});
