/**
 * `@alexnet/tfjs-extensions`: every TF.js engine internal the AlexNet packages touch, in one package pinned to
 * TF.js 4.22, and each applied by an explicit call:
 *
 * - {@link installKernelPatches}: faster training kernels for TF.js's `cpu` and `wasm` backends.
 * - {@link registerGradients}: the `FusedConv2D` gradient `Conv2d` trains with, and ReLU's through a backend's
 *   single-pass kernel.
 * - {@link variableGrads}: `tf.variableGrads` with PyTorch's memory profile (it walks TF.js's tape).
 * - {@link FUSED_SGD_UPDATE}, {@link RELU_GRAD}: the names of the kernels this project adds.
 * - {@link silenceTfjsNodeHint}: for backends that derive from the cpu backend.
 * - `registerThreadedWasm` (from `@alexnet/tfjs-extensions/node`): wasm threads under Node.
 *
 * @packageDocumentation
 * @module @alexnet/tfjs-extensions
 */

export { silenceTfjsNodeHint } from './cpu-backend.js';
export { hasFusedConv2DGradient, registerFusedConv2DGradient } from './gradients/fused-conv2d.js';
export { registerGradients } from './gradients/register.js';
export { registerReluGradient } from './gradients/relu.js';
export { FUSED_SGD_UPDATE, type FusedSgdAttrs, RELU_GRAD } from './kernel-names.js';
export { installCpuKernels, restoreCpuKernels } from './kernels/cpu.js';
export { installKernelPatches, restoreKernelPatches } from './kernels/patches.js';
export { installWasmKernels, restoreWasmKernels } from './kernels/wasm.js';
export { variableGrads } from './variable-grads.js';
