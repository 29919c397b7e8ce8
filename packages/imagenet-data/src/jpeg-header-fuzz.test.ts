import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadImageError } from './bad-image.js';
import { jpegHeaderProblem, readJpegHeader } from './jpeg-header.js';
import { loadImage } from './load-image.js';

/**
 * A seeded fuzzer over JPEG headers: bytes set, cut, inserted, segment lengths and frame sizes rewritten, in the
 * header of several kinds of JPEG (baseline, progressive, greyscale, CMYK, EXIF-rotated). The header reader must
 * never throw and give a sane header or a reason; the whole load (read, header, bomb check, libjpeg or libvips
 * decode) must give pixels or a BadImageError naming the file, never another error, and never take long.
 */

/** mulberry32, a small seeded generator: the same cases on every run. Returns an integer in [0, n). */
function generator(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

/** The marker segments before the image data: [offset of 0xff, marker, length]. */
function segments(jpeg: Uint8Array): Array<[number, number, number]> {
  const found: Array<[number, number, number]> = [];
  for (let offset = 2; offset + 4 <= jpeg.length; ) {
    const marker = jpeg[offset + 1];
    const length = (jpeg[offset + 2] << 8) | jpeg[offset + 3];
    found.push([offset, marker, length]);
    if (marker === 0xda) break;
    offset += 2 + length;
  }
  return found;
}

/** One mutation of a JPEG's header (up to a few bytes into its image data). */
function mutate(jpeg: Uint8Array, random: (n: number) => number): { bytes: Uint8Array; how: string } {
  const parts = segments(jpeg);
  const [scanAt, , scanLength] = parts[parts.length - 1];
  const headerEnd = Math.min(jpeg.length, scanAt + 2 + scanLength + 8);
  const out = jpeg.slice();
  const kind = random(5);
  if (kind === 0) {
    const at: number[] = [];
    for (let n = 1 + random(4); n > 0; n--) {
      const i = random(headerEnd);
      out[i] = random(256);
      at.push(i);
    }
    return { bytes: out, how: `set bytes at ${at.join(', ')}` };
  }
  if (kind === 1) {
    const end = random(headerEnd + 1);
    return { bytes: jpeg.slice(0, end), how: `cut at ${end}` };
  }
  if (kind === 2) {
    const at = random(headerEnd + 1);
    const inserted = Uint8Array.from({ length: 1 + random(16) }, () => random(256));
    const grown = new Uint8Array(jpeg.length + inserted.length);
    grown.set(jpeg.subarray(0, at));
    grown.set(inserted, at);
    grown.set(jpeg.subarray(at), at + inserted.length);
    return { bytes: grown, how: `insert ${inserted.length} at ${at}` };
  }
  const [offset, marker] = parts[random(parts.length)];
  if (kind === 3) {
    const length = [0, 1, 2, 3, 0xffff, random(0x10000)][random(6)];
    out[offset + 2] = length >> 8;
    out[offset + 3] = length & 0xff;
    return { bytes: out, how: `length of 0x${marker.toString(16)} at ${offset} set to ${length}` };
  }
  // A frame size: mostly small, sometimes zero, sometimes far over the pixel limit.
  const frame = parts.find(([, m]) => m >= 0xc0 && m <= 0xc2) ?? parts[0];
  const side = () => [0, 1, 1 + random(2048), 0xffff][random(4)];
  const [height, width] = [side(), side()];
  out[frame[0] + 5] = height >> 8;
  out[frame[0] + 6] = height & 0xff;
  out[frame[0] + 7] = width >> 8;
  out[frame[0] + 8] = width & 0xff;
  return { bytes: out, how: `frame set to ${width}x${height}` };
}

/** Why an outcome breaks the rules, or `loaded` / `refused` when it keeps them. */
async function outcome(bytes: Uint8Array, name: string): Promise<string> {
  let header: ReturnType<typeof readJpegHeader>;
  let reason: string | null;
  try {
    header = readJpegHeader(bytes);
    reason = jpegHeaderProblem(bytes);
  } catch (error) {
    return `the header reader threw ${String(error)}`;
  }
  if ((header === null) === (reason === null)) return `header ${JSON.stringify(header)} with reason ${reason}`;
  if (header) {
    const { width, height, components, orientation } = header;
    const sane = [width, height].every((v) => Number.isInteger(v) && v >= 1 && v <= 0xffff);
    if (!sane || !(components >= 0 && components <= 255) || !(orientation >= 1 && orientation <= 8)) {
      return `insane header ${JSON.stringify(header)}`;
    }
  }
  const started = performance.now();
  let result = 'loaded';
  try {
    const image = await loadImage(bytes, [], 0, { name });
    if (image.data.length !== image.width * image.height * 3 || image.width < 1) return 'pixels of the wrong size';
  } catch (error) {
    if (!(error instanceof BadImageError)) return `an untyped error: ${String(error)}`;
    if (error.path !== name || !error.message.startsWith(`${name}: `))
      return `an error not naming the file: ${error.message}`;
    if (!error.reason || /undefined|NaN/.test(error.reason)) return `a reason that says nothing: ${error.reason}`;
    result = 'refused';
  }
  const seconds = (performance.now() - started) / 1000;
  return seconds > 2 ? `took ${seconds.toFixed(1)} s` : result;
}

describe('JPEG header fuzzing', () => {
  const seeds: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    const data = Buffer.alloc(16 * 12 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    // Copies (a Buffer's slice() would share the seed's memory, and mutations would pile up in it).
    const image = () => sharp(data, { raw: { width: 16, height: 12, channels: 3 } });
    const encode = async (pipeline: ReturnType<typeof image>) => new Uint8Array(await pipeline.toBuffer());
    seeds.baseline = await encode(image().jpeg());
    seeds.progressive = await encode(image().jpeg({ progressive: true }));
    seeds.grey = await encode(image().toColourspace('b-w').jpeg());
    seeds.cmyk = await encode(image().toColourspace('cmyk').jpeg());
    seeds.rotated = await encode(image().withMetadata({ orientation: 6 }).jpeg());
  });

  it('gives a header or a reason, and pixels or a BadImageError naming the file, for 1,000 mutated headers', async () => {
    const random = generator(14);
    const failures: string[] = [];
    const outcomes: Record<string, number> = { loaded: 0, refused: 0 };
    const names = Object.keys(seeds);
    for (let i = 0; i < 1000; i++) {
      const seed = names[i % names.length];
      const { bytes, how } = mutate(seeds[seed], random);
      const name = `case-${i}-${seed}.JPEG`;
      const result = await outcome(bytes, name);
      if (result in outcomes) outcomes[result] += 1;
      else failures.push(`${name} (${how}): ${result}`);
    }
    expect(failures).toEqual([]);
    // The mutations reach both outcomes (the test would say little if every case failed the same way).
    expect(outcomes.loaded).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });
});
