import {
  CenterCrop,
  Normalize,
  paperEval,
  paperTrain,
  Resize,
  referenceEval,
  referenceTrain,
  TenCrop,
  type Transform,
  torchvisionTrain,
} from '@alexnet/imagenet-data';
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
  /** `train`'s validation loader: centre crop, or ten crops, at `size`. */
  | { use: 'validate'; size: number; tenCrop: boolean }
  /** `eval`: the model's preprocessing, its resize scaled to the crop `size`. */
  | { use: 'eval'; preprocessing: Preprocessing; size: number; tenCrop: boolean }
  /** `predict`: the model's preprocessing as it is (its interpolation is not used yet). */
  | { use: 'predict'; preprocessing: Preprocessing };

/**
 * The one place where a command turns preprocessing into the data package's transforms, so that train, eval and
 * predict join a model and its data pipeline in one function.
 */
export function transformsFor(request: TransformsRequest): Transform[] {
  switch (request.use) {
    case 'train':
      return AUGMENTATIONS[request.augmentation](request.size);
    case 'validate':
      return request.tenCrop ? paperEval(request.size) : referenceEval(request.size);
    case 'eval': {
      const { preprocessing: p, size } = request;
      const resize = Math.round((size * p.resize) / p.crop);
      return request.tenCrop
        ? [Resize(resize), CenterCrop(resize), TenCrop(size), Normalize(p.mean, p.std)]
        : [Resize(resize), CenterCrop(size), Normalize(p.mean, p.std)];
    }
    case 'predict': {
      const { resize, crop, mean, std } = request.preprocessing;
      return [Resize(resize), CenterCrop(crop), Normalize(mean, std)];
    }
  }
}
