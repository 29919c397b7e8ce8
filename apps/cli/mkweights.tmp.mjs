import '@tensorflow/tfjs';
import { createModel, saveWeights } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
const [out, scale] = [process.argv[2], Number(process.argv[3])];
const model = createModel('alexnet_v2', {
  seed: 0,
  init: 'kaiming',
  adaptivePool: 6,
  numClasses: 4,
  classNames: ['circle', 'square', 'triangle', 'cross'],
});
const named = Object.fromEntries(model.namedParameters());
console.log(Object.keys(named));
const last = named['classifier.6.weight'];
last.assign(tf.mul(last, scale));
await saveWeights(model, out);
