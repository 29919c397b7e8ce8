import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type ImageDataset,
  ImageLoader,
  jpegDecoder,
  openDataset,
  subset,
  writeSyntheticDataset,
} from '@alexnet/imagenet-data';
import type { Preprocessing } from '@alexnet/models';
import { UsageError } from '../errors.js';
import { printable } from '../output.js';
import { transformsFor } from '../transforms.js';
import type { TrainConfig } from './options.js';
import { RECIPES, SYNTHETIC } from './recipes.js';

/** Where the synthetic dataset is cached. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'alexnet');
}

/** The training and validation images of a run, with their folders. */
export interface TrainingData {
  trainDir: string;
  valDir: string | null;
  trainSet: ImageDataset;
  valSet: ImageDataset | null;
}

/** Finds (or, for the embedded default, writes) the datasets, applies --classes / --per-class, and says what it found. */
export async function openTrainingData(config: TrainConfig, info: (line: string) => void): Promise<TrainingData> {
  const { trainDir, valDir } = await locateData(config, info);
  let trainSet = openDataset(trainDir);
  let valSet = valDir ? openDataset(valDir, { classes: trainSet.classes }) : null;
  if (config.classes !== null && config.classes > trainSet.classes.length) {
    throw new UsageError(
      `--classes ${config.classes}: ${trainDir} has ${trainSet.classes.length} classes (use at most that many)`,
    );
  }
  if (config.classes !== null || config.perClass !== null) {
    const options = { classes: config.classes ?? undefined, perClass: config.perClass ?? undefined, seed: config.seed };
    trainSet = subset(trainSet, options);
    valSet = valSet ? subset(valSet, { classes: config.classes ?? undefined }) : null;
  }
  info(
    `Data: ${trainSet.samples.length} training images in ${trainSet.classes.length} classes from ${trainDir}` +
      (valSet ? `; ${valSet.samples.length} validation images from ${valDir}` : '; no validation set'),
  );
  return { trainDir, valDir, trainSet, valSet };
}

/**
 * The training loader (the recipe's augmentation, shuffled) and the validation loader (the model's preprocessing:
 * centre or ten crops).
 */
export function trainingLoaders(
  data: TrainingData,
  config: TrainConfig,
  preprocessing: Preprocessing,
  info: (line: string) => void,
): { trainLoader: ImageLoader; valLoader: ImageLoader | null } {
  const size = config.imageSize;
  // A file name may hold a newline or an escape sequence: printed escaped, the line stays one line.
  const badFile = (action: string) => (f: { path: string; reason: string }) =>
    info(`${action} ${printable(f.path)}: ${printable(f.reason)}`);
  const trainLoader = new ImageLoader(data.trainSet, {
    batchSize: config.batchSize,
    transforms: transformsFor({ use: 'train', augmentation: RECIPES[config.recipe].augmentation, size }),
    seed: config.seed,
    workers: config.workers,
    // Training replaces a bad file by another image (the batch keeps its size); validation leaves it out, so its
    // top-1 is over the images it scored. The epoch line counts both.
    badFiles: 'substitute',
    onBadFile: badFile('replacing the bad file'),
  });
  // The workers started (the loader caps what was asked for, and says so).
  info(`Loader: ${trainLoader.options.workers} worker threads, JPEGs decoded with ${jpegDecoder()}`);
  const valLoader = data.valSet
    ? new ImageLoader(data.valSet, {
        batchSize: config.batchSize,
        transforms: transformsFor({ use: 'validate', preprocessing, size, tenCrop: config.tenCrop }),
        shuffle: false,
        workers: config.workers,
        badFiles: 'skip',
        onBadFile: badFile('skipping the bad file'),
      })
    : null;
  return { trainLoader, valLoader };
}

async function locateData(
  config: TrainConfig,
  info: (line: string) => void,
): Promise<{ trainDir: string; valDir: string | null }> {
  if (!config.data) {
    const root = join(cacheDir(), `synthetic-${SYNTHETIC.classes}x${SYNTHETIC.trainPerClass}-v1`);
    if (!existsSync(join(root, 'LOC_val_solution.csv'))) {
      info(`Writing the synthetic dataset to ${root} (once)`);
      await writeSyntheticDataset(root, SYNTHETIC);
    }
    return { trainDir: join(root, 'train'), valDir: join(root, 'val') };
  }
  const data = resolve(config.data);
  if (!existsSync(data)) throw new UsageError(`--data folder not found: ${data}`);
  if (!statSync(data).isDirectory()) throw new UsageError(`--data must be a folder, got the file ${data}`);
  const trainDir = existsSync(join(data, 'train')) ? join(data, 'train') : data;
  if (config.val) {
    if (!existsSync(config.val)) throw new UsageError(`--val folder not found: ${config.val}`);
    // As --data: a file is a usage error naming the flag (it was the dataset reader's, with exit 1).
    if (!statSync(config.val).isDirectory())
      throw new UsageError(`--val must be a folder, got the file ${resolve(config.val)}`);
    return { trainDir, valDir: resolve(config.val) };
  }
  const sibling = [join(data, 'val'), join(trainDir, '..', 'val')].find(
    (d) => existsSync(d) && resolve(d) !== resolve(trainDir),
  );
  return { trainDir, valDir: sibling ? resolve(sibling) : null };
}
