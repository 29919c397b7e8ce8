/**
 * `@alexnet/tfjs-backend-native`: a TensorFlow.js backend for Node.js whose convolution, matrix product, pooling,
 * LRN, ReLU and SGD kernels are native code (C with AVX-512, AVX2 + FMA or SSE chosen at run time, threaded), on
 * top of the CPU backend's storage and remaining kernels.
 *
 * ```ts
 * import '@tensorflow/tfjs';
 * import '@alexnet/tfjs-backend-native';
 * await tf.setBackend('native');
 * ```
 *
 * @packageDocumentation
 */
import { registerNativeBackend } from './backend.js';

export { type AddonLoad, loadAddon, type NativeAddon } from './addon.js';
export {
  BACKEND_NAME,
  type NativeBackendStatus,
  nativeBackendStatus,
  registerNativeBackend,
  setNativeIsa,
  setNativeThreads,
} from './backend.js';
export { RELU_GRAD } from './kernels/relu.js';
export { FUSED_SGD_UPDATE, type FusedSgdAttrs } from './kernels/sgd.js';

registerNativeBackend();
