// Build an AlexNet, run it on an image-shaped tensor and read the top classes.
import '@tensorflow/tfjs-backend-cpu';
import { createModel, topK } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
const model = createModel('alexnet_v2', { seed: 0 }).eval();
const x = tf.randomUniform([1, 224, 224, 3], -2, 2); // float32 NHWC, normalised like model.preprocessing
const logits = model.forward(x);
const [best] = await topK(logits, 3, { names: model.classNames, head: model.options.head });
console.log(
  logits.shape,
  best.map((p) => p.label),
);
tf.dispose([x, logits]);
model.dispose();
