import type { Pixels } from './pixels.js';

/**
 * A crop window: where the one pass reads an output image from. Crops and flips move a window instead of copying
 * pixels; planning needs only the image's size, so windows can be planned before the pixels exist.
 */
export interface Window {
  top: number;
  left: number;
  height: number;
  width: number;
  /** Whether the window is read mirrored (right to left). */
  flipped: boolean;
  /** The RGB offset PcaLighting adds (to [0, 1] values), when the pipeline has one. */
  lighting?: number[];
}

/** The window covering a whole `height x width` image. */
export function wholeImage(height: number, width: number): Window {
  return { top: 0, left: 0, height, width, flipped: false };
}

/** The `h x w` window at offset (dy, dx) of `view`, offsets counted as the viewer sees it (mirrored if flipped). */
export function cropWindow(view: Window, h: number, w: number, dy: number, dx: number): Window {
  return {
    ...view,
    top: view.top + dy,
    left: view.left + (view.flipped ? view.width - w - dx : dx),
    height: h,
    width: w,
  };
}

/** A window over the pixels it is read from: what the one pass writes. */
export interface PixelWindow extends Window {
  img: Pixels;
}
