import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a learning-rate scheduler needs of an optimiser: parameter groups with a writable `lr` (PyTorch's
 * `optimizer.param_groups[i]['lr']`).
 */
export interface HasParamGroups {
  paramGroups: Array<{ lr: number }>;
}

/**
 * An optimiser's state as {@link Optimizer.stateDict} gives it and {@link Optimizer.loadStateDict} takes it, in
 * `torch.optim.Optimizer.state_dict()`'s shape, with parameters named rather than numbered.
 */
export interface OptimizerState {
  /**
   * Per-parameter state tensors: parameter name, then state name (for example SGD's `momentumBuffer`). Parameters
   * without state are absent. A checkpoint stores each as `optimizer.<parameter>.<state_name>` (the state name in
   * snake case, as PyTorch's `momentum_buffer`), so state names are camel case without dots.
   */
  state: Record<string, Record<string, tf.Tensor>>;
  /** Each group's parameter names and hyperparameters; stored in checkpoints as JSON, so JSON values only. */
  paramGroups: Array<{ params: string[]; lr: number }>;
}

/**
 * What {@link fit} and the checkpoint functions need of an optimiser, in `torch.optim.Optimizer`'s shape: parameter
 * groups whose `lr` schedulers change, a step from gradients by parameter name, a state dict and disposal.
 * {@link SGD} implements it; so can your own (see the package README for an example).
 */
export interface Optimizer extends HasParamGroups {
  /**
   * Applies one update. `grads` maps parameter names (as the model's `namedParameters()` gives them) to gradients,
   * the batch's mean for a plain step; parameters without one are left as they are. The caller disposes `grads`.
   * Runs once per optimiser step, after gradient accumulation.
   */
  step(grads: Record<string, tf.Tensor>): void;
  /** The state to checkpoint. Its tensors are new: the caller disposes them. */
  stateDict(): OptimizerState;
  /** Restores a {@link Optimizer.stateDict}; it copies what it keeps (the caller disposes the given tensors). */
  loadStateDict(state: OptimizerState): void;
  /** Frees the optimiser's own tensors (not the parameters). */
  dispose(): void;
}
