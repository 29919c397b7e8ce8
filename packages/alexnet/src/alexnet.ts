import {
  AdaptiveAvgPool2d,
  convUnit,
  denseUnit,
  Flatten,
  type InitScheme,
  kaimingInit,
  Linear,
  type LocalResponseNormOptions,
  Module,
  PAPER_LRN,
  paperInit,
  pytorchInit,
  RandomGenerator,
  Sequential,
} from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { AlexNetArchitecture } from './architectures.js';
import { IMAGENET_CLASS_NAMES } from './classes.js';
import { IMAGENET_PREPROCESSING, type Preprocessing } from './preprocessing.js';

/**
 * Which local response normalisation to use:
 * - `'paper'`: the 2012 paper's n 5, k 2, alpha 1e-4, beta 0.75;
 * - `'reference'`: the seed article's `nn.LocalResponseNorm(channels)` (window = channel count, PyTorch defaults),
 *   so that its checkpoints give the same outputs;
 * - `'none'`: drop the LRN layers (later layers shift their `features.N` indices, as in PyTorch);
 * - explicit PyTorch-style parameters.
 */
export type LrnOption = 'paper' | 'reference' | 'none' | LocalResponseNormOptions;

/** Options of {@link createModel} and the model constructors. */
export interface AlexNetOptions {
  /** Output classes (default 1000). */
  numClasses?: number;
  /** Dropout probability before the hidden fully connected layers (default 0.5). */
  dropout?: number;
  /** Local response normalisation (default `'paper'` for V1 and V2; torchvision's variant has none). */
  lrn?: LrnOption;
  /**
   * Initialisation: the 2012 paper's N(0, 0.01) with biases of 1; PyTorch's defaults (Kaiming-uniform with
   * a = sqrt(5), which shrinks activations layer by layer, so AlexNet starts slowly); or `'kaiming'` (He normal,
   * zero biases), which starts learning at once.
   */
  init?: 'paper' | 'pytorch' | 'kaiming';
  /**
   * How logits become probabilities: `'softmax'` (one class per image) or `'sigmoid'` (the 2014 paper's
   * independent logistic units). The logits are the same; trainers pick the matching loss.
   */
  head?: 'softmax' | 'sigmoid';
  /** Seed for the initial weights and dropout masks (default: the global generator). */
  seed?: number;
  /** Readable class names, index order (default the 1000 ImageNet classes when `numClasses` is 1000). */
  classNames?: string[];
  /** Class ids (ImageNet wnids, or a dataset's folder names), index order. */
  classIds?: string[];
  /**
   * Average-pool the last feature map to this side before the classifier, as torchvision does (default: the
   * architecture's, 6 for torchvision's variant, none for V1 and V2). With 6, V1 and V2 keep their parameters and
   * accept any input side from 63 instead of 223 to 254.
   */
  adaptivePool?: number | null;
  /**
   * Width multiplier: every convolution's output channels and every hidden layer's units are the architecture's times
   * this, rounded (at least 1); default 1. Below 1 for quick experiments and tests (0.25: a quarter of the channels,
   * about a tenth of the multiply-adds), as timm's and Keras' width multipliers.
   */
  width?: number;
}

/** The options a model was built with, every default filled in: what weight files record. */
export interface ResolvedAlexNetOptions {
  numClasses: number;
  dropout: number;
  lrn: 'paper' | 'reference' | 'none' | Required<LocalResponseNormOptions>;
  init: 'paper' | 'pytorch' | 'kaiming';
  head: 'softmax' | 'sigmoid';
  seed: number | null;
  adaptivePool: number | null;
  /** The width multiplier (1: the architecture's channels). */
  width: number;
}

/** The input sides a model accepts: `max` is null when any size from `min` up works. */
export interface InputSizeRange {
  min: number;
  max: number | null;
}

/**
 * An AlexNet built from an {@link AlexNetArchitecture}: `features` (conv units), [`avgpool`], a C,H,W flatten and
 * `classifier` (dense units), with PyTorch's module names, so state dicts match the reference code key for key.
 * Input: float32 NHWC `[n, height, width, 3]`, normalised as {@link AlexNet.preprocessing} says.
 */
