import type { DecodedImage } from './pixels.js';
import { channelValue } from './transforms/normalize.js';
import type { Transform } from './transforms.js';
import type { PixelWindow } from './window.js';

// The one pass that ends every image's way: each window's pixels are read once (mirrored where flipped) and written
// as float32 into the batch's slot, through a table of the values PcaLighting and Normalize give the 256 levels.

/**
 * The windows' pixels as float32, mirrored where flipped, lit where the pipeline has PcaLighting, normalised if it
 * ends with Normalize: into `into` when it has exactly the values of the windows (a slot of a batch), else into a new
 * array.
 */
export function writeWindows(
  windows: PixelWindow[],
  windowed: readonly Transform[],
  into?: Float32Array,
): DecodedImage {
  const last = windowed.at(-1);
  const normalize = last?.type === 'normalize' ? last : null;
  const { width, height } = windows[0];
  const length = windows.length * width * height * 3;
  const out = into?.length === length ? into : new Float32Array(length);
  let o = 0;
  for (const view of windows) {
    const { img, lighting } = view;
    const channel = [0, 1, 2].map((c) => channelValue(normalize, c, lighting?.[c]));
    // 8-bit pixels go through a table of the 256 values each channel can take.
    const table =
      img.data instanceof Uint8Array ? (lighting ? valueTable(channel) : floatTable(normalize, channel)) : null;
    const inside = view.top >= 0 && view.left >= 0 && view.top + height <= img.height && view.left + width <= img.width;
    if (inside && table) {
      writeEightBitWindow(view, table, out, o);
      o += width * height * 3;
      continue;
    }
    // Outside the image (a crop larger than it), torchvision pads with zeros, then lights and normalises them.
    const padding = channel.map((value) => value(0));
    const [n0, n1, n2] = channel;
    const pixels = img.data;
    const step = view.flipped ? -1 : 1;
    const firstX = view.left + (view.flipped ? width - 1 : 0);
    for (let y = 0; y < height; y++) {
      const sy = view.top + y;
      const rowInside = sy >= 0 && sy < img.height;
      let p = (sy * img.width + firstX) * 3;
      for (let x = 0, sx = firstX; x < width; x++, sx += step, p += 3 * step) {
        if (!rowInside || sx < 0 || sx >= img.width) {
          out[o++] = padding[0];
          out[o++] = padding[1];
          out[o++] = padding[2];
        } else if (table) {
          out[o++] = table[pixels[p]];
          out[o++] = table[256 + pixels[p + 1]];
          out[o++] = table[512 + pixels[p + 2]];
        } else {
          out[o++] = n0(pixels[p]);
          out[o++] = n1(pixels[p + 1]);
          out[o++] = n2(pixels[p + 2]);
        }
      }
    }
  }
  return { data: out, height, width, crops: windows.length };
}

/**
 * The common case, kept tight: a window inside 8-bit pixels, through the table of torchvision's float32 values
 * (a quarter of the loader's time per image went to the general loop).
 */
function writeEightBitWindow(view: PixelWindow, table: Float32Array, out: Float32Array, offset: number): void {
  const { img, height, width } = view;
  const pixels = img.data as Uint8Array;
  const red = table.subarray(0, 256);
  const green = table.subarray(256, 512);
  const blue = table.subarray(512, 768);
  const step = view.flipped ? -3 : 3;
  let o = offset;
  for (let y = 0; y < height; y++) {
    let p = ((view.top + y) * img.width + view.left + (view.flipped ? width - 1 : 0)) * 3;
    for (let x = 0; x < width; x++, p += step) {
      out[o] = red[pixels[p]];
      out[o + 1] = green[pixels[p + 1]];
      out[o + 2] = blue[pixels[p + 2]];
      o += 3;
    }
  }
}

/** The 768 float32 values (3 channels x 256 levels) of 8-bit pixels after ToTensor (k / 255) and `channel`. */
function valueTable(channel: Array<(x: number) => number>): Float32Array {
  const table = new Float32Array(768);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = channel[c](Math.fround(v / 255));
  }
  return table;
}

const floatTables = new Map<string, Float32Array>();

/** {@link valueTable} without lighting, cached by the Normalize constants. */
function floatTable(normalize: { mean: number[]; std: number[] } | null, channel: Array<(x: number) => number>) {
  const key = normalize ? `${normalize.mean} ${normalize.std}` : '';
  let table = floatTables.get(key);
  if (!table) {
    table = valueTable(channel);
    floatTables.set(key, table);
  }
  return table;
}
