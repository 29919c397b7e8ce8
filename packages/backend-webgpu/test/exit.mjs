// Run by exit.test.ts in a child process: trains nothing, but touches what could keep Node.js's event loop alive
// (a device, pipelines, a buffer map for the read back), then ends with or without `disposeWebGpuBackend()`.
import * as tf from '@tensorflow/tfjs-core';
import { disposeWebGpuBackend, setWebGpuBackend } from '../dist/index.js';

const status = await setWebGpuBackend();
const product = tf.matMul(tf.ones([8, 8]), tf.ones([8, 8]));
const values = await product.data();
if (values[0] !== 8) throw new Error(`expected 8, got ${values[0]}`);
if (process.argv[2] === 'dispose') disposeWebGpuBackend();
console.log(`done on ${status.adapter.name}`);
