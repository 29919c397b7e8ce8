/**
 * Reads the entries of a zip archive that stores them uncompressed, as `torch.save` does (ZIP_STORED, data
 * aligned to 64 bytes), with zip64 sizes and offsets for archives over 4 GiB.
 */

/** An archive's entries by name: views into the archive's bytes, no copies. */
export type ZipEntries = Map<string, Uint8Array>;

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether `bytes` starts like a zip archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The entries of a stored (uncompressed) zip archive; `source` names it in errors. */
export function readZip(bytes: Uint8Array, source = 'zip data'): ZipEntries {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`${source} is not a readable zip archive: ${why}`);
  };
  let eocd = -1;
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('end of central directory not found (truncated file?)');
  let count = view.getUint16(eocd + 10, true);
  let directoryOffset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const eocd64 = Number(view.getBigUint64(eocd - 20 + 8, true));
    if (eocd64 + 56 > eocd) fail('zip64 end of central directory out of range');
    count = Number(view.getBigUint64(eocd64 + 32, true));
    directoryOffset = Number(view.getBigUint64(eocd64 + 48, true));
  }
  const entries: ZipEntries = new Map();
  let p = directoryOffset;
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.byteLength || view.getUint32(p, true) !== CENTRAL) fail(`bad central directory entry ${n}`);
    const method = view.getUint16(p + 10, true);
    let size = view.getUint32(p + 20, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // Zip64: sizes and offset that do not fit in 32 bits are 0xFFFFFFFF here and follow in extra field 0x0001.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const length = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (view.getUint32(p + 24, true) === 0xffffffff) q += 8; // uncompressed size
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(view.getBigUint64(q, true));
      }
      e += 4 + length;
    }
    if (method !== 0) fail(`entry "${name}" is compressed (method ${method}); PyTorch writes stored entries`);
    if (localOffset + 30 > bytes.byteLength || view.getUint32(localOffset, true) !== LOCAL) {
      fail(`entry "${name}" has no local header`);
    }
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + size > bytes.byteLength) fail(`entry "${name}" runs past the end of the file (truncated?)`);
    entries.set(name, bytes.subarray(dataStart, dataStart + size));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
