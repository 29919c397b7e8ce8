// A training process for the trainer's signal and crash tests, run from the built package.
//   node test/child.mjs train <dir>       trains slowly with SIGINT/SIGTERM handling; prints "epoch N" per epoch
//   node test/child.mjs checkpoints <dir>  saves checkpoints of a large model to one path in a loop; prints "saved N"
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { Flatten, Linear, RandomGenerator, Sequential } from '@alexnet/layers';
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
}
