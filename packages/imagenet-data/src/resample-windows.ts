import type { WindowPlan } from './plan-windows.js';
import { resizeRgb } from './resample.js';
import type { PixelWindow } from './window.js';

/**
 * The planned windows over the pixels they read: the image itself, or when it is to be resized, only the part of the
 * resized image the windows cover (Pillow's arithmetic in resample.ts; resizing then cropping costs about the
 * crop's share of a full resize), or all of it when a window hangs over the edge, where torchvision pads.
 */
export function resampleWindows(plan: WindowPlan): PixelWindow[] {
  if (!plan.resize) return plan.windows.map((window) => ({ ...window, img: plan.image }));
  const { image, windows } = plan;
  const { height, width, interpolation } = plan.resize;
  const top = Math.min(...windows.map((w) => w.top));
  const left = Math.min(...windows.map((w) => w.left));
  const bottom = Math.max(...windows.map((w) => w.top + w.height));
  const right = Math.max(...windows.map((w) => w.left + w.width));
  if (top >= 0 && left >= 0 && bottom <= height && right <= width) {
    const region = { top, left, height: bottom - top, width: right - left };
    const img = resizeRgb(image, height, width, interpolation, region);
    return windows.map((w) => ({ ...w, img, top: w.top - top, left: w.left - left }));
  }
  const img = resizeRgb(image, height, width, interpolation);
  return windows.map((w) => ({ ...w, img }));
}
