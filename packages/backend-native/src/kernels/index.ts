/**
 * Every kernel the native backend replaces, the one list `registerNativeBackend` registers (as TF.js's own backends
 * list theirs in `register_all_kernels.ts`). Each file holds one kernel and exports its `KernelConfig`; the names
 * are tfjs-core's constants, except this package's own {@link RELU_GRAD} and {@link FUSED_SGD_UPDATE}. Every other
 * kernel of the backend is the CPU backend's.
 *
 * To add a kernel: write `kernels/<kernel-name>.ts` exporting `<kernelName>Config` (its function falls back to the
 * CPU kernel, through `cpuFallback`, for the cases it leaves out), list it here, and compare it with the CPU backend
 * in `kernels.test.ts`.
 */
import { FUSED_SGD_UPDATE, RELU_GRAD } from '@alexnet/tfjs-extensions';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { addConfig } from './add.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2DConfig } from './conv2d.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedConv2DConfig } from './fused-conv2d.js';
import { fusedMatMulConfig } from './fused-mat-mul.js';
import { greaterEqualConfig } from './greater-equal.js';
import { lrnConfig } from './lrn.js';
import { lrnGradConfig } from './lrn-grad.js';
import { maxPoolConfig } from './max-pool.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { multiplyConfig } from './multiply.js';
import { reluConfig } from './relu.js';
import { reluGradConfig } from './relu-grad.js';
import { fusedSgdUpdateConfig } from './sgd.js';
import { stepConfig } from './step.js';
import { subConfig } from './sub.js';
import { sumConfig } from './sum.js';
import { transposeConfig } from './transpose.js';

/** The native backend's own kernels, each a TF.js `KernelConfig` for backend `'native'`. */
export const nativeKernelConfigs: readonly KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  greaterEqualConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  lrnConfig,
  lrnGradConfig,
  reluConfig,
  stepConfig,
  reluGradConfig,
  sumConfig,
  transposeConfig,
  fusedSgdUpdateConfig,
];

/** The names of the kernels this package defines itself (TF.js has no kernel of either name). */
export const customKernelNames: readonly string[] = [RELU_GRAD, FUSED_SGD_UPDATE];
