// A training process for the trainer's signal and crash tests, run from the built package.
//   node test/child.mjs train <dir>       trains slowly with SIGINT/SIGTERM handling; prints "epoch N" per epoch
//   node test/child.mjs checkpoints <dir>  saves checkpoints of a large model to one path in a loop; prints "saved N"
//   node test/child.mjs resume <dir>       trains a seeded 0.13M-parameter MLP to epoch 7, resuming from <dir> when it
//                                          holds a checkpoint; prints "step N" after every step, "saving N" before
//                                          each checkpoint write after step N, and "done" at the end
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { Dropout, Flatten, Linear, RandomGenerator, ReLU, Sequential } from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import { fit, SGD, saveCheckpoint, TrainingInterruptedError } from '../dist/index.js';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
const [mode, dir] = process.argv.slice(2);
const rng = new RandomGenerator(1);

if (mode === 'train') {
  const model = new Sequential([new Flatten(), new Linear({ inFeatures: 16, outFeatures: 2, rng })]);
  const optimizer = new SGD(model, { lr: 0.1, momentum: 0.9 });
  async function* slowBatches() {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield { images: tf.randomNormal([4, 4, 4, 1]), labels: tf.tensor1d([0, 1, 0, 1], 'int32') };
    }
  }
  try {
    await fit({
      model,
      optimizer,
      trainData: () => slowBatches(),
      epochs: 1000,
      checkpointDir: dir,
      handleSignals: true,
      onEpochEnd: (record) => console.log(`epoch ${record.epoch}`),
    });
  } catch (error) {
    if (error instanceof TrainingInterruptedError) {
      console.error(error.message);
      process.exit(130);
    }
    throw error;
  }
} else if (mode === 'checkpoints') {
  const model = new Sequential([new Linear({ inFeatures: 2048, outFeatures: 2048, rng })]);
  const optimizer = new SGD(model, { lr: 0.1 });
  for (let i = 1; ; i++) {
    await saveCheckpoint(`${dir}/last.safetensors`, model, optimizer, {
      epoch: i,
      step: i,
      best: null,
      scheduler: null,
      rng: [],
      config: {},
    });
    console.log(`saved ${i}`);
  }
} else if (mode === 'resume') {
  // A slow disk, so that a test can kill a checkpoint write half-way: fs/promises' writeFile, which writeAtomically
  // calls, is wrapped (and the ES module bindings synced to the wrapper) to create the temporary file, print
  // "saving N" (the write after step N), and wait 100 ms before writing the data.
  let lastStep = 0;
  const writeFile = fs.promises.writeFile;
  fs.promises.writeFile = async (path, ...rest) => {
    if (String(path).endsWith('.tmp')) {
      await writeFile(path, new Uint8Array(0));
      console.log(`saving ${lastStep}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return writeFile(path, ...rest);
  };
  syncBuiltinESMExports();
  // 0.13M parameters (a 1 MB checkpoint with momentum), cheap to train at batch 2.
  const model = new Sequential([
    new Flatten(),
    new Linear({ inFeatures: 1024, outFeatures: 128, rng }),
    new ReLU(),
    new Dropout({ p: 0.5, rng }),
    new Linear({ inFeatures: 128, outFeatures: 4, rng }),
  ]);
  const optimizer = new SGD(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  // Two batches an epoch, the same for an epoch however often it is repeated.
  function* batches(epoch) {
    const data = new RandomGenerator(1000 + epoch);
    for (let b = 0; b < 2; b++) {
      const x = Float32Array.from({ length: 2 * 1024 }, () => data.normal());
      const labels = Int32Array.from({ length: 2 }, (_, i) => (i + b + epoch) % 4);
      yield { images: tf.tensor4d(x, [2, 32, 32, 1]), labels: tf.tensor1d(labels, 'int32') };
    }
  }
  await fit({
    model,
    optimizer,
    trainData: batches,
    epochs: 7,
    checkpointDir: dir,
    resume: true,
    generators: [rng],
    logEvery: 1,
    onStepEnd: (event) => {
      lastStep = event.step;
      console.log(`step ${event.step}`);
    },
  });
  console.log('done');
}
