import * as tf from '@tensorflow/tfjs-core';
import type { RunState } from './checkpointing.js';
import { batchesFor } from './data.js';
import type { FitOptions, FitSettings } from './fit-options.js';
import type { RunLog } from './logging.js';
import { addBadFileCounts, ClassificationMetrics, type ClassificationResult } from './metrics.js';
import { assertFiniteLoss, type TrainStep } from './train-step.js';

/** What an epoch of training reads and updates. */
export interface EpochContext {
  options: Pick<FitOptions, 'model' | 'optimizer' | 'trainData' | 'onStepEnd'>;
  settings: Pick<FitSettings, 'logEvery' | 'lastPath'>;
  trainStep: TrainStep;
  /** Its step count goes up with each optimiser step. */
  run: RunState;
  log: RunLog;
  /** Checked after each batch: training stops there when it is aborted. */
  stop: AbortSignal;
}

/** The training pass of an epoch: its metrics so far and the batches it took. */
export interface EpochProgress {
  metrics: ClassificationMetrics;
  batches: number;
  /** The bad files the batches said they left out or replaced. */
  badFiles: Pick<ClassificationResult, 'skipped' | 'substituted'>;
}

/**
 * One pass over the training data in training mode: a {@link TrainStep} per batch; every `logEvery` optimiser
 * steps the loss is read back, checked for NaN and logged; a {@link StepEvent} after every batch. On a stop it
 * returns after the current batch, dropping the gradients of an unfinished group; otherwise a group the epoch cut
 * short takes its step.
 */
export async function trainEpoch(context: EpochContext, epoch: number, started: number): Promise<EpochProgress> {
  const { options, settings, trainStep, run, log, stop } = context;
  const metrics = new ClassificationMetrics();
  options.model.train(true);
  let batches = 0;
  let images = 0;
  const badFiles: EpochProgress['badFiles'] = {};
  try {
    for await (const batch of batchesFor(options.trainData, epoch)) {
      const n = batch.labels.shape[0] as number;
      addBadFileCounts(badFiles, batch);
      if (n === 0) {
        // Only the count of bad files left out: nothing to train on.
        tf.dispose([batch.images, batch.labels]);
        continue;
      }
      const { loss: lossValue, stepped } = trainStep.run(batch.images, batch.labels, metrics);
      if (stepped) run.step += 1;
      batches += 1;
      images += n;
      // Read back only at a step boundary (no gradients waiting): reading costs a backend sync.
      const readLoss = run.step % settings.logEvery === 0 && !trainStep.waiting;
      const loss = readLoss ? (await lossValue.data())[0] : null;
      lossValue.dispose();
      const lr = options.optimizer.paramGroups[0].lr;
      if (loss !== null) {
        assertFiniteLoss(loss, { epoch, step: run.step, lastPath: settings.lastPath, lastEpoch: run.epoch });
        await log({ type: 'step', epoch, step: run.step, loss, lr });
      }
      const seconds = (performance.now() - started) / 1000;
      options.onStepEnd?.({
        epoch,
        step: run.step,
        batch: batches,
        images,
        lr,
        loss,
        imagesPerSecond: images / seconds,
      });
      if (stop.aborted) break;
    }
    if (!stop.aborted && trainStep.flush()) run.step += 1;
  } finally {
    trainStep.discard();
  }
  return { metrics, batches, badFiles };
}
