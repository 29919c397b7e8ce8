import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { variableGrads } from './variable-grads.js';

/**
 * A small AlexNet-like stack in plain TF.js ops (this package sits below `@alexnet/layers`): conv with bias as the
 * `FusedConv2D` kernel (stride 2), ReLU, LRN, overlapping pooling, a second conv, two linear layers.
 */
function smallNet() {
  let seed = 11;
  const param = (name: string, shape: number[], std: number) =>
    tf.variable(tf.randomNormal(shape, 0, std, 'float32', seed++), true, name);
  const conv1 = { weight: param('conv1.weight', [5, 5, 3, 8], 0.1), bias: param('conv1.bias', [8], 0.1) };
  const conv2 = { weight: param('conv2.weight', [3, 3, 8, 6], 0.1), bias: param('conv2.bias', [6], 0.1) };
  const fc1 = { weight: param('fc1.weight', [6 * 7 * 7, 16], 0.05), bias: param('fc1.bias', [16], 0.05) };
  const fc2 = { weight: param('fc2.weight', [16, 5], 0.2), bias: param('fc2.bias', [5], 0.2) };
  const pad = (p: number) => [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
  // As @alexnet/layers' Conv2d runs it once registerGradients() is in place.
  const conv = (x: tf.Tensor, c: typeof conv1, stride: number, p: number) =>
    tf.engine().runKernel(tf.FusedConv2D, { x, filter: c.weight, bias: c.bias }, {
      strides: [stride, stride],
      pad: pad(p),
      dataFormat: 'NHWC',
      dilations: [1, 1],
      activation: 'linear',
      leakyreluAlpha: 0,
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  const forward = (x: tf.Tensor) => {
    let h: tf.Tensor = tf.relu(conv(x, conv1, 2, 2));
    h = tf.localResponseNormalization(h as tf.Tensor4D, 2, 2, 1e-4 / 5, 0.75);
    h = tf.maxPool(h as tf.Tensor4D, 3, 2, 'valid');
    h = tf.relu(conv(h, conv2, 1, 1));
    h = tf.reshape(h, [h.shape[0], -1]);
    h = tf.relu(tf.add(tf.matMul(h as tf.Tensor2D, fc1.weight as tf.Tensor2D), fc1.bias));
    return tf.add(tf.matMul(h as tf.Tensor2D, fc2.weight as tf.Tensor2D), fc2.bias);
  };
  return { forward, parameters: () => [conv1, conv2, fc1, fc2].flatMap((p) => [p.weight, p.bias]) };
}

/** Mean cross-entropy of softmax(logits) against integer labels. */
const softmaxCrossEntropy = (logits: tf.Tensor, labels: tf.Tensor) =>
  tf.neg(
    tf.mean(tf.sum(tf.mul(tf.oneHot(labels as tf.Tensor1D, logits.shape[1] as number), tf.logSoftmax(logits)), 1)),
  );

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
