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

/** The entries of a stored (uncompressed) zip archive; `source` names it in errors, as it does an entry name given twice. */
export function readZip(bytes: Uint8Array, source = 'zip data'): ZipEntries {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`${source} is not a readable zip archive: ${why}`);
  };
  // Every read of a field goes through these, so a damaged offset is named here, never a RangeError from a DataView.
  const field = (at: number, size: number): number =>
    Number.isSafeInteger(at) && at >= 0 && at + size <= bytes.byteLength
      ? at
      : fail(`a record at byte ${at} runs past the end of the file (truncated or damaged?)`);
  const u16 = (at: number) => view.getUint16(field(at, 2), true);
  const u32 = (at: number) => view.getUint32(field(at, 4), true);
  const u64 = (at: number) => Number(view.getBigUint64(field(at, 8), true));
  let eocd = -1;
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 22 - 0xffff); i--) {
    if (u32(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('end of central directory not found (truncated file?)');
  let count = u16(eocd + 10);
  let directoryOffset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === EOCD64_LOCATOR) {
    const eocd64 = u64(eocd - 20 + 8);
    if (eocd64 + 56 > eocd) fail('zip64 end of central directory out of range');
    count = u64(eocd64 + 32);
    directoryOffset = u64(eocd64 + 48);
  }
  const entries: ZipEntries = new Map();
  let p = directoryOffset;
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.byteLength || u32(p) !== CENTRAL) fail(`bad central directory entry ${n}`);
    const method = u16(p + 10);
    let size = u32(p + 20);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const commentLength = u16(p + 32);
    let localOffset = u32(p + 42);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    // Zip64: sizes and offset that do not fit in 32 bits are 0xFFFFFFFF here and follow in extra field 0x0001.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (u32(p + 24) === 0xffffffff) q += 8; // uncompressed size
        if (size === 0xffffffff) {
          size = u64(q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(q);
      }
      e += 4 + length;
    }
    if (method !== 0) fail(`entry "${name}" is compressed (method ${method}); PyTorch writes stored entries`);
    if (localOffset + 30 > bytes.byteLength || u32(localOffset) !== LOCAL) {
      fail(`entry "${name}" has no local header`);
    }
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataStart + size > bytes.byteLength) fail(`entry "${name}" runs past the end of the file (truncated?)`);
    // Which copy a reader takes differs between zip readers: refused rather than one silently replacing the other.
    if (entries.has(name))
      fail(`entry "${name}" appears twice (entries ${[...entries.keys()].indexOf(name)} and ${n})`);
    entries.set(name, bytes.subarray(dataStart, dataStart + size));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
