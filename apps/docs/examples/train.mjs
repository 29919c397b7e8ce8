// Train on a folder of images with the trainer: here the synthetic dataset and a small network, for speed.
import '@tensorflow/tfjs'; // registers the gradient functions training needs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CenterCrop,
  ImageLoader,
  Normalize,
  openDataset,
  RandomCrop,
  RandomHorizontalFlip,
  Resize,
  writeSyntheticDataset,
} from '@alexnet/imagenet-data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@alexnet/layers';
import { installKernelPatches } from '@alexnet/tfjs-extensions';
import { fit, ReduceLROnPlateau, SGD } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';

installKernelPatches();
await tf.setBackend('cpu');
const root = mkdtempSync(join(tmpdir(), 'alexnet-example-'));
await writeSyntheticDataset(root, { classes: 2, trainPerClass: 16, valPerClass: 4 });
const train = new ImageLoader(openDataset(join(root, 'train')), {
  batchSize: 8,
  transforms: [Resize(36), RandomHorizontalFlip(), RandomCrop(32), Normalize()],
  workers: 1,
});
const val = new ImageLoader(openDataset(join(root, 'val')), {
  batchSize: 8,
  transforms: [Resize(36), CenterCrop(32), Normalize()],
  shuffle: false,
  workers: 1,
});
const model = new Sequential([
  new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 5, stride: 2, padding: 2 }),
  new ReLU(),
  new MaxPool2d({ kernelSize: 2 }),
  new Flatten(),
  new Linear({ inFeatures: 8 * 8 * 8, outFeatures: 2 }),
]);
const optimizer = new SGD(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const { history } = await fit({
  model,
  optimizer,
  scheduler: new ReduceLROnPlateau(optimizer, { mode: 'max', factor: 0.1 }),
  trainData: (epoch) => train.epoch(epoch),
  valData: (epoch) => val.epoch(epoch),
  epochs: 2,
  checkpointDir: join(root, 'run'),
});
await Promise.all([train.close(), val.close()]);
console.log(history.map((r) => `epoch ${r.epoch}: val top-1 ${(100 * r.val.top1).toFixed(1)}%`).join('\n'));
