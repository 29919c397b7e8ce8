import * as tf from '@tensorflow/tfjs-core';

/**
 * A gradient for TF.js's `FusedConv2D` kernel (convolution plus bias) that computes only what the backward pass asks
 * for. TF.js registers none: its `tf.fused.conv2d` op brings a custom gradient that computes the input, filter and
 * bias gradients together, so a network's first layer also pays for the gradient of the image, which nothing uses
 * (at stride 4 on wasm that was half a training step, and a batch of images' worth of memory). Registered as the
 * kernel's gradient, the three parts are separate and TF.js skips the ones no parameter needs.
 *
 * `@alexnet/layers`' `Conv2d` runs the `FusedConv2D` kernel directly (instead of `tf.fused.conv2d`) only while
 * {@link hasFusedConv2DGradient} says this gradient is the registered one.
 */

/** The gradient this package registered, to tell it from one registered by someone else. */
let registered: tf.GradConfig | null = null;

/**
 * Registers the bias-only `FusedConv2D` gradient (NHWC, no activation, no dilation; anything else on the tape
 * throws rather than giving a wrong answer), unless a `FusedConv2D` gradient is registered already: one from
 * elsewhere is left in place. Idempotent. Returns whether this package's gradient is the registered one.
 */
export function registerFusedConv2DGradient(): boolean {
  if (tf.getGradient(tf.FusedConv2D) == null) {
    registered = { kernelName: tf.FusedConv2D, inputsToSave: ['x', 'filter'], gradFunc: fusedConv2DGradient };
    tf.registerGradient(registered);
  }
  return hasFusedConv2DGradient();
}

/** Whether the registered `FusedConv2D` gradient is the one {@link registerFusedConv2DGradient} installs. */
export function hasFusedConv2DGradient(): boolean {
  return registered !== null && tf.getGradient(tf.FusedConv2D) === registered;
}

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function fusedConv2DGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, filter] = saved;
  const { strides, pad, activation, dataFormat, dilations } = attrs as unknown as tf.FusedConv2DAttrs;
  // Registered for every FusedConv2D on the tape: refuse what it does not differentiate instead of a wrong answer.
  if (activation !== 'linear' || dataFormat !== 'NHWC' || [dilations].flat().some((d) => d !== 1)) {
    throw new Error(
      `@alexnet/tfjs-extensions' FusedConv2D gradient handles bias only (NHWC, no activation, no dilation), got ${activation}, ${dataFormat}, dilations ${dilations}`,
    );
  }
  const common = { strides, pad, dataFormat: 'NHWC' };
  const grad = dy as tf.Tensor4D;
  return {
    x: () => runKernel(tf.Conv2DBackpropInput, { dy: grad, filter }, { ...common, inputShape: x.shape }),
    filter: () => runKernel(tf.Conv2DBackpropFilter, { x, dy: grad }, { ...common, filterShape: filter.shape }),
    bias: () => tf.sum(grad, [0, 1, 2]),
  };
}
