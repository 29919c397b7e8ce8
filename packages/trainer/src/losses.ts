import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing ε as in PyTorch's `cross_entropy(label_smoothing=ε)`: the target is (1 - ε) one-hot plus ε
   * spread evenly over all classes (default 0).
   */
  labelSmoothing?: number;
}

/** Mean softmax cross-entropy of logits `[n, classes]` against integer labels `[n]` (`torch.nn.CrossEntropyLoss`). */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): tf.Scalar {
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`labelSmoothing must be in [0, 1], got ${smoothing}`);
  return tf.tidy(() => {
    const classes = logits.shape[1] as number;
    const logProbabilities = tf.logSoftmax(logits);
    let target = tf.oneHot(tf.cast(labels, 'int32'), classes);
    if (smoothing > 0) target = tf.add(tf.mul(target, 1 - smoothing), smoothing / classes);
    return tf.mean(tf.neg(tf.sum(tf.mul(target, logProbabilities), 1))) as tf.Scalar;
  });
}

/** Options of {@link sigmoidCrossEntropy}. */
export interface SigmoidCrossEntropyOptions {
  /**
   * `'batchmean'` (default): summed over classes, averaged over images: the cross-entropy of the 2014 paper's
   * independent logistic units per image. `'mean'`: averaged over every element, as PyTorch's
   * `BCEWithLogitsLoss()` (1000 times smaller for ImageNet, so it needs a larger learning rate).
   */
  reduction?: 'batchmean' | 'mean';
}

/**
 * Sigmoid (binary) cross-entropy of logits `[n, classes]` against one-hot targets made from integer labels `[n]`,
 * computed stably as `max(x, 0) - x z + log(1 + exp(-|x|))`.
 */
export function sigmoidCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options: SigmoidCrossEntropyOptions = {},
): tf.Scalar {
  const reduction = options.reduction ?? 'batchmean';
  return tf.tidy(() => {
    const classes = logits.shape[1] as number;
    const targets = tf.oneHot(tf.cast(labels, 'int32'), classes);
    const elementwise = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, targets)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    if (reduction === 'mean') return tf.mean(elementwise) as tf.Scalar;
    return tf.div(tf.sum(elementwise), logits.shape[0] as number) as tf.Scalar;
  });
}
