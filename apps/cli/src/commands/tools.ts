import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkDataset, openDataset, writeSyntheticDataset } from '@alexnet/imagenet-data';
import { createModel, readWeights, saveWeights } from '@alexnet/models';
import { SGD, softmaxCrossEntropy, variableGrads } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { numberFlag, parseFlags } from '../args.js';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { createOutput } from '../output.js';
import { modelFrom } from '../setup.js';

export const BENCH_HELP = `Usage: alexnet bench [--model alexnet_v2] [--batch-size 32[,128]] [--steps 5] [--image-size 224] [--backend auto] [--json] [--profile]

Forward and training images/s of a model on the chosen backend (random data, one SGD step per training step).
--json prints { backend, model, batchSize, forward: { imagesPerSecond }, train: { imagesPerSecond }, peakRssMB } per batch size.
--profile adds one profiled training step: the time of each TF.js kernel, largest first.
`;

export async function bench(argv: string[]): Promise<number> {
  const { values } = parseFlags('bench', argv, {
    model: { type: 'string' },
    'batch-size': { type: 'string' },
    steps: { type: 'string' },
    'image-size': { type: 'string' },
    'adaptive-pool': { type: 'boolean' },
    profile: { type: 'boolean' },
  });
  if (values.help) return help(BENCH_HELP);
  const backend = await selectBackend((values.backend as never) ?? 'auto');
  const name = (values.model as string) ?? 'alexnet_v2';
  const sizes = String(values['batch-size'] ?? '32')
    .split(',')
    .map((b) => numberFlag('batch-size', b.trim(), { integer: true, min: 1 }) as number);
  const steps = numberFlag('steps', values.steps as string, { integer: true, min: 1 }) ?? 5;
  const side = numberFlag('image-size', values['image-size'] as string, { integer: true, min: 1 }) ?? 224;
  const model = createModel(name, { seed: 0, init: 'pytorch', adaptivePool: values['adaptive-pool'] ? 6 : undefined });
  model.checkInput([1, side, side, 3]);
  const optimizer = new SGD(model, { lr: 1e-4, momentum: 0.9, weightDecay: 5e-4 });
  const parameters = model.namedParameters();
  const nameOf = new Map(parameters.map(([n, v]) => [v.name, n]));
  const results = [];
  for (const batchSize of sizes) {
    const x = tf.randomNormal([batchSize, side, side, 3]);
    const labels = tf.tensor1d(
      Array.from({ length: batchSize }, (_, i) => i % 1000),
      'int32',
    );
    const time = async (step: () => tf.Tensor) => {
      await step().data(); // warm-up: kernels compile, memory is allocated
      const start = performance.now();
      for (let i = 0; i < steps; i++) {
        const out = step();
        await out.data();
        out.dispose();
      }
      return (batchSize * steps) / ((performance.now() - start) / 1000);
    };
    model.eval();
    const forward = await time(() => tf.tidy(() => model.forward(x)));
    model.train();
    const trainStep = () => {
      const { value, grads } = variableGrads(
        () => softmaxCrossEntropy(model.forward(x), labels),
        parameters.map(([, v]) => v),
      );
      optimizer.step(Object.fromEntries(Object.entries(grads).map(([id, g]) => [nameOf.get(id) as string, g])));
      tf.dispose(Object.values(grads));
      return value;
    };
    const train = await time(trainStep);
    const kernels = values.profile ? await profileKernels(trainStep) : undefined;
    tf.dispose([x, labels]);
    const result = {
      backend: backend.name,
      device: backend.device,
      model: name,
      imageSize: side,
      batchSize,
      forward: { imagesPerSecond: forward },
      train: { imagesPerSecond: train },
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      ...(kernels ? { kernels } : {}),
    };
    results.push(result);
    if (values.json) createOutput({}).json(result);
    else {
      process.stdout.write(
        `${name} on ${backend.name} (${backend.device}), batch ${batchSize}, ${side}x${side}: forward ${forward.toFixed(2)} img/s, training ${train.toFixed(2)} img/s, peak RSS ${result.peakRssMB.toFixed(0)} MB\n`,
      );
      if (kernels) {
        const total = kernels.reduce((sum, k) => sum + k.ms, 0);
        process.stdout.write(`one training step by kernel (${total.toFixed(0)} ms in kernels):\n`);
        for (const k of kernels.slice(0, 15)) {
          process.stdout.write(`  ${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms  ${k.calls} calls\n`);
        }
      }
    }
  }
  optimizer.dispose();
  model.dispose();
  return 0;
}

