import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AlexNet,
  type AlexNetOptions,
  createModel,
  modelFromWeights,
  nonFiniteTensors,
  readWeights,
  type WeightsFile,
} from '@alexnet/models';
import { UsageError } from './errors.js';

/**
 * A model for eval / predict / convert: from a weights file (read once; its metadata names the model, or `model`
 * does, as a PyTorch file needs), or by name with fresh weights. Non-finite weights are warned of; `finiteFor` (the
 * task: `predict`) makes them an error, as every output they reach would be NaN.
 */
export async function modelFrom(options: {
  model?: string;
  weights?: string;
  extra?: AlexNetOptions;
  finiteFor?: string;
}): Promise<AlexNet> {
  if (!options.weights) return createModel(options.model ?? 'alexnet_v2', { seed: 0, ...options.extra });
  const path = weightsPath(options.weights);
  const file = await readWeights(path);
  checkFinite(file, path, options.finiteFor);
  if (!options.model && !file.metadata.model) {
    throw new UsageError(`${path} does not say which model it holds: add --model (for example --model alexnet_v1)`);
  }
  return modelFromWeights(file, { ...options.extra, model: options.model, seed: 0 }, path);
}

/** A run folder means its best (else last) checkpoint; anything else is a file that must exist. */
export function weightsPath(path: string): string {
  if (!existsSync(path)) throw new UsageError(`Weight file not found: ${path}`);
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
