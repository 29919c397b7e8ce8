import { existsSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Generator, GeneratorState } from '@alexnet/layers';
import { variableGrads } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import {
  type CheckpointableModel,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  type TrainingState,
} from './checkpoint.js';
import { batchesFor, type DataSource } from './data.js';
import { type EvaluateOptions, evaluate, type LossFunction, type RunnableModel } from './evaluate.js';
import { softmaxCrossEntropy } from './losses.js';
import { ClassificationMetrics, type ClassificationResult } from './metrics.js';
import { type EpochScheduler, ReduceLROnPlateau } from './schedulers.js';
import type { SGD } from './sgd.js';

/** A model {@link fit} can train and checkpoint: a `@alexnet/layers` module satisfies it. */
export type TrainableModel = RunnableModel & CheckpointableModel;

/** Metric names {@link FitOptions.monitor} can follow. */
export type MonitoredMetric = `${'train' | 'val'}.${'loss' | 'top1' | 'top5'}`;

/** One finished epoch, as logged and returned. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Optimiser steps taken so far. */
  step: number;
  /** Learning rate of the first group during the epoch. */
  lr: number;
  train: ClassificationResult;
  val: ClassificationResult | null;
  seconds: number;
  imagesPerSecond: number;
}

/** Sent after every optimiser step; `loss` is read back from the backend only every `logEvery` steps. */
export interface StepEvent {
  epoch: number;
  step: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Images done in this epoch. */
  images: number;
  lr: number;
  loss: number | null;
  imagesPerSecond: number;
}