export class AlexNet extends Module {
  readonly architecture: AlexNetArchitecture;
  readonly options: ResolvedAlexNetOptions;
  /** How inputs must be prepared; saved with the weights. */
  readonly preprocessing: Preprocessing = IMAGENET_PREPROCESSING;
  /** Readable class names in index order, when known. */
  classNames: string[] | null;
  /** Class ids (ImageNet wnids) in index order, when known. */
  classIds: string[] | null;
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d | null;
  readonly classifier: Sequential;
  /**
   * The generator that drew the initial weights and draws the dropout masks, when a `seed` was given: trainers
   * checkpoint its state so a resumed run repeats the uninterrupted one.
   */
  readonly generator: RandomGenerator | null;
  private sizes: InputSizeRange | null = null;

  override get typeName(): string {
    return 'AlexNet';
  }

  constructor(architecture: AlexNetArchitecture, options: AlexNetOptions = {}) {
    super();
    this.architecture = architecture;
    this.options = resolveAlexNetOptions(architecture, options);
    const { numClasses, dropout } = this.options;
    this.classNames = options.classNames ?? (numClasses === 1000 ? [...IMAGENET_CLASS_NAMES] : null);
    this.classIds = options.classIds ?? null;
    for (const [label, list] of [
      ['classNames', this.classNames],
      ['classIds', this.classIds],
    ] as const) {
      if (list && list.length !== numClasses)
        throw new Error(`${label} has ${list.length} entries for ${numClasses} classes`);
    }
    this.generator = this.options.seed === null ? null : new RandomGenerator(this.options.seed);
    const rng = this.generator ?? undefined;
    const init = (bias: number): InitScheme =>
      this.options.init === 'paper' ? paperInit(bias) : this.options.init === 'kaiming' ? kaimingInit() : pytorchInit();

    const scaled = (n: number) => Math.max(1, Math.round(n * this.options.width));
    let channels = 3;
    const featureLayers: Module[] = [];
    for (const stage of architecture.convs) {
      const out = scaled(stage.out);
      const lrn = stage.lrn ? lrnParameters(this.options.lrn, out) : undefined;
      featureLayers.push(
        ...convUnit({
          inChannels: channels,
          out,
          kernel: stage.kernel,
          stride: stage.stride,
          padding: stage.padding,
          lrn,
          pool: stage.pool ? { kernelSize: stage.pool.kernel, stride: stage.pool.stride } : undefined,
          init: init(stage.paperInitBias),
          rng,
        }),
      );
      channels = out;
    }
    this.features = this.registerModule('features', new Sequential(featureLayers));
    const pool = this.options.adaptivePool;
    this.avgpool = pool ? this.registerModule('avgpool', new AdaptiveAvgPool2d(pool)) : null;
    this.registerModule('flatten', new Flatten({ order: 'chw' }));

    const finalSide = pool ?? 6;
    let features = channels * finalSide * finalSide;
    const classifierLayers: Module[] = [];
    for (const hidden of architecture.hidden) {
      const units = scaled(hidden);
      classifierLayers.push(
        ...denseUnit({
          inFeatures: features,
          units,
          dropout,
          relu: true,
          init: init(architecture.paperHiddenInitBias),
          rng,
        }),
      );
      features = units;
    }
    classifierLayers.push(new Linear({ inFeatures: features, outFeatures: numClasses, init: init(0), rng }));
    this.classifier = this.registerModule('classifier', new Sequential(classifierLayers));
  }

  /** The registry name (`alexnet_v1`, ...). */
  get name(): string {
    return this.architecture.name;
  }

  /** Logits `[n, numClasses]` for NHWC input `[n, height, width, 3]`. Checks the input shape first. */
  override forward(x: tf.Tensor): tf.Tensor {
    this.checkInput(x.shape);
    return super.forward(x);
  }

  /** Class probabilities from logits, by the model's head: softmax, or independent sigmoids. */
  probabilities(logits: tf.Tensor): tf.Tensor {
    return this.options.head === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
  }

  /** The input sides this model accepts (the flattened features must match the classifier). */
  inputSizes(): InputSizeRange {
    if (!this.sizes) this.sizes = this.findInputSizes();
    return this.sizes;
  }

