import type { TrainingState } from './checkpoint.js';
import { RunCheckpoints, type RunState } from './checkpointing.js';
import { interruptedError } from './errors.js';
import { evaluate } from './evaluate.js';
import type { EpochRecord } from './events.js';
import { type FitOptions, type FitSettings, resolveFitSettings } from './fit-options.js';
import { jsonLinesLog, type RunLog } from './logging.js';
import { improves, metricValue } from './monitor.js';
import { startRun } from './resume.js';
import { listenForStop } from './signals.js';
import { type EpochProgress, trainEpoch } from './train-epoch.js';
import { assertFiniteLoss, assertGradientsRegistered, TrainStep } from './train-step.js';

/** What {@link fit} returns. */
export interface FitResult {
  history: EpochRecord[];
  best: TrainingState['best'];
  /** Epoch the run started from (0 unless resumed). */
  startEpoch: number;
}

/** Everything the steps of one {@link fit} call share. */
interface FitRun {
  options: FitOptions;
  settings: FitSettings;
  run: RunState;
  log: RunLog;
  checkpoints: RunCheckpoints;
}

/**
 * Trains `model` for `epochs` epochs: optimiser steps with optional gradient accumulation, image-counted metrics, a
 * validation pass and a scheduler step per epoch, checkpoints written atomically (`last` every epoch, `best` when
 * the monitored metric improves), a JSON-lines log, and exact resume. Every step runs inside `tf.tidy`.
 *
 * The steps, each in its own file: the options' defaults (`fit-options.ts`), resuming (`resume.ts`), listening for
 * a stop (`signals.ts`), the epoch's training pass (`train-epoch.ts`) of training steps with accumulation and the
 * NaN check (`train-step.ts`), the end of an epoch (below: validation, scheduler, best, checkpoints via
 * `checkpointing.ts`, the log via `logging.ts`).
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const settings = resolveFitSettings(options);
  const trainStep = new TrainStep(options.model, options.optimizer, settings.loss, settings.gradAccumulation);
  assertGradientsRegistered();
  const run = await startRun(options, settings);
  const startEpoch = run.epoch;
  const context: FitRun = {
    options,
    settings,
    run,
    log: jsonLinesLog(settings.logFile),
    checkpoints: new RunCheckpoints(options, settings),
  };
  const stop = listenForStop(options.signal, options.handleSignals);
  try {
    if (options.validateFirst && options.valData && startEpoch === 0) await validateBeforeTraining(context);
    for (let epoch = startEpoch + 1; epoch <= options.epochs; epoch++) {
      const lr = options.optimizer.paramGroups[0].lr;
      const started = performance.now();
      const progress = await trainEpoch({ ...context, trainStep, stop: stop.signal }, epoch, started);
      if (stop.signal.aborted) throw await interrupt(context, epoch, progress);
      const record = await measureEpoch(context, epoch, lr, started, progress);
      await endEpoch(context, record);
    }
    return { history: run.history, best: run.best, startEpoch };
  } finally {
    stop.release();
  }
}

/** The seed article's validation pass before the first epoch, logged as epoch 0. */
async function validateBeforeTraining({ options, settings, log }: FitRun): Promise<void> {
  if (!options.valData) return;
  const val = await evaluate(options.model, options.valData, {
    ...options.evaluateOptions,
    loss: settings.loss,
    epoch: 0,
  });
  await log({ type: 'validation', epoch: 0, val });
}

/** Saves the weights at a stop and gives the error that tells where to resume from. */
async function interrupt({ run, settings, checkpoints }: FitRun, epoch: number, progress: EpochProgress) {
  const path = await checkpoints.saveInterrupted(run);
  progress.metrics.reset();
  const at = { epoch, step: run.step, lastPath: settings.lastPath, lastEpoch: run.epoch };
  return interruptedError(at, progress.batches, path);
}

/** The epoch's record: its training metrics (checked for NaN), then the validation pass. */
async function measureEpoch(
  { options, settings, run }: FitRun,
  epoch: number,
  lr: number,
  started: number,
  { metrics, badFiles }: EpochProgress,
): Promise<EpochRecord> {
  const train = { ...(await metrics.result()), ...badFiles };
  metrics.reset();
  assertFiniteLoss(train.loss, { epoch, step: run.step, lastPath: settings.lastPath, lastEpoch: run.epoch });
  const val = options.valData
    ? await evaluate(options.model, options.valData, { ...options.evaluateOptions, loss: settings.loss, epoch })
    : null;
  const seconds = (performance.now() - started) / 1000;
  return { type: 'epoch', epoch, step: run.step, lr, train, val, seconds, imagesPerSecond: train.count / seconds };
}

/**
 * Closes an epoch: the scheduler steps with the monitored metric, the run counts the epoch and its best, the
 * checkpoints are written, the record is logged and reported.
 */
async function endEpoch({ options, settings, run, log, checkpoints }: FitRun, record: EpochRecord): Promise<void> {
  const monitored = metricValue(record, settings.monitor);
  options.scheduler?.step(monitored);
  run.epoch = record.epoch;
  run.history.push(record);
  const improved = improves(monitored, run.best, settings.monitor);
  if (improved) run.best = { metric: settings.monitor, value: monitored, epoch: record.epoch };
  await checkpoints.saveEpoch(run, record.epoch, improved);
  await log(record);
  options.onEpochEnd?.(record);
}
