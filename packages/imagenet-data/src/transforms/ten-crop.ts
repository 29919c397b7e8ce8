import { crop, flip, type Pixels } from '../pixels.js';
import { sizePair, type Transform } from '../transforms.js';
import { cropWindow, type Window } from '../window.js';
import { centerOffset } from './center-crop.js';
import type { TransformRunner } from './runner.js';

type TenCrop = Extract<Transform, { type: 'tenCrop' }>;

/** Where torchvision's five_crop cuts `h x w` crops of a `height x width` image: the four corners, then the centre. */
export function fiveCropOffsets(height: number, width: number, h: number, w: number): number[][] {
  if (height < h || width < w) {
    throw new Error(`TenCrop(${h}x${w}) is larger than the ${height}x${width} image: resize first`);
  }
  return [
    [0, 0],
    [0, width - w],
    [height - h, 0],
    [height - h, width - w],
    [centerOffset(height, h), centerOffset(width, w)],
  ];
}

/** `TenCrop`, as torchvision's ten_crop cuts it: five crops of the image, then five of its mirror image. */
export const tenCrop: TransformRunner<TenCrop> = {
  step(transform, images) {
    const [h, w] = sizePair(transform.size);
    const fiveCrop = (img: Pixels) =>
      fiveCropOffsets(img.height, img.width, h, w).map(([top, left]) => crop(img, top, left, h, w));
    return images.flatMap((img) => [...fiveCrop(img), ...fiveCrop(flip(img))]);
  },
  window: {
    role: 'ends',
    plan(transform, view) {
      const [h, w] = sizePair(transform.size);
      const fiveCrop = (v: Window) =>
        fiveCropOffsets(v.height, v.width, h, w).map(([dy, dx]) => cropWindow(v, h, w, dy, dx));
      return [...fiveCrop(view), ...fiveCrop({ ...view, flipped: !view.flipped })];
    },
  },
};
