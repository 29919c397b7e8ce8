/**
 * `@alexnet/tfjs-backend-webgpu`: TensorFlow.js's WebGPU backend (`@tensorflow/tfjs-backend-webgpu`, its stock
 * kernels) on an adapter of your choice. In Node.js the GPU comes from Dawn, through the `webgpu` package (a
 * prebuilt `dawn.node` for Linux, macOS and Windows: Vulkan, Metal, Direct3D 12); in browsers from `navigator.gpu`.
 *
 * ```ts
 * import '@tensorflow/tfjs';
 * import { setWebGpuBackend } from '@alexnet/tfjs-backend-webgpu';
 * const status = await setWebGpuBackend(); // throws why, where there is no adapter
 * console.log(status.adapter.name, status.software ? '(software)' : '');
 * ```
 *
 * @packageDocumentation
 */
import { registerWebGpuBackend } from './backend.js';
import { installDefaultWebGpuKernels } from './kernels/install.js';

export { ADAPTER_ENV, listWebGpuAdapters } from './adapter.js';
export {
  BACKEND_NAME,
  disposeWebGpuBackend,
  registerWebGpuBackend,
  setWebGpuBackend,
  webGpuStatus,
} from './backend.js';
export {
  KERNELS_ENV,
  listWebGpuKernels,
  useWebGpuKernels,
  type WebGpuKernelSet,
  webGpuKernelSet,
} from './kernels/install.js';
export type {
  WebGpuAdapterInfo,
  WebGpuFeatures,
  WebGpuLimits,
  WebGpuOptions,
  WebGpuRuntime,
  WebGpuStatus,
} from './types.js';

registerWebGpuBackend();
installDefaultWebGpuKernels();
