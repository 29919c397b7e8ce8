// Weights move between PyTorch and TF.js unchanged: save .pth and .safetensors, load them back.
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, loadModel, loadWeights, saveWeights } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';

await tf.setBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'alexnet-weights-'));
const model = createModel('alexnet_torchvision', { seed: 1, numClasses: 10 });
await saveWeights(model, join(dir, 'alexnet.safetensors')); // with model name, options, preprocessing
await saveWeights(model, join(dir, 'alexnet.pth')); // torch.load() reads this as a state dict

const fromSafetensors = await loadModel(join(dir, 'alexnet.safetensors')); // the file names its model
const fromPytorch = createModel('alexnet_torchvision', { numClasses: 10 });
await loadWeights(fromPytorch, join(dir, 'alexnet.pth')); // also the seed article's {'model': ...} checkpoints
console.log(fromSafetensors.name, fromPytorch.numParameters());
for (const m of [model, fromSafetensors, fromPytorch]) m.dispose();
