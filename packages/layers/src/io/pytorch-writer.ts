import type { RawTensors } from './raw-tensor.js';

/**
 * Writes a state dict in PyTorch's zip checkpoint format (what `torch.save(state_dict, f)` writes since 1.6), so
 * `torch.load` returns an `OrderedDict` of tensors: a stored (uncompressed) zip holding `archive/data.pkl` (a
 * protocol-2 pickle that rebuilds each tensor from a storage), one `archive/data/<n>` file per tensor, and
 * `archive/version` / `archive/byteorder`. float32 tensors become `FloatStorage`, int32 ones `IntStorage`.
 */
export function writePyTorch(tensors: RawTensors): Uint8Array {
  const pickle = new PickleWriter();
  pickle.proto(2);
  pickle.global('collections', 'OrderedDict');
  pickle.emptyTuple();
  pickle.reduce();
  pickle.mark();
  const storages: Uint8Array[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    pickle.string(name);
    pickle.global('torch._utils', '_rebuild_tensor_v2');
    pickle.mark();
    // Persistent id of the storage: ('storage', torch.FloatStorage, key, 'cpu', numel).
    pickle.mark();
    pickle.string('storage');
    pickle.global('torch', tensor.dtype === 'int32' ? 'IntStorage' : 'FloatStorage');
    pickle.string(String(storages.length));
    pickle.string('cpu');
    pickle.int(tensor.data.length);
    pickle.tuple();
    pickle.persistentId();
    pickle.int(0);
    pickle.intTuple(tensor.shape);
    pickle.intTuple(contiguousStrides(tensor.shape));
    pickle.bool(false);
    pickle.global('collections', 'OrderedDict');
    pickle.emptyTuple();
    pickle.reduce();
    pickle.tuple();
    pickle.reduce();
    storages.push(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  pickle.setItems();
  pickle.stop();
  const entries: Array<[string, Uint8Array]> = [
    ['archive/data.pkl', pickle.bytes()],
    ['archive/byteorder', new TextEncoder().encode('little')],
    ...storages.map((data, i): [string, Uint8Array] => [`archive/data/${i}`, data]),
    ['archive/version', new TextEncoder().encode('3\n')],
  ];
  return writeStoredZip(entries);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** The few pickle opcodes a state dict needs. */
class PickleWriter {
  private readonly chunks: number[] = [];
  private readonly encoder = new TextEncoder();

  proto(version: number) {
    this.chunks.push(0x80, version);
  }
  mark() {
    this.chunks.push(0x28);
  }
  tuple() {
    this.chunks.push(0x74);
  }
  emptyTuple() {
    this.chunks.push(0x29);
  }
  reduce() {
    this.chunks.push(0x52);
  }
  setItems() {
    this.chunks.push(0x75);
  }
  persistentId() {
    this.chunks.push(0x51);
  }
  stop() {
    this.chunks.push(0x2e);
  }
  bool(value: boolean) {
    this.chunks.push(value ? 0x88 : 0x89);
  }
  global(module: string, name: string) {
    this.chunks.push(0x63, ...this.encoder.encode(`${module}\n${name}\n`));
  }
  string(value: string) {
    const bytes = this.encoder.encode(value);
    this.chunks.push(0x58, ...le32(bytes.length), ...bytes);
  }
  int(value: number) {
    if (value >= 0 && value < 256) this.chunks.push(0x4b, value);
    else if (value >= -(2 ** 31) && value < 2 ** 31) this.chunks.push(0x4a, ...le32(value));
    else {
      // LONG1 with 8 little-endian two's-complement bytes.
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
      this.chunks.push(0x8a, 8, ...bytes);
    }
  }
  intTuple(values: readonly number[]) {
    this.mark();
    for (const v of values) this.int(v);
    this.tuple();
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip of stored entries, each entry's data aligned to 64 bytes (as PyTorch writes them), zip64 when needed. */
function writeStoredZip(entries: Array<[string, Uint8Array]>): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = encoder.encode(name);
    const crc = crc32(data);
    const big = data.byteLength >= 0xffffffff || offset >= 0xffffffff;
    const zip64Extra = big ? 20 : 0;
    const headerSize = 30 + nameBytes.length + zip64Extra + 4;
    const padding = (64 - ((offset + headerSize) % 64)) % 64;
    const local = new Uint8Array(headerSize + padding);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, big ? 45 : 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, big ? 0xffffffff : data.byteLength, true);
    lv.setUint32(22, big ? 0xffffffff : data.byteLength, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, zip64Extra + 4 + padding, true);
    local.set(nameBytes, 30);
    let e = 30 + nameBytes.length;
    if (big) {
      lv.setUint16(e, 0x0001, true);
      lv.setUint16(e + 2, 16, true);
      lv.setBigUint64(e + 4, BigInt(data.byteLength), true);
      lv.setBigUint64(e + 12, BigInt(data.byteLength), true);
      e += 20;
    }
    // A padding extra field (id 0x4650, as PyTorch's writer uses) aligns the data.
    lv.setUint16(e, 0x4650, true);
    lv.setUint16(e + 2, padding, true);
    parts.push(local, data);

    const entry = new Uint8Array(46 + nameBytes.length + (big ? 28 : 0));
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, big ? 45 : 20, true);
    cv.setUint16(6, big ? 45 : 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, big ? 0xffffffff : data.byteLength, true);
    cv.setUint32(24, big ? 0xffffffff : data.byteLength, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint16(30, big ? 28 : 0, true);
    cv.setUint32(42, big ? 0xffffffff : offset, true);
    entry.set(nameBytes, 46);
    if (big) {
      const x = 46 + nameBytes.length;
      cv.setUint16(x, 0x0001, true);
      cv.setUint16(x + 2, 24, true);
      cv.setBigUint64(x + 4, BigInt(data.byteLength), true);
      cv.setBigUint64(x + 12, BigInt(data.byteLength), true);
      cv.setBigUint64(x + 20, BigInt(offset), true);
    }
    central.push(entry);
    offset += local.byteLength + data.byteLength;
  }
  const directoryOffset = offset;
  const directorySize = central.reduce((s, c) => s + c.byteLength, 0);
  const zip64 = directoryOffset + directorySize >= 0xffffffff;
  const tail = new Uint8Array((zip64 ? 56 + 20 : 0) + 22);
  const tv = new DataView(tail.buffer);
  let t = 0;
  if (zip64) {
    tv.setUint32(0, 0x06064b50, true);
    tv.setBigUint64(4, 44n, true);
    tv.setUint16(12, 45, true);
    tv.setUint16(14, 45, true);
    tv.setBigUint64(24, BigInt(entries.length), true);
    tv.setBigUint64(32, BigInt(entries.length), true);
    tv.setBigUint64(40, BigInt(directorySize), true);
    tv.setBigUint64(48, BigInt(directoryOffset), true);
    tv.setUint32(56, 0x07064b50, true);
    tv.setBigUint64(64, BigInt(directoryOffset + directorySize), true);
    tv.setUint32(72, 1, true);
    t = 76;
  }
  tv.setUint32(t, 0x06054b50, true);
  tv.setUint16(t + 8, zip64 ? 0xffff : entries.length, true);
  tv.setUint16(t + 10, zip64 ? 0xffff : entries.length, true);
  tv.setUint32(t + 12, zip64 ? 0xffffffff : directorySize, true);
  tv.setUint32(t + 16, zip64 ? 0xffffffff : directoryOffset, true);
  const all = [...parts, ...central, tail];
  const out = new Uint8Array(all.reduce((s, p) => s + p.byteLength, 0));
  let position = 0;
  for (const part of all) {
    out.set(part, position);
    position += part.byteLength;
  }
  return out;
}
