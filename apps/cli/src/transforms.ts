import { evalTransforms, paperTrain, referenceTrain, type Transform, torchvisionTrain } from '@alexnet/imagenet-data';
import type { Preprocessing } from '@alexnet/models';

/** A training augmentation of `@alexnet/imagenet-data`, by the recipe that uses it. */
export type Augmentation = 'reference' | 'paper' | 'torchvision';

const AUGMENTATIONS: Record<Augmentation, (size: number) => Transform[]> = {
  reference: referenceTrain,
  paper: paperTrain,
  torchvision: torchvisionTrain,
};

/** What a command needs transforms for. */
export type TransformsRequest =
  /** `train`'s training loader: the recipe's augmentation at `size`. */
  | { use: 'train'; augmentation: Augmentation; size: number }
  /**
   * `train`'s validation loader and `eval`: the model's preprocessing, its resize scaled to the crop `size`
   * (one centre crop, or ten crops).
   */
  | { use: 'validate' | 'eval'; preprocessing: Preprocessing; size: number; tenCrop: boolean }
  /** `predict`: the model's preprocessing as it is. */
  | { use: 'predict'; preprocessing: Preprocessing };

/**
 * The one place where a command turns preprocessing into the data package's transforms, so that train, eval and
 * predict join a model and its data pipeline in one function. Every evaluation path goes through
 * `evalTransforms`, the data package's bridge from a model's (or weight file's) preprocessing.
 */
export function transformsFor(request: TransformsRequest): Transform[] {
  switch (request.use) {
    case 'train':
      return AUGMENTATIONS[request.augmentation](request.size);
    case 'validate':
    case 'eval':
      return evalTransforms(request.preprocessing, { size: request.size, tenCrop: request.tenCrop });
    case 'predict':
      return evalTransforms(request.preprocessing);
  }
}
