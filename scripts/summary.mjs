#!/usr/bin/env node
// The quick start's main job until the CLI lands: builds each registered AlexNet, prints its layer table and
// runs one forward pass on the CPU backend to show the model works end to end.
import '@tensorflow/tfjs-backend-cpu';
import { summary } from '@alexnet/layers';
import { createModel, listModels } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('IS_TEST', true); // silences TF.js's "install tfjs-node" banner
await tf.setBackend('cpu');
const names = process.argv.length > 2 ? process.argv.slice(2) : listModels();
for (const name of names) {
  const model = createModel(name, { seed: 0 }).eval();
  console.log(`${summary(model, [224, 224, 3], { title: name })}\n`);
  const started = performance.now();
  const logits = tf.tidy(() => model.forward(tf.zeros([1, 224, 224, 3])));
  await logits.data();
  console.log(
    `${name}: forward pass on [1, 224, 224, 3] -> [${logits.shape}] in ${((performance.now() - started) / 1000).toFixed(2)} s on ${tf.getBackend()}\n`,
  );
  tf.dispose(logits);
  model.dispose();
}
