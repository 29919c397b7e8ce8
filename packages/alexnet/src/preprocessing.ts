/**
 * How images must be prepared for a model, carried with its weights (as timm's `pretrained_cfg` does) so that a
 * weight file is enough to run it. `@alexnet/imagenet-data`'s `evalTransforms(preprocessing)` turns one into the
 * data pipeline's transforms.
 */
export interface Preprocessing {
  /** Side the shorter image side is resized to before cropping. */
  resize: number;
  /** Side of the square centre crop fed to the model. */
  crop: number;
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
  /** Pixels are scaled to [0, 1] and then normalised: (x - mean) / std, per RGB channel. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Input tensor layout. */
  layout: 'NHWC';
}

/**
 * ImageNet's per-channel RGB mean on [0, 1] pixels (torchvision's `ImageClassification` preset). The one
 * definition in the workspace: `@alexnet/imagenet-data` re-exports it.
 */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];

/** ImageNet's per-channel RGB standard deviation on [0, 1] pixels, the companion of {@link IMAGENET_MEAN}. */
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/**
 * ImageNet statistics on [0, 1] pixels, resize 256 (bilinear), centre crop 224: torchvision's `ImageClassification`
 * preset, and what every AlexNet here expects.
 */
export const IMAGENET_PREPROCESSING: Preprocessing = {
  resize: 256,
  crop: 224,
  interpolation: 'bilinear',
  // Copies, so that changing one object cannot change the other.
  mean: [...IMAGENET_MEAN],
  std: [...IMAGENET_STD],
  layout: 'NHWC',
};
