import { crc32, deflateSync } from 'node:zlib';

/** An 8-bit RGB PNG of `rgb` (row-major RGB bytes; no colour profile, no gamma: browsers decode the values as they are). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    rows[y * (width * 3 + 1)] = 0; // filter: none
    rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A test image: waves in each channel plus seeded noise of +-`noise` levels, as row-major RGB bytes. */
export function waveImage(width: number, height: number, noise: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  let state = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        const smooth = 128 + 100 * Math.sin((x * (c + 1)) / 23 + y / (17 + 5 * c));
        const jitter = ((state >> 16) % (2 * noise + 1)) - noise;
        rgb[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(smooth + jitter)));
      }
    }
  }
  return rgb;
}