/** Options of {@link fit}. */
export interface FitOptions {
  model: TrainableModel;
  optimizer: SGD;
  trainData: DataSource;
  valData?: DataSource;
  /** Epochs to train to (counting those a resumed run already did). */
  epochs: number;
  /** Loss from logits and labels (default softmax cross-entropy). */
  loss?: LossFunction;
  /** Stepped once per epoch; a {@link ReduceLROnPlateau} is stepped with the monitored metric. */
  scheduler?: EpochScheduler | ReduceLROnPlateau;
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
  generators?: Generator[];
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

/** What {@link fit} returns. */
export interface FitResult {
  history: EpochRecord[];
  best: TrainingState['best'];
  /** Epoch the run started from (0 unless resumed). */
  startEpoch: number;
}

/** Training stopped on request (signal); the message says which checkpoint to resume from. */
export class TrainingInterruptedError extends Error {
  constructor(
    message: string,
    readonly checkpoint: string | null,
  ) {
    super(message);
    this.name = 'TrainingInterruptedError';
  }
}

/** The loss became NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    readonly checkpoint: string | null,
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

interface RunState extends Omit<TrainingState, 'optimizer' | 'scheduler' | 'rng' | 'config'> {
  history: EpochRecord[];
}

/**
 * Trains `model` for `epochs` epochs: SGD steps with optional gradient accumulation, image-counted metrics, a
 * validation pass and a scheduler step per epoch, checkpoints written atomically (`last` every epoch, `best` when
 * the monitored metric improves), a JSON-lines log, and exact resume. Every step runs inside `tf.tidy`.
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const { model, optimizer } = options;
  const lossFn = options.loss ?? softmaxCrossEntropy;
  const accumulate = options.gradAccumulation ?? 1;
  if (!(Number.isInteger(accumulate) && accumulate >= 1)) {
    throw new RangeError(`gradAccumulation must be a positive integer, got ${options.gradAccumulation}`);
  }
  const logEvery = options.logEvery ?? 20;
  const monitor: MonitoredMetric = options.monitor ?? (options.valData ? 'val.top1' : 'train.loss');
  const higherIsBetter = !monitor.endsWith('loss');
  const dir = options.checkpointDir;
  const lastPath = dir ? join(dir, 'last.safetensors') : null;
  const logFile = options.logFile === undefined ? (dir ? join(dir, 'metrics.jsonl') : null) : options.logFile;
  const generators = options.generators ?? [];
  const parameters = model.namedParameters();
  const nameOf = new Map(parameters.map(([name, v]) => [v.name, name]));
  assertGradientsRegistered();

  const run: RunState = { epoch: 0, step: 0, best: null, history: [] };
  const resumePath =
    options.resume === true ? (lastPath && existsSync(lastPath) ? lastPath : null) : options.resume || null;
  if (resumePath) {
    const checkpoint = await readCheckpoint(resumePath);
    restoreCheckpoint(checkpoint, model, optimizer);
    const saved = checkpoint.state as TrainingState & { history?: EpochRecord[] };
    options.scheduler?.loadStateDict(saved.scheduler ?? {});
    for (const [i, state] of saved.rng.entries()) generators[i]?.setState(state as GeneratorState);
    Object.assign(run, { epoch: saved.epoch, step: saved.step, best: saved.best, history: saved.history ?? [] });
  }
  const startEpoch = run.epoch;

  const log = async (entry: object) => {
    if (!logFile) return;
    await mkdir(dirname(logFile), { recursive: true });
    await appendFile(logFile, `${JSON.stringify(entry)}\n`);
  };
  const checkpointState = () => ({
    epoch: run.epoch,
    step: run.step,
    best: run.best,
    scheduler: options.scheduler?.stateDict() ?? null,
    rng: generators.map((g) => g.getState()),
    config: options.config ?? {},
    history: run.history,
  });
  const save = (path: string | string[]) =>
    saveCheckpoint(path, model, optimizer, checkpointState(), options.weightsMetadata);

  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  if (options.signal?.aborted) abort();
  if (options.handleSignals) {
    process.on('SIGINT', abort);
    process.on('SIGTERM', abort);
  }

  try {
    if (options.validateFirst && options.valData && startEpoch === 0) {
      const val = await evaluate(model, options.valData, { ...options.evaluateOptions, loss: lossFn, epoch: 0 });
      await log({ type: 'validation', epoch: 0, val });
    }
    for (let epoch = startEpoch + 1; epoch <= options.epochs; epoch++) {
      const lr = optimizer.lr;
      const started = performance.now();
      const metrics = new ClassificationMetrics();
      model.train(true);
      let batch = 0;
      let images = 0;
      let pending: PendingGradients | null = null;

      const applyPending = () => {
        if (!pending) return;
        const { grads, images: n } = pending;
        const mean = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.div(g, n)])));
        optimizer.step(mean);
        tf.dispose([...Object.values(mean), ...Object.values(grads)]);
        pending = null;
        run.step += 1;
      };

      try {
        for await (const { images: x, labels } of batchesFor(options.trainData, epoch)) {
          const n = labels.shape[0] as number;
          let lossValue: tf.Scalar;
          try {
            let logits: tf.Tensor | null = null;
            const { value, grads } = variableGrads(
              () => {
                logits = tf.keep(model.forward(x));
                return lossFn(logits, labels);
              },
              parameters.map(([, v]) => v),
            );
            lossValue = value;
            metrics.update(logits as unknown as tf.Tensor, labels, value);
            tf.dispose(logits as unknown as tf.Tensor);
            const byName = Object.fromEntries(Object.entries(grads).map(([id, g]) => [nameOf.get(id) as string, g]));
            if (accumulate === 1) {
              // A step per batch: the batch's mean gradient is the step's, with no extra pass over the parameters.
              optimizer.step(byName);
              tf.dispose(Object.values(byName));
              run.step += 1;
            } else {
              pending = accumulateGradients(pending, byName, n);
              if (pending.batches === accumulate) applyPending();
            }
          } finally {
            tf.dispose([x, labels]);
          }
          batch += 1;
          images += n;
          const readLoss = run.step % logEvery === 0 && pending === null;
          const loss = readLoss ? (await lossValue.data())[0] : null;
          lossValue.dispose();
          if (loss !== null) {
            if (!Number.isFinite(loss)) throw nonFinite(loss, epoch, run.step, lastPath, run.epoch);
            await log({ type: 'step', epoch, step: run.step, loss, lr: optimizer.lr });
          }
          const seconds = (performance.now() - started) / 1000;
          options.onStepEnd?.({
            epoch,
            step: run.step,
            batch,
            images,
            lr: optimizer.lr,
            loss,
            imagesPerSecond: images / seconds,
          });
          if (controller.signal.aborted) break;
        }
        if (!controller.signal.aborted) applyPending();
      } finally {
        if (pending) tf.dispose(Object.values((pending as PendingGradients).grads));
        pending = null;
      }

      if (controller.signal.aborted) {
        const path = dir ? join(dir, 'interrupted.safetensors') : null;
        if (path) await save(path);
        metrics.reset();
        throw new TrainingInterruptedError(
          `Training interrupted during epoch ${epoch} after ${batch} batches. ` +
            (lastPath && run.epoch > 0
              ? `Resume from ${lastPath} (epoch ${run.epoch}); the weights at the interruption are in ${path}.`
              : path
                ? `No epoch finished; the weights at the interruption are in ${path}.`
                : 'No checkpoint folder was given, so nothing was saved.'),
          lastPath && run.epoch > 0 ? lastPath : path,
        );
      }

      const train = await metrics.result();
      metrics.reset();
      if (!Number.isFinite(train.loss)) throw nonFinite(train.loss, epoch, run.step, lastPath, run.epoch);
      const val = options.valData
        ? await evaluate(model, options.valData, { ...options.evaluateOptions, loss: lossFn, epoch })
        : null;
      const seconds = (performance.now() - started) / 1000;
      const record: EpochRecord = {
        type: 'epoch',
        epoch,
        step: run.step,
        lr,
        train,
        val,
        seconds,
        imagesPerSecond: train.count / seconds,
      };
      const monitored = metricValue(record, monitor);
      if (options.scheduler instanceof ReduceLROnPlateau) options.scheduler.step(monitored);
      else options.scheduler?.step();

      run.epoch = epoch;
      run.history.push(record);
      const improved =
        Number.isFinite(monitored) &&
        (run.best === null || (higherIsBetter ? monitored > run.best.value : monitored < run.best.value));
      if (improved) run.best = { metric: monitor, value: monitored, epoch };
      if (dir && lastPath) {
        const paths = [lastPath];
        if (improved) paths.push(join(dir, 'best.safetensors'));
        if (options.keepEveryEpoch) paths.push(join(dir, `epoch-${epoch}.safetensors`));
        await save(paths);
      }
      await log(record);
      options.onEpochEnd?.(record);
    }
    return { history: run.history, best: run.best, startEpoch };
  } finally {
    options.signal?.removeEventListener('abort', abort);
    if (options.handleSignals) {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    }
  }
}

/** Gradient sums of the batches of an optimiser step not yet taken. */
interface PendingGradients {
  grads: Record<string, tf.Tensor>;
  images: number;
  batches: number;
}

/**
 * Adds a batch's mean gradients, weighted by its size, to the running sums (consuming `grads`), so the step taken
 * from `sums / images` equals one step on all the accumulated images together.
 */
function accumulateGradients(
  pending: PendingGradients | null,
  grads: Record<string, tf.Tensor>,
  n: number,
): PendingGradients {
  const sums = tf.tidy(() =>
    Object.fromEntries(
      Object.entries(grads).map(([k, g]) => [k, pending ? tf.add(pending.grads[k], tf.mul(g, n)) : tf.mul(g, n)]),
    ),
  );
  tf.dispose([...Object.values(grads), ...(pending ? Object.values(pending.grads) : [])]);
  return { grads: sums, images: (pending?.images ?? 0) + n, batches: (pending?.batches ?? 0) + 1 };
}

function metricValue(record: EpochRecord, metric: MonitoredMetric): number {
  const [split, name] = metric.split('.') as ['train' | 'val', 'loss' | 'top1' | 'top5'];
  const result = record[split];
  if (!result) throw new Error(`Cannot monitor ${metric}: there is no validation data`);
  return result[name];
}

function nonFinite(
  loss: number,
  epoch: number,
  step: number,
  lastPath: string | null,
  lastEpoch: number,
): NonFiniteLossError {
  const kept =
    lastPath && lastEpoch > 0
      ? `The last good checkpoint is ${lastPath} (epoch ${lastEpoch}).`
      : 'No epoch had finished, so there is no checkpoint.';
  return new NonFiniteLossError(
    `Loss is ${loss} at epoch ${epoch}, step ${step}: training stopped. Lower the learning rate or check the data. ${kept}`,
    lastPath && lastEpoch > 0 ? lastPath : null,
  );
}

/** `@tensorflow/tfjs-core` registers no gradients; training needs `@tensorflow/tfjs` (or tfjs-node) imported. */
function assertGradientsRegistered(): void {
  if (!tf.getGradient('Relu') || !tf.getGradient('Conv2D')) {
    throw new Error(
      "TF.js gradient functions are not registered. Import '@tensorflow/tfjs' (or '@tensorflow/tfjs-node', which imports it) once before training.",
    );
  }
}
