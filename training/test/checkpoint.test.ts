// Proves training resumes from its per-epoch checkpoint bit-identically (mix and plain set, with validation), refuses a checkpoint of another config, a corrupt one or none, and that the CLI's --resume checks its flags.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type * as tf from "@tensorflow/tfjs";
import { DEFAULT_AFFINE } from "../src/augment.js";
import { initBackend } from "../src/backend.js";
import { CHECKPOINT_FILE } from "../src/checkpoint.js";
import { PIXELS, type DigitSet } from "../src/data/dataset.js";
import { generatedSource, imageSource, SampleMix } from "../src/data/mix.js";
import { REPO_ROOT } from "../src/data/mnist-idx.js";
import { createTinyVgg } from "../src/model.js";
import { generateNonDigit } from "../src/non-digits/generate.js";
import { TRAIN_TEMPLATES } from "../src/non-digits/templates.js";
import { DEFAULT_TRAIN_CONFIG, tfjsLogits, trainTinyVgg, type EpochStats, type TrainConfig, type TrainOptions, type TrainResult, type Validation } from "../src/train.js";
import { createRandom } from "../src/util/random.js";

/** count noisy images: digit d is a bright bar whose position and direction depend on d. */
function syntheticSet(count: number, seed: number): DigitSet {
  const random = createRandom(seed);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const d = i % 10;
    labels[i] = d;
    for (let p = 0; p < PIXELS; p++) images[i * PIXELS + p] = random.int(40);
    for (let t = 4; t < 24; t++) {
      const [x, y] = d < 5 ? [4 + 4 * d, t] : [t, 4 + 4 * (d - 5)];
      images[i * PIXELS + y * 28 + x] = 200 + random.int(56);
    }
  }
  return { images, labels, count };
}

const CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, width: 3, epochs: 3, batchSize: 32, seed: 7 };
const KEY = JSON.stringify({ width: 3, epochs: 3, seed: 7 });
const train = syntheticSet(300, 1);
const held = syntheticSet(100, 2);

/** the untrained model's weights (createTinyVgg is seeded), filled in before the tests */
let initial: Float32Array[] = [];

/**
 * Scores how little the weights moved from their initial values, so the first epoch is the best and
 * the model returned is not the last epoch's; the held-out accuracy is reported beside it.
 */
const validation: Validation = {
  evaluate(model: tf.LayersModel) {
    let drift = 0;
    model.getWeights().forEach((w, i) => w.dataSync().forEach((v, j) => (drift += (v - initial[i]![j]!) ** 2)));
    const logits = tfjsLogits(model, held, held.count, CONFIG.normalization);
    let right = 0;
    for (let i = 0; i < held.count; i++) {
      let top = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + top]!) top = c;
      if (top === held.labels[i]) right++;
    }
    return { score: -Math.sqrt(drift), detail: { held: right / held.count } };
  },
};

/** A fresh mix of an image source and generated non-digits, same seed every time. */
const mix = (): SampleMix =>
  new SampleMix(
    [
      { source: imageSource("synthetic", train, DEFAULT_AFFINE), weight: 3 },
      { source: generatedSource("non-digits", 50, (random) => generateNonDigit(random, { templates: TRAIN_TEMPLATES, digits: [] })), weight: 1 },
    ],
    5,
  );

const weightBytes = (r: TrainResult): Buffer[] => r.model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).slice().buffer));
/** the values an uninterrupted run and a resumed one must share (not the timings) */
const numbers = (epochs: EpochStats[]) => epochs.map(({ epoch, loss, accuracy, images, learningRate, validation, validationDetail }) => ({ epoch, loss, accuracy, images, learningRate, validation, validationDetail }));

class Crash extends Error {}

/** Trains to the end while the onEpochEnd after epoch `crashAfter` throws, then resumes in a fresh run. */
async function crashAndResume(data: () => DigitSet | SampleMix, dir: string, crashAfter: number, options: TrainOptions): Promise<TrainResult> {
  const hooks = {
    onEpochEnd: (s: EpochStats) => {
      if (s.epoch === crashAfter) throw new Crash(`crash after epoch ${s.epoch}`);
    },
  };
  await assert.rejects(trainTinyVgg(data(), CONFIG, hooks, { ...options, checkpoint: { dir, key: KEY } }), Crash);
  const saved = JSON.parse(await readFile(path.join(dir, CHECKPOINT_FILE), "utf8")) as { epoch: number };
  assert.equal(saved.epoch, crashAfter);
  const started: number[] = [];
  const resumed = await trainTinyVgg(data(), CONFIG, { onEpochStart: (e) => started.push(e) }, { ...options, checkpoint: { dir, key: KEY, resume: true } });
  assert.deepEqual(started, Array.from({ length: CONFIG.epochs - crashAfter }, (_, i) => crashAfter + 1 + i), "continues at the next epoch");
  return resumed;
}

function assertSameRun(resumed: TrainResult, straight: TrainResult): void {
  assert.equal(straight.bestEpoch, 1, "the validation score prefers the first epoch");
  assert.equal(resumed.bestEpoch, straight.bestEpoch);
  assert.deepEqual(numbers(resumed.epochs), numbers(straight.epochs));
  assert.deepEqual(weightBytes(resumed), weightBytes(straight), "final weights are bit-identical");
}

