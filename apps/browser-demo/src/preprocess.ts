/**
 * An image to the model's input in the page, as torchvision's eval preset does it: Resize(resize) of the shorter
 * side, CenterCrop(crop), ToTensor (RGB on [0, 1]), Normalize(mean, std). The resize is the browser's canvas
 * resampling, not Pillow's antialiased bilinear filter, so a resized image differs from torchvision's by about a
 * level of 255 on average and a few at most (the browser test measures it); an image whose shorter side already
 * has the resize side is not resampled, and then every value equals torchvision's.
 */
import type { Preprocessing } from '@alexnet/models';

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop rounds its offsets. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The size torchvision's Resize(size) gives an image: the shorter side `size`, the longer scaled and truncated. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** The top-left corner of torchvision's CenterCrop(crop) in an image of this size. */
export function cropOffset(width: number, height: number, crop: number): { left: number; top: number } {
  if (width < crop || height < crop) throw new Error(`the resized image (${width}x${height}) is smaller than ${crop}`);
  return { left: roundHalfEven((width - crop) / 2), top: roundHalfEven((height - crop) / 2) };
}

/** The preprocessing as torchvision would write it. */
export function torchvisionTransforms(p: Preprocessing): string {
  const interpolation = `InterpolationMode.${p.interpolation.toUpperCase()}`;
  const list = (values: number[]) => `[${values.join(', ')}]`;
  return [
    'transforms.Compose([',
    `    transforms.Resize(${p.resize}, interpolation=${interpolation}),`,
    `    transforms.CenterCrop(${p.crop}),`,
    '    transforms.ToTensor(),',
    `    transforms.Normalize(mean=${list(p.mean)}, std=${list(p.std)}),`,
    '])',
  ].join('\n');
}

/** Decodes an image file (no colour conversion, no premultiplied alpha: the file's own RGB values). */
export function decodeImage(file: Blob): Promise<ImageBitmap> {
  return createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
}

/** The model input for an image: float32 NHWC `[1, crop, crop, 3]` data, and the resized size. */
export function preprocess(
  image: ImageBitmap,
  p: Preprocessing,
): { data: Float32Array; resized: { width: number; height: number } } {
  const resized = resizedSize(image.width, image.height, p.resize);
  const canvas = document.createElement('canvas');
  canvas.width = resized.width;
  canvas.height = resized.height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('this browser gives no 2D canvas');
  // 'high' is the closer to Pillow's antialiased filters when shrinking (Chromium: 0.8 levels on average against
  // 1.4 for 'low'); nearest is no smoothing at all.
  context.imageSmoothingEnabled = p.interpolation !== 'nearest';
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, resized.width, resized.height);
  const { left, top } = cropOffset(resized.width, resized.height, p.crop);
  const pixels = context.getImageData(left, top, p.crop, p.crop).data;
  const data = new Float32Array(p.crop * p.crop * 3);
  for (let i = 0, j = 0; i < pixels.length; i += 4) {
    for (let c = 0; c < 3; c++, j++) data[j] = (pixels[i + c] / 255 - p.mean[c]) / p.std[c];
  }
  return { data, resized };
}
