import { GreaterEqual, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { binaryOp } from '../kernel-utils/binary-op.js';

/** Native GreaterEqual of float32 tensors, one against the other repeating along it (see {@link binaryOp}): dropout's mask. */
export const greaterEqualConfig: KernelConfig = {
  kernelName: GreaterEqual,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => binaryOp(args, GreaterEqual),
};
