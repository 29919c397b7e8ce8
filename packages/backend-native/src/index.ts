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

/** The custom kernel names this backend registers; their one home is `@alexnet/tfjs-extensions`. */
export { FUSED_SGD_UPDATE, type FusedSgdAttrs, RELU_GRAD } from '@alexnet/tfjs-extensions';
export {
  type AddonLoad,
  type CacheSizes,
  type GemmBlocks,
  loadAddon,
  type NativeAddon,
  type WinogradMode,
} from './addon.js';
export {
  BACKEND_NAME,
  measureNativePeak,
  type NativeBackendStatus,
  type NativePeak,
  nativeBackendStatus,
  registerNativeBackend,
  setNativeGemmBlocks,
  setNativeIsa,
  setNativeThreads,
  setNativeWinograd,
} from './backend.js';

registerNativeBackend();
