import * as tf from '@tensorflow/tfjs';
import '@alexnet/tfjs-backend-native';
import { createModel } from '@alexnet/models';
await tf.setBackend('native');
const B = Number(process.argv[2] ?? 128);
const model = createModel('alexnet_v2');
model.eval?.();
const x = tf.randomNormal([B, 224, 224, 3]);
for (let i = 0; i < 2; i++) tf.tidy(() => model.forward(x)).dataSync();
let s = performance.now(); const y = tf.tidy(() => model.forward(x)); y.dataSync(); console.log('forward ms', (performance.now() - s).toFixed(0), 'img/s', (B * 1000 / (performance.now() - s)).toFixed(1)); y.dispose();
const info = await tf.profile(() => tf.tidy(() => model.forward(x)));
const sums = {};
for (const k of info.kernels) { if (k.name.endsWith('__op')) continue; sums[k.name] = (sums[k.name] ?? 0) + k.kernelTimeMs; }
console.log(Object.entries(sums).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
