#!/usr/bin/env node
// Loader throughput against torchvision: images/s of decode + resize 256 + random crop 224 + flip + normalise +
// batch (32) on ImageNet-sized JPEGs (about 500x375) that this script writes, at 1 and 2 workers, for
// @alexnet/imagenet-data and for torchvision's ImageFolder + DataLoader (PIL) in the same run.
// ALEXNET_JPEG_DECODER=libvips measures the fallback decoder (sharp) instead of the libjpeg addon. It also checks that
// the evaluation pipeline's batches equal torchvision's value for value.
//   node bench/throughput.mjs [--images 384] [--epochs 3]   (more epochs: a memory check)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import {
  ImageLoader,
  jpegDecoder,
  Normalize,
  openDataset,
  RandomCrop,
  RandomHorizontalFlip,
  Resize,
  referenceEval,
} from '../dist/index.js';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '384' }, epochs: { type: 'string', default: '3' } },
});
const count = Number(values.images);
const epochs = Number(values.epochs);
tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');

const root = mkdtempSync(join(tmpdir(), 'alexnet-bench-data-'));
try {
  // Photo-like content: smooth colour fields with detail and noise, so JPEG sizes and decode costs are realistic.
  for (let i = 0; i < count; i++) {
    const dir = join(root, `class${i % 4}`);
    mkdirSync(dir, { recursive: true });
    const [w, h] = i % 3 === 0 ? [375, 500] : [500, 375];
    const pixels = Buffer.alloc(w * h * 3);
    let s = i * 7919 + 1;
    const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
    const f = [rand() * 0.05, rand() * 0.05, rand() * 0.05];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          const v =
            128 + 80 * Math.sin(x * f[c] + y * f[(c + 1) % 3]) + 30 * Math.sin((x * y) / 900) + 12 * (rand() - 0.5);
          pixels[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, v));
        }
      }
    }
    await sharp(pixels, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(join(dir, `img${i}.JPEG`));
  }
  const dataset = openDataset(root);
  const transforms = [Resize(256), RandomCrop(224), RandomHorizontalFlip(), Normalize()];
  const results = {};
  for (const workers of [1, 2]) {
    const loader = new ImageLoader(dataset, { batchSize: 32, transforms, workers, seed: 0 });
    let best = 0;
    const rssMB = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      const start = performance.now();
      let n = 0;
      for await (const batch of loader.epoch(epoch)) {
        n += batch.labels.shape[0];
        tf.dispose([batch.images, batch.labels]);
      }
      best = Math.max(best, n / ((performance.now() - start) / 1000));
      rssMB.push(process.memoryUsage().rss / 2 ** 20);
    }
    await loader.close();
    results[workers] = { ours: best, oursPeakRssMB: process.resourceUsage().maxRSS / 1024, rssMB };
  }

  const python = '/usr/bin/python3';
  const script = join(root, 'torchvision_bench.py');
  writeFileSync(
    script,
    `import json, sys, time, resource
import torch
from torchvision import datasets, transforms as T
tf = T.Compose([T.Resize(256), T.RandomCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = datasets.ImageFolder(sys.argv[1], tf)
out = {}
for workers in (1, 2):
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True, num_workers=workers)
    best = 0
    for epoch in range(int(sys.argv[2])):
        start = time.perf_counter(); n = 0
        for images, labels in loader:
            n += labels.shape[0]
        best = max(best, n / (time.perf_counter() - start))
    out[workers] = best
out['peakRssMB'] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
# Exactness: the deterministic evaluation pipeline's batches, in file order, as float32 NHWC.
evaluation = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
with open(sys.argv[3], 'wb') as f:
    for images, _ in torch.utils.data.DataLoader(datasets.ImageFolder(sys.argv[1], evaluation), batch_size=32):
        f.write(images.permute(0, 2, 3, 1).contiguous().numpy().astype('<f4').tobytes())
print(json.dumps(out))
`,
  );
  let torchvision = null;
  try {
    if (!existsSync(python)) throw new Error(`${python} not found`);
    torchvision = JSON.parse(
      execFileSync(python, [script, root, String(epochs), join(root, 'torchvision_eval.f32')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  } catch (error) {
    console.log(
      `torchvision column skipped: ${String(error.message).split('\n')[0]} (apt-get install python3-torchvision)`,
    );
  }

  // The same evaluation pipeline through the loader, value by value against torchvision's.
  let exactness = null;
  if (torchvision) {
    const theirs = new Float32Array(readFileSync(join(root, 'torchvision_eval.f32')).buffer.slice(0));
    const loader = new ImageLoader(dataset, { batchSize: 32, transforms: referenceEval(), shuffle: false, workers: 2 });
    let offset = 0;
    let differ = 0;
    for await (const batch of loader.epoch(0)) {
      const ours = batch.images.dataSync();
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[offset + i]) differ += 1;
      offset += ours.length;
      tf.dispose([batch.images, batch.labels]);
    }
    await loader.close();
    exactness = { differ: differ + Math.abs(theirs.length - offset), total: theirs.length };
  }

  console.log(
    `\nLoader throughput, ${count} JPEGs of about 500x375, Resize(256) + RandomCrop(224) + flip + normalise, batch 32` +
      `\nJPEG decoder: ${jpegDecoder()}`,
  );
  console.log('workers  @alexnet/imagenet-data  torchvision (PIL)  ratio');
  for (const workers of [1, 2]) {
    const ours = results[workers].ours;
    const theirs = torchvision?.[workers];
    const ratio = theirs ? `${(ours / theirs).toFixed(2)}x` : '-';
    console.log(
      `${String(workers).padEnd(7)}  ${`${ours.toFixed(1)} img/s`.padEnd(22)}  ${(theirs ? `${theirs.toFixed(1)} img/s` : '-').padEnd(17)}  ${ratio}`,
    );
  }
  if (exactness) {
    console.log(
      `exactness, Resize(256) + CenterCrop(224) + normalise: ${exactness.differ} of ${exactness.total} values differ from torchvision's`,
    );
  }
  const rss = results[2].rssMB;
  console.log(
    `RSS with 2 workers after epoch 1: ${rss[0].toFixed(0)} MB, after epoch ${rss.length}: ${rss.at(-1).toFixed(0)} MB (memory must not grow with epochs)`,
  );
  console.log(
    `peak RSS: ours ${results[2].oursPeakRssMB.toFixed(0)} MB${torchvision ? `, torchvision (main + workers) ${torchvision.peakRssMB.toFixed(0)} MB` : ''}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
