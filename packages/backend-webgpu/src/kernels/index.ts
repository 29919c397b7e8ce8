import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { reluGradConfig } from './relu-grad.js';
import { fusedSgdUpdateConfig } from './sgd.js';

/**
 * This package's WebGPU kernels, one `KernelConfig` a file in this folder, each named by tfjs-core's constants (or
 * `@alexnet/tfjs-extensions`' kernel names for the kernels this project adds), listed once here. Each either replaces
 * a stock `@tensorflow/tfjs-backend-webgpu` kernel that a per-kernel profile of a training step found slow, or adds one
 * TF.js lacks. `install.ts` registers them over the stock ones (and puts the stock ones back).
 */
export const webGpuKernelConfigs: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  fusedSgdUpdateConfig,
  reluGradConfig,
];
