import { CenterCrop, ImageLoader, loadImage, Normalize, openDataset, Resize, TenCrop } from '@alexnet/imagenet-data';
import { summary as layerTable } from '@alexnet/layers';
import { createModel, listModels, topK } from '@alexnet/models';
import { evaluate } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { numberFlag, parseFlags } from '../args.js';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { createOutput, pct } from '../output.js';
import { modelFrom } from '../setup.js';

export const SUMMARY_HELP = `Usage: alexnet summary <model> [--image-size 224] [--adaptive-pool] [--json]

Prints the layer table of a model: output shapes, parameters and multiply-adds. Models: ${listModels().join(', ')}.
`;

export async function summary(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'summary',
    argv,
    { 'image-size': { type: 'string' }, 'adaptive-pool': { type: 'boolean' } },
    true,
  );
  if (values.help) return help(SUMMARY_HELP);
  const name = positionals[0] ?? 'alexnet_v2';
  const size = numberFlag('image-size', values['image-size'] as string | undefined, { integer: true, min: 1 }) ?? 224;
  await selectBackend('cpu');
  const model = createModel(name, { seed: 0, adaptivePool: values['adaptive-pool'] ? 6 : undefined });
  try {
    model.checkInput([1, size, size, 3]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const table = layerTable(model, [size, size, 3], { title: name });
  if (values.json) {
    createOutput({}).json({
      model: name,
      inputShape: table.inputShape,
      rows: table.rows,
      totalParameters: table.totalParameters,
      totalMultiplyAdds: table.totalMultiplyAdds,
    });
  } else {
    process.stdout.write(`${table}\n`);
  }
  model.dispose();
  return 0;
}

export const EVAL_HELP = `Usage: alexnet eval --data <dir> [--weights <file|run dir>] [--model <name>] [options]

Top-1, top-5 and loss over a dataset, counted over images.

  --data <dir>        images: a val/ folder (flat with LOC_val_solution.csv, or val/<wnid>/) or class folders
  --weights <path>    .safetensors, PyTorch .pth (needs --model), or a run folder (its best checkpoint)
  --model <name>      the architecture, when the weights do not say
  --image-size <n>    (224)       --batch-size <n> (64)     --workers <n>
  --ten-crop          average over 10 crops (corners, centre, mirrored)
  --backend <name>    --json
`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('eval', argv, {
    data: { type: 'string' },
    weights: { type: 'string' },
    model: { type: 'string' },
    'image-size': { type: 'string' },
    'batch-size': { type: 'string' },
    workers: { type: 'string' },
    'ten-crop': { type: 'boolean' },
    'adaptive-pool': { type: 'boolean' },
  });
  if (values.help) return help(EVAL_HELP);
  if (!values.data) throw new UsageError('eval needs --data <dir> (see alexnet eval --help)');
  const out = createOutput({ quiet: values.quiet as boolean, json: values.json as boolean });
  const backend = await selectBackend((values.backend as never) ?? 'auto');
  out.info(`Backend: ${backend.name} (${backend.device})`);
  const model = await modelFrom({
    model: values.model as string,
    weights: values.weights as string,
    extra: values['adaptive-pool'] ? { adaptivePool: 6 } : {},
  });
  const size =
    numberFlag('image-size', values['image-size'] as string, { integer: true, min: 1 }) ?? model.preprocessing.crop;
  const resize = Math.round((size * model.preprocessing.resize) / model.preprocessing.crop);
  const { mean, std } = model.preprocessing;
  const dataset = openDataset(values.data as string, model.classIds ? { classes: model.classIds } : {});
  const transforms = values['ten-crop']
    ? [Resize(resize), CenterCrop(resize), TenCrop(size), Normalize(mean, std)]
    : [Resize(resize), CenterCrop(size), Normalize(mean, std)];
  const loader = new ImageLoader(dataset, {
    batchSize: numberFlag('batch-size', values['batch-size'] as string, { integer: true, min: 1 }) ?? 64,
    transforms,
    shuffle: false,
    workers: numberFlag('workers', values.workers as string, { integer: true, min: 0 }),
    onBadFile: (f) => out.info(`skipping ${f.path}: ${f.reason}`),
  });
  try {
    const result = await evaluate(model, (epoch) => loader.epoch(epoch), {
      crops: values['ten-crop'] ? 10 : 1,
      head: model.options.head,
    });
    if (values.json) out.json({ model: model.name, data: dataset.root, backend, ...result });
    else
      process.stdout.write(
        `${model.name} on ${dataset.root}: top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}, loss ${result.loss.toFixed(4)} (${result.count} images)\n`,
      );
  } finally {
    await loader.close();
    model.dispose();
  }
  return 0;
}

export const PREDICT_HELP = `Usage: alexnet predict <images...> [--weights <file>] [--model <name>] [--top-k 5] [--json]

The most probable classes of each image, with readable names and probabilities.
`;

export async function predict(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'predict',
    argv,
    {
      weights: { type: 'string' },
      model: { type: 'string' },
      'top-k': { type: 'string' },
      'adaptive-pool': { type: 'boolean' },
    },
    true,
  );
  if (values.help) return help(PREDICT_HELP);
  if (positionals.length === 0) throw new UsageError('predict needs at least one image (see alexnet predict --help)');
  await selectBackend((values.backend as never) ?? 'auto');
  const model = await modelFrom({
    model: values.model as string,
    weights: values.weights as string,
    extra: values['adaptive-pool'] ? { adaptivePool: 6 } : {},
  });
  if (!values.weights)
    process.stderr.write('alexnet: no --weights given: the predictions come from untrained weights\n');
  const k = numberFlag('top-k', values['top-k'] as string, { integer: true, min: 1 }) ?? 5;
  const { resize, crop, mean, std } = model.preprocessing;
  const results = [];
  model.eval();
  for (const path of positionals) {
    let image: Awaited<ReturnType<typeof loadImage>>;
    try {
      image = await loadImage(path, [Resize(resize), CenterCrop(crop), Normalize(mean, std)], 0);
    } catch (error) {
      throw new UsageError(`Cannot read ${path}: ${(error as Error).message.split('\n')[0]}`);
    }
    const logits = tf.tidy(() => model.forward(tf.tensor4d(image.data, [1, image.height, image.width, 3])));
    const [predictions] = await topK(logits, k, {
      names: model.classNames,
      ids: model.classIds,
      head: model.options.head,
    });
    logits.dispose();
    results.push({ image: path, predictions });
  }
  if (values.json) {
    createOutput({}).json(results);
  } else {
    for (const { image, predictions } of results) {
      process.stdout.write(`${image}\n`);
      for (const p of predictions) {
        process.stdout.write(
          `  ${(100 * p.probability).toFixed(2).padStart(6)}%  ${p.label}${p.wnid ? ` (${p.wnid})` : ''}\n`,
        );
      }
    }
  }
  model.dispose();
  return 0;
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}
