import { eightBit } from '../pixels.js';
import { resizeRgb } from '../resample.js';
import type { Size, Transform } from '../transforms.js';
import type { TransformRunner } from './runner.js';

type Resize = Extract<Transform, { type: 'resize' }>;

/** torchvision's Resize target: an int sets the shorter side, the longer one truncated to an integer. */
export function resizeTarget(size: Size, height: number, width: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

/**
 * `Resize`. As a step it resizes whole images; where it comes just before the transforms of the one pass, loadImage
 * runs it after planning their windows instead, on the part of the image they cover (`resample.ts`).
 */
export const resize: TransformRunner<Resize> = {
  step: (transform, images) =>
    images.map((img) => {
      const [h, w] = resizeTarget(transform.size, img.height, img.width);
      return resizeRgb(eightBit(img, 'Resize'), h, w, transform.interpolation);
    }),
};
