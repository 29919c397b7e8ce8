import { variableGrads } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import { nonFiniteLossError, type StopPoint } from './errors.js';
import type { LossFunction } from './evaluate.js';
import type { TrainableModel } from './fit-options.js';
import type { ClassificationMetrics } from './metrics.js';
import type { Optimizer } from './optimizer.js';

/** Gradient sums of the batches of an optimiser step not yet taken. */
interface PendingGradients {
  grads: Record<string, tf.Tensor>;
  images: number;
  batches: number;
}

/**
 * The training step: forward and backward on a batch, then an optimiser step, or with gradient accumulation one
 * step for every `accumulate` batches on their image-weighted mean gradient (batch 32 x 4 steps as batch 128).
 */
export class TrainStep {
  private readonly variables: tf.Variable[];
  /** Parameter names by variable name: the optimiser takes gradients by parameter name. */
  private readonly nameOf: Map<string, string>;
  private pending: PendingGradients | null = null;

  constructor(
    private readonly model: TrainableModel,
    private readonly optimizer: Optimizer,
    private readonly loss: LossFunction,
    private readonly accumulate: number,
  ) {
    const parameters = model.namedParameters();
    this.variables = parameters.map(([, v]) => v);
    this.nameOf = new Map(parameters.map(([name, v]) => [v.name, name]));
  }

  /** Whether gradients are waiting for their step (the group of batches is not complete). */
  get waiting(): boolean {
    return this.pending !== null;
  }

  /**
   * Trains on one batch (and disposes its tensors): its logits, labels and loss go into `metrics`, and the
   * optimiser steps when the batch completes a group. Returns the batch's mean loss (the caller disposes it) and
   * whether the optimiser stepped.
   */
  run(images: tf.Tensor, labels: tf.Tensor, metrics: ClassificationMetrics): { loss: tf.Scalar; stepped: boolean } {
    const n = labels.shape[0] as number;
    try {
      let logits: tf.Tensor | null = null;
      const { value, grads } = variableGrads(() => {
        logits = tf.keep(this.model.forward(images));
        return this.loss(logits, labels);
      }, this.variables);
      metrics.update(logits as unknown as tf.Tensor, labels, value);
      tf.dispose(logits as unknown as tf.Tensor);
      const byName = Object.fromEntries(Object.entries(grads).map(([id, g]) => [this.nameOf.get(id) as string, g]));
      return { loss: value, stepped: this.add(byName, n) };
    } finally {
      tf.dispose([images, labels]);
    }
  }

  /** Takes the step of a group cut short (an epoch's last batches); false when no gradients wait. */
  flush(): boolean {
    if (!this.pending) return false;
    const { grads, images } = this.pending;
    const mean = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.div(g, images)])));
    this.optimizer.step(mean);
    tf.dispose([...Object.values(mean), ...Object.values(grads)]);
    this.pending = null;
    return true;
  }

  /** Drops waiting gradients without a step (an epoch that stopped or failed). */
  discard(): void {
    if (this.pending) tf.dispose(Object.values(this.pending.grads));
    this.pending = null;
  }

  /** Steps on a batch's gradients (consuming them), or adds them to the group; true when the optimiser stepped. */
  private add(grads: Record<string, tf.Tensor>, n: number): boolean {
    if (this.accumulate === 1) {
      // A step per batch: the batch's mean gradient is the step's, with no extra pass over the parameters.
      this.optimizer.step(grads);
      tf.dispose(Object.values(grads));
      return true;
    }
    this.pending = accumulateGradients(this.pending, grads, n);
    return this.pending.batches === this.accumulate && this.flush();
  }
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

/** The NaN check: a NaN or infinite loss stops training with a {@link NonFiniteLossError}. */
export function assertFiniteLoss(loss: number, at: StopPoint): void {
  if (!Number.isFinite(loss)) throw nonFiniteLossError(loss, at);
}

/** `@tensorflow/tfjs-core` registers no gradients; training needs `@tensorflow/tfjs` (or tfjs-node) imported. */
export function assertGradientsRegistered(): void {
  if (!tf.getGradient(tf.Relu) || !tf.getGradient(tf.Conv2D)) {
    throw new Error(
      "TF.js gradient functions are not registered. Import '@tensorflow/tfjs' (or '@tensorflow/tfjs-node', which imports it) once before training.",
    );
  }
}
