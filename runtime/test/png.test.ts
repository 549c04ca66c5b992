// Proves a PNG of a drawing (dark-on-light, light-on-dark, or ink in alpha) becomes nearly the same 28x28 as the drawing's strokes, over POST /api/predict too, and that bad images get clear 400s.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import type { Stroke } from "../src/contracts/api.js";
import { renderStrokes } from "../src/preprocess/index.js";
import { DEFAULT_RENDER_OPTIONS } from "../src/preprocess/strokes.js";
import { createRaster, paintCapsule } from "../src/preprocess/raster.js";
import { preparePng } from "../src/preprocess/png.js";
import { postJson, sevenStrokes, startTestApp } from "./helpers.js";

type Style = "dark-on-light" | "light-on-dark" | "alpha";

/** Draws strokes on a W x H canvas as a person's drawing app would, with a round pen of the size-proportional width. */
async function drawingPng(strokes: Stroke[], width: number, height: number, style: Style): Promise<Buffer> {
  const xs = strokes.flat().map((p) => p[0]);
  const ys = strokes.flat().map((p) => p[1]);
  const size = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const r = (DEFAULT_RENDER_OPTIONS.penRatio * size) / 2;
  const raster = createRaster(width, height);
  for (const s of strokes) for (let k = 0; k < s.length; k++) paintCapsule(raster, s[Math.max(0, k - 1)]![0], s[Math.max(0, k - 1)]![1], s[k]![0], s[k]![1], r);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const ink = raster.data[i]!;
    const v = style === "dark-on-light" ? Math.round(255 * (1 - ink)) : style === "light-on-dark" ? Math.round(255 * ink) : 0;
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = style === "alpha" ? Math.round(255 * ink) : 255;
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

const four: Stroke[] = [
  [[180, 60], [120, 260], [300, 260]],
  [[250, 120], [250, 420]],
];

for (const style of ["dark-on-light", "light-on-dark", "alpha"] as const) {
  test(`a ${style} PNG gives nearly the same 28x28 as the strokes`, async () => {
    for (const strokes of [sevenStrokes(200, 60, 300), four]) {
      const fromStrokes = renderStrokes(strokes, 600, 480);
      const fromPng = await preparePng(await drawingPng(strokes, 600, 480, style));
      const diff = meanAbsDiff(fromStrokes, fromPng);
      assert.ok(diff < 3, `mean abs difference ${diff.toFixed(2)} of 255`);
    }
  });
}

test("an empty PNG gives an empty input", async () => {
  const blank = await sharp({ create: { width: 100, height: 80, channels: 3, background: "#ffffff" } }).png().toBuffer();
  assert.ok((await preparePng(blank)).every((v) => v === 0));
});

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(async () => {
  await app.stop();
});

async function postPng(body: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/api/predict`, { method: "POST", headers: { "content-type": "image/png" }, body: new Uint8Array(body).buffer });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test("POST /api/predict with image/png answers like the strokes of the same drawing", async () => {
  const strokes = sevenStrokes(150, 40, 350);
  const viaStrokes = await postJson(`${app.url}/api/predict`, { strokes, width: 640, height: 480 });
  for (const style of ["dark-on-light", "light-on-dark"] as const) {
    const viaPng = await postPng(await drawingPng(strokes, 640, 480, style));
    assert.equal(viaPng.status, 200, JSON.stringify(viaPng.json));
    assert.equal(viaPng.json.digit, 7);
    assert.equal(viaPng.json.digit, viaStrokes.json.digit);
    const a = viaPng.json.probabilities as number[];
    const b = viaStrokes.json.probabilities as number[];
    assert.ok(Math.max(...a.map((p, i) => Math.abs(p - b[i]!))) < 0.1);
  }
});

test("bad images get 400 naming the problem, and the server keeps answering", async () => {
  const garbage = await postPng(Buffer.from("definitely not a png"));
  assert.equal(garbage.status, 400);
  assert.match((garbage.json.error as { message: string }).message, /PNG/i);
  const jpeg = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#fff" } }).jpeg().toBuffer();
  const notPng = await postPng(jpeg);
  assert.equal(notPng.status, 400);
  const png = await drawingPng(sevenStrokes(), 640, 480, "dark-on-light");
  const truncated = await postPng(png.subarray(0, png.length >> 1));
  assert.equal(truncated.status, 400);
  const empty = await postPng(Buffer.alloc(0));
  assert.equal(empty.status, 400);
  const wide = await sharp({ create: { width: 5000, height: 2, channels: 3, background: "#fff" } }).png().toBuffer();
  const tooWide = await postPng(wide);
  assert.equal(tooWide.status, 400);
  assert.match((tooWide.json.error as { message: string }).message, /5000/);
  const ok = await postPng(png);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.digit, 7);
});
