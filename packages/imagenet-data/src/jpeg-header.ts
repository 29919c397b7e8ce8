/** What a JPEG's header says: its frame size and colour components, and the EXIF orientation (1 when absent). */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  orientation: number;
}

/**
 * Reads a JPEG's header bytes (up to the frame header) without decoding anything. Returns null for anything that is
 * not a plain JPEG this reader understands (a PNG named .JPEG, an empty or truncated file); the caller then asks
 * libvips. Never throws, whatever the bytes ({@link jpegHeaderProblem} says why a header was not read).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  const scanned = scanJpegHeader(bytes);
  return typeof scanned === 'string' ? null : scanned;
}

/** Why {@link readJpegHeader} found no header in `bytes`, in words about the file, or null when it found one. */
export function jpegHeaderProblem(bytes: Uint8Array): string | null {
  const scanned = scanJpegHeader(bytes);
  return typeof scanned === 'string' ? scanned : null;
}

/** The header, or why there is none. */
function scanJpegHeader(bytes: Uint8Array): JpegHeader | string {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 'not a JPEG (no start-of-image marker)';
  if (bytes.length < 4) return `truncated JPEG: the file ends (${bytes.length} bytes) after its start-of-image marker`;
  let orientation = 1;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) {
      return `corrupt JPEG header: byte ${offset} is 0x${hex(bytes[offset])} where a marker should start`;
    }
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const body = offset + 4;
    if (length < 2) return `corrupt JPEG header: marker 0x${hex(marker)} at byte ${offset} has a length of ${length}`;
    if (body + length - 2 > bytes.length) {
      return `truncated JPEG: the file ends (${bytes.length} bytes) inside marker 0x${hex(marker)} at byte ${offset}`;
    }
    if (marker === 0xe1) orientation = exifOrientation(bytes, body, length - 2) ?? orientation;
    // Start of frame: baseline, extended, progressive, lossless (not DHT 0xc4, JPG 0xc8, DAC 0xcc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (length < 8) return `corrupt JPEG header: the frame header at byte ${offset} is ${length} bytes long`;
      const height = (bytes[body + 1] << 8) | bytes[body + 2];
      const width = (bytes[body + 3] << 8) | bytes[body + 4];
      if (width === 0 || height === 0) return `corrupt JPEG header: the frame is ${width}x${height}`;
      return { width, height, components: bytes[body + 5], orientation };
    }
    if (marker === 0xda || marker === 0xd9) {
      return `corrupt JPEG header: ${marker === 0xda ? 'image data' : 'the end of the image'} before any frame header`;
    }
    offset = body + length - 2;
  }
  return `truncated JPEG: the file ends (${bytes.length} bytes) before the frame header`;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** The Orientation tag (0x0112) of IFD0 in an APP1 Exif segment, or null. */
function exifOrientation(bytes: Uint8Array, start: number, length: number): number | null {
  const exif = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
  if (length < 14 || exif.some((b, i) => bytes[start + i] !== b)) return null;
  const tiff = start + 6;
  const end = start + length;
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  if (!little && !(bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d)) return null;
  const u16 = (at: number) => (little ? bytes[at] | (bytes[at + 1] << 8) : (bytes[at] << 8) | bytes[at + 1]);
  const u32 = (at: number) => (little ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return null;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return null;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}
