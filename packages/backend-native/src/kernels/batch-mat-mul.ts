import { BatchMatMul, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { multiply } from './fused-mat-mul.js';

/** Native BatchMatMul for float32: _FusedMatMul's kernel without bias or activation. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => multiply(args, BatchMatMul),
};
