import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegHeaderProblem, readJpegHeader } from './jpeg-header.js';

/** The displayed size: the frame's, sides swapped for EXIF orientations 5 to 8. */
function jpegDisplaySize(bytes: Uint8Array): { width: number; height: number } | null {
  const header = readJpegHeader(bytes);
  if (!header) return null;
  const { width, height, orientation } = header;
  return orientation >= 5 ? { width: height, height: width } : { width, height };
}

/** A 30 x 20 image with some content, as raw RGB. */
function pixels(channels = 3): { data: Buffer; raw: { width: number; height: number; channels: 3 | 1 } } {
  const data = Buffer.alloc(30 * 20 * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  return { data, raw: { width: 30, height: 20, channels: channels as 3 | 1 } };
}

async function expectLikeSharp(bytes: Buffer): Promise<void> {
  const metadata = await sharp(bytes).metadata();
  const expected = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  expect(jpegDisplaySize(bytes)).toEqual({ width: expected.width, height: expected.height });
}

describe('readJpegHeader', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('reads the size libvips reports for EXIF orientation %d', async (orientation) => {
    const { data, raw } = pixels();
    const jpeg = await sharp(data, { raw }).withMetadata({ orientation }).jpeg().toBuffer();
    await expectLikeSharp(jpeg);
    expect(readJpegHeader(jpeg)).toEqual({ width: 30, height: 20, components: 3, orientation });
  });

  it('reads progressive, greyscale and CMYK JPEGs and ones without EXIF', async () => {
    const rgb = pixels();
    const grey = pixels(1);
    await expectLikeSharp(await sharp(rgb.data, { raw: rgb.raw }).jpeg({ progressive: true }).toBuffer());
    await expectLikeSharp(await sharp(grey.data, { raw: grey.raw }).jpeg().toBuffer());
    await expectLikeSharp(await sharp(rgb.data, { raw: rgb.raw }).toColourspace('cmyk').jpeg().toBuffer());
    await expectLikeSharp(await sharp(rgb.data, { raw: rgb.raw }).jpeg({ quality: 50 }).toBuffer());
    // The components say what the decoder will meet: 1 grey, 3 YCbCr, 4 CMYK (left to libvips).
    const components = async (image: Sharp) => readJpegHeader(await image.jpeg().toBuffer())?.components;
    expect(await components(sharp(grey.data, { raw: grey.raw }).toColourspace('b-w'))).toBe(1);
    expect(await components(sharp(rgb.data, { raw: rgb.raw }))).toBe(3);
    expect(await components(sharp(rgb.data, { raw: rgb.raw }).toColourspace('cmyk'))).toBe(4);
  });

  it('returns null for PNGs, empty or truncated headers, so the caller asks libvips', async () => {
    const { data, raw } = pixels();
    const jpeg = await sharp(data, { raw }).jpeg().toBuffer();
    expect(jpegDisplaySize(await sharp(data, { raw }).png().toBuffer())).toBeNull();
    expect(jpegDisplaySize(new Uint8Array(0))).toBeNull();
    expect(jpegDisplaySize(jpeg.subarray(0, 40))).toBeNull();
    expect(jpegDisplaySize(Buffer.from('not an image'))).toBeNull();
  });

  it('says a file cut right after its start-of-image marker is a truncated JPEG, not that it is no JPEG', () => {
    expect(jpegHeaderProblem(Uint8Array.of(0xff, 0xd8))).toBe(
      'truncated JPEG: the file ends (2 bytes) after its start-of-image marker',
    );
    expect(jpegHeaderProblem(Uint8Array.of(0xff, 0xd8, 0xff))).toBe(
      'truncated JPEG: the file ends (3 bytes) after its start-of-image marker',
    );
    expect(jpegHeaderProblem(Uint8Array.of(0xff))).toBe('not a JPEG (no start-of-image marker)');
    expect(jpegHeaderProblem(Uint8Array.of(0x89, 0x50, 0x4e, 0x47))).toBe('not a JPEG (no start-of-image marker)');
  });
});