/** Runs one step under tf.profile and sums each kernel's time (the ops' wrapper entries, `*__op`, are left out). */
async function profileKernels(step: () => tf.Tensor): Promise<Array<{ name: string; ms: number; calls: number }>> {
  const info = await tf.profile(() => {
    step().dispose();
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    if (kernel.name.endsWith('__op')) continue;
    const ms = await kernel.kernelTimeMs;
    const entry = byName.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof ms === 'number' ? ms : 0;
    entry.calls += 1;
    byName.set(kernel.name, entry);
  }
  return [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
}

export const CONVERT_HELP = `Usage: alexnet convert <input> <output> [--model <name>]

Converts weights between PyTorch (.pth / .pt) and .safetensors, keeping PyTorch's names and layouts.
--model records the model's name, options and preprocessing in the .safetensors metadata (and checks the tensors
fit it).
`;

export async function convert(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('convert', argv, { model: { type: 'string' } }, true);
  if (values.help) return help(CONVERT_HELP);
  const [input, output] = positionals;
  if (!input || !output) throw new UsageError('convert needs an input and an output file (see alexnet convert --help)');
  if (!existsSync(input)) throw new UsageError(`Weight file not found: ${input}`);
  if (!/\.(safetensors|pth|pt)$/.test(output))
    throw new UsageError(`${output}: the output must end in .safetensors, .pth or .pt`);
  await selectBackend('cpu');
  const file = await readWeights(input);
  const model = values.model ? await modelFrom({ model: values.model as string, weights: input }) : null;
  if (model) {
    await saveWeights(model, output);
    model.dispose();
  } else {
    // No model named: copy the tensors as they are (a generic state dict).
    const { writePyTorch, writeSafetensors } = await import('@alexnet/torch-io');
    const { writeFile } = await import('node:fs/promises');
    const bytes = output.endsWith('.safetensors')
      ? writeSafetensors(file.tensors, { format: 'pt' })
      : writePyTorch(file.tensors);
    await writeFile(output, bytes);
  }
  process.stdout.write(`${input} (${file.format}, ${Object.keys(file.tensors).length} tensors) -> ${output}\n`);
  return 0;
}

export const DATA_HELP = `Usage: alexnet data synth [--out <dir>] [--classes 4] [--train-per-class 48] [--val-per-class 16] [--seed 0]
       alexnet data check <dir> [--no-decode] [--json]

synth writes the synthetic dataset in the ILSVRC-2012 layout; check reports images per class, sizes, formats,
CMYK / greyscale / misnamed files, JPEGs with damaged data that still decode, and every file that cannot be
decoded.
`;

export async function data(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'synth') {
    const { values } = parseFlags('data synth', rest, {
      out: { type: 'string' },
      classes: { type: 'string' },
      'train-per-class': { type: 'string' },
      'val-per-class': { type: 'string' },
      seed: { type: 'string' },
    });
    if (values.help) return help(DATA_HELP);
    const root = resolve((values.out as string) ?? 'synthetic-imagenet');
    const written = await writeSyntheticDataset(root, {
      classes: numberFlag('classes', values.classes as string, { integer: true, min: 2 }),
      trainPerClass: numberFlag('train-per-class', values['train-per-class'] as string, { integer: true, min: 1 }),
      valPerClass: numberFlag('val-per-class', values['val-per-class'] as string, { integer: true, min: 1 }),
      seed: numberFlag('seed', values.seed as string, { integer: true }),
    });
    process.stdout.write(
      `Wrote ${written.classes.length} classes (${written.classNames.join(', ')}) to ${root}: train/, val/, LOC_val_solution.csv, LOC_synset_mapping.txt\n`,
    );
    return 0;
  }
  if (sub === 'check') {
    const { values, positionals } = parseFlags('data check', rest, { 'no-decode': { type: 'boolean' } }, true);
    if (values.help) return help(DATA_HELP);
    if (!positionals[0]) throw new UsageError('data check needs a folder (see alexnet data --help)');
    const dataset = openDataset(positionals[0]);
    const report = await checkDataset(dataset, { decode: !values['no-decode'] });
    if (values.json) {
      createOutput({}).json(report);
      return report.bad.length > 0 ? 1 : 0;
    }
    const out = process.stdout;
    out.write(`${report.root} (${report.layout}): ${report.images} images in ${report.perClass.length} classes\n`);
    const counts = report.perClass.map((c) => c.count);
    out.write(`images a class: ${Math.min(...counts)} to ${Math.max(...counts)}\n`);
    for (const c of report.perClass.slice(0, 20)) out.write(`  ${c.id}${c.name ? ` ${c.name}` : ''}: ${c.count}\n`);
    if (report.perClass.length > 20) out.write(`  ... ${report.perClass.length - 20} more classes\n`);
    const s = report.sizes;
    out.write(
      `sizes: width ${s.minWidth}-${s.maxWidth} (mean ${s.meanWidth.toFixed(0)}), height ${s.minHeight}-${s.maxHeight} (mean ${s.meanHeight.toFixed(0)})\n`,
    );
    out.write(
      `formats: ${Object.entries(report.formats)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ')}\n`,
    );
    out.write(
      `CMYK: ${report.notes.cmyk.length}, greyscale: ${report.notes.greyscale.length}, misnamed: ${report.notes.misnamed.length}, damaged: ${report.notes.damaged.length}\n`,
    );
    for (const m of report.notes.misnamed) out.write(`  ${m.path} is ${m.format}\n`);
    for (const d of report.notes.damaged) out.write(`  ${d.path}: ${d.reason} (decoded as PIL would)\n`);
    out.write(`bad files: ${report.bad.length}\n`);
    for (const b of report.bad) out.write(`  ${b.path}: ${b.reason}\n`);
    return report.bad.length > 0 ? 1 : 0;
  }
  if (sub === '--help' || sub === '-h' || sub === undefined) return help(DATA_HELP);
  throw new UsageError(`Unknown data command "${sub}": use synth or check`);
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}
