// A user's own optimiser and scheduler trained through fit: the interfaces are all fit needs, checkpoints included.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { fit } from './fit.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { ReduceLROnPlateau, type Scheduler } from './schedulers.js';
import { SGD } from './sgd.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-trainer-custom-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Adagrad without epsilon: `sumOfSquares += g * g; w -= lr * g / sqrt(sumOfSquares)`. */
class ToyAdagrad implements Optimizer {
  readonly paramGroups: Array<{ lr: number; params: Array<[string, tf.Variable]> }>;
  private readonly sums = new Map<string, tf.Variable>();

  constructor(params: Array<[string, tf.Variable]>, lr: number) {
    this.paramGroups = [{ lr, params }];
  }

  step(grads: Record<string, tf.Tensor>): void {
    const [{ lr, params }] = this.paramGroups;
    tf.tidy(() => {
      for (const [name, variable] of params) {
        const grad = grads[name];
        if (!grad) continue;
        let sum = this.sums.get(name);
        if (!sum) this.sums.set(name, (sum = tf.variable(tf.zerosLike(variable), false)));
        sum.assign(tf.add(sum, tf.square(grad)));
        variable.assign(tf.sub(variable, tf.mul(lr, tf.div(grad, tf.sqrt(sum)))));
      }
    });
  }

  stateDict(): OptimizerState {
    const state: OptimizerState['state'] = {};
    for (const [name, sum] of this.sums) state[name] = { sumOfSquares: tf.clone(sum) };
    const [{ lr, params }] = this.paramGroups;
    return { state, paramGroups: [{ lr, params: params.map(([name]) => name) }] };
  }

  loadStateDict(saved: OptimizerState): void {
    this.paramGroups[0].lr = saved.paramGroups[0].lr;
    this.dispose();
    for (const [name, { sumOfSquares }] of Object.entries(saved.state)) {
      this.sums.set(name, tf.variable(tf.clone(sumOfSquares), false));
    }
  }

  dispose(): void {
    for (const sum of this.sums.values()) sum.dispose();
    this.sums.clear();
  }
}

/** Halves every rate after each epoch and keeps the metrics fit passes it. */
class Halving implements Scheduler {
  lastEpoch = 0;
  readonly metrics: Array<number | undefined> = [];

  constructor(private readonly optimizer: { paramGroups: Array<{ lr: number }> }) {}

  step(metric?: number): void {
    this.lastEpoch += 1;
    this.metrics.push(metric);
    for (const group of this.optimizer.paramGroups) group.lr /= 2;
  }

  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.lastEpoch = Number(state.lastEpoch);
  }
}

/** `logits = x W` with W `[2, 2]` starting at zero; no state dict, so checkpoints hold the variable itself. */
function linearModel() {
  const weight = tf.variable(tf.zeros([2, 2]));
  const model = {
    weight,
    namedParameters: (): Array<[string, tf.Variable]> => [['weight', weight]],
    forward: (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, weight),
    train: () => model,
    eval: () => model,
  };
  return model;
}

/** `sum(logits) / n`: linear in W, so every batch's gradient is the column mean of x broadcast over W's columns. */
const sumLoss = (logits: tf.Tensor) => tf.div(tf.sum(logits), logits.shape[0] as number) as tf.Scalar;

/** Two batches an epoch, each x = [[1, 2], [3, 4]]: the gradient is [[2, 2], [3, 3]] at every step. */
function* twoBatches() {
  for (let i = 0; i < 2; i++) yield { images: tf.tensor2d([1, 2, 3, 4], [2, 2]), labels: tf.tensor1d([0, 1], 'int32') };
}

/**
 * By hand: after k steps `sumOfSquares = k g^2`, so step k moves every weight by `-lr * g / sqrt(k g^2) =
 * -lr / sqrt(k)` whatever g; the rate is 0.1 in epoch 1, 0.05 in epoch 2, 0.025 in epoch 3.
 */
function handWeights(steps: number): number[] {
  let w = 0;
  const trace = [0];
  for (let k = 1; k <= steps; k++) {
    w -= 0.1 / 2 ** Math.floor((k - 1) / 2) / Math.sqrt(k);
    trace.push(w);
  }
  return trace;
}

