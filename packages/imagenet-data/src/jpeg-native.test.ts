import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sourcesDigest } from '../../../scripts/native/sources-digest.mjs';
import { checkDataset } from './check.js';
import { openDataset } from './dataset.js';
import { jpegAddon, jpegDamage, jpegDecoder } from './jpeg-native.js';
import { loadImage } from './load-image.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(root, 'native', 'prebuilds', `${process.platform}-${process.arch}`);
const addon = jpegAddon();

/** A photo-like RGB image of `width x height` with noise and edges. */
function photo(width: number, height: number): { data: Buffer; raw: { width: number; height: number; channels: 3 } } {
  const data = Buffer.alloc(width * height * 3);
  let s = width * 31 + height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const smooth = 128 + 90 * Math.sin(x / (5 + 3 * c)) * Math.cos(y / 7) + (x > width / 2 ? 30 : -30);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, smooth + ((s >>> 24) % 24) - 12));
      }
    }
  }
  return { data, raw: { width, height, channels: 3 } };
}

/** libvips' pixels for a file (8-bit RGB), which are PIL's. */
async function libvipsPixels(jpeg: Buffer): Promise<Buffer> {
  return sharp(jpeg).toColourspace('srgb').raw().toBuffer();
}

describe.runIf(addon)('the libjpeg addon', () => {
  it.each([
    ['4:2:0', 64, 48, { quality: 85 }],
    ['4:4:4', 64, 48, { quality: 95, chromaSubsampling: '4:4:4' }],
    ['progressive', 75, 41, { progressive: true }],
    ['odd size', 17, 9, { quality: 60 }],
    ['one pixel', 1, 1, {}],
    ['large', 500, 375, { quality: 90 }],
    ['low quality', 120, 80, { quality: 5 }],
  ] as const)('decodes %s JPEGs to the same pixels as libvips (and PIL)', async (_, width, height, options) => {
    const { data, raw } = photo(width, height);
    const jpeg = await sharp(data, { raw }).jpeg(options).toBuffer();
    const out = new Uint8Array(width * height * 3 + 5).fill(77);
    expect(addon?.decodeInto(jpeg, out)).toEqual([width, height]);
    expect(Buffer.from(out.subarray(0, width * height * 3)).equals(await libvipsPixels(jpeg))).toBe(true);
    expect(Array.from(out.subarray(width * height * 3))).toEqual([77, 77, 77, 77, 77]);
  });

  it('decodes greyscale JPEGs to RGB with equal channels, as PIL convert("RGB") does', async () => {
    const { data, raw } = photo(40, 30);
    const jpeg = await sharp(data, { raw }).toColourspace('b-w').jpeg().toBuffer();
    expect(jpeg[jpeg.indexOf(Buffer.from([0xff, 0xc0])) + 9]).toBe(1); // one component in the frame header
    const out = new Uint8Array(40 * 30 * 3);
    addon?.decodeInto(jpeg, out);
    expect(Buffer.from(out).equals(await libvipsPixels(jpeg))).toBe(true);
    expect(out[30]).toBe(out[31]);
  });

  it('refuses what it would not decode as PIL does, so that libvips decides', async () => {
    const { data, raw } = photo(64, 48);
    const jpeg = await sharp(data, { raw }).jpeg().toBuffer();
    const cmyk = await sharp(data, { raw }).toColourspace('cmyk').jpeg().toBuffer();
    const corrupt = Buffer.concat([jpeg.subarray(0, 700), Buffer.alloc(300, 9), jpeg.subarray(1000)]);
    const out = new Uint8Array(64 * 48 * 3);
    expect(() => addon?.decodeInto(jpeg.subarray(0, jpeg.length - 200), out)).toThrow(/Premature end of JPEG/);
    expect(() => addon?.decodeInto(corrupt, out)).toThrow(/Corrupt JPEG data|Premature end of JPEG/);
    expect(() => addon?.decodeInto(cmyk, out)).toThrow(/CMYK/);
    expect(() => addon?.decodeInto(Buffer.from('not a jpeg'), out)).toThrow(/Not a JPEG file/);
    expect(() => addon?.decodeInto(jpeg, new Uint8Array(100))).toThrow(/out is too small/);
    expect(() => addon?.decodeInto('x' as never, out)).toThrow('jpeg must be a Uint8Array');
  });

  it('finds damaged JPEGs that still decode, for checkDataset to list, and the loader decodes them as PIL does', async () => {
    const { data, raw } = photo(64, 48);
    const clean = await sharp(data, { raw }).jpeg().toBuffer();
    // Junk before the end-of-image marker: libjpeg warns, PIL and libvips decode the image all the same.
    const damaged = Buffer.concat([clean.subarray(0, clean.length - 2), Buffer.alloc(40, 0x2a), clean.subarray(-2)]);
    expect(jpegDamage(clean)).toBeNull();
    expect(jpegDamage(damaged)).toMatch(/Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9/);

    const dir = mkdtempSync(join(tmpdir(), 'alexnet-damaged-'));
    try {
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'a', 'clean.JPEG'), clean);
      writeFileSync(join(dir, 'a', 'damaged.JPEG'), damaged);
      const report = await checkDataset(openDataset(dir));
      expect(report.bad).toEqual([]);
      expect(report.notes.damaged).toEqual([
        { path: join(dir, 'a', 'damaged.JPEG'), reason: expect.stringMatching(/extraneous bytes before marker 0xd9/) },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const image = await loadImage(damaged, [], 0);
    const expected = await libvipsPixels(damaged);
    expect(Array.from(image.data, (v) => Math.round(v * 255))).toEqual(Array.from(expected));
  });

  it('refuses a JPEG beyond the pixel limit from its header, instead of allocating for it', async () => {
    const { data, raw } = photo(64, 48);
    const jpeg = await sharp(data, { raw }).jpeg().toBuffer();
    // The frame header (SOF0: FF C0, length, precision, height, width) claims 20000 x 20000.
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    const forged = Buffer.from(jpeg);
    forged.writeUInt16BE(20000, sof + 5);
    forged.writeUInt16BE(20000, sof + 7);
    // Refused before either decoder sees it (maxImagePixels, Pillow's decompression-bomb limit).
    await expect(loadImage(forged, [], 0)).rejects.toThrow(
      'JPEG declares 20000x20000 = 400,000,000 pixels, over the limit of 178,956,970',
    );
  });

  it('is what loadImage uses for plain JPEGs, with libvips for rotated ones', async () => {
    expect(jpegDecoder()).toBe('libjpeg');
    const { data, raw } = photo(30, 20);
    const rotated = await sharp(data, { raw }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const image = await loadImage(rotated, [], 0);
    expect([image.height, image.width]).toEqual([30, 20]);
  });
});

describe('without the addon', () => {
  it('decodes with libvips to the same values (ALEXNET_JPEG_DECODER=libvips)', () => {
    // A child process: the choice is made once a thread.
    const script = `
      import { CenterCrop, jpegDecoder, loadImage, Normalize, Resize } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const image = await loadImage(process.argv[1], [Resize(32), CenterCrop(28), Normalize()], 0);
      process.stdout.write(jpegDecoder() + ' ' + Buffer.from(image.data.buffer).toString('base64'));
    `;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script, join(root, 'fixtures', 'photo.jpg')], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
    const viaLibvips = run({ ALEXNET_JPEG_DECODER: 'libvips' });
    const viaDefault = run({});
    expect(viaLibvips.stderr).toBe('');
    const [decoder, values] = viaLibvips.stdout.split(' ');
    expect(decoder).toBe('libvips');
    expect(values.length).toBeGreaterThan(1000);
    expect(viaDefault.stdout).toBe(`${addon ? 'libjpeg' : 'libvips'} ${values}`);
  });
});

describe.runIf(existsSync(prebuilt))('the prebuilt addon', () => {
  it('was built from the sources in native/', () => {
    expect(existsSync(join(prebuilt, 'alexnet_jpeg.napi.glibc.node'))).toBe(true);
    expect(readFileSync(join(prebuilt, 'SOURCES.sha256'), 'utf8').trim()).toBe(sourcesDigest(join(root, 'native')));
  });

  // Where the C library it links is present (Debian's libjpeg62-turbo) and nothing was built from source.
  it.runIf(existsSync('/usr/lib/x86_64-linux-gnu/libjpeg.so.62') && !existsSync(join(root, 'native', 'build')))(
    'is what the package loads when there is no build from source',
    () => {
      expect(jpegDecoder()).toBe('libjpeg');
    },
  );
});
