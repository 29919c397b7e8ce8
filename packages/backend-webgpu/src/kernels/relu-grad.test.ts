/** ReLU's one-pass gradient on WebGPU against the CPU backend's `dy * step(x)`, zeros included. */

import { expectClose } from '@alexnet/test-utils';
import { RELU_GRAD } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NO_GPU, onCpuAndGpu, random, values } from '../../test/gpu.js';

describe.skipIf(NO_GPU)('the ReLU gradient on webgpu', () => {
  it('equals the cpu backend on odd shapes, with 0 where x is 0', async () => {
    for (const shape of [[7], [2, 5, 3], [3, 17, 11, 5]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const next = random(n);
      // Every third value exactly 0, where the gradient is 0 (TF.js and PyTorch).
      const x = values(next, n).map((v, i) => (i % 3 === 0 ? 0 : v));
      const dy = values(next, n);
      const { cpu, gpu } = await onCpuAndGpu(() =>
        tf.grad((t: tf.Tensor) => tf.relu(t))(tf.tensor(x, shape), tf.tensor(dy, shape)),
      );
      expectClose(gpu, cpu, 0, `shape [${shape}]`);
      expect(gpu.filter((v, i) => x[i] === 0 && v !== 0)).toEqual(new Float32Array());
    }
  });

  it('is the one kernel of the gradient there', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor(values(random(1), 300), [300]);
    const dy = tf.tensor(values(random(2), 300), [300]);
    const profile = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy));
    expect(profile.kernelNames).toContain(RELU_GRAD);
    expect(profile.kernelNames).not.toContain('Step');
    tf.dispose([x, dy]);
  });
});