describe('a custom optimiser and scheduler through fit', () => {
  it('train to the hand-computed weights, the scheduler stepped with the monitored metric', async () => {
    const model = linearModel();
    const optimizer = new ToyAdagrad(model.namedParameters(), 0.1);
    const scheduler = new Halving(optimizer);
    const before = tf.memory().numTensors;
    const result = await fit({ model, optimizer, scheduler, loss: sumLoss, trainData: twoBatches, epochs: 3 });
    const w = handWeights(6);
    const weights = Array.from(model.weight.dataSync());
    for (const value of weights) expect(value).toBeCloseTo(w[6], 6);
    expect(w[6]).toBeCloseTo(
      -0.1 * (1 + 1 / Math.SQRT2) - 0.05 * (1 / Math.sqrt(3) + 0.5) - 0.025 * (1 / Math.sqrt(5) + 1 / Math.sqrt(6)),
      12,
    );
    // The loss of a batch is 10 w (x sums to 10; two columns, over 2 images), taken before its step; no validation
    // data, so fit monitors train.loss and hands it to the scheduler.
    const epochLosses = [0, 1, 2].map((e) => (10 * w[2 * e] + 10 * w[2 * e + 1]) / 2);
    expect(scheduler.metrics).toHaveLength(3);
    for (const [e, metric] of scheduler.metrics.entries()) expect(metric).toBeCloseTo(epochLosses[e], 5);
    expect(scheduler.metrics).toEqual(result.history.map((r) => r.train.loss));
    expect(result.history.map((r) => r.lr)).toEqual([0.1, 0.05, 0.025]);
    expect(result.best).toMatchObject({ metric: 'train.loss', epoch: 3 });
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.weight.dispose();
  });

  it('checkpoints its state as optimizer.<name>.<state_name> and resumes exactly', async () => {
    const straight = linearModel();
    const straightOptimizer = new ToyAdagrad(straight.namedParameters(), 0.1);
    await fit({
      model: straight,
      optimizer: straightOptimizer,
      scheduler: new Halving(straightOptimizer),
      loss: sumLoss,
      trainData: twoBatches,
      epochs: 3,
      logFile: null,
    });

    const dir = join(tmp, 'resume');
    const first = linearModel();
    const firstOptimizer = new ToyAdagrad(first.namedParameters(), 0.1);
    await fit({
      model: first,
      optimizer: firstOptimizer,
      scheduler: new Halving(firstOptimizer),
      loss: sumLoss,
      trainData: twoBatches,
      epochs: 1,
      checkpointDir: dir,
    });
    const bytes = readFileSync(join(dir, 'last.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header).sort()).toEqual(['__metadata__', 'model.weight', 'optimizer.weight.sum_of_squares']);
    const checkpoint = await readCheckpoint(join(dir, 'last.safetensors'));
    // Two steps of g = [[2, 2], [3, 3]]: 2 g^2.
    expect(Array.from(checkpoint.optimizerState.weight.sumOfSquares.data)).toEqual([8, 8, 18, 18]);
    expect(checkpoint.buffers).toEqual({});
    expect(checkpoint.state.optimizer).toEqual([{ lr: 0.05, params: ['weight'] }]);
    expect(checkpoint.state.scheduler).toEqual({ lastEpoch: 1 });

    const second = linearModel(); // zero weights, another rate and no state: all of it must come from the file
    const secondOptimizer = new ToyAdagrad(second.namedParameters(), 7);
    const secondScheduler = new Halving(secondOptimizer);
    const resumed = await fit({
      model: second,
      optimizer: secondOptimizer,
      scheduler: secondScheduler,
      loss: sumLoss,
      trainData: twoBatches,
      epochs: 3,
      checkpointDir: dir,
      resume: true,
    });
    expect(resumed.startEpoch).toBe(1);
    expect(secondScheduler.lastEpoch).toBe(3);
    expect(Array.from(second.weight.dataSync())).toEqual(Array.from(straight.weight.dataSync()));
    for (const optimizer of [straightOptimizer, firstOptimizer, secondOptimizer]) optimizer.dispose();
    for (const model of [straight, first, second]) model.weight.dispose();
  });
});

describe('the Optimizer and Scheduler contracts of the built-in classes', () => {
  it('ReduceLROnPlateau stepped without its metric says so', () => {
    const scheduler = new ReduceLROnPlateau({ paramGroups: [{ lr: 0.1 }] });
    expect(() => scheduler.step()).toThrow(/ReduceLROnPlateau.step needs the epoch's metric/);
    expect(scheduler.lastEpoch).toBe(0);
  });

  it("SGD refuses another optimiser's state by name", () => {
    const w = tf.variable(tf.zeros([2]));
    const sgd = new SGD({ w }, { lr: 0.1, momentum: 0.9 });
    const sumOfSquares = tf.ones([2]);
    expect(() =>
      sgd.loadStateDict({ state: { w: { sumOfSquares } }, paramGroups: [{ lr: 0.1, params: ['w'] }] } as never),
    ).toThrow(/Optimizer state of "w" holds sumOfSquares, not SGD's momentumBuffer/);
    tf.dispose([w, sumOfSquares]);
    sgd.dispose();
  });
});
