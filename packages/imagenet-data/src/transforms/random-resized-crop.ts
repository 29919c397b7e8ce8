import type { RandomGenerator } from '@alexnet/layers';
import { crop, eightBit } from '../pixels.js';
import { resizeRgb } from '../resample.js';
import { sizePair, type Transform } from '../transforms.js';
import { roundHalfEven } from './center-crop.js';
import { randomInt } from './random-crop.js';
import type { TransformRunner } from './runner.js';

type RandomResizedCrop = Extract<Transform, { type: 'randomResizedCrop' }>;

/** torchvision's RandomResizedCrop.get_params: ten tries at a random area and ratio, then a centred fallback. */
function randomResizedCropBox(
  height: number,
  width: number,
  scale: [number, number],
  ratio: [number, number],
  rng: RandomGenerator,
): { top: number; left: number; width: number; height: number } {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.uniform());
    const aspect = Math.exp(logRatio[0] + (logRatio[1] - logRatio[0]) * rng.uniform());
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: randomInt(rng, height - h), left: randomInt(rng, width - w), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), width: w, height: h };
}

/** `RandomResizedCrop`, torchvision's resized_crop: crop a random box, then resize the crop (a step only). */
export const randomResizedCrop: TransformRunner<RandomResizedCrop> = {
  step(transform, images, rng) {
    const [h, w] = sizePair(transform.size);
    return images.map((img) => {
      const box = randomResizedCropBox(img.height, img.width, transform.scale, transform.ratio, rng);
      const region = eightBit(crop(img, box.top, box.left, box.height, box.width), 'RandomResizedCrop');
      return resizeRgb(region, h, w, transform.interpolation);
    });
  },
};
