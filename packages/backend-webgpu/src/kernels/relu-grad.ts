import { RELU_GRAD } from '@alexnet/tfjs-extensions';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementWiseProgram } from './element-wise-program.js';
import { runProgram } from './webgpu-internals.js';

/**
 * ReLU's gradient in one pass, `dx = x > 0 ? dy : 0` (0 at x = 0, as TF.js and PyTorch): TF.js differentiates ReLU
 * as `dy * step(x)`, two kernels and a temporary the size of the activation.
 */
function reluGrad({ inputs, backend }: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.join() !== dy.shape.join()) {
    throw new Error(
      `${RELU_GRAD}: x and dy must be float32 of one shape, got x ${x.dtype} [${x.shape}], dy ${dy.dtype} [${dy.shape}]`,
    );
  }
  const program = elementWiseProgram({
    shaderKey: 'alexnet_relu_grad',
    variableNames: ['X', 'DY'],
    outputShape: x.shape,
    body: 'result[index] = select(0.0, DY[index], X[index] > 0.0);',
  });
  return runProgram(backend as WebGPUBackend, program, [x, dy], []);
}

/** {@link RELU_GRAD} on WebGPU. */
export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'webgpu',
  kernelFunc: reluGrad as unknown as KernelFunc,
};
