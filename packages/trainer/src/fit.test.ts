import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { toyModel, toySource } from '../test/toy.js';
import { readCheckpoint } from './checkpoint.js';
import { NonFiniteLossError, TrainingInterruptedError } from './errors.js';
import { evaluate } from './evaluate.js';
import { fit } from './fit.js';
import { ReduceLROnPlateau, StepLR } from './schedulers.js';
import { SGD } from './sgd.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-trainer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function setup(seed = 1, lr = 0.05) {
  const { model, rng } = toyModel(seed);
  const optimizer = new SGD(model, { lr, momentum: 0.9, weightDecay: 5e-4 });
  const scheduler = new ReduceLROnPlateau(optimizer, { mode: 'max', factor: 0.5, patience: 0 });
  return { model, rng, optimizer, scheduler };
}

const trainData = toySource(48, 8, 7);
const valData = toySource(24, 10, 99);

describe('fit', () => {
  it('learns, logs a JSON line per epoch and keeps last and best checkpoints', async () => {
    const dir = join(tmp, 'learn');
    const { model, rng, optimizer, scheduler } = setup();
    const steps: number[] = [];
    const result = await fit({
      model,
      optimizer,
      scheduler,
      trainData,
      valData,
      epochs: 6,
      validateFirst: true,
      checkpointDir: dir,
      generators: [rng],
      logEvery: 3,
      config: { purpose: 'test' },
      onStepEnd: (e) => steps.push(e.step),
    });
    expect(result.history).toHaveLength(6);
    const last = result.history[5];
    expect(last.val?.top1).toBeGreaterThan(0.9);
    expect(last.train.count).toBe(48);
    expect(last.val?.count).toBe(24);
    expect(steps).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'validation', epoch: 0 });
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines.filter((l) => l.type === 'step').every((l) => l.step % 3 === 0 && Number.isFinite(l.loss))).toBe(true);
    const checkpoint = await readCheckpoint(join(dir, 'last.safetensors'));
    expect(checkpoint.state).toMatchObject({ epoch: 6, step: 36, config: { purpose: 'test' } });
    expect(Object.keys(checkpoint.weights)).toEqual(['0.weight', '0.bias', '5.weight', '5.bias']);
    expect(checkpoint.weights['0.weight'].shape).toEqual([4, 1, 3, 3]);
    expect(Object.keys(checkpoint.buffers)).toHaveLength(4);
    const best = await readCheckpoint(join(dir, 'best.safetensors'));
    expect(best.state.epoch).toBe(result.best?.epoch);
    expect(result.best?.metric).toBe('val.top1');
    // Written once per epoch: an improving epoch's best checkpoint is a second name of its last one.
    const sameFile = statSync(join(dir, 'best.safetensors')).ino === statSync(join(dir, 'last.safetensors')).ino;
    expect(sameFile).toBe(result.best?.epoch === 6);
    optimizer.dispose();
    model.dispose();
  });

  it('resumed from epoch 2 gives the same metrics and weights as the uninterrupted run', async () => {
    const straight = setup(3);
    const full = await fit({
      ...straight,
      trainData,
      valData,
      epochs: 4,
      checkpointDir: join(tmp, 'straight'),
      generators: [straight.rng],
    });
    const dir = join(tmp, 'resumed');
    const first = setup(3);
    await fit({ ...first, trainData, valData, epochs: 2, checkpointDir: dir, generators: [first.rng] });
    const second = setup(42, 0.3); // other seed and lr: everything must come from the checkpoint
    const resumed = await fit({
      ...second,
      trainData,
      valData,
      epochs: 4,
      checkpointDir: dir,
      resume: true,
      generators: [second.rng],
    });
    expect(resumed.startEpoch).toBe(2);
    const strip = (r: (typeof full.history)[number]) => ({ ...r, seconds: 0, imagesPerSecond: 0 });
    expect(resumed.history.map(strip)).toEqual(full.history.map(strip));
    second.model.namedParameters().forEach(([name, v], i) => {
      expect(Array.from(v.dataSync()), name).toEqual(Array.from(straight.model.parameters()[i].dataSync()));
    });
    for (const s of [straight, first, second]) {
      s.optimizer.dispose();
      s.model.dispose();
    }
  });

  it('accumulating gradients over 4 batches of 2 equals one step on a batch of 8', async () => {
    const run = async (batch: number, accumulate: number) => {
      const { model, optimizer } = setup(5);
      model.eval(); // no dropout: both runs must see the same function
      model.train = () => model; // keep eval mode during fit
      await fit({
        model,
        optimizer,
        trainData: toySource(8, batch, 3),
        epochs: 1,
        gradAccumulation: accumulate,
        logFile: null,
      });
      const values = model.parameters().map((v) => Array.from(v.dataSync()));
      optimizer.dispose();
      model.dispose();
      return values;
    };
    const big = await run(8, 1);
    const small = await run(2, 4);
    for (const [i, values] of big.entries()) {
      for (const [j, v] of values.entries()) expect(small[i][j]).toBeCloseTo(v, 6);
    }
  });

  it('stops with a clear error on a NaN loss and keeps the last good checkpoint whole', async () => {
    const dir = join(tmp, 'nan');
    const { model, rng, optimizer } = setup(2);
    // After a good first epoch the rate jumps a trillion-fold, so epoch 2 diverges.
    const scheduler = new StepLR(optimizer, { stepSize: 1, gamma: 1e12 });
    let afterEpoch1: Buffer | null = null;
    const run = fit({
      model,
      optimizer,
      scheduler,
      trainData,
      epochs: 3,
      checkpointDir: dir,
      generators: [rng],
      logEvery: 1,
      onEpochEnd: () => {
        afterEpoch1 ??= readFileSync(join(dir, 'last.safetensors'));
      },
    });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow(
      /Loss is (NaN|Infinity) at epoch 2, step \d+: training stopped.*last good checkpoint is .*last\.safetensors \(epoch 1\)/,
    );
    expect(afterEpoch1).not.toBeNull();
    expect(readFileSync(join(dir, 'last.safetensors')).equals(afterEpoch1 as unknown as Buffer)).toBe(true);
    expect((await readCheckpoint(join(dir, 'last.safetensors'))).state.epoch).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('stops after the current step when aborted, saving the interrupted weights', async () => {
    const dir = join(tmp, 'abort');
    const { model, rng, optimizer } = setup(4);
    const controller = new AbortController();
    const run = fit({
      model,
      optimizer,
      trainData,
      epochs: 5,
      checkpointDir: dir,
      generators: [rng],
      signal: controller.signal,
      onStepEnd: (e) => {
        if (e.epoch === 2 && e.batch === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(TrainingInterruptedError);
    await expect(run).rejects.toThrow(
      /interrupted during epoch 2 after 2 batches\. Resume from .*last\.safetensors \(epoch 1\)/,
    );
    expect((await readCheckpoint(join(dir, 'last.safetensors'))).state.epoch).toBe(1);
    expect(existsSync(join(dir, 'interrupted.safetensors'))).toBe(true);
    optimizer.dispose();
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over 200 steps', async () => {
    const { model, rng, optimizer, scheduler } = setup(6);
    const counts: number[] = [];
    await fit({
      model,
      optimizer,
      scheduler,
      trainData: toySource(40, 2, 1),
      valData,
      epochs: 10,
      logEvery: 7,
      generators: [rng],
      logFile: null,
      onEpochEnd: () => counts.push(tf.memory().numTensors),
    });
    expect(counts).toHaveLength(10);
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });
});

describe('evaluate', () => {
  it('counts over images, restores training mode and averages crops', async () => {
    const { model } = setup(8);
    model.train();
    const plain = await evaluate(model, valData);
    expect(plain.count).toBe(24);
    expect(model.training).toBe(true);
    // Every image twice in a row is a two-crop batch with one label per image: same top-1 as the plain pass.
    const doubled = function* () {
      for (const { images, labels } of valData(0)) {
        const twice = tf.tidy(() => tf.reshape(tf.stack([images, images], 1), [-1, 8, 8, 1]));
        images.dispose();
        yield { images: twice, labels };
      }
    };
    const cropped = await evaluate(model, doubled(), { crops: 2 });
    expect(cropped.count).toBe(24);
    expect(cropped.top1).toBe(plain.top1);
    expect(cropped.loss).toBeCloseTo(plain.loss, 5);
    model.dispose();
  });

  it("scores only the images a loader's batches hold and says how many bad files were left out", async () => {
    const { model } = setup(8);
    const plain = await evaluate(model, valData);
    expect(plain.skipped).toBeUndefined(); // data that says nothing of bad files gets no count
    // The same images, as a loader with 'skip' gives them: each batch saying what it left out, and a last batch of
    // no images carrying the count of a trailing batch of bad files.
    const skipping = function* () {
      for (const batch of valData(0)) yield { ...batch, skipped: 1, substituted: 0 };
      yield { images: tf.zeros([0, 8, 8, 1]), labels: tf.tensor1d([], 'int32'), skipped: 2, substituted: 0 };
    };
    const before = tf.memory().numTensors;
    const skipped = await evaluate(model, skipping());
    expect(tf.memory().numTensors).toBe(before);
    expect(skipped).toEqual({ ...plain, skipped: 3 + 2, substituted: 0 });
    model.dispose();
  });
});

describe('bad-file counts in training', () => {
  it("an epoch's record says how many samples were left out or replaced; an empty batch trains nothing", async () => {
    const { model, rng, optimizer } = setup(9);
    const scheduler = new StepLR(optimizer, { stepSize: 1 });
    const source = toySource(16, 8, 5);
    const trainData = function* (epoch: number) {
      for (const batch of source(epoch)) yield { ...batch, skipped: 0, substituted: 2 };
      yield { images: tf.zeros([0, 8, 8, 1]), labels: tf.tensor1d([], 'int32'), skipped: 1, substituted: 0 };
    };
    const steps: number[] = [];
    const result = await fit({
      model,
      optimizer,
      scheduler,
      trainData,
      epochs: 1,
      generators: [rng],
      logFile: null,
      onStepEnd: (e) => steps.push(e.step),
    });
    expect(result.history[0].train).toMatchObject({ count: 16, skipped: 1, substituted: 4 });
    expect(steps).toEqual([1, 2]);
    optimizer.dispose();
    model.dispose();
  });
});
