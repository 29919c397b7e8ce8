import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { installCpuKernels, restoreCpuKernels } from './cpu.js';

describe.runIf(tf.getBackend() === 'cpu')('fast CPU kernels', () => {
  afterAll(() => installCpuKernels());

  const cases: Array<{
    x: [number, number, number, number];
    f: [number, number];
    out: number;
    s: [number, number];
    pad: 'valid' | 'same' | number;
  }> = [
    { x: [2, 31, 29, 3], f: [11, 11], out: 5, s: [4, 4], pad: 2 },
    { x: [1, 13, 13, 7], f: [3, 3], out: 6, s: [1, 1], pad: 1 },
    { x: [3, 9, 12, 4], f: [5, 3], out: 2, s: [2, 1], pad: 'same' },
    { x: [1, 8, 8, 2], f: [3, 3], out: 3, s: [3, 2], pad: 'valid' },
    { x: [2, 6, 5, 1], f: [1, 1], out: 4, s: [1, 1], pad: 0 },
  ];

  it.each(cases)(
    'Conv2DBackpropFilter matches TF.js for x $x, filter $f, stride $s, pad $pad',
    ({ x, f, out, s, pad }) => {
      const input = tf.relu(tf.randomNormal(x, 0, 1, 'float32', 1));
      const filterShape: [number, number, number, number] = [f[0], f[1], x[3], out];
      const y = tf.conv2d(input as tf.Tensor4D, tf.zeros(filterShape), s, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 2) as tf.Tensor4D;
      restoreCpuKernels();
      const expected = tf.grad((w: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, s, pad), dy)),
      )(tf.zeros(filterShape));
      installCpuKernels();
      const actual = tf.grad((w: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, s, pad), dy)),
      )(tf.zeros(filterShape));
      expect(actual.shape).toEqual(filterShape);
      expectClose(actual.dataSync(), expected.dataSync(), 1e-5, 'dW');
      tf.dispose([input, y, dy, expected, actual]);
    },
  );

  it('is idempotent and restorable', () => {
    installCpuKernels();
    const fast = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    installCpuKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(fast);
    restoreCpuKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(fast?.kernelFunc);
  });
});
