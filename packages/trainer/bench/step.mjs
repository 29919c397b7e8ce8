#!/usr/bin/env node
// The trainer's overhead: time per training step of fit() (SGD with momentum and weight decay, metrics, events)
// against a bare TF.js loop (tf.train.momentum + optimizer.minimize) on the same model, data and backend.
//   node bench/step.mjs [--backend wasm|cpu] [--steps 8] [--batch 16] [--side 64]
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createModel } from '@alexnet/models';
import { installKernelPatches, registerGradients } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import { fit, SGD, softmaxCrossEntropy } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '8' },
    batch: { type: 'string', default: '16' },
    side: { type: 'string', default: '64' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const side = Number(values.side);
tf.enableProdMode();
installKernelPatches();
// Both loops train under the same gradients (fit would register them itself, the bare loop would not).
registerGradients();
await tf.setBackend(values.backend);

const makeModel = () =>
  createModel('alexnet_v2', { numClasses: 10, adaptivePool: 6, dropout: 0, seed: 1, init: 'kaiming' });
const x = tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 1);
const labels = tf.tensor1d(
  Array.from({ length: batch }, (_, i) => i % 10),
  'int32',
);

async function bare(weightDecay) {
  const model = makeModel();
  const optimizer = tf.train.momentum(0.001, 0.9);
  const variables = model.parameters();
  const step = () => {
    // Weight decay as PyTorch couples it, the cheapest way TF.js offers: an L2 term in the loss.
    const loss = optimizer.minimize(
      () => {
        const data = softmaxCrossEntropy(model.forward(x), labels);
        if (weightDecay === 0) return data;
        return tf.add(data, tf.mul(weightDecay / 2, tf.addN(variables.map((v) => tf.sum(tf.square(v))))));
      },
      true,
      variables,
    );
    return loss;
  };
  step().dispose(); // warm-up
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const loss = step();
    await loss.data();
    loss.dispose();
  }
  const seconds = (performance.now() - start) / 1000 / steps;
  optimizer.dispose();
  model.dispose();
  return seconds;
}

async function trainer(weightDecay) {
  const model = makeModel();
  const optimizer = new SGD(model, { lr: 0.001, momentum: 0.9, weightDecay });
  const data = function* () {
    for (let i = 0; i < steps + 1; i++) yield { images: tf.clone(x), labels: tf.clone(labels) };
  };
  const times = [];
  let last = performance.now();
  await fit({
    model,
    optimizer,
    trainData: data,
    epochs: 1,
    logFile: null,
    logEvery: 1, // read the loss back every step, as the bare loop does
    onStepEnd: () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
    },
  });
  optimizer.dispose();
  model.dispose();
  return times.slice(1).reduce((a, b) => a + b, 0) / 1000 / (times.length - 1);
}

console.log(`AlexNet V2 at ${side}x${side}, batch ${batch}, ${values.backend} backend, ${steps} steps each`);
for (const weightDecay of [0, 5e-4]) {
  const baseline = await bare(weightDecay);
  const ours = await trainer(weightDecay);
  const how =
    weightDecay === 0
      ? 'momentum 0.9, no weight decay'
      : 'momentum 0.9, weight decay 5e-4 (bare: an L2 term in the loss)';
  console.log(`\n${how}`);
  console.log(`  bare TF.js loop (tf.train.momentum, minimize): ${(baseline * 1000).toFixed(0)} ms a step`);
  console.log(`  @alexnet/trainer fit():                      ${(ours * 1000).toFixed(0)} ms a step`);
  console.log(
    `  ratio: ${(ours / baseline).toFixed(3)} (overhead ${((ours / baseline - 1) * 100).toFixed(1)}%; goal <= 5%)`,
  );
}
