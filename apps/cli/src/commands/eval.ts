import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ImageLoader, isImageNetRootFolder, openDataset } from '@alexnet/imagenet-data';
import { evaluate } from '@alexnet/trainer';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { helpText, printHelp } from '../help.js';
import { modelFrom, modelOption } from '../load-model.js';
import {
  ADAPTER_OPTION,
  BACKEND_OPTION,
  JSON_OPTION,
  MAX_IMAGE_SIZE,
  OFFLINE_OPTION,
  type OptionTable,
  parseOptions,
  QUIET_OPTION,
  withDefaults,
} from '../options.js';
import { createOutput, pct, printable, scored } from '../output.js';
import { transformsFor } from '../transforms.js';

const EVAL_OPTIONS = {
  data: {
    type: 'string',
    value: '<dir>',
    required: true,
    help: 'images: a val/ folder (flat with LOC_val_solution.csv, or val/<wnid>/) or class folders',
  },
  weights: {
    type: 'string',
    value: '<path|name>',
    help: '.safetensors, PyTorch .pth (needs --model), a run folder (its best checkpoint), or weights of the table (IMAGENET1K_V1)',
  },
  offline: OFFLINE_OPTION,
  model: modelOption('the architecture, when the weights do not say'),
  imageSize: { type: 'integer', min: 1, max: MAX_IMAGE_SIZE, help: 'crop side', defaultText: "the model's crop, 224" },
  batchSize: { type: 'integer', min: 1, default: 64, help: 'images a batch' },
  // Without the flag the loader gets no worker count, and decodes on the main thread.
  workers: { type: 'integer', min: 0, help: 'decoding threads', defaultText: 'none: the main thread decodes' },
  tenCrop: { type: 'boolean', default: false, help: 'average over 10 crops (corners, centre, mirrored)' },
  adaptivePool: { type: 'boolean', default: false, help: 'pool features to 6x6 (V1 / V2 then accept small inputs)' },
  backend: BACKEND_OPTION,
  adapter: ADAPTER_OPTION,
  quiet: QUIET_OPTION,
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const EVAL_HELP = helpText({
  usage: 'Usage: alexnet eval --data <dir> [--weights <file|run dir|name>] [--model <name>] [options]',
  description: 'Top-1, top-5 and loss over a dataset, counted over images.',
  options: [EVAL_OPTIONS],
});

/** `alexnet eval`: top-1, top-5 and loss of a model over a dataset, centre crop or ten crops. */
export async function evalCommand(argv: string[]): Promise<number> {
  const parsed = parseOptions('eval', argv, EVAL_OPTIONS);
  if (parsed.help) return printHelp(EVAL_HELP);
  const options = withDefaults(EVAL_OPTIONS, parsed.given);
  const out = createOutput({ quiet: options.quiet, json: options.json });
  const data = evaluatedFolder(options.data);
  const backend = await selectBackend(options.backend, { adapter: options.adapter });
  out.info(`Backend: ${backend.name} (${backend.device})`);
  const model = await modelFrom({
    model: options.model,
    weights: options.weights,
    extra: options.adaptivePool ? { adaptivePool: 6 } : {},
    finiteFor: 'evaluate',
    offline: options.offline,
    quiet: options.quiet,
  });
  const size = options.imageSize ?? model.preprocessing.crop;
  const dataset = openDataset(data, model.classIds ? { classes: model.classIds } : {});
  const loader = new ImageLoader(dataset, {
    batchSize: options.batchSize,
    transforms: transformsFor({ use: 'eval', preprocessing: model.preprocessing, size, tenCrop: options.tenCrop }),
    shuffle: false,
    workers: options.workers ?? 0,
    onBadFile: (f) => out.info(`skipping ${printable(f.path)}: ${printable(f.reason)}`),
  });
  try {
    const result = await evaluate(model, (epoch) => loader.epoch(epoch), {
      crops: options.tenCrop ? 10 : 1,
      head: model.options.head,
    });
    if (options.json) out.json({ model: model.name, data: dataset.root, backend, ...result });
    else
      process.stdout.write(
        `${model.name} on ${dataset.root}: top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}, loss ${result.loss.toFixed(4)} (${scored(result)})\n`,
      );
  } finally {
    await loader.close();
    model.dispose();
  }
  return 0;
}

/**
 * The folder to score: an ImageNet root (train/ beside val/) means its val/ (openDataset alone opens its train/, so
 * eval scored the training images); a root without val/ is a usage error saying which folder to pass.
 */
function evaluatedFolder(dir: string): string {
  if (!isImageNetRootFolder(dir)) return dir;
  const val = join(dir, 'val');
  if (!existsSync(val)) {
    throw new UsageError(
      `--data ${dir} is an ImageNet root without val/: pass the folder to score (${join(dir, 'train')} for the training images)`,
    );
  }
  return val;
}
