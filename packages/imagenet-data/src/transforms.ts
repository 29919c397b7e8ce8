/**
 * Image transforms as plain data, with torchvision's names and semantics, so a pipeline can be logged, saved in a
 * run's config and sent to worker threads. Each one runs in the file of `transforms/` named for it (`CenterCrop` in
 * `transforms/center-crop.ts`: its window planning and its step), listed in `transforms/index.ts`; `load-image.ts`
 * runs a pipeline.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '@alexnet/models';

/** Height and width, or one number for a square (or, for `Resize`, the shorter side). */
export type Size = number | [number, number];

export type Transform =
  | { type: 'resize'; size: Size; interpolation: 'bilinear' | 'bicubic' | 'nearest' }
  | { type: 'centerCrop'; size: Size }
  | { type: 'randomCrop'; size: Size }
  | {
      type: 'randomResizedCrop';
      size: Size;
      scale: [number, number];
      ratio: [number, number];
      interpolation: 'bilinear' | 'bicubic' | 'nearest';
    }
  | { type: 'randomHorizontalFlip'; p: number }
  | { type: 'colorJitter'; brightness: number; contrast: number; saturation: number; hue: number }
  | { type: 'pcaLighting'; std: number }
  | { type: 'normalize'; mean: [number, number, number]; std: [number, number, number] }
  | { type: 'tenCrop'; size: Size };

/**
 * `torchvision.transforms.Resize`: a number resizes the shorter side to it (the longer side keeps the aspect ratio,
 * truncated to an integer, as torchvision does); `[h, w]` resizes to exactly that. The pixels are Pillow's, bit for
 * bit (what torchvision computes on PIL images: antialiased when shrinking). The article's `Rescale(256)` is the same
 * operation.
 */
export function Resize(size: Size, interpolation: 'bilinear' | 'bicubic' | 'nearest' = 'bilinear'): Transform {
  return { type: 'resize', size, interpolation };
}

/** The seed article's name for {@link Resize}. */
export const Rescale = Resize;

/** `torchvision.transforms.CenterCrop`: the centred window, offsets rounded half to even as Python's `round`. */
export function CenterCrop(size: Size): Transform {
  return { type: 'centerCrop', size };
}

/** `torchvision.transforms.RandomCrop`: a window at a uniformly random position. */
export function RandomCrop(size: Size): Transform {
  return { type: 'randomCrop', size };
}

/** `torchvision.transforms.RandomResizedCrop`: a random area and aspect ratio, resized to `size`. */
export function RandomResizedCrop(
  size: Size,
  options: {
    scale?: [number, number];
    ratio?: [number, number];
    interpolation?: 'bilinear' | 'bicubic' | 'nearest';
  } = {},
): Transform {
  return {
    type: 'randomResizedCrop',
    size,
    scale: options.scale ?? [0.08, 1],
    ratio: options.ratio ?? [3 / 4, 4 / 3],
    interpolation: options.interpolation ?? 'bilinear',
  };
}

/** `torchvision.transforms.RandomHorizontalFlip(p)`. */
export function RandomHorizontalFlip(p = 0.5): Transform {
  return { type: 'randomHorizontalFlip', p };
}

/**
 * `torchvision.transforms.ColorJitter`: brightness, contrast and saturation factors drawn from
 * [max(0, 1 - x), 1 + x], hue shift from [-hue, hue], applied in a random order, on [0, 1] pixels as torchvision's
 * tensor implementation computes them (blends clamped to [0, 1], greyscale 0.2989 R + 0.587 G + 0.114 B), not
 * PIL's 8-bit ImageEnhance.
 */
export function ColorJitter(options: {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
}): Transform {
  return {
    type: 'colorJitter',
    brightness: options.brightness ?? 0,
    contrast: options.contrast ?? 0,
    saturation: options.saturation ?? 0,
    hue: options.hue ?? 0,
  };
}

/**
 * The 2012 paper's "fancy PCA" lighting noise on [0, 1] pixels: `rgb += eigvec @ (alpha * eigval)` with
 * `alpha ~ N(0, std)` per image, using ImageNet's RGB eigenvalues and eigenvectors ({@link IMAGENET_PCA}).
 */
export function PcaLighting(std = 0.1): Transform {
  return { type: 'pcaLighting', std };
}

/** `torchvision.transforms.Normalize`: `(x - mean) / std` per channel, on [0, 1] pixels. */
export function Normalize(
  mean: [number, number, number] = IMAGENET_MEAN,
  std: [number, number, number] = IMAGENET_STD,
): Transform {
  return { type: 'normalize', mean, std };
}

/**
 * `torchvision.transforms.TenCrop`: the four corners and the centre, then the same five of the mirrored image
 * (evaluation), in torchvision's order.
 */
export function TenCrop(size: Size): Transform {
  return { type: 'tenCrop', size };
}

// ImageNet's mean and std have one definition, in @alexnet/models (a model's preprocessing); re-exported here.
export { IMAGENET_MEAN, IMAGENET_STD };

/** ImageNet's RGB covariance eigen-decomposition (pixels in [0, 1]), as used for the paper's PCA lighting. */
export const IMAGENET_PCA = {
  eigval: [0.2175, 0.0188, 0.0045] as const,
  eigvec: [
    [-0.5675, 0.7192, 0.4009],
    [-0.5808, -0.0045, -0.814],
    [-0.5836, -0.6948, 0.4203],
  ] as const,
};

/** The side images are resized to before cropping `size`: 256 for 224, in the same ratio for other sizes. */
export function resizeFor(size: number): number {
  return Math.round((size * 256) / 224);
}

/** The 2012 paper's training: short side 256, centre 256 square, random 224 crop, flip, PCA lighting. */
export function paperTrain(size = 224): Transform[] {
  const resize = resizeFor(size);
  return [Resize(resize), CenterCrop(resize), RandomCrop(size), RandomHorizontalFlip(), PcaLighting(0.1), Normalize()];
}

/** The 2012 paper's test: ten 224 crops (corners, centre, mirrored) of the 256 square. */
export function paperEval(size = 224): Transform[] {
  const resize = resizeFor(size);
  return [Resize(resize), CenterCrop(resize), TenCrop(size), Normalize()];
}

/** The seed article's training (`Rescale(256)`, flip, `RandomCrop(224)`), with its missing /255 fixed. */
export function referenceTrain(size = 224): Transform[] {
  return [Resize(resizeFor(size)), RandomHorizontalFlip(), RandomCrop(size), Normalize()];
}

/** The seed article's evaluation: short side 256, centre 224 crop. */
export function referenceEval(size = 224): Transform[] {
  return [Resize(resizeFor(size)), CenterCrop(size), Normalize()];
}

/** torchvision's ImageNet evaluation: `Resize(256)`, `CenterCrop(224)`, normalise. */
export function torchvisionEval(size = 224): Transform[] {
  return referenceEval(size);
}

/** torchvision's ImageNet training: `RandomResizedCrop(224)`, flip, normalise. */
export function torchvisionTrain(size = 224): Transform[] {
  return [RandomResizedCrop(size), RandomHorizontalFlip(), Normalize()];
}

/** `[height, width]` of a {@link Size}. */
export function sizePair(size: Size): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}
