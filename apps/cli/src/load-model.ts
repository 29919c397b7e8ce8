import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AlexNet,
  type AlexNetOptions,
  createModel,
  downloadWeights,
  getWeights,
  listModels,
  listWeights,
  modelFromWeights,
  nonFiniteTensors,
  type PretrainedWeights,
  readWeights,
  type WeightsFile,
} from '@alexnet/models';
import { downloadProgress } from './download-progress.js';
import { UsageError } from './errors.js';

/**
 * A model for eval / predict / convert: from a weights file (read once; its metadata names the model, or `model`
 * does, as a PyTorch file needs), from a name of the weights table (`IMAGENET1K_V1`, downloaded once into the cache;
 * `offline` uses the cache only), or by name with fresh weights. Non-finite weights are warned of; `finiteFor` (the
 * task: `predict`) makes them an error, as every output they reach would be NaN.
 */
/**
 * A `--model <name>` option taking the registry's model names, so that a name that is none is a usage error (one
 * line, exit 2) when the flags are read, before a backend, a dataset or weights are opened.
 */
export function modelOption<H extends string>(help: H) {
  return { type: 'choice', value: '<name>', choices: listModels(), help } as const;
}

export async function modelFrom(options: {
  model?: string;
  weights?: string;
  extra?: AlexNetOptions;
  finiteFor?: string;
  offline?: boolean;
  quiet?: boolean;
}): Promise<AlexNet> {
  if (!options.weights) return createModel(options.model ?? 'alexnet_v2', { seed: 0, ...options.extra });
  const known = existsSync(options.weights) ? null : tableEntry(options.weights, options.model);
  if (known) return pretrainedModel(known, options);
  const path = weightsPath(options.weights);
  const file = await readWeights(path);
  checkFinite(file, path, options.finiteFor);
  if (!options.model && !file.metadata.model) {
    throw new UsageError(`${path} does not say which model it holds: add --model (for example --model alexnet_v1)`);
  }
  return modelFromWeights(file, { ...options.extra, model: options.model, seed: 0 }, path);
}

/** The extensions of weight files: a value with one is a path, not a name of the weights table. */
const WEIGHT_FILE = /\.(pth|pt|safetensors|bin|ckpt)$/i;

/**
 * The entry of the weights table `value` names: a tag (`alexnet_torchvision.IMAGENET1K_V1`), or a weights name
 * (`IMAGENET1K_V1`) of `model` or of the one model that has weights of that name; null when `value` names none
 * (it is then taken for a path). A tag of a registered model with an unknown name is an error listing the known.
 */
export function tableEntry(value: string, model?: string): PretrainedWeights | null {
  // A weight file's name (alexnet_v1.pth) looks like a tag too; it stays a path, and a missing one says so.
  const tag = WEIGHT_FILE.test(value) ? null : /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(value);
  if (tag && listModels().includes(tag[1])) {
    let entry: PretrainedWeights;
    try {
      entry = getWeights(value);
    } catch (error) {
      throw new UsageError(`--weights ${value}: ${(error as Error).message}`);
    }
    if (model && model !== entry.model) {
      throw new UsageError(`--weights ${value} are weights of ${entry.model}, not of --model ${model}`);
    }
    return entry;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const named = listWeights().filter((w) => w.name === value && (!model || w.model === model));
  if (named.length > 1) {
    throw new UsageError(
      `--weights ${value} names weights of several models (${named.map((w) => w.tag).join(', ')}): give the tag, or --model`,
    );
  }
  return named[0] ?? null;
}

/** A model with weights of the table: downloaded into the cache (progress on stderr) or found there, then loaded. */
async function pretrainedModel(
  entry: PretrainedWeights,
  options: { extra?: AlexNetOptions; finiteFor?: string; offline?: boolean; quiet?: boolean },
): Promise<AlexNet> {
  const progress = downloadProgress(entry.source.fileName, { quiet: options.quiet });
  let downloaded: Awaited<ReturnType<typeof downloadWeights>>;
  try {
    // Without --offline, ALEXNET_OFFLINE still decides.
    downloaded = await downloadWeights(entry, {
      offline: options.offline ? true : undefined,
      onProgress: progress.onProgress,
    });
  } catch (error) {
    progress.fail();
    throw error;
  }
  progress.finish(downloaded);
  const file = await readWeights(downloaded.bytes);
  checkFinite(file, entry.tag, options.finiteFor);
  const model = modelFromWeights(
    file,
    { ...(entry.modelOptions as AlexNetOptions), ...options.extra, model: entry.model, seed: 0 },
    downloaded.location ?? entry.tag,
  );
  if (entry.classNames.length === model.options.numClasses) model.classNames = [...entry.classNames];
  return model;
}

/** A run folder means its best (else last) checkpoint; anything else is a file that must exist. */
export function weightsPath(path: string): string {
  if (!existsSync(path)) {
    const names = listWeights().map((w) => w.tag);
    const hint =
      /^[A-Za-z0-9_.-]+$/.test(path) && !/\.(pth|pt|safetensors)$/.test(path)
        ? ` (nor a name of the weights table: ${names.join(', ')})`
        : '';
    throw new UsageError(`Weight file not found: ${path}${hint}`);
  }
  if (statSync(path).isDirectory()) {
    for (const name of ['best.safetensors', 'last.safetensors'])
      if (existsSync(join(path, name))) return join(path, name);
    throw new UsageError(`${path} is a folder without best.safetensors or last.safetensors`);
  }
  return path;
}

/** How many tensors a non-finite warning names before "and K more". */
const NAMED = 5;

/**
 * Warns when a weight file holds NaN or infinite values, naming the tensors; for a `task` that needs finite weights
 * (predict, evaluate) it then fails (exit 1), rather than printing NaN%.
 */
export function checkFinite(file: WeightsFile, path: string, task?: string): void {
  const found = nonFiniteTensors(file);
  if (found.length === 0) return;
  const counts = (t: (typeof found)[number]) =>
    [t.nan ? `${t.nan} NaN` : '', t.infinite ? `${t.infinite} infinite` : ''].filter(Boolean).join(', ');
  const named = found.slice(0, NAMED).map((t) => `${t.name} (${counts(t)})`);
  if (found.length > NAMED) named.push(`and ${found.length - NAMED} more tensors`);
  process.stderr.write(`alexnet: warning: ${path} holds non-finite weights: ${named.join(', ')}\n`);
  if (task) {
    throw new UsageError(
      `${path}: cannot ${task} with NaN or infinite weights (${found.length} tensors hold them; see the warning)`,
      1,
    );
  }
}