describe("saved random and mix state", () => {
  it("restore(state()) continues a Random's sequence, and restoreState(saveState()) a mix's samples", () => {
    const a = createRandom(9);
    for (let i = 0; i < 5; i++) a.next();
    const b = createRandom(1);
    b.restore(a.state());
    assert.deepEqual(Array.from({ length: 5 }, () => b.next()), Array.from({ length: 5 }, () => a.next()));
    assert.throws(() => b.restore(-1), /random state must be a uint32/);

    const draw = (m: SampleMix, n: number): number[] => {
      const out = new Float32Array(PIXELS);
      const r = createRandom(3);
      return Array.from({ length: n }, () => m.next(out, 0, r, false) * 1000 + out.reduce((x, y) => x + y, 0));
    };
    const m1 = mix();
    draw(m1, 400); // past a wrap of the 300-image source
    const saved = m1.saveState();
    const m2 = mix();
    m2.restoreState(saved);
    assert.deepEqual(draw(m2, 200), draw(m1, 200));
    assert.throws(() => m2.restoreState({ ...saved, cursors: [0] }), /mix state does not fit this mix/);
  });
});

describe("training checkpoints", () => {
  let dir: string;
  let straightMix: TrainResult;
  before(async () => {
    await initBackend("wasm");
    const fresh = createTinyVgg({ width: CONFIG.width, seed: CONFIG.seed });
    initial = fresh.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    fresh.dispose();
    dir = await mkdtemp(path.join(tmpdir(), "checkpoint-"));
    straightMix = await trainTinyVgg(mix(), CONFIG, {}, { epochSize: 256, validation, checkpoint: { dir: path.join(dir, "straight"), key: KEY } });
  });
  after(async () => {
    straightMix.model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("a mix run crashed after epoch 1 and resumed ends bit-identical to an uninterrupted one", async () => {
    const resumed = await crashAndResume(mix, path.join(dir, "mix"), 1, { epochSize: 256, validation });
    assertSameRun(resumed, straightMix);
    resumed.model.dispose();
  });

  it("a data-set run crashed after epoch 2 and resumed ends bit-identical to an uninterrupted one", async () => {
    const straight = await trainTinyVgg(train, CONFIG, {}, { validation });
    const resumed = await crashAndResume(() => train, path.join(dir, "set"), 2, { validation });
    assertSameRun(resumed, straight);
    straight.model.dispose();
    resumed.model.dispose();
  });

  it("resuming a finished run's checkpoint trains nothing and returns its best weights", async () => {
    const started: number[] = [];
    const again = await trainTinyVgg(mix(), CONFIG, { onEpochStart: (e) => started.push(e) }, { epochSize: 256, validation, checkpoint: { dir: path.join(dir, "straight"), key: KEY, resume: true } });
    assert.deepEqual(started, []);
    assertSameRun(again, straightMix);
    again.model.dispose();
  });

  it("refuses another config, a corrupt or truncated data file, a missing checkpoint, and overwriting one", async () => {
    const src = path.join(dir, "straight");
    const options = (d: string, key = KEY): TrainOptions => ({ epochSize: 256, validation, checkpoint: { dir: d, key, resume: true } });
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, options(src, JSON.stringify({ width: 3, epochs: 4, seed: 7 }))), /was made with a different training config \(epochs: 3 in the checkpoint, 4 now\)/);
    await assert.rejects(trainTinyVgg(mix(), { ...CONFIG, learningRate: 0.003 }, {}, options(src)), /different training setup \(learningRate: 0.002 in the checkpoint, 0.003 now\)/);
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, options(path.join(dir, "none"))), /no checkpoint in .*none .*nothing to resume/);
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, { epochSize: 256, checkpoint: { dir: src, key: KEY } }), /already holds a checkpoint/);

    const copy = async (name: string): Promise<{ d: string; bin: string }> => {
      const d = path.join(dir, name);
      await cp(src, d, { recursive: true });
      const bin = (await readdir(d)).find((f) => f.endsWith(".bin"))!;
      return { d, bin: path.join(d, bin) };
    };
    const truncated = await copy("truncated");
    await truncate(truncated.bin, 100);
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, options(truncated.d)), /checkpoint data .* is truncated or overlong: 100 bytes, expected \d+/);
    const flipped = await copy("flipped");
    const bytes = await readFile(flipped.bin);
    bytes[bytes.length >> 1] ^= 1;
    await writeFile(flipped.bin, bytes);
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, options(flipped.d)), /checkpoint data .* is corrupt \(sha256 does not match checkpoint\.json\)/);
    const cut = await copy("cut-json");
    const json = await readFile(path.join(cut.d, CHECKPOINT_FILE), "utf8");
    await writeFile(path.join(cut.d, CHECKPOINT_FILE), json.slice(0, json.length >> 1));
    await assert.rejects(trainTinyVgg(mix(), CONFIG, {}, options(cut.d)), /checkpoint .*checkpoint\.json is not valid JSON/);
  });
});

describe("train CLI --resume", () => {
  const run = promisify(execFile);
  const train = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "training/src/cli/train.ts"), ...args], { cwd: REPO_ROOT, env: { ...process.env, npm_lifecycle_event: "" } });
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "resume-cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("needs --version or --out (usage error, exit 2) and an existing checkpoint (exit 1)", async () => {
    await assert.rejects(train(["--data", "embedded", "--resume"]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /--resume needs --version or --out/);
      return true;
    });
    const out = path.join(dir, "empty");
    await mkdir(out);
    await assert.rejects(train(["--data", "embedded", "--resume", "--out", out]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, new RegExp(`no checkpoint in ${path.join(out, "checkpoint")}`));
      return true;
    });
    assert.match((await train(["--help"])).stdout, /--resume .*\n.*\n.*\n[\s\S]*--checkpoint-dir DIR/);
  });
});
