/**
 * The names (and attributes) of the kernels this project adds to TF.js, in one place: a backend registers a kernel
 * under one of these names and the code that runs it looks for the same string. TF.js's own kernels are named by
 * tfjs-core's exported constants (`import { Conv2D, FusedConv2D } from '@tensorflow/tfjs-core'`).
 */

/**
 * The fused SGD update. `@alexnet/trainer`'s SGD runs it when the active backend registers a kernel of this name
 * (as `@alexnet/tfjs-backend-native` does), and TF.js's element-wise ops otherwise.
 *
 * Inputs: `param`, `grad` and (with momentum) `buffer`, float32 of one shape; attributes {@link FusedSgdAttrs}. It
 * applies PyTorch's rule in one pass and updates `param` and `buffer` in place when each is the only owner of its
 * storage, returning nothing; otherwise (storage shared with another tensor) it returns the new parameter and
 * buffer for the caller to assign.
 */
export const FUSED_SGD_UPDATE = 'AlexnetFusedSGDUpdate';

/** Attributes of {@link FUSED_SGD_UPDATE}; names follow `torch.optim.SGD` in camel case. */
export interface FusedSgdAttrs {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The parameter's first step: the buffer is set to the gradient instead of updated, as PyTorch does. */
  first: boolean;
}

/**
 * ReLU's gradient as one kernel: inputs `x` and `dy`, output `dx = x > 0 ? dy : 0` (TF.js's and PyTorch's 0 at
 * x = 0); no attributes. TF.js has none (it differentiates ReLU as dy * step(x), three element-wise kernels); a
 * backend that registers one gets it from the gradient {@link registerReluGradient} installs.
 */
export const RELU_GRAD = 'AlexnetReluGrad';
