import { type KernelConfig, Sub } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { binaryOp } from '../kernel-utils/binary-op.js';

/** Native Sub of float32 tensors of one shape, or with an operand repeating along the other (see {@link binaryOp}). */
export const subConfig: KernelConfig = {
  kernelName: Sub,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => binaryOp(args, Sub),
};
