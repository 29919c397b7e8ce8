import * as tf from '@tensorflow/tfjs-core';

/** Metrics of a pass over a dataset, counted over images (not averaged over batches). */
export interface ClassificationResult {
  /** Mean loss per image. */
  loss: number;
  /** Fraction of images whose label is the best class. */
  top1: number;
  /** Fraction of images whose label is among the 5 best classes. */
  top5: number;
  /** Images counted. */
  count: number;
  /** Samples left out because their files were bad (when the data says: an `ImageLoader` does). */
  skipped?: number;
  /** Samples whose bad files were replaced by other images, which `count` includes (when the data says). */
  substituted?: number;
}

/** Adds a batch's `skipped` and `substituted` counts to a running total (fields the data never gave stay absent). */
export function addBadFileCounts(
  total: Pick<ClassificationResult, 'skipped' | 'substituted'>,
  batch: { skipped?: number; substituted?: number },
): void {
  if (batch.skipped !== undefined) total.skipped = (total.skipped ?? 0) + batch.skipped;
  if (batch.substituted !== undefined) total.substituted = (total.substituted ?? 0) + batch.substituted;
}

/**
 * Accumulates loss and top-1 / top-5 correct counts on the backend, so training steps need no data download;
 * {@link ClassificationMetrics.result} reads them back once. Every image weighs the same, so a short last batch
 * counts for what it holds (the seed article averaged per-batch accuracies instead).
 */
export class ClassificationMetrics {
  private lossSum: tf.Scalar | null = null;
  private top1Correct: tf.Scalar | null = null;
  private top5Correct: tf.Scalar | null = null;
  private images = 0;

  /**
   * Adds a batch: `scores` `[n, classes]` (logits or probabilities: only their order matters), integer `labels`
   * `[n]`, and the batch's mean loss (a scalar tensor or number), if any.
   */
  update(scores: tf.Tensor, labels: tf.Tensor, meanLoss?: tf.Scalar | number): void {
    const n = scores.shape[0] as number;
    const classes = scores.shape[1] as number;
    const [top1, top5, lossSum] = tf.tidy(() => {
      const k = Math.min(5, classes);
      const { indices } = tf.topk(scores, k);
      const hits = tf.cast(tf.equal(indices, tf.expandDims(tf.cast(labels, 'int32'), 1)), 'float32');
      const first = tf.sum(tf.slice(hits, [0, 0], [n, 1]));
      const five = tf.sum(hits);
      const loss = meanLoss === undefined ? tf.scalar(0) : tf.mul(meanLoss, n);
      return [
        tf.add(this.top1Correct ?? 0, first) as tf.Scalar,
        tf.add(this.top5Correct ?? 0, five) as tf.Scalar,
        tf.add(this.lossSum ?? 0, loss) as tf.Scalar,
      ];
    });
    tf.dispose([this.top1Correct, this.top5Correct, this.lossSum].filter((t): t is tf.Scalar => t !== null));
    // Kept: the running sums must outlive any tf.tidy the caller runs update() in.
    this.top1Correct = tf.keep(top1);
    this.top5Correct = tf.keep(top5);
    this.lossSum = tf.keep(lossSum);
    this.images += n;
  }

  /** The metrics so far (reads three numbers from the backend). */
  async result(): Promise<ClassificationResult> {
    if (this.images === 0) return { loss: Number.NaN, top1: Number.NaN, top5: Number.NaN, count: 0 };
    const [loss, top1, top5] = await Promise.all(
      [this.lossSum, this.top1Correct, this.top5Correct].map(
        async (t) => ((await (t as tf.Scalar).data()) as Float32Array)[0],
      ),
    );
    return { loss: loss / this.images, top1: top1 / this.images, top5: top5 / this.images, count: this.images };
  }

  /** Forgets everything counted. */
  reset(): void {
    tf.dispose([this.top1Correct, this.top5Correct, this.lossSum].filter((t): t is tf.Scalar => t !== null));
    this.top1Correct = this.top5Correct = this.lossSum = null;
    this.images = 0;
  }
}

/**
 * Multi-crop evaluation (10-crop testing): logits `[n * crops, classes]`, the crops of each image consecutive,
 * become class probabilities `[n, classes]` averaged over each image's crops. `head` says how logits become
 * probabilities.
 */
export function averageCrops(logits: tf.Tensor, crops: number, head: 'softmax' | 'sigmoid' = 'softmax'): tf.Tensor2D {
  const total = logits.shape[0] as number;
  if (total % crops !== 0) throw new Error(`${total} rows of logits do not divide into groups of ${crops} crops`);
  return tf.tidy(() => {
    const probabilities = head === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
    return tf.mean(tf.reshape(probabilities, [total / crops, crops, -1]), 1) as tf.Tensor2D;
  });
}
