import { Conv2D, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { convolve } from './fused-conv2d.js';

/** Native Conv2D, NHWC float32: FusedConv2D's kernel without bias or activation. */
export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => convolve(args, Conv2D),
};
