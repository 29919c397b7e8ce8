import type { InitScheme } from './init.js';
import type { Pair } from './layers/conv-arithmetic.js';
import { Conv2d } from './layers/conv2d.js';
import { Dropout } from './layers/dropout.js';
import { Linear } from './layers/linear.js';
import { LocalResponseNorm, type LocalResponseNormOptions } from './layers/local-response-norm.js';
import { MaxPool2d, type MaxPool2dOptions } from './layers/max-pool2d.js';
import { ReLU } from './layers/relu.js';
import type { Module } from './module.js';
import type { RandomGenerator } from './random.js';

/** Options of {@link convUnit}. */
export interface ConvUnitOptions {
  inChannels: number;
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  /** Local response normalisation after the ReLU (omit for none). */
  lrn?: LocalResponseNormOptions;
  /** Max pooling last (omit for none). */
  pool?: MaxPool2dOptions;
  init?: InitScheme;
  rng?: RandomGenerator;
}

/**
 * AlexNet's feature-extraction unit: conv, ReLU, [LRN], [max-pool]. Returns the layers, to be spread into a
 * {@link Sequential} so that their indices match PyTorch's `features.N`.
 */
export function convUnit(options: ConvUnitOptions): Module[] {
  const layers: Module[] = [
    new Conv2d({
      inChannels: options.inChannels,
      outChannels: options.out,
      kernelSize: options.kernel,
      stride: options.stride,
      padding: options.padding,
      init: options.init,
      rng: options.rng,
    }),
    new ReLU(),
  ];
  if (options.lrn) layers.push(new LocalResponseNorm(options.lrn));
  if (options.pool) layers.push(new MaxPool2d(options.pool));
  return layers;
}

/** Options of {@link denseUnit}. */
export interface DenseUnitOptions {
  inFeatures: number;
  units: number;
  /** Dropout probability before the linear layer (omit or 0 for none). */
  dropout?: number;
  /** ReLU after the linear layer (default true). */
  relu?: boolean;
  init?: InitScheme;
  rng?: RandomGenerator;
}

/**
 * AlexNet's classifier unit: [dropout], linear, [ReLU]. Returns the layers, to be spread into a
 * {@link Sequential} so that their indices match PyTorch's `classifier.N`.
 */
export function denseUnit(options: DenseUnitOptions): Module[] {
  const layers: Module[] = [];
  if (options.dropout) layers.push(new Dropout({ p: options.dropout, rng: options.rng }));
  layers.push(
    new Linear({ inFeatures: options.inFeatures, outFeatures: options.units, init: options.init, rng: options.rng }),
  );
  if (options.relu ?? true) layers.push(new ReLU());
  return layers;
}
