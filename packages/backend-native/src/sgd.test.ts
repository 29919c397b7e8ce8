import { expectClose, expectNoTensorLeak } from '@alexnet/test-utils';
import { SGD } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED_SGD_UPDATE } from './index.js';

const SETTINGS = [
  { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { lr: 0.1, momentum: 0.5, dampening: 0.3 },
  { lr: 0.2 },
  { lr: 0.2, weightDecay: 0.01 },
];

/** Ten SGD steps on a small problem with gradients that change every step; returns the final parameters. */
function train(backend: string, options: (typeof SETTINGS)[number], shareStorage = false): Float32Array[] {
  tf.setBackend(backend);
  const w = tf.variable(
    tf.tensor2d([
      [0.5, -1, 2],
      [0.25, 3, -0.75],
    ]),
    true,
    `w-${backend}-${Math.random()}`,
  );
  const b = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]), true, `b-${backend}-${Math.random()}`);
  const optimizer = new SGD({ w, b }, options);
  const x = tf.tensor2d([
    [1, 2],
    [-1, 0.5],
    [0.3, -2],
  ]);
  // A clone shares the variable's storage: the fused kernel must not change it in place then.
  const snapshot = shareStorage ? tf.clone(w) : null;
  const before = snapshot ? Float32Array.from(snapshot.dataSync()) : null;
  for (let step = 0; step < 10; step++) {
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.add(tf.matMul(x, w), b))), [w, b]);
    optimizer.step({ w: grads[w.name], b: grads[b.name] });
    tf.dispose([value, ...Object.values(grads)]);
  }
  if (snapshot && before) {
    expect(Float32Array.from(snapshot.dataSync())).toEqual(before);
    snapshot.dispose();
  }
  const result = [Float32Array.from(w.dataSync()), Float32Array.from(b.dataSync())];
  optimizer.dispose();
  tf.dispose([w, b, x]);
  tf.setBackend('native');
  return result;
}

describe("the fused SGD kernel under @alexnet/trainer's SGD", () => {
  it('is the kernel the trainer looks for', () => {
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'native')).toBeDefined();
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'cpu')).toBeUndefined();
  });

  it.each(SETTINGS)('gives the element-wise update of the CPU backend: %o', (options) => {
    const expected = train('cpu', options);
    const actual = train('native', options);
    actual.forEach((a, i) => {
      expectClose(a, expected[i], 1e-6, `parameter ${i}`);
    });
  });

  it('leaves tensors that share a parameter storage untouched and still updates the parameter', () => {
    const expected = train('cpu', SETTINGS[0]);
    const actual = train('native', SETTINGS[0], true);
    actual.forEach((a, i) => {
      expectClose(a, expected[i], 1e-6, `parameter ${i}`);
    });
  });

  it('adds no live tensors across steps', () => {
    const w = tf.variable(tf.randomNormal([64, 32]));
    const optimizer = new SGD({ w }, SETTINGS[0]);
    const x = tf.randomNormal([8, 64]);
    expectNoTensorLeak(() => {
      const { grads, value } = tf.variableGrads(() => tf.mean(tf.relu(tf.matMul(x, w))), [w]);
      optimizer.step({ w: grads[w.name] });
      tf.dispose([value, ...Object.values(grads)]);
    });
    optimizer.dispose();
    tf.dispose([w, x]);
  });

  it('says which argument is wrong', () => {
    const p = tf.zeros([3]);
    const g = tf.zeros([4]);
    expect(() =>
      tf.engine().runKernel(FUSED_SGD_UPDATE, { param: p, grad: g }, {
        lr: 0.1,
        momentum: 0,
        dampening: 0,
        weightDecay: 0,
        nesterov: false,
        first: false,
      } as unknown as tf.NamedAttrMap),
    ).toThrow(/grad must be float32 of shape \[3\], got float32 \[4\]/);
    tf.dispose([p, g]);
  });
});
