/**
 * `@alexnet/trainer`: a generic trainer for TensorFlow.js modules, with PyTorch's optimiser and scheduler
 * semantics.
 *
 * ```ts
 * import { SGD, ReduceLROnPlateau, fit } from '@alexnet/trainer';
 * const optimizer = new SGD(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
 * const scheduler = new ReduceLROnPlateau(optimizer, { mode: 'max', factor: 0.1 });
 * await fit({ model, optimizer, scheduler, trainData, valData, epochs: 90, checkpointDir: 'runs/v2' });
 * ```
 *
 * `fit` takes any {@link Optimizer} and {@link Scheduler}: `SGD` and the schedulers implement them, and so can your
 * own. Training needs TF.js's gradient functions: import `@tensorflow/tfjs` (or `@tensorflow/tfjs-node`) once.
 *
 * `variableGrads` and `FUSED_SGD_UPDATE` are re-exported from `@alexnet/tfjs-extensions`, where they live.
 *
 * @packageDocumentation
 * @module @alexnet/trainer
 */

// Engine internals live in @alexnet/tfjs-extensions; these two are re-exported for the trainer's users.
export { FUSED_SGD_UPDATE, variableGrads } from '@alexnet/tfjs-extensions';
// The checkpoint checksum's metadata key, defined with the rest of the checkpoint layout in @alexnet/torch-io.
export { TENSOR_DATA_CHECKSUM_KEY } from '@alexnet/torch-io';
export {
  type Checkpoint,
  type CheckpointableModel,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  type TrainingState,
} from './checkpoint.js';
export { runFiles } from './checkpointing.js';
export type { Batch, DataSource } from './data.js';
export { NonFiniteLossError, TrainingInterruptedError } from './errors.js';
export { type EvaluateOptions, evaluate, type LossFunction, type RunnableModel } from './evaluate.js';
export type { EpochRecord, StepEvent } from './events.js';
export { type FitResult, fit } from './fit.js';
export type { FitOptions, TrainableModel } from './fit-options.js';
export {
  type SigmoidCrossEntropyOptions,
  type SoftmaxCrossEntropyOptions,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from './losses.js';
export { averageCrops, ClassificationMetrics, type ClassificationResult } from './metrics.js';
export type { MonitoredMetric } from './monitor.js';
export type { HasParamGroups, Optimizer, OptimizerState } from './optimizer.js';
export type { HasNamedParameters, NamedParameters } from './params.js';
export {
  MultiStepLR,
  paperSchedule,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type Scheduler,
  StepLR,
} from './schedulers.js';
export {
  type ParamGroup,
  type ParamGroupInput,
  SGD,
  type SGDOptions,
  type SGDState,
} from './sgd.js';
