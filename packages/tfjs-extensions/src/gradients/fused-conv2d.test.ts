import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hasFusedConv2DGradient, registerFusedConv2DGradient } from './fused-conv2d.js';

describe('registerFusedConv2DGradient', () => {
  const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
  const bias = tf.randomNormal([4], 0, 1, 'float32', 3);
  const attrs = { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], leakyreluAlpha: 0 };
  const kernel = (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor, activation = 'linear') =>
    tf.engine().runKernel(tf.FusedConv2D, { x: a, filter: f, bias: b }, {
      ...attrs,
      activation,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const loss = (conv: (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
    tf.grads((a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv(a, f, b))))([x, filter, bias]);

  it('is registered once and is the one in place', () => {
    expect(registerFusedConv2DGradient()).toBe(true);
    const installed = tf.getGradient(tf.FusedConv2D);
    expect(registerFusedConv2DGradient()).toBe(true);
    expect(tf.getGradient(tf.FusedConv2D)).toBe(installed);
    expect(hasFusedConv2DGradient()).toBe(true);
  });

  it("gives tf.fused.conv2d's input, filter and bias gradients", () => {
    registerFusedConv2DGradient();
    const expected = loss((a, f, b) =>
      tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides: 2, pad: 'valid' }),
    );
    const actual = loss(kernel);
    for (const [i, name] of ['dx', 'dfilter', 'dbias'].entries()) {
      expect(actual[i].shape).toEqual(expected[i].shape);
      expectClose(actual[i].dataSync(), expected[i].dataSync(), 1e-5, name);
    }
    tf.dispose([...expected, ...actual]);
  });

  it('refuses an activation it does not differentiate', () => {
    registerFusedConv2DGradient();
    expect(() => tf.grad((f: tf.Tensor) => tf.sum(kernel(x, f, bias, 'relu')))(filter)).toThrow(
      /handles bias only .*got relu/,
    );
  });
});
