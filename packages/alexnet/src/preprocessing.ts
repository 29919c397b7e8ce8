/**
 * How images must be prepared for a model, carried with its weights (as timm's `pretrained_cfg` does) so that a
 * weight file is enough to run it.
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

/** ImageNet statistics on [0, 1] pixels, resize 256, centre crop 224: what every AlexNet here expects. */
export const IMAGENET_PREPROCESSING: Preprocessing = {
  resize: 256,
  crop: 224,
  interpolation: 'bilinear',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  layout: 'NHWC',
};
