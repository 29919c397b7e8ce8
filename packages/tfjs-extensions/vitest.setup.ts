// Tests run on the CPU backend (exact reference kernels) unless ALEXNET_TEST_BACKEND names another that installs
// here (wasm). '@tensorflow/tfjs' is imported for its side effect: it registers TF.js's gradient functions, which
// '@tensorflow/tfjs-core' alone does not.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { installKernelPatches, registerGradients } from './src/index.js';

const backend = process.env.ALEXNET_TEST_BACKEND ?? 'cpu';
// Test mode silences TF.js's "install tfjs-node" banner and checks kernels for leaked data. Not on wasm, where
// that check flags the tensors a fused convolution saves for its gradient.
if (backend === 'cpu') tf.env().set('IS_TEST', true);
await tf.setBackend(backend);
await tf.ready();
// The CPU backend's own weight-gradient kernel takes minutes for one full-size AlexNet image; wasm has none.
installKernelPatches();
registerGradients();
