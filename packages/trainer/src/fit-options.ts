import { join } from 'node:path';
import type { RandomGenerator } from '@alexnet/layers';
import type { CheckpointableModel } from './checkpoint.js';
import type { DataSource } from './data.js';
import type { EvaluateOptions, LossFunction, RunnableModel } from './evaluate.js';
import type { EpochRecord, StepEvent } from './events.js';
import { softmaxCrossEntropy } from './losses.js';
import type { MonitoredMetric } from './monitor.js';
import type { Optimizer } from './optimizer.js';
import type { Scheduler } from './schedulers.js';

/** A model {@link fit} can train and checkpoint: a `@alexnet/layers` module satisfies it. */
export type TrainableModel = RunnableModel & CheckpointableModel;

/** Options of {@link fit}. */
export interface FitOptions {
  model: TrainableModel;
  /** Any {@link Optimizer}: {@link SGD}, or your own. */
  optimizer: Optimizer;
  trainData: DataSource;
  valData?: DataSource;
  /** Epochs to train to (counting those a resumed run already did). */
  epochs: number;
  /** Loss from logits and labels (default softmax cross-entropy). */
  loss?: LossFunction;
  /**
   * Stepped once per epoch, after validation, with the monitored metric: `scheduler.step(metric)`, which
   * {@link ReduceLROnPlateau} uses and epoch-count schedulers ignore (see {@link Scheduler}).
   */
  scheduler?: Scheduler;
  /** Metric for the plateau scheduler and the best checkpoint (default `val.top1` with validation data, else `train.loss`). */
  monitor?: MonitoredMetric;
  /** Evaluate once before training, as the seed article's script does (default false). */
  validateFirst?: boolean;
  /** Batches whose gradients are summed into one optimiser step (default 1): batch 32 x 4 behaves as batch 128. */
  gradAccumulation?: number;
  /** Folder for `last.safetensors`, `best.safetensors` and `metrics.jsonl`; no checkpoints when absent. */
  checkpointDir?: string;
  /** Also keep `epoch-<n>.safetensors` for every epoch (default false). */
  keepEveryEpoch?: boolean;
  /** Continue from a checkpoint: a path, or true for `<checkpointDir>/last.safetensors` when it exists. */
  resume?: string | boolean;
  /** JSON-lines metrics log (default `<checkpointDir>/metrics.jsonl`; null for none). */
  logFile?: string | null;
  /** Steps between loss read-backs, step log lines and NaN checks (default 20). */
  logEvery?: number;
  /** Random generators the run draws from (dropout, shuffling): saved in checkpoints and restored on resume. */
  generators?: RandomGenerator[];
  /** The run's configuration, stored in every checkpoint. */
  config?: Record<string, unknown>;
  /** Extra metadata for the checkpoint files (for example a model's name, options and preprocessing). */
  weightsMetadata?: Record<string, string>;
  /** How validation runs (crops, head). */
  evaluateOptions?: Omit<EvaluateOptions, 'loss' | 'epoch'>;
  /** Aborting stops training after the current step with a {@link TrainingInterruptedError}. */
  signal?: AbortSignal;
  /** Abort on SIGINT and SIGTERM while fitting (default false; the CLI sets it). */
  handleSignals?: boolean;
  onStepEnd?: (event: StepEvent) => void;
  onEpochEnd?: (record: EpochRecord) => void;
}

/** The options {@link fit}'s steps read, with their defaults filled in and checked. */
export interface FitSettings {
  loss: LossFunction;
  gradAccumulation: number;
  logEvery: number;
  monitor: MonitoredMetric;
  /** The checkpoint folder, or null for no checkpoints. */
  checkpointDir: string | null;
  /** `<checkpointDir>/last.safetensors`, or null. */
  lastPath: string | null;
  logFile: string | null;
  generators: RandomGenerator[];
}

/** {@link FitSettings} from `options`; a bad `gradAccumulation` is a RangeError. */
export function resolveFitSettings(options: FitOptions): FitSettings {
  const gradAccumulation = options.gradAccumulation ?? 1;
  if (!(Number.isInteger(gradAccumulation) && gradAccumulation >= 1)) {
    throw new RangeError(`gradAccumulation must be a positive integer, got ${options.gradAccumulation}`);
  }
  const checkpointDir = options.checkpointDir || null;
  return {
    loss: options.loss ?? softmaxCrossEntropy,
    gradAccumulation,
    logEvery: options.logEvery ?? 20,
    monitor: options.monitor ?? (options.valData ? 'val.top1' : 'train.loss'),
    checkpointDir,
    lastPath: checkpointDir ? join(checkpointDir, 'last.safetensors') : null,
    logFile:
      options.logFile === undefined ? (checkpointDir ? join(checkpointDir, 'metrics.jsonl') : null) : options.logFile,
    generators: options.generators ?? [],
  };
}
