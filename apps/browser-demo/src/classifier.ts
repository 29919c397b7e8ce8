/**
 * The live page: a weight file and an image picked by the user, the top-5 ImageNet classes, the backend and the
 * time. `?backend=cpu` (or webgl, webgpu) asks for one backend instead of the best this browser starts.
 */
import { type AlexNet, IMAGENET_PREPROCESSING, type Preprocessing, readWeights, topK } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, type BackendName, bestBackend } from './backends.js';
import { modelFor } from './model.js';
import { decodeImage, preprocess, torchvisionTransforms } from './preprocess.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const weightsInput = element<HTMLInputElement>('weights');
const imageInput = element<HTMLInputElement>('image');
const status = element('status');
const errorLine = element('error');

let model: AlexNet | null = null;
let preprocessing: Preprocessing = IMAGENET_PREPROCESSING;
element('preprocessing').textContent = torchvisionTransforms(preprocessing);

const asked = new URLSearchParams(location.search).get('backend') as BackendName | null;
// Chosen for the user: a GPU that runs in software is passed over (far slower than plain JavaScript); asked for by
// name (?backend=webgpu), it is used all the same.
const backend = bestBackend(asked ? [asked] : BACKENDS, !asked).then((chosen) => {
  const passedOver = chosen.skipped.length > 0 ? `; not ${chosen.skipped.join('; not ')}` : '';
  element('backend').textContent = `${chosen.name} (${chosen.device})${passedOver}`;
  element('backend').dataset.backend = chosen.name;
  element('backend').dataset.skipped = chosen.skipped.join('\n');
  return chosen;
});

function fail(error: unknown): void {
  errorLine.textContent = (error as Error).message;
  status.textContent = 'failed';
  status.dataset.state = 'error';
}

async function loadModel(file: File): Promise<void> {
  await backend;
  status.textContent = `reading ${file.name}…`;
  const weights = await readWeights(new Uint8Array(await file.arrayBuffer()));
  model?.dispose();
  model = null;
  model = modelFor(weights);
  preprocessing = weights.metadata.preprocessing ?? model.preprocessing;
  element('preprocessing').textContent = torchvisionTransforms(preprocessing);
}

async function classify(): Promise<void> {
  const image = imageInput.files?.[0];
  if (!model || !image) {
    status.textContent = model ? 'Pick an image.' : 'Pick a weight file.';
    return;
  }
  status.textContent = 'classifying…';
  status.dataset.state = 'running';
  const bitmap = await decodeImage(image);
  const { data } = preprocess(bitmap, preprocessing);
  bitmap.close();
  const { crop } = preprocessing;
  const start = performance.now();
  const logits = tf.tidy(() => (model as AlexNet).forward(tf.tensor4d(data, [1, crop, crop, 3])));
  const [best] = await topK(logits, 5, { names: model.classNames, ids: model.classIds, head: model.options.head });
  const ms = performance.now() - start;
  logits.dispose();
  showCrop(data, crop);
  const table = element('top5');
  table.replaceChildren(
    ...best.map((p) => {
      const row = document.createElement('tr');
      row.dataset.index = String(p.index);
      row.dataset.probability = String(p.probability);
      for (const [text, className] of [
        [`${(100 * p.probability).toFixed(2)} %`, 'p'],
        [p.label, 'label'],
        [`#${p.index}`, 'index'],
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        cell.className = className;
        row.append(cell);
      }
      return row;
    }),
  );
  element('time').textContent = `forward pass and top-5 on ${tf.getBackend()}: ${ms.toFixed(1)} ms`;
  element('time').dataset.ms = String(ms);
  status.textContent = `${image.name}: done`;
  status.dataset.state = 'done';
}

/** The crop the model saw, its normalisation undone. */
function showCrop(data: Float32Array, side: number): void {
  const canvas = element<HTMLCanvasElement>('crop');
  canvas.width = side;
  canvas.height = side;
  const pixels = new ImageData(side, side);
  for (let i = 0, j = 0; i < pixels.data.length; i += 4) {
    for (let c = 0; c < 3; c++, j++) {
      pixels.data[i + c] = Math.round(255 * (data[j] * preprocessing.std[c] + preprocessing.mean[c]));
    }
    pixels.data[i + 3] = 255;
  }
  canvas.getContext('2d')?.putImageData(pixels, 0, 0);
  canvas.hidden = false;
}

/** One thing at a time: a new weight file must not dispose the model while an image runs through it. */
let queue: Promise<void> = Promise.resolve();
function next(step: () => Promise<void>): void {
  errorLine.textContent = '';
  queue = queue.then(step).catch(fail);
}

backend.catch(fail);
weightsInput.addEventListener('change', () => {
  const file = weightsInput.files?.[0];
  if (file) next(() => loadModel(file).then(classify));
});
imageInput.addEventListener('change', () => next(classify));
