import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createModel } from './registry.js';

describe.each(['alexnet_v1', 'alexnet_v2'])('%s at full size', (name) => {
  it('runs forward and backward on a batch of 2 at 224x224 with the right shapes and finite gradients', () => {
    const model = createModel(name, { seed: 1, init: 'pytorch' });
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 1);
    const labels = tf.oneHot(tf.tensor1d([3, 999], 'int32'), 1000);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(
      () => tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(model.forward(x))), 1)))) as tf.Scalar,
      model.parameters(),
    );
    const loss = value.dataSync()[0];
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    for (const variable of model.parameters()) {
      const grad = grads[variable.name];
      expect(grad.shape).toEqual(variable.shape);
      expect(tf.tidy(() => tf.all(tf.isFinite(grad)).dataSync()[0])).toBe(1);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.eval();
    const logits = model.forward(x);
    expect(logits.shape).toEqual([2, 1000]);
    tf.dispose([x, labels, logits]);
    model.dispose();
  });
});
