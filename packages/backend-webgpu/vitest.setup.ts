// Tests run on this package's `webgpu` backend against TF.js's CPU backend (the reference kernels). Where no
// WebGPU adapter can be created they skip, saying why; `.ci/run` makes one (SwiftShader, a CPU Vulkan driver).
// '@tensorflow/tfjs' is imported for its side effect: it registers TF.js's gradient functions, which
// '@tensorflow/tfjs-core' alone does not.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import { setWebGpuBackend, webGpuStatus } from './src/index.js';

// Silences the CPU backend's "install tfjs-node" banner.
tf.env().set('IS_TEST', true);
// The project's gradients (Conv2d's FusedConv2D, ReLU): the parity and training tests differentiate through them.
registerGradients();
const status = await webGpuStatus();
if (status.available) await setWebGpuBackend();
else console.warn(`@alexnet/tfjs-backend-webgpu: WebGPU tests skipped: ${status.reason}`);
