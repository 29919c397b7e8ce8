import { hasFusedConv2DGradient } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import { type InitScheme, pytorchInit } from '../init.js';
import { Module, type Shape } from '../module.js';
import { initializedParameter, type Parameter } from '../parameter.js';
import type { RandomGenerator } from '../random.js';
import { explicitPadding, type Pair, pair, slidingOutputShape } from './conv-arithmetic.js';

/** Options of {@link Conv2d}; names and defaults follow `torch.nn.Conv2d`. */
export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: Pair;
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** Initialisers (default PyTorch's). */
  init?: InitScheme;
  /** Random generator for the initial values (default the global one). */
  rng?: RandomGenerator;
}

/** Filters in storage: HWIO. PyTorch's OIHW is this permutation of it. */
const HWIO_TO_OIHW = [3, 2, 0, 1] as const;

/** A 2-D convolution over NHWC input; state-dict weight `[out, in, kh, kw]` as in PyTorch. */
export class Conv2d extends Module {
  override get typeName(): string {
    return 'Conv2d';
  }

  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(options: Conv2dOptions) {
    super();
    this.inChannels = options.inChannels;
    this.outChannels = options.outChannels;
    this.kernelSize = pair(options.kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    const init = options.init ?? pytorchInit();
    const fanIn = this.inChannels * this.kernelSize[0] * this.kernelSize[1];
    const torchShape = [this.outChannels, this.inChannels, ...this.kernelSize];
    this.weight = this.registerParameter(
      'weight',
      initializedParameter(init.weight, torchShape, fanIn, options.rng, HWIO_TO_OIHW),
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', initializedParameter(init.bias, [this.outChannels], fanIn, options.rng));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return conv2dWithBias(
      x as tf.Tensor4D,
      this.weight.variable as tf.Tensor4D,
      this.bias?.variable ?? null,
      this.stride,
      explicitPadding(this.padding),
    );
  }

  override outputShape(inputShape: Shape): number[] {
    this.checkChannels(inputShape);
    const [h, w] = slidingOutputShape(this.typeName, inputShape, this.kernelSize, this.stride, this.padding);
    return [h, w, this.outChannels];
  }

  override multiplyAdds(inputShape: Shape): number {
    const [h, w] = this.outputShape(inputShape);
    return h * w * this.outChannels * this.inChannels * this.kernelSize[0] * this.kernelSize[1];
  }

  private checkChannels(inputShape: Shape): void {
    if (inputShape.length === 3 && inputShape[2] !== this.inChannels) {
      throw new Error(`Conv2d expects ${this.inChannels} input channels, got ${inputShape[2]}`);
    }
  }
}

/**
 * Convolution plus bias in one kernel (`FusedConv2D`). Where `@alexnet/tfjs-extensions`' `registerGradients()` has
 * registered its `FusedConv2D` gradient (which computes only the parts the backward pass asks for, so the first
 * layer does not pay for the image's gradient), the kernel runs directly; otherwise through `tf.fused.conv2d`, which
 * brings its own gradient. Either way the forward pass runs the same kernel.
 */
function conv2dWithBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor | null,
  strides: [number, number],
  pad: 'valid' | tf.backend_util.ExplicitPadding,
): tf.Tensor4D {
  if (!bias || !hasFusedConv2DGradient()) return tf.fused.conv2d({ x, filter, strides, pad, bias: bias ?? undefined });
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear', leakyreluAlpha: 0 };
  return tf.engine().runKernel(tf.FusedConv2D, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
