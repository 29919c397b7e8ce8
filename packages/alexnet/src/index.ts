/**
 * `@alexnet/models`: the AlexNet model zoo for TensorFlow.js.
 *
 * ```ts
 * import { createModel, loadWeights } from '@alexnet/models';
 * const model = createModel('alexnet_v1', { lrn: 'reference' });
 * await loadWeights(model, 'checkpoint.pth');
 * // or weights of the table, downloaded once into a cache and checked against their SHA-256:
 * // const model = await createPretrainedModel('alexnet_torchvision', { weights: 'IMAGENET1K_V1' });
 * model.eval();
 * const logits = model.forward(x); // x: float32 NHWC [n, 224, 224, 3]
 * ```
 *
 * @packageDocumentation
 * @module @alexnet/models
 */
export {
  AlexNet,
  type AlexNetOptions,
  type InputSizeRange,
  type LrnOption,
  type ResolvedAlexNetOptions,
  resolveAlexNetOptions,
} from './alexnet.js';
export {
  ALEXNET_TORCHVISION,
  ALEXNET_V1,
  ALEXNET_V2,
  type AlexNetArchitecture,
  type ConvStage,
} from './architectures.js';
export { type AlexNetBuilder, alexnetBuilder, isAlexNetBuilder, type ModelBuilder } from './builder.js';
export { type ClassInfo, IMAGENET_CLASS_NAMES, type Prediction, type TopKOptions, topK } from './classes.js';
export { IMAGENET_MEAN, IMAGENET_PREPROCESSING, IMAGENET_STD, type Preprocessing } from './preprocessing.js';
export {
  ALEXNET_TORCHVISION_WEIGHTS,
  getWeights,
  listWeights,
  type PretrainedWeights,
  type PretrainedWeightsInit,
  registerWeights,
  type WeightsFileSource,
  type WeightsMetrics,
  type WeightsSha256,
} from './pretrained.js';
export {
  type DownloadedWeights,
  type DownloadOptions,
  downloadWeights,
  WEIGHTS_ENV,
  weightsCachePath,
  weightsUrl,
} from './pretrained-download.js';
export {
  type LoadPretrainedOptions,
  type LocalWeightsSource,
  loadPretrained,
  sha256Hex,
  verifyWeights,
} from './pretrained-files.js';
export { createPretrainedModel, type PretrainedModelOptions } from './pretrained-model.js';
export {
  alexnetTorchvision,
  alexnetV1,
  alexnetV2,
  buildModel,
  createModel,
  getArchitecture,
  getModelBuilder,
  listModels,
  registerModel,
} from './registry.js';
export {
  type LoadWeightsOptions,
  loadModel,
  loadWeights,
  modelFromWeights,
  type NonFiniteTensor,
  nonFiniteTensors,
  readWeights,
  saveWeights,
  serializeWeights,
  type WeightsFile,
  type WeightsMetadata,
  type WeightsSource,
  weightsMetadata,
} from './weights.js';
