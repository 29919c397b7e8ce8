import * as tf from '@tensorflow/tfjs-core';
import { batchesFor, type DataSource } from './data.js';
import { softmaxCrossEntropy } from './losses.js';
import { addBadFileCounts, averageCrops, ClassificationMetrics, type ClassificationResult } from './metrics.js';

/** A model the trainer can run: a forward function and a training-mode switch. */
export interface RunnableModel {
  forward(x: tf.Tensor): tf.Tensor;
  train(mode?: boolean): unknown;
  eval(): unknown;
}

/** Computes a batch's mean loss from logits `[n, classes]` and integer labels `[n]`. */
export type LossFunction = (logits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Loss to report (default softmax cross-entropy). */
  loss?: LossFunction;
  /**
   * Crops per image for multi-crop testing (10 for the paper's 10-crop test): the batch's images hold each image's
   * crops consecutively and its labels one label per image. Probabilities are averaged over the crops.
   */
  crops?: number;
  /** How logits become probabilities when averaging crops (default softmax). */
  head?: 'softmax' | 'sigmoid';
  /** Epoch passed to a data source function (default 0). */
  epoch?: number;
}

/**
 * Runs `model` in eval mode over `data` and returns loss, top-1 and top-5 counted over the images scored (a batch's
 * `skipped` bad files are not: the result's `skipped` says how many). Restores the model's training mode
 * afterwards. Each batch is disposed once used.
 */
export async function evaluate(
  model: RunnableModel,
  data: DataSource,
  options: EvaluateOptions = {},
): Promise<ClassificationResult> {
  const lossFn = options.loss ?? softmaxCrossEntropy;
  const crops = options.crops ?? 1;
  const wasTraining = (model as { training?: boolean }).training ?? true;
  model.eval();
  const metrics = new ClassificationMetrics();
  const badFiles: Pick<ClassificationResult, 'skipped' | 'substituted'> = {};
  try {
    for await (const batch of batchesFor(data, options.epoch ?? 0)) {
      try {
        addBadFileCounts(badFiles, batch);
        // A loader's last batch may hold no images, only the count of bad files left out.
        if (batch.labels.shape[0] === 0) continue;
        tf.tidy(() => {
          const logits = model.forward(batch.images);
          if (crops === 1) {
            metrics.update(logits, batch.labels, lossFn(logits, batch.labels));
            return;
          }
          const probabilities = averageCrops(logits, crops, options.head);
          // The loss of averaged probabilities is their negative log-likelihood.
          const picked = tf.sum(
            tf.mul(probabilities, tf.oneHot(tf.cast(batch.labels, 'int32'), probabilities.shape[1])),
            1,
          );
          const nll = tf.mean(tf.neg(tf.log(tf.maximum(picked, 1e-12)))) as tf.Scalar;
          metrics.update(probabilities, batch.labels, nll);
        });
      } finally {
        tf.dispose([batch.images, batch.labels]);
      }
    }
    return { ...(await metrics.result()), ...badFiles };
  } finally {
    metrics.reset();
    model.train(wasTraining);
  }
}
