import sharp from 'sharp';
import { jpegHeaderProblem, readJpegHeader } from './jpeg-header.js';
import { jpegAddon } from './jpeg-native.js';
import { pixelLimitProblem } from './pixel-limit.js';

/**
 * Why a file that would not decode is bad, from its bytes alone. libvips keeps one error buffer for the whole
 * process, so with several threads decoding, the message a failed decode comes back with may be another file's (a
 * PNG was once "VipsJpeg: Corrupt JPEG data") or empty ("Unknown error"). These reasons are worked out from the file
 * instead: its format from its signature, then where it is cut short or broken, so the same file always gets the
 * same reason.
 */

/** Image formats by signature, with the names reasons give them. */
const SIGNATURES: Array<{ name: string; matches(bytes: Uint8Array): boolean }> = [
  { name: 'JPEG', matches: (b) => b[0] === 0xff && b[1] === 0xd8 },
  { name: 'PNG', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: 'GIF', matches: (b) => ascii(b, 0, 4) === 'GIF8' },
  { name: 'WebP', matches: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { name: 'TIFF', matches: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
  { name: 'BMP', matches: (b) => ascii(b, 0, 2) === 'BM' },
  { name: 'HEIF/AVIF', matches: (b) => ascii(b, 4, 8) === 'ftyp' },
];

/** libvips' name of a format (`jpeg`, `webp`, ...) as reasons give it (`JPEG`, `WebP`, ...). */
export function formatName(libvipsFormat: string): string {
  const names: Record<string, string> = {
    jpeg: 'JPEG',
    png: 'PNG',
    gif: 'GIF',
    webp: 'WebP',
    tiff: 'TIFF',
    heif: 'HEIF/AVIF',
  };
  return names[libvipsFormat] ?? libvipsFormat.toUpperCase();
}

/** The format `bytes` start like (JPEG, PNG, GIF, WebP, TIFF, BMP, HEIF/AVIF), or null. */
export function imageFormatOf(bytes: Uint8Array): string | null {
  return SIGNATURES.find((s) => s.matches(bytes))?.name ?? null;
}

/**
 * Why `bytes` (a file that failed to decode) are not a usable image: empty, no image signature, over
 * `maxImagePixels`, truncated or corrupt (saying where, for JPEG and PNG). Deterministic: it reads only the bytes.
 */
export async function describeBadImage(bytes: Uint8Array, maxImagePixels: number): Promise<string> {
  if (bytes.length === 0) return 'empty file (0 bytes)';
  const format = imageFormatOf(bytes);
  if (!format) {
    const start = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return `unsupported image format: no image signature (the file starts with ${start})`;
  }
  const size = await declaredSize(bytes, format);
  const tooLarge = size && pixelLimitProblem(size.width, size.height, maxImagePixels);
  if (tooLarge) return `${format} ${tooLarge}`;
  if (format === 'JPEG') return jpegProblem(bytes);
  if (format === 'PNG') return pngProblem(bytes);
  return `${format} data that libvips cannot decode (damaged, or a variant it does not read)`;
}

/** The size a header declares: JPEG and PNG read here, anything else by libvips (its header reader, no decoding). */
async function declaredSize(bytes: Uint8Array, format: string): Promise<{ width: number; height: number } | null> {
  const jpeg = format === 'JPEG' ? readJpegHeader(bytes) : null;
  if (jpeg) return jpeg;
  if (format === 'PNG' && bytes.length >= 24 && ascii(bytes, 12, 16) === 'IHDR') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  // libvips' header reader: its answer is the file's (only its error messages may be another thread's).
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch {
    return null;
  }
}

function jpegProblem(bytes: Uint8Array): string {
  const header = jpegHeaderProblem(bytes);
  if (header) return header;
  // In the entropy-coded data every 0xff byte is followed by 0x00 or a restart marker, so the last end-of-image
  // marker after the last start-of-scan marker is the image's end (an EXIF thumbnail's comes before its scans).
  const scan = lastMarker(bytes, 0xda);
  if (scan < 0) return `truncated JPEG: the file ends after ${bytes.length} bytes, before the image data`;
  if (lastMarker(bytes, 0xd9) < scan) {
    return `truncated JPEG: the data stops after ${bytes.length} bytes, before the end-of-image marker`;
  }
  const libjpeg = libjpegMessage(bytes);
  return libjpeg ? `corrupt JPEG data: ${libjpeg}` : 'corrupt JPEG data: libvips cannot decode it';
}

/** libjpeg's own message on `bytes` (deterministic: the addon decodes on the calling thread), or null. */
function libjpegMessage(bytes: Uint8Array): string | null {
  const header = readJpegHeader(bytes);
  const addon = jpegAddon();
  if (!header || !addon || header.components === 4 || header.width * header.height * 3 > 64 * 2 ** 20) return null;
  try {
    addon.decodeInto(bytes, new Uint8Array(header.width * header.height * 3));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function pngProblem(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || ascii(bytes, 12, 16) !== 'IHDR') return 'corrupt PNG: no IHDR chunk after the signature';
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, offset + 8);
    if (offset + 12 + length > bytes.length) {
      return `truncated PNG: the ${printable(type)} chunk at byte ${offset} runs past the end of the file (${bytes.length} bytes)`;
    }
    if (type === 'IEND') return 'corrupt PNG data: a damaged chunk or compressed image data';
    offset += 12 + length;
  }
  return `truncated PNG: the file ends after ${bytes.length} bytes, before the IEND chunk`;
}

function lastMarker(bytes: Uint8Array, marker: number): number {
  for (let i = bytes.length - 2; i >= 0; i--) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  return -1;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function printable(text: string): string {
  return /^[A-Za-z]{4}$/.test(text) ? text : JSON.stringify(text);
}
