// Proves the opt-in sample store: nothing is written when collecting is off; each sample is a 28x28 grey PNG of exactly the model's input plus its strokes as JSON under <dir>/<digit>/, written atomically, counted, and capped.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { renderStrokes } from "../src/preprocess/index.js";
import { countSamples, SampleStore, type NewSample, type SampleRecord } from "../src/samples/store.js";
import { sevenStrokes } from "./helpers.js";

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "dk-samples-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function sample(label: number, predicted: number | null = label): NewSample {
  const strokes = sevenStrokes();
  return { label, predicted, strokes, width: 800, height: 480, input: renderStrokes(strokes, 800, 480), model: { name: "m", version: "1" } };
}

test("with collecting off nothing is written, not even the folder", async () => {
  const dir = path.join(root, "off");
  const store = new SampleStore({ dir, enabled: false, maxSamples: 100 });
  await store.start();
  assert.equal(await store.save(sample(7)), null);
  await store.stop();
  await assert.rejects(stat(dir), /ENOENT/);
});

test("a sample is its PNG (the model's input, 28x28 grey, as the image-folder loader reads it) and its JSON", async () => {
  const dir = path.join(root, "on");
  const store = new SampleStore({ dir, enabled: true, maxSamples: 100 });
  await store.start();
  const input = sample(7, 1);
  const id = await store.save(input);
  assert.ok(id !== null);
  assert.deepEqual((await readdir(path.join(dir, "7"))).sort(), [`${id}.json`, `${id}.png`], "nothing else, no temporary files");
  const png = await readFile(path.join(dir, "7", `${id}.png`));
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ["png", 28, 28, 1]);
  // The loader's "grey" mode: flatten on black, greyscale, raw bytes.
  const pixels = await sharp(png).flatten({ background: "#000000" }).greyscale().raw().toBuffer();
  assert.deepEqual(new Uint8Array(pixels), input.input, "the PNG holds exactly what the model saw");
  const record = JSON.parse(await readFile(path.join(dir, "7", `${id}.json`), "utf8")) as SampleRecord;
  assert.deepEqual(
    { id: record.id, label: record.label, predicted: record.predicted, correct: record.correct, image: record.image, width: record.width, height: record.height },
    { id, label: 7, predicted: 1, correct: false, image: `${id}.png`, width: 800, height: 480 },
  );
  assert.deepEqual(record.strokes, input.strokes);
  assert.equal(record.preprocessing, "mnist-com-v1");
  assert.ok(!Number.isNaN(Date.parse(record.createdAt)));
  assert.equal(store.count, 1);
  await store.stop();
});

test("saves at the same moment all land, with distinct ids; a restart counts what is there", async () => {
  const dir = path.join(root, "many");
  const store = new SampleStore({ dir, enabled: true, maxSamples: 100 });
  await store.start();
  const ids = await Promise.all([0, 1, 2, 3, 3, 9].map((d) => store.save(sample(d))));
  assert.equal(new Set(ids).size, 6);
  assert.ok(ids.every((id) => id !== null));
  await store.stop();
  // A stray file that is not a sample PNG does not count.
  await mkdir(path.join(dir, "5"), { recursive: true });
  await writeFile(path.join(dir, "5", ".x.png.123.tmp"), "");
  assert.equal(await countSamples(dir), 6);
  const again = new SampleStore({ dir, enabled: true, maxSamples: 100 });
  await again.start();
  assert.equal(again.count, 6);
  await again.stop();
});

test("past maxSamples nothing more is stored", async () => {
  const dir = path.join(root, "full");
  const store = new SampleStore({ dir, enabled: true, maxSamples: 2 });
  await store.start();
  assert.notEqual(await store.save(sample(1)), null);
  assert.notEqual(await store.save(sample(2)), null);
  assert.equal(await store.save(sample(3)), null);
  assert.equal(await countSamples(dir), 2);
  await store.stop();
});
