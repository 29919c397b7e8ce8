import { crc32 } from './crc32.js';

/**
 * Writes a zip archive of stored (uncompressed) entries as `torch.save` does: each entry's data aligned to 64
 * bytes by a padding extra field, and zip64 sizes and offsets where an entry or the archive passes 4 GiB.
 */

/** Where an entry sits in the archive, what its central directory record repeats. */
interface WrittenEntry {
  nameBytes: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

const ZIP32_LIMIT = 0xffffffff;

/** The archive's bytes, entries in the given order. */
export function writeStoredZip(entries: Array<[string, Uint8Array]>): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const written: WrittenEntry[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const entry: WrittenEntry = { nameBytes: encoder.encode(name), crc: crc32(data), size: data.byteLength, offset };
    const local = localHeader(entry);
    parts.push(local, data);
    written.push(entry);
    offset += local.byteLength + data.byteLength;
  }
  const central = written.map(centralRecord);
  const directorySize = central.reduce((s, c) => s + c.byteLength, 0);
  const all = [...parts, ...central, endOfDirectory(entries.length, offset, directorySize)];
  const out = new Uint8Array(all.reduce((s, p) => s + p.byteLength, 0));
  let position = 0;
  for (const part of all) {
    out.set(part, position);
    position += part.byteLength;
  }
  return out;
}

/** A local file header, padded so that the data after it starts at a multiple of 64 bytes. */
function localHeader({ nameBytes, crc, size, offset }: WrittenEntry): Uint8Array {
  const big = size >= ZIP32_LIMIT || offset >= ZIP32_LIMIT;
  const zip64Extra = big ? 20 : 0;
  const headerSize = 30 + nameBytes.length + zip64Extra + 4;
  const padding = (64 - ((offset + headerSize) % 64)) % 64;
  const local = new Uint8Array(headerSize + padding);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, big ? 45 : 20, true);
  lv.setUint32(14, crc, true);
  lv.setUint32(18, big ? ZIP32_LIMIT : size, true);
  lv.setUint32(22, big ? ZIP32_LIMIT : size, true);
  lv.setUint16(26, nameBytes.length, true);
  lv.setUint16(28, zip64Extra + 4 + padding, true);
  local.set(nameBytes, 30);
  let e = 30 + nameBytes.length;
  if (big) {
    lv.setUint16(e, 0x0001, true);
    lv.setUint16(e + 2, 16, true);
    lv.setBigUint64(e + 4, BigInt(size), true);
    lv.setBigUint64(e + 12, BigInt(size), true);
    e += 20;
  }
  // A padding extra field (id 0x4650, as PyTorch's writer uses) aligns the data.
  lv.setUint16(e, 0x4650, true);
  lv.setUint16(e + 2, padding, true);
  return local;
}

/** An entry's central directory record. */
function centralRecord({ nameBytes, crc, size, offset }: WrittenEntry): Uint8Array {
  const big = size >= ZIP32_LIMIT || offset >= ZIP32_LIMIT;
  const entry = new Uint8Array(46 + nameBytes.length + (big ? 28 : 0));
  const cv = new DataView(entry.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(4, big ? 45 : 20, true);
  cv.setUint16(6, big ? 45 : 20, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, big ? ZIP32_LIMIT : size, true);
  cv.setUint32(24, big ? ZIP32_LIMIT : size, true);
  cv.setUint16(28, nameBytes.length, true);
  cv.setUint16(30, big ? 28 : 0, true);
  cv.setUint32(42, big ? ZIP32_LIMIT : offset, true);
  entry.set(nameBytes, 46);
  if (big) {
    const x = 46 + nameBytes.length;
    cv.setUint16(x, 0x0001, true);
    cv.setUint16(x + 2, 24, true);
    cv.setBigUint64(x + 4, BigInt(size), true);
    cv.setBigUint64(x + 12, BigInt(size), true);
    cv.setBigUint64(x + 20, BigInt(offset), true);
  }
  return entry;
}

/** The end of central directory record, preceded by its zip64 record and locator when the archive needs them. */
function endOfDirectory(count: number, directoryOffset: number, directorySize: number): Uint8Array {
  const zip64 = directoryOffset + directorySize >= ZIP32_LIMIT;
  const tail = new Uint8Array((zip64 ? 56 + 20 : 0) + 22);
  const tv = new DataView(tail.buffer);
  let t = 0;
  if (zip64) {
    tv.setUint32(0, 0x06064b50, true);
    tv.setBigUint64(4, 44n, true);
    tv.setUint16(12, 45, true);
    tv.setUint16(14, 45, true);
    tv.setBigUint64(24, BigInt(count), true);
    tv.setBigUint64(32, BigInt(count), true);
    tv.setBigUint64(40, BigInt(directorySize), true);
    tv.setBigUint64(48, BigInt(directoryOffset), true);
    tv.setUint32(56, 0x07064b50, true);
    tv.setBigUint64(64, BigInt(directoryOffset + directorySize), true);
    tv.setUint32(72, 1, true);
    t = 76;
  }
  tv.setUint32(t, 0x06054b50, true);
  tv.setUint16(t + 8, zip64 ? 0xffff : count, true);
  tv.setUint16(t + 10, zip64 ? 0xffff : count, true);
  tv.setUint32(t + 12, zip64 ? ZIP32_LIMIT : directorySize, true);
  tv.setUint32(t + 16, zip64 ? ZIP32_LIMIT : directoryOffset, true);
  return tail;
}
