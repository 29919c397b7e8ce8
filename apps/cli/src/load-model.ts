import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AlexNet, type AlexNetOptions, createModel, modelFromWeights, readWeights } from '@alexnet/models';
import { UsageError } from './errors.js';

/**
 * A model for eval / predict / convert: from a weights file (read once; its metadata names the model, or `model`
 * does, as a PyTorch file needs), or by name with fresh weights.
 */
export async function modelFrom(options: {
  model?: string;
  weights?: string;
  extra?: AlexNetOptions;
}): Promise<AlexNet> {
  if (!options.weights) return createModel(options.model ?? 'alexnet_v2', { seed: 0, ...options.extra });
  const path = weightsPath(options.weights);
  const file = await readWeights(path);
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
