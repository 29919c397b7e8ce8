import '@tensorflow/tfjs'; // the CPU backend and the gradients
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { kernelFlops } from './flops.js';

// AlexNet V2 (64-192-384-384-256) at 224x224, per image, by hand: 2 x outH x outW x kH x kW x inC x outC.
const CONV1 = 2 * 55 * 55 * (11 * 11 * 3 * 64); // 140,553,600
const CONV2 = 2 * 27 * 27 * (5 * 5 * 64 * 192); // 447,897,600
const CONV5 = 2 * 13 * 13 * (3 * 3 * 384 * 256); // 299,040,768
const FC6 = 2 * 9216 * 4096; // 75,497,472

describe('kernelFlops on AlexNet V2 layers', () => {
  it('counts the forward convolutions from the filter and the output', () => {
    expect(CONV1).toBe(140_553_600);
    expect(kernelFlops('FusedConv2D', [[32, 224, 224, 3], [11, 11, 3, 64], [64]], [[32, 55, 55, 64]])).toBe(32 * CONV1);
    expect(
      kernelFlops(
        'Conv2D',
        [
          [1, 27, 27, 64],
          [5, 5, 64, 192],
        ],
        [[1, 27, 27, 192]],
      ),
    ).toBe(CONV2);
  });

  it('counts both gradients as the forward', () => {
    expect(
      kernelFlops(
        'Conv2DBackpropInput',
        [
          [32, 13, 13, 256],
          [3, 3, 384, 256],
        ],
        [[32, 13, 13, 384]],
      ),
    ).toBe(32 * CONV5);
    expect(
      kernelFlops(
        'Conv2DBackpropFilter',
        [
          [32, 13, 13, 384],
          [32, 13, 13, 256],
        ],
        [[3, 3, 384, 256]],
      ),
    ).toBe(32 * CONV5);
    expect(
      kernelFlops(
        'Conv2DBackpropFilter',
        [
          [32, 224, 224, 3],
          [32, 55, 55, 64],
        ],
        [[11, 11, 3, 64]],
      ),
    ).toBe(32 * CONV1);
  });

  it('counts matrix products whichever operand is transposed', () => {
    // Forward fc6: [1, 32, 9216] x [1, 9216, 4096]; its weight gradient: x^T dy, a = [1, 9216, 32] read transposed.
    expect(kernelFlops('_FusedMatMul', [[1, 32, 9216], [1, 9216, 4096], [4096]], [[1, 32, 4096]])).toBe(32 * FC6);
    expect(
      kernelFlops(
        'BatchMatMul',
        [
          [1, 32, 9216],
          [1, 32, 4096],
        ],
        [[1, 9216, 4096]],
      ),
    ).toBe(32 * FC6);
    expect(
      kernelFlops(
        'BatchMatMul',
        [
          [1, 32, 4096],
          [1, 9216, 4096],
        ],
        [[1, 32, 9216]],
      ),
    ).toBe(32 * FC6);
  });

  it('leaves other kernels and malformed records uncounted', () => {
    expect(kernelFlops('Relu', [[32, 55, 55, 64]], [[32, 55, 55, 64]])).toBeUndefined();
    expect(kernelFlops('Conv2D', [[1, 4, 4, 3], null], [[1, 4, 4, 8]])).toBeUndefined();
  });
});

describe('kernelFlops on what tf.profile records', () => {
  it('reads the shapes in the order the ops pass them (forward and both gradients of a strided, padded conv)', async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const info = await tf.profile(() => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum(),
      );
      tf.dispose(g([x, w]));
    });
    // 'same', stride 2: 5x5 outputs; each of 2 x 5 x 5 x 4 sums 3 x 3 x 3 products.
    const expected = 2 * 2 * 5 * 5 * (3 * 3 * 3 * 4);
    const counted = info.kernels
      .filter((k) => ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'].includes(k.name))
      .map((k) => [k.name, kernelFlops(k.name, k.inputShapes, k.outputShapes)]);
    expect(Object.fromEntries(counted)).toEqual({
      Conv2D: expected,
      Conv2DBackpropInput: expected,
      Conv2DBackpropFilter: expected,
    });
    tf.dispose([x, w]);
  });
});
