import { readFileSync } from 'node:fs';
import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { sigmoidCrossEntropy, softmaxCrossEntropy } from './losses.js';
import { averageCrops, ClassificationMetrics } from './metrics.js';
import { MultiStepLR, paperSchedule, ReduceLROnPlateau, type ReduceLROnPlateauOptions, StepLR } from './schedulers.js';
import { SGD } from './sgd.js';

/** Written by scripts/fixtures/pytorch_trainer_reference.py from torch.optim and torch.nn.functional. */
const reference = JSON.parse(readFileSync(new URL('../fixtures/reference.json', import.meta.url), 'utf8'));
const SHAPES: Record<string, number[]> = {
  'conv.weight': [3, 2, 2, 2],
  'conv.bias': [3],
  'fc.weight': [4, 6],
  'fc.bias': [4],
};

interface SgdCase {
  name: string;
  groups: Array<{
    names: string[];
    lr: number;
    momentum?: number;
    dampening?: number;
    nesterov?: boolean;
    weight_decay?: number;
  }>;
  changeLrAt: [number, number] | null;
  initial: Record<string, number[]>;
  grads: Array<Record<string, number[]>>;
  trace: Record<string, Record<string, number[]>>;
  momentumBuffers: Record<string, number[]>;
}

describe('SGD against torch.optim.SGD', () => {
  for (const c of reference.sgd as SgdCase[]) {
    it(`${c.name}: weights after 1, 2, 10, 50 and 100 steps`, () => {
      const variables = Object.fromEntries(
        Object.entries(c.initial).map(([name, values]) => [name, tf.variable(tf.tensor(values, SHAPES[name]))]),
      );
      const optimizer = new SGD(
        c.groups.map((g) => ({
          params: Object.fromEntries(g.names.map((n) => [n, variables[n]])),
          lr: g.lr,
          momentum: g.momentum,
          dampening: g.dampening,
          nesterov: g.nesterov,
          weightDecay: g.weight_decay,
        })),
        { lr: c.groups[0].lr },
      );
      const before = tf.memory().numTensors;
      for (let step = 1; step <= c.grads.length; step++) {
        if (c.changeLrAt && step === c.changeLrAt[0]) optimizer.lr = c.changeLrAt[1];
        const grads = Object.fromEntries(
          Object.entries(c.grads[step - 1]).map(([n, v]) => [n, tf.tensor(v, SHAPES[n])]),
        );
        optimizer.step(grads);
        tf.dispose(Object.values(grads));
        if (step === 2)
          expect(tf.memory().numTensors, 'no tensors leak per step').toBe(
            before + Object.keys(c.momentumBuffers).length,
          );
        const expected = c.trace[String(step)];
        if (!expected) continue;
        for (const [name, values] of Object.entries(expected)) {
          expectClose(variables[name].dataSync(), values, step === 100 ? 1e-5 : 1e-6, `${c.name} step ${step} ${name}`);
        }
      }
      const state = optimizer.stateDict();
      expect(Object.keys(state.state).sort()).toEqual(Object.keys(c.momentumBuffers).sort());
      for (const [name, values] of Object.entries(c.momentumBuffers)) {
        expectClose(state.state[name].momentumBuffer.dataSync(), values, 1e-5, `${c.name} buffer ${name}`);
      }
      tf.dispose(Object.values(state.state).map((s) => s.momentumBuffer));
      optimizer.dispose();
      tf.dispose(Object.values(variables));
    });
  }

  it('continues identically after its state is saved and loaded into a new optimizer', () => {
    const c = (reference.sgd as SgdCase[]).find((s) => s.name === 'nesterov_wd') as SgdCase;
    const make = () =>
      Object.fromEntries(Object.entries(c.initial).map(([n, v]) => [n, tf.variable(tf.tensor(v, SHAPES[n]))]));
    const grad = (step: number) =>
      Object.fromEntries(Object.entries(c.grads[step]).map(([n, v]) => [n, tf.tensor(v, SHAPES[n])]));
    const options = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
    const a = make();
    const optA = new SGD(a, options);
    for (let s = 0; s < 10; s++) optA.step(grad(s));
    const b = Object.fromEntries(Object.entries(a).map(([n, v]) => [n, tf.variable(tf.clone(v))]));
    const optB = new SGD(b, { lr: 1 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0]).toMatchObject(options);
    for (let s = 10; s < 20; s++) {
      optA.step(grad(s));
      optB.step(grad(s));
    }
    for (const name of Object.keys(a)) expect(Array.from(b[name].dataSync())).toEqual(Array.from(a[name].dataSync()));
    expect(() => new SGD(a, { lr: 0.1 }).loadStateDict({ state: {}, paramGroups: [] })).toThrow(/0 parameter groups/);
  });

  it('validates its hyperparameters and groups like PyTorch', () => {
    const v = { w: tf.variable(tf.zeros([2])) };
    expect(() => new SGD(v, { lr: -1 })).toThrow(/lr must be a non-negative number/);
    expect(() => new SGD(v, { lr: 0.1, nesterov: true })).toThrow(
      /Nesterov momentum requires a momentum and zero dampening/,
    );
    expect(() => new SGD([{ params: v }, { params: v }], { lr: 0.1 })).toThrow(
      /"w" appears in more than one parameter group/,
    );
  });
});

