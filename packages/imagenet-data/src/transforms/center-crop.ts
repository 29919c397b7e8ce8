import { crop } from '../pixels.js';
import { sizePair, type Transform } from '../transforms.js';
import { cropWindow } from '../window.js';
import type { TransformRunner } from './runner.js';

type CenterCrop = Extract<Transform, { type: 'centerCrop' }>;

/**
 * Where torchvision's center_crop starts a crop of `crop` pixels on an axis of `size`: Python's round of half the
 * margin; when the crop is larger, the image is first padded (the smaller half before it), so the crop starts that
 * half before the image.
 */
export function centerOffset(size: number, crop: number): number {
  return crop > size ? -((crop - size) >> 1) : roundHalfEven((size - crop) / 2);
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop offsets use it). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `CenterCrop`: the centred window, padded with zeros where it is larger than the image. */
export const centerCrop: TransformRunner<CenterCrop> = {
  step(transform, images) {
    const [h, w] = sizePair(transform.size);
    return images.map((img) => crop(img, centerOffset(img.height, h), centerOffset(img.width, w), h, w));
  },
  window: {
    role: 'moves',
    plan(transform, view) {
      const [h, w] = sizePair(transform.size);
      return [cropWindow(view, h, w, centerOffset(view.height, h), centerOffset(view.width, w))];
    },
  },
};
