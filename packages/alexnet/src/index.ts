/**
 * `@alexnet/models`: the AlexNet model zoo for TensorFlow.js.
 *
 * ```ts
 * import { createModel, loadWeights } from '@alexnet/models';
 * const model = createModel('alexnet_v1', { lrn: 'reference' });
 * await loadWeights(model, 'checkpoint.pth');
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
} from './alexnet.js';
export {
  ALEXNET_TORCHVISION,
  ALEXNET_V1,
  ALEXNET_V2,
  type AlexNetArchitecture,
  type ConvStage,
} from './architectures.js';
export { type ClassInfo, IMAGENET_CLASS_NAMES, type Prediction, type TopKOptions, topK } from './classes.js';
export { IMAGENET_PREPROCESSING, type Preprocessing } from './preprocessing.js';
export {
  alexnetTorchvision,
  alexnetV1,
  alexnetV2,
  createModel,
  getArchitecture,
  listModels,
  registerModel,
} from './registry.js';
export {
  type LoadWeightsOptions,
  loadModel,
  loadWeights,
  modelFromWeights,
  readWeights,
  saveWeights,
  serializeWeights,
  type WeightsFile,
  type WeightsMetadata,
  type WeightsSource,
  weightsMetadata,
} from './weights.js';
