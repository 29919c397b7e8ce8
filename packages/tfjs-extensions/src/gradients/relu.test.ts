import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RELU_GRAD } from '../kernel-names.js';
import { registerReluGradient } from './relu.js';

describe('registerReluGradient', () => {
  const reluGrad = (x: tf.Tensor, dy: tf.Tensor) => tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy);

  it("keeps TF.js's dy * step(x) on a backend without the kernel, and is idempotent", () => {
    registerReluGradient();
    const installed = tf.getGradient(tf.Relu);
    registerReluGradient();
    expect(tf.getGradient(tf.Relu)).toBe(installed);
    const dx = reluGrad(tf.tensor1d([-1, 0, 2, 3]), tf.tensor1d([5, 6, 7, 8]));
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 7, 8]);
  });

  it(`runs the active backend's ${RELU_GRAD} kernel where it registers one`, () => {
    registerReluGradient();
    const backend = tf.getBackend();
    const calls: string[][] = [];
    tf.registerKernel({
      kernelName: RELU_GRAD,
      backendName: backend,
      // A stand-in that says it ran: dy itself.
      kernelFunc: ({ inputs, backend: b }) => {
        calls.push(Object.keys(inputs).sort());
        const { dy } = inputs as { dy: tf.TensorInfo };
        (b as unknown as { incRef(id: object): void }).incRef(dy.dataId);
        return { dataId: dy.dataId, shape: dy.shape, dtype: dy.dtype };
      },
    });
    try {
      const dx = reluGrad(tf.tensor1d([-1, 2]), tf.tensor1d([5, 6]));
      expect(Array.from(dx.dataSync())).toEqual([5, 6]);
      expect(calls).toEqual([['dy', 'x']]);
    } finally {
      tf.unregisterKernel(RELU_GRAD, backend);
    }
  });
});
