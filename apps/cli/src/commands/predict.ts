import { loadImage } from '@alexnet/imagenet-data';
import { type AlexNet, type Prediction, topK } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { helpText, printHelp } from '../help.js';
import { modelFrom, modelOption } from '../load-model.js';
import {
  ADAPTER_OPTION,
  BACKEND_OPTION,
  JSON_OPTION,
  OFFLINE_OPTION,
  type OptionTable,
  parseOptions,
  withDefaults,
} from '../options.js';
import { createOutput, printable } from '../output.js';
import { transformsFor } from '../transforms.js';

const PREDICT_OPTIONS = {
  weights: {
    type: 'string',
    value: '<file|name>',
    help: '.safetensors, PyTorch .pth (needs --model), a run folder, or weights of the table (IMAGENET1K_V1)',
  },
  offline: OFFLINE_OPTION,
  model: modelOption('the architecture, when the weights do not say'),
  topK: { type: 'integer', value: '<k>', min: 1, default: 5, help: 'classes to show an image' },
  adaptivePool: { type: 'boolean', default: false, help: 'pool features to 6x6 (V1 / V2 then accept small inputs)' },
  backend: BACKEND_OPTION,
  adapter: ADAPTER_OPTION,
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const PREDICT_HELP = helpText({
  usage: 'Usage: alexnet predict <images...> [--weights <file|name>] [--model <name>] [--top-k 5] [--json]',
  description: 'The most probable classes of each image, with readable names and probabilities.',
  options: [PREDICT_OPTIONS],
});

/** `alexnet predict <images...>`: the top classes of each image. */
export async function predict(argv: string[]): Promise<number> {
  const parsed = parseOptions('predict', argv, PREDICT_OPTIONS, { positionals: true });
  if (parsed.help) return printHelp(PREDICT_HELP);
  const options = withDefaults(PREDICT_OPTIONS, parsed.given);
  const images = parsed.positionals;
  if (images.length === 0) throw new UsageError('predict needs at least one image (see alexnet predict --help)');
  await selectBackend(options.backend, { adapter: options.adapter });
  const model = await modelFrom({
    model: options.model,
    weights: options.weights,
    extra: options.adaptivePool ? { adaptivePool: 6 } : {},
    finiteFor: 'predict',
    offline: options.offline,
  });
  if (!options.weights)
    process.stderr.write('alexnet: no --weights given: the predictions come from untrained weights\n');
  const results: Array<{ image: string; predictions: Prediction[] } | { image: string; error: string }> = [];
  model.eval();
  // A file that cannot be read is named and skipped: the other images still get their predictions.
  for (const path of images) {
    try {
      results.push({ image: path, predictions: await predictImage(model, path, options.topK) });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`alexnet: ${printable(error.message)}\n`);
      results.push({ image: path, error: error.message });
    }
  }
  if (options.json) {
    createOutput({}).json(results);
  } else {
    for (const result of results) {
      if (!('predictions' in result)) continue;
      process.stdout.write(`${printable(result.image)}\n`);
      for (const p of result.predictions) {
        process.stdout.write(
          `  ${(100 * p.probability).toFixed(2).padStart(6)}%  ${p.label}${p.wnid ? ` (${p.wnid})` : ''}\n`,
        );
      }
    }
  }
  model.dispose();
  // As before for one image: a file that could not be read is the caller's mistake (exit 2).
  return results.some((result) => 'error' in result) ? 2 : 0;
}

/** The `k` most probable classes of one image file; a file that cannot be read is a usage error naming it. */
async function predictImage(model: AlexNet, path: string, k: number): Promise<Prediction[]> {
  let image: Awaited<ReturnType<typeof loadImage>>;
  try {
    image = await loadImage(path, transformsFor({ use: 'predict', preprocessing: model.preprocessing }), 0);
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
  return predictions;
}