  /** Throws an error that names the accepted sizes when `shape` cannot pass through the model. */
  checkInput(shape: readonly number[]): void {
    const given = `[${shape.join(', ')}]`;
    if (shape.length !== 4 || shape[3] !== 3) {
      const hint =
        shape.length === 4 && shape[1] === 3 ? ' (this looks like NCHW: use tf.transpose(x, [0, 2, 3, 1]))' : '';
      throw new Error(`${this.name} expects NHWC input [batch, height, width, 3], got ${given}${hint}`);
    }
    const { min, max } = this.inputSizes();
    const fits = (side: number) => side >= min && (max === null || side <= max);
    if (!fits(shape[1]) || !fits(shape[2])) {
      const range = max === null ? `at least ${min}` : `${min} to ${max}`;
      throw new Error(
        `${this.name} takes inputs of ${range} pixels a side (${this.preprocessing.crop} is standard), got ${shape[1]}x${shape[2]}`,
      );
    }
  }

  /** The architecture name and resolved options: enough to rebuild this model. */
  config(): { model: string; options: ResolvedAlexNetOptions } {
    return { model: this.name, options: this.options };
  }

  private findInputSizes(): InputSizeRange {
    const accepted: number[] = [];
    const limit = 4096;
    for (let side = 1; side <= limit; side++) {
      try {
        this.outputShape([side, side, 3]);
        accepted.push(side);
      } catch {
        if (accepted.length > 0) break;
      }
    }
    if (accepted.length === 0) throw new Error(`${this.name} accepts no input size up to ${limit}`);
    const max = accepted[accepted.length - 1];
    return { min: accepted[0], max: max === limit ? null : max };
  }
}

/**
 * The options an AlexNet of `architecture` is built with for `options`: every default filled in, every value
 * checked (bad ones throw naming the option). With `{}`, the architecture's default configuration.
 */
export function resolveAlexNetOptions(
  architecture: AlexNetArchitecture,
  options: AlexNetOptions = {},
): ResolvedAlexNetOptions {
  const numClasses = options.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${options.numClasses}`);
  }
  const dropout = options.dropout ?? 0.5;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${options.dropout}`);
  const hasLrn = architecture.convs.some((stage) => stage.lrn);
  if (options.lrn !== undefined && options.lrn !== 'none' && !hasLrn) {
    throw new Error(`${architecture.name} has no LRN layers; the lrn option must be 'none' or left out`);
  }
  const lrn = options.lrn ?? architecture.defaults.lrn;
  if (typeof lrn === 'string' && !['paper', 'reference', 'none'].includes(lrn)) {
    throw new Error(`lrn must be 'paper', 'reference', 'none' or LRN parameters, got ${JSON.stringify(lrn)}`);
  }
  const init = options.init ?? architecture.defaults.init;
  if (init !== 'paper' && init !== 'pytorch' && init !== 'kaiming') {
    throw new Error(`init must be 'paper', 'pytorch' or 'kaiming', got ${JSON.stringify(init)}`);
  }
  const head = options.head ?? architecture.defaults.head;
  if (head !== 'softmax' && head !== 'sigmoid')
    throw new Error(`head must be 'softmax' or 'sigmoid', got ${JSON.stringify(head)}`);
  const width = options.width ?? 1;
  if (!(typeof width === 'number' && width > 0 && width <= 16)) {
    throw new RangeError(`width must be a number above 0 and at most 16, got ${options.width}`);
  }
  return {
    numClasses,
    dropout,
    lrn: typeof lrn === 'string' ? lrn : { alpha: 1e-4, beta: 0.75, k: 1, ...lrn },
    init,
    head,
    seed: options.seed ?? null,
    adaptivePool: options.adaptivePool === undefined ? architecture.adaptivePool : options.adaptivePool,
    width,
  };
}

function lrnParameters(lrn: ResolvedAlexNetOptions['lrn'], channels: number): LocalResponseNormOptions | undefined {
  if (lrn === 'none') return undefined;
  if (lrn === 'paper') return PAPER_LRN;
  // The seed article wrote nn.LocalResponseNorm(96): the channel count as the window size, defaults otherwise.
  if (lrn === 'reference') return { size: channels, alpha: 1e-4, beta: 0.75, k: 1 };
  return lrn;
}
