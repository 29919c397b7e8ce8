import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AlexNet, type AlexNetOptions, createModel, loadModel, loadWeights, readWeights } from '@alexnet/models';
import { UsageError } from './errors.js';

/**
 * A model for eval / predict / bench: from a weights file (its metadata names the model), or by name with fresh
 * weights. A PyTorch file needs `--model`.
 */
export async function modelFrom(options: {
  model?: string;
  weights?: string;
  extra?: AlexNetOptions;
}): Promise<AlexNet> {
  if (options.weights) {
    const path = weightsPath(options.weights);
    if (!options.model) {
      const file = await readWeights(path);
      if (!file.metadata.model) {
        throw new UsageError(`${path} does not say which model it holds: add --model (for example --model alexnet_v1)`);
      }
    }
    return options.model ? loadInto(options.model, path, options.extra) : loadModel(path, options.extra);
  }
  return createModel(options.model ?? 'alexnet_v2', { seed: 0, ...options.extra });
}

async function loadInto(name: string, path: string, extra: AlexNetOptions = {}): Promise<AlexNet> {
  const file = await readWeights(path);
  const classes = file.tensors['classifier.6.bias']?.shape[0];
  const model = createModel(name, {
    ...file.metadata.options,
    ...extra,
    numClasses: classes ?? extra.numClasses,
    classNames: file.metadata.classNames,
    classIds: file.metadata.classIds,
    seed: 0,
  });
  await loadWeights(model, path);
  return model;
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
