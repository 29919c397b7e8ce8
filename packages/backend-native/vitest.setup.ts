// Tests compare the native backend's kernels with TF.js's CPU backend, whose kernels are the reference.
// '@tensorflow/tfjs' registers TF.js's gradient functions, which '@tensorflow/tfjs-core' alone does not.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import './src/index.js';
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('IS_TEST', true);
await tf.setBackend('native');
await tf.ready();