describe('ReduceLROnPlateau against torch.optim.lr_scheduler.ReduceLROnPlateau', () => {
  const cases = reference.plateau as Array<{
    options: ReduceLROnPlateauOptions;
    metrics: number[];
    initialLrs: number[];
    lrs: number[][];
  }>;
  cases.forEach((c, index) => {
    it(`case ${index}: ${JSON.stringify(c.options)}`, () => {
      const optimizer = { paramGroups: c.initialLrs.map((lr) => ({ lr })) };
      const scheduler = new ReduceLROnPlateau(optimizer, c.options);
      const trace = c.metrics.map((metric) => {
        scheduler.step(metric ?? Number.NaN);
        return scheduler.getLastLr();
      });
      trace.forEach((lrs, epoch) => {
        expectClose(lrs, c.lrs[epoch], 1e-6, `epoch ${epoch + 1}`);
      });
    });
  });

  it('resumes from its state dict mid-sequence', () => {
    const c = cases[2];
    const straight = new ReduceLROnPlateau({ paramGroups: [{ lr: 0.1 }] }, c.options);
    for (const m of c.metrics) straight.step(m);
    const first = new ReduceLROnPlateau({ paramGroups: [{ lr: 0.1 }] }, c.options);
    for (const m of c.metrics.slice(0, 9)) first.step(m);
    const optimizer = { paramGroups: [{ lr: first.getLastLr()[0] }] };
    const second = new ReduceLROnPlateau(optimizer, c.options);
    second.loadStateDict(JSON.parse(JSON.stringify(first.stateDict())));
    for (const m of c.metrics.slice(9)) second.step(m);
    expect(second.getLastLr()).toEqual(straight.getLastLr());
    expect(second.stateDict()).toEqual(straight.stateDict());
  });
});

describe('epoch schedulers against torch.optim.lr_scheduler', () => {
  for (const c of reference.epochSchedulers as Array<{ kind: string; options: never; lr: number; lrs: number[] }>) {
    it(`${c.kind} ${JSON.stringify(c.options)}`, () => {
      const optimizer = { paramGroups: [{ lr: c.lr }] };
      const scheduler = c.kind === 'StepLR' ? new StepLR(optimizer, c.options) : new MultiStepLR(optimizer, c.options);
      const lrs = c.lrs.map(() => {
        scheduler.step();
        return scheduler.getLastLr()[0];
      });
      expectClose(lrs, c.lrs, 1e-9, c.kind);
    });
  }

  it('the 2014 paper schedule ends 250 times lower, dropping at 25%, 50% and 75% of training', () => {
    const optimizer = { paramGroups: [{ lr: 0.02 }] };
    const scheduler = paperSchedule(optimizer, 100);
    const lrs = Array.from({ length: 100 }, () => {
      scheduler.step();
      return optimizer.paramGroups[0].lr;
    });
    const drops = lrs.flatMap((lr, i) => (i > 0 && lr < lrs[i - 1] ? [i + 1] : []));
    expect(drops).toEqual([25, 50, 75]);
    expect(lrs[99]).toBeCloseTo(0.02 / 250, 12);
  });
});

describe('losses against torch.nn.functional', () => {
  const { logits, labels, cases } = reference.losses as {
    logits: number[][];
    labels: number[];
    cases: Record<string, { loss: number; grad: number[][] }>;
  };
  const functions: Record<string, (x: tf.Tensor, y: tf.Tensor) => tf.Scalar> = {
    softmax: (x, y) => softmaxCrossEntropy(x, y),
    'softmax_smoothing_0.1': (x, y) => softmaxCrossEntropy(x, y, { labelSmoothing: 0.1 }),
    sigmoid_mean: (x, y) => sigmoidCrossEntropy(x, y, { reduction: 'mean' }),
    sigmoid_batchmean: (x, y) => sigmoidCrossEntropy(x, y),
  };
  for (const [name, fn] of Object.entries(functions)) {
    it(`${name}: value and gradient`, () => {
      const x = tf.tensor2d(logits);
      const y = tf.tensor1d(labels, 'int32');
      const { value, grad } = tf.valueAndGrad((input: tf.Tensor) => fn(input, y))(x);
      expectClose(value.dataSync(), [cases[name].loss], 1e-6, `${name} loss`);
      expectClose(grad.dataSync(), cases[name].grad.flat(), 1e-6, `${name} grad`);
      tf.dispose([x, y, value, grad]);
    });
  }
});

describe('metrics', () => {
  it('counts top-1 and top-5 over images, so a short last batch weighs what it holds', async () => {
    const metrics = new ClassificationMetrics();
    const scores = tf.tensor2d([
      [9, 8, 7, 6, 5, 4], // label 0: top-1
      [9, 8, 7, 6, 5, 4], // label 4: top-5 only
      [9, 8, 7, 6, 5, 4], // label 5: neither
      [1, 2, 3, 4, 5, 6], // label 5: top-1
    ]);
    metrics.update(tf.slice(scores, [0, 0], [3, 6]), tf.tensor1d([0, 4, 5], 'int32'), 2);
    metrics.update(tf.slice(scores, [3, 0], [1, 6]), tf.tensor1d([5], 'int32'), tf.scalar(6));
    expect(await metrics.result()).toEqual({ loss: (2 * 3 + 6) / 4, top1: 2 / 4, top5: 3 / 4, count: 4 });
    metrics.reset();
    expect((await metrics.result()).count).toBe(0);
  });

  it('averages softmax probabilities over each image’s crops', () => {
    const logits = tf.tensor2d([
      [0, 0],
      [Math.log(3), 0],
      [0, 0],
      [0, 0],
    ]);
    const averaged = averageCrops(logits, 2);
    expectClose(averaged.dataSync(), [(0.5 + 0.75) / 2, (0.5 + 0.25) / 2, 0.5, 0.5], 1e-6, 'crops');
    expect(() => averageCrops(logits, 3)).toThrow(/do not divide into groups of 3 crops/);
    tf.dispose([logits, averaged]);
  });
});
