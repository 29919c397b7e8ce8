import type { ImageDataset } from '@alexnet/imagenet-data';
import { type AlexNet, createModel, loadWeights, readWeights } from '@alexnet/models';
import { UsageError } from '../errors.js';
import { checkFinite } from '../load-model.js';
import type { TrainConfig } from './options.js';

/**
 * The model to train, sized to the dataset's classes, checked against the input size, and started from --weights
 * (unless the run resumes: its checkpoint holds the weights).
 */
export async function trainingModel(
  config: TrainConfig,
  trainSet: ImageDataset,
  options: { resuming: boolean; info: (line: string) => void },
): Promise<AlexNet> {
  const model = createModel(config.model, {
    numClasses: trainSet.classes.length,
    dropout: config.dropout,
    lrn: config.lrn ?? undefined,
    init: config.init ?? undefined,
    head: config.head ?? undefined,
    seed: config.seed,
    adaptivePool: config.adaptivePool ? 6 : undefined,
    width: config.width,
    classNames: trainSet.classNames ?? trainSet.classes,
    classIds: trainSet.classes,
  });
  try {
    model.checkInput([1, config.imageSize, config.imageSize, 3]);
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}; pass --image-size in that range, or --adaptive-pool for smaller inputs`,
    );
  }
  if (config.weights && !options.resuming) {
    // Read once more to warn of NaN or infinite weights before training on them.
    checkFinite(await readWeights(config.weights), config.weights);
    await loadWeights(model, config.weights);
    options.info(`Weights: ${config.weights}`);
  }
  return model;
}
