import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installKernelPatches, restoreKernelPatches } from './patches.js';
import { installWasmKernels, restoreWasmKernels } from './wasm.js';

type Pad = 'valid' | 'same' | number;
interface ConvCase {
  x: [number, number, number, number];
  f: [number, number];
  out: number;
  s: [number, number];
  pad: Pad;
}

// Strides 1-4, kernels 1-11, numeric / same / valid padding, odd sizes, and strides that leave input rows unused.
const cases: ConvCase[] = [
  { x: [2, 31, 29, 3], f: [11, 11], out: 5, s: [4, 4], pad: 2 },
  { x: [1, 13, 13, 7], f: [3, 3], out: 6, s: [1, 1], pad: 1 },
  { x: [3, 9, 12, 4], f: [5, 3], out: 2, s: [2, 1], pad: 'same' },
  { x: [1, 8, 8, 2], f: [3, 3], out: 3, s: [3, 2], pad: 'valid' },
  { x: [2, 6, 5, 1], f: [1, 1], out: 4, s: [1, 1], pad: 0 },
  { x: [2, 10, 11, 3], f: [2, 4], out: 3, s: [3, 3], pad: 'same' },
  { x: [1, 17, 17, 5], f: [5, 5], out: 4, s: [2, 2], pad: 2 },
];

/** Input and filter gradients of sum(conv2d(x, w) * dy) on the current backend. */
function convGradients({ x, f, out, s, pad }: ConvCase) {
  return tf.tidy(() => {
    const input = tf.relu(tf.randomNormal(x, 0, 1, 'float32', 1)) as tf.Tensor4D;
    const filter = tf.randomNormal([f[0], f[1], x[3], out], 0, 1, 'float32', 2) as tf.Tensor4D;
    const outShape = tf.conv2d(input, filter, s, pad).shape;
    const dy = tf.randomNormal(outShape, 0, 1, 'float32', 3);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), dy)),
    )([input, filter]);
    return { dx: dx.dataSync(), dw: dw.dataSync(), dxShape: dx.shape, dwShape: dw.shape };
  });
}

describe.runIf(tf.getBackend() === 'cpu')('fast wasm kernels', () => {
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    installKernelPatches();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
    installKernelPatches();
  });

  async function onWasm<T>(run: () => T): Promise<T> {
    await tf.setBackend('wasm');
    try {
      return run();
    } finally {
      await tf.setBackend('cpu');
    }
  }

  it.each(cases)('convolution gradients match the CPU for x $x, filter $f, stride $s, pad $pad', async (c) => {
    const expected = convGradients(c);
    const actual = await onWasm(() => {
      const before = tf.memory().numTensors;
      const result = convGradients(c);
      expect(tf.memory().numTensors).toBe(before);
      return result;
    });
    expect(actual.dxShape).toEqual(expected.dxShape);
    expect(actual.dwShape).toEqual(expected.dwShape);
    expectClose(actual.dx, expected.dx, 1e-4, 'dx');
    expectClose(actual.dw, expected.dw, 1e-4, 'dW');
  });

  it('frees its intermediate buffers in the wasm heap', async () => {
    await onWasm(() => {
      const backend = tf.backend() as unknown as { numDataIds(): number };
      convGradients(cases[0]);
      const before = backend.numDataIds();
      convGradients(cases[0]);
      expect(backend.numDataIds()).toBe(before);
    });
  });

  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])('BatchMatMul with transposeA %s, transposeB %s matches the CPU', async (transposeA, transposeB) => {
    const a = tf.randomNormal([3, transposeA ? 7 : 5, transposeA ? 5 : 7], 0, 1, 'float32', 6);
    const b = tf.randomNormal([3, transposeB ? 4 : 7, transposeB ? 7 : 4], 0, 1, 'float32', 7);
    const expected = tf.matMul(a, b, transposeA, transposeB).dataSync();
    await onWasm(() => {
      const before = tf.memory().numTensors;
      const product = tf.matMul(a, b, transposeA, transposeB);
      expect(product.shape).toEqual([3, 5, 4]);
      expectClose(product.dataSync(), expected, 1e-5, 'matMul');
      product.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
    tf.dispose([a, b]);
  });

  it('restores the wasm backend to its own kernels (which have no filter gradient)', () => {
    const fast = tf.getKernel('Conv2DBackpropInput', 'wasm');
    installWasmKernels();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(fast);
    restoreKernelPatches();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).not.toBe(fast?.kernelFunc);
    restoreWasmKernels();
    installKernelPatches();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });
});
