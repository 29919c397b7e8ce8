import type * as tf from '@tensorflow/tfjs-core';

/** One batch: images (any shape the model takes, NHWC for AlexNet) and integer labels `[n]`. */
export interface Batch {
  images: tf.Tensor;
  labels: tf.Tensor;
  /** Samples of this batch left out because their files were bad (a loader's `skipped`): counted, not scored. */
  skipped?: number;
  /** Samples of this batch whose bad files were replaced by other samples (a loader's `substituted`). */
  substituted?: number;
}

/**
 * Batches for one epoch, or a function giving them for an epoch (1-based), so a loader can shuffle with the epoch
 * as seed. The trainer disposes each batch's tensors once it has used them.
 */
export type DataSource =
  | AsyncIterable<Batch>
  | Iterable<Batch>
  | ((epoch: number) => AsyncIterable<Batch> | Iterable<Batch>);

/** The batches of `source` for `epoch`. */
export function batchesFor(source: DataSource, epoch: number): AsyncIterable<Batch> | Iterable<Batch> {
  return typeof source === 'function' ? source(epoch) : source;
}
