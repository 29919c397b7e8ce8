#!/usr/bin/env node
// Checks that the packages work where users install them: publint on each public package, then `pnpm pack`,
// `npm install` of the tarballs into a fresh project outside the workspace, and a script there that imports
// them (ESM and CommonJS), builds a model, runs a forward pass and round-trips its weights through a file, and loads
// weights by name from a loopback server into the cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const packages = ['packages', 'apps']
  .filter((folder) => existsSync(join(root, folder)))
  .flatMap((folder) => readdirSync(join(root, folder)).map((name) => join(root, folder, name)))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
    } catch {
      return false;
    }
  });

const work = mkdtempSync(join(tmpdir(), 'alexnet-pack-'));
try {
  const tarballs = [];
  for (const dir of packages) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    process.stdout.write(`publint ${name}: `);
    console.log(run('pnpm', ['exec', 'publint', '--strict', dir], root).trim().split('\n').at(-1));
    run('pnpm', ['pack', '--pack-destination', work], dir);
  }
  tarballs.push(
    ...readdirSync(work)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(work, f)),
  );
  console.log(`packed: ${tarballs.map((t) => t.split('/').at(-1)).join(', ')}`);

  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs,
      '@tensorflow/tfjs-core@4.22.0',
      '@tensorflow/tfjs-backend-cpu@4.22.0',
      '@tensorflow/tfjs@4.22.0',
    ],
    app,
  );
  writeFileSync(
    join(app, 'esm.mjs'),
    `import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { summary } from '@alexnet/layers';
import { createModel, listModels, loadWeights, saveWeights } from '@alexnet/models';
tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
const model = createModel('alexnet_v2', { seed: 1 }).eval();
const logits = model.forward(tf.zeros([1, 224, 224, 3]));
if (logits.shape.join() !== '1,1000') throw new Error('unexpected logits shape ' + logits.shape);
const path = ${JSON.stringify(join(work, 'w.safetensors'))};
await saveWeights(model, path);
const copy = createModel('alexnet_v2', { seed: 2 });
await loadWeights(copy, path);
const same = tf.all(tf.equal(copy.eval().forward(tf.zeros([1, 224, 224, 3])), logits)).dataSync()[0];
if (!same) throw new Error('weights did not round-trip');
console.log('esm: ' + listModels().join(', ') + '; ' + summary(model, [224, 224, 3]).totalParameters + ' parameters; forward and weights OK');

// torch-io on its own: safetensors and .pth round trips of plain typed arrays, and the Node-only subpath.
const { readPyTorch, readSafetensors, writePyTorch, writeSafetensors } = await import('@alexnet/torch-io');
const { writeAtomically } = await import('@alexnet/torch-io/node');
const raw = { w: { dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, -2, 0.5, 4) } };
const stPath = ${JSON.stringify(join(work, 'raw.safetensors'))};
await writeAtomically(stPath, writeSafetensors(raw, { note: 'check' }));
const st = readSafetensors(new Uint8Array((await import('node:fs')).readFileSync(stPath)), stPath);
if (st.metadata.note !== 'check' || st.tensors.w.data.join() !== '1,-2,0.5,4') throw new Error('safetensors did not round-trip');
if (readPyTorch(writePyTorch(raw)).get('w').data.join() !== '1,-2,0.5,4') throw new Error('.pth did not round-trip');
console.log('esm: torch-io safetensors and .pth round trips OK');

// Data and trainer together: a synthetic dataset through worker threads into one epoch of training.
await import('@tensorflow/tfjs'); // registers the gradients training needs
const { ImageLoader, jpegDecoder, openDataset, writeSyntheticDataset, Resize, CenterCrop, Normalize } = await import('@alexnet/imagenet-data');
const { fit, SGD } = await import('@alexnet/trainer');
const { Sequential, Flatten, Linear } = await import('@alexnet/layers');
const data = ${JSON.stringify(join(work, 'data'))};
await writeSyntheticDataset(data, { classes: 2, trainPerClass: 6, valPerClass: 2 });
const loader = new ImageLoader(openDataset(data), { batchSize: 4, transforms: [Resize(20), CenterCrop(16), Normalize()], workers: 1 });
const net = new Sequential([new Flatten(), new Linear({ inFeatures: 16 * 16 * 3, outFeatures: 2 })]);
const { history } = await fit({ model: net, optimizer: new SGD(net, { lr: 0.01 }), trainData: (e) => loader.epoch(e), epochs: 1, logFile: null });
await loader.close();
if (history[0].train.count !== 12) throw new Error('expected 12 training images, got ' + history[0].train.count);
// Where there is a prebuilt JPEG addon and the libjpeg it links, the packed package must load it (libvips otherwise).
const { existsSync } = await import('node:fs');
const prebuiltJpeg = process.platform === 'linux' && process.arch === 'x64' && existsSync('/usr/lib/x86_64-linux-gnu/libjpeg.so.62');
if (prebuiltJpeg && jpegDecoder() !== 'libjpeg') throw new Error('the packed imagenet-data did not load its prebuilt JPEG addon');
console.log('esm: imagenet-data worker threads (JPEGs decoded with ' + jpegDecoder() + ') and trainer OK');

// The engine extensions' two entries resolve from their tarball; fit above trained under registerGradients().
const extensions = await import('@alexnet/tfjs-extensions');
const { registerThreadedWasm } = await import('@alexnet/tfjs-extensions/node');
if (!extensions.hasFusedConv2DGradient() || typeof registerThreadedWasm !== 'function') throw new Error('tfjs-extensions: gradients not registered or /node entry missing');
extensions.installKernelPatches();
console.log('esm: tfjs-extensions (gradients registered by fit, kernel patches, /node entry) OK');

// The native backend from its tarball: the prebuilt addon loads, and a V2 forward pass equals the CPU backend's.
const native = await import('@alexnet/tfjs-backend-native');
const status = native.nativeBackendStatus();
if (!status.available) throw new Error('native backend: ' + status.reason);
await tf.setBackend('native');
// A model made on this backend (the same seed, so the same weights): tensors moved from another backend inside a
// custom-gradient op trip TF.js's test-mode leak check, though nothing leaks.
const onNative = createModel('alexnet_v2', { seed: 1 }).eval().forward(tf.zeros([1, 224, 224, 3]));
const gap = tf.max(tf.abs(tf.sub(onNative, tf.tensor(logits.dataSync(), logits.shape)))).dataSync()[0];
if (!(gap < 1e-4)) throw new Error('native and cpu logits differ by ' + gap);
console.log('esm: native backend (' + status.isa + ', ' + status.threads + ' threads) from ' + status.addonPath.split('node_modules/')[1] + ' OK');
`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `require('@tensorflow/tfjs-backend-cpu');
const tf = require('@tensorflow/tfjs-core');
const { createModel } = require('@alexnet/models');
const { Conv2d } = require('@alexnet/layers');
const { readSafetensors, writeSafetensors } = require('@alexnet/torch-io');
const back = readSafetensors(writeSafetensors({ x: { dtype: 'int32', shape: [1], data: Int32Array.of(7) } })).tensors.x;
if (back.data[0] !== 7) process.exit(1);
const model = createModel('alexnet_torchvision', { seed: 1 }).eval();
const y = model.forward(tf.zeros([1, 63, 63, 3]));
if (y.shape.join() !== '1,1000' || !(new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 1 }) instanceof Conv2d)) process.exit(1);
if (typeof require('@alexnet/tfjs-extensions/node').registerThreadedWasm !== 'function') process.exit(1);
console.log('cjs: forward, torch-io and tfjs-extensions OK');
`,
  );
  // Weights by name from a fresh project: a PyTorch-written .pth (torch.save, small widths) served on loopback is
  // downloaded into the cache, checked and gives PyTorch's logits; a second run, offline, touches no network.
  const fixtures = join(root, 'packages', 'alexnet', 'fixtures');
  writeFileSync(
    join(app, 'pretrained.mjs'),
    `import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as tf from '@tensorflow/tfjs-core';
import { ALEXNET_TORCHVISION, createPretrainedModel, getWeights, registerModel, registerWeights, topK } from '@alexnet/models';
import { readSafetensors } from '@alexnet/torch-io';
tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
const pth = readFileSync(${JSON.stringify(join(fixtures, 'torchvision.pth'))});
const expected = readSafetensors(new Uint8Array(readFileSync(${JSON.stringify(join(fixtures, 'torchvision.expected.safetensors'))})));
const input = readSafetensors(new Uint8Array(readFileSync(${JSON.stringify(join(fixtures, 'input224.safetensors'))}))).tensors.input;
const config = JSON.parse(expected.metadata.config);
const sha256 = createHash('sha256').update(pth).digest('hex');
const fileName = 'alexnet-fixture-' + sha256.slice(0, 8) + '.pth';
const requests = [];
const server = createServer((request, response) => {
  requests.push(request.url);
  if (request.url !== '/models/' + fileName) return void response.writeHead(404).end();
  response.writeHead(200, { 'content-length': pth.byteLength }).end(pth);
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
registerModel({
  ...ALEXNET_TORCHVISION,
  name: 'alexnet_torchvision_small',
  convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
  hidden: ALEXNET_TORCHVISION.hidden.map(() => config.hidden),
});
const { tag, ...torchvision } = getWeights('alexnet_torchvision.IMAGENET1K_V1');
registerWeights({
  ...torchvision,
  model: 'alexnet_torchvision_small',
  name: 'FIXTURE',
  modelOptions: { numClasses: config.classes },
  source: { url: 'http://127.0.0.1:' + server.address().port + '/models/' + fileName, fileName, format: 'pytorch', bytes: pth.byteLength },
  sha256: { hex: sha256, complete: true, source: 'node:crypto over the fixture' },
  classNames: Array.from({ length: config.classes }, (_, i) => 'class ' + i),
});
const cacheDir = ${JSON.stringify(join(work, 'cache'))};
const x = tf.transpose(tf.tensor4d(input.data, input.shape), [0, 2, 3, 1]);
const logitsOf = async (options) => {
  const model = await createPretrainedModel('alexnet_torchvision_small', { weights: 'FIXTURE', cacheDir, ...options });
  const values = model.eval().forward(x).dataSync();
  let scale = 0, worst = 0;
  for (let i = 0; i < values.length; i++) {
    scale = Math.max(scale, Math.abs(expected.tensors.logits.data[i]));
    worst = Math.max(worst, Math.abs(values[i] - expected.tensors.logits.data[i]));
  }
  if (!(worst <= 1e-4 * scale)) throw new Error('logits differ from PyTorch by ' + worst);
};
await logitsOf({});
server.close();
await logitsOf({ offline: true });
if (requests.length !== 1) throw new Error('expected one request, got ' + requests.join(', '));
// The README's top-5 on a JPEG: the model's own preprocessing through imagenet-data's one bridge.
const { evalTransforms, loadImage } = await import('@alexnet/imagenet-data');
const { readdirSync } = await import('node:fs');
const folder = ${JSON.stringify(join(work, 'data', 'train'))};
const klass = readdirSync(folder)[0];
const jpeg = folder + '/' + klass + '/' + readdirSync(folder + '/' + klass)[0];
const model = await createPretrainedModel('alexnet_torchvision_small.FIXTURE', { cacheDir, offline: true });
const image = await loadImage(jpeg, evalTransforms(model.preprocessing), 0);
const [top5] = await topK(model.eval().forward(tf.tensor4d(image.data, [1, image.height, image.width, 3])), 5, { names: model.classNames });
if (top5.length !== 5 || !top5.every((p, i) => p.label === 'class ' + p.index && (i === 0 || p.probability <= top5[i - 1].probability)))
  throw new Error('top-5 on ' + jpeg + ': ' + JSON.stringify(top5));
console.log("esm: createPretrainedModel downloaded, checked and cached a torch.save file (PyTorch's logits), then loaded it offline and gave a top-5 on a JPEG OK");
`,
  );
  console.log(run('node', ['esm.mjs'], app).trim());
  console.log(run('node', ['pretrained.mjs'], app).trim());
  console.log(run('node', ['cjs.cjs'], app).trim());
  if (tarballs.some((t) => t.includes('alexnet-cli-'))) {
    const table = JSON.parse(
      run(join(app, 'node_modules', '.bin', 'alexnet'), ['summary', 'alexnet_v1', '--json'], app),
    );
    if (table.totalParameters !== 62378344) throw new Error(`alexnet summary: ${table.totalParameters} parameters`);
    console.log('bin: alexnet summary alexnet_v1 OK');
  }
  console.log('check:packages passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
