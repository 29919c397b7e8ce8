/**
 * `@alexnet/layers`: a small PyTorch-like module system on TensorFlow.js.
 *
 * Modules hold named `tf.Variable` parameters whose dotted names follow the module tree, run NHWC activations,
 * and exchange weights in PyTorch's names and layouts, so state dicts move between the two frameworks unchanged.
 *
 * @packageDocumentation
 * @module @alexnet/layers
 */

export {
  constant,
  fanInUniform,
  type InitContext,
  type Initializer,
  type InitScheme,
  kaimingInit,
  kaimingNormal,
  kaimingUniform,
  normal,
  paperInit,
  pytorchInit,
  uniform,
} from './init.js';
export { AdaptiveAvgPool2d } from './layers/adaptive-avg-pool2d.js';
export { type Pair, slidingOutputSize } from './layers/conv-arithmetic.js';
export { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
export { Dropout, type DropoutOptions } from './layers/dropout.js';
export { Flatten, type FlattenOptions } from './layers/flatten.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { LocalResponseNorm, type LocalResponseNormOptions, PAPER_LRN } from './layers/local-response-norm.js';
export { MaxPool2d, type MaxPool2dOptions } from './layers/max-pool2d.js';
export { ReLU } from './layers/relu.js';
export { Sequential } from './layers/sequential.js';
export { type LoadStateDictOptions, type LoadStateDictResult, Module, type Shape, type StateDict } from './module.js';
export { initializedParameter, Parameter } from './parameter.js';
export { defaultGenerator, manualSeed, RandomGenerator, type RandomGeneratorState } from './random.js';
export { fromStateDict, toStateDict } from './state-dict-conversion.js';
export { type ShapeMismatch, StateDictError } from './state-dict-error.js';
export { type ModelSummary, type SummaryRow, summary } from './summary.js';
export { type ConvUnitOptions, convUnit, type DenseUnitOptions, denseUnit } from './units.js';
