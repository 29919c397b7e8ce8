import {
  Conv2d,
  Flatten,
  Generator,
  Linear,
  LocalResponseNorm,
  MaxPool2d,
  PAPER_LRN,
  ReLU,
  Sequential,
} from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { variableGrads } from './gradients.js';
import { softmaxCrossEntropy } from './losses.js';

/** A small AlexNet-like stack: conv (stride 2), ReLU, LRN, overlapping pooling, two linear layers. */
function smallNet(): Sequential {
  const rng = new Generator(11);
  return new Sequential([
    new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 5, stride: 2, padding: 2, rng }),
    new ReLU(),
    new LocalResponseNorm(PAPER_LRN),
    new MaxPool2d({ kernelSize: 3, stride: 2 }),
    new Conv2d({ inChannels: 8, outChannels: 6, kernelSize: 3, padding: 1, rng }),
    new ReLU(),
    new Flatten(),
    new Linear({ inFeatures: 6 * 7 * 7, outFeatures: 16, rng }),
    new ReLU(),
    new Linear({ inFeatures: 16, outFeatures: 5, rng }),
  ]);
}

describe('variableGrads', () => {
  const net = smallNet();
  const vars = net.parameters();
  const x = tf.randomNormal([4, 31, 31, 3], 0, 1, 'float32', 12);
  const labels = tf.tensor1d([0, 3, 1, 4], 'int32');
  // The loss reads each weight twice (the network and an L2 term) and the input twice (a skip of the first layer's
  // output into the loss), so gradients are summed both for variables and for intermediate tensors.
  const loss = () =>
    tf.tidy(() => {
      const first = net.forward(x);
      return tf.addN([
        softmaxCrossEntropy(first, labels),
        tf.mul(1e-3, tf.addN(vars.map((v) => tf.sum(tf.square(v))))),
        tf.mul(1e-2, tf.mean(tf.square(first))),
      ]) as tf.Scalar;
    });

  it("gives exactly TF.js's value and gradients", () => {
    const expected = tf.variableGrads(loss, vars);
    const actual = variableGrads(loss, vars);
    expect(actual.value.dataSync()).toEqual(expected.value.dataSync());
    expect(Object.keys(actual.grads)).toEqual(Object.keys(expected.grads));
    for (const name of Object.keys(expected.grads)) {
      expect(actual.grads[name].shape).toEqual(expected.grads[name].shape);
      expect(actual.grads[name].dataSync(), name).toEqual(expected.grads[name].dataSync());
    }
    tf.dispose([expected.value, actual.value, ...Object.values(expected.grads), ...Object.values(actual.grads)]);
  });

  it("frees the backward pass's intermediates as it goes: a lower peak than TF.js's, and no tensor left", async () => {
    const peak = async (grads: typeof variableGrads) => {
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        const { value, grads: g } = grads(loss, vars);
        tf.dispose([value, ...Object.values(g)]);
      });
      expect(tf.memory().numTensors).toBe(before);
      return profile.peakBytes;
    };
    const theirs = await peak(tf.variableGrads);
    const ours = await peak(variableGrads);
    // The forward activations alone (the floor both share) are about half of TF.js's peak here.
    expect(ours).toBeLessThan(0.8 * theirs);
  });

  it('keeps only the gradients still to be read: a chain of 20 negations needs a few, not 20', async () => {
    const start = tf.variable(tf.ones([10_000]), true, 'start');
    // Negation saves nothing for its gradient, and each link is freed once the next exists (as PyTorch would), so
    // what the backward pass holds is the gradients themselves.
    const chain = () => {
      let h: tf.Tensor = start;
      for (let i = 0; i < 20; i++) {
        const next = tf.neg(h);
        if (h !== start) h.dispose();
        h = next;
      }
      return tf.sum(h) as tf.Scalar;
    };
    const peakOf = async (grads: typeof variableGrads) => {
      const profile = await tf.profile(() => {
        const { value, grads: g } = grads(chain, [start]);
        expect(g.start.dataSync()[0]).toBe(1);
        tf.dispose([value, ...Object.values(g)]);
      });
      return profile.peakBytes;
    };
    const activation = 40_000;
    expect(await peakOf(tf.variableGrads)).toBeGreaterThan(20 * activation);
    expect(await peakOf(variableGrads)).toBeLessThan(10 * activation);
    start.dispose();
  });

  it('names a variable the loss does not depend on, and leaves nothing behind', () => {
    const unused = tf.variable(tf.zeros([2]), true, 'unused');
    const before = tf.memory().numTensors;
    expect(() => variableGrads(loss, [...vars, unused])).toThrow(/unused does not affect the loss/);
    expect(tf.memory().numTensors).toBe(before);
    const { value, grads } = variableGrads(loss, vars);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    unused.dispose();
  });
});
