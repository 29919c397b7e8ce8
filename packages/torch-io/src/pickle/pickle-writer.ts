import { OPCODES } from './opcodes.js';

/**
 * Writes a pickle from the few opcodes a state dict needs (protocol 2), using the bytes of the reader's
 * {@link OPCODES} table. The caller emits opcodes in order; {@link PickleWriter.bytes} returns the pickle.
 */
export class PickleWriter {
  private readonly chunks: number[] = [];
  private readonly encoder = new TextEncoder();

  proto(version: number): void {
    this.chunks.push(OPCODES.PROTO.code, version);
  }
  mark(): void {
    this.chunks.push(OPCODES.MARK.code);
  }
  tuple(): void {
    this.chunks.push(OPCODES.TUPLE.code);
  }
  emptyTuple(): void {
    this.chunks.push(OPCODES.EMPTY_TUPLE.code);
  }
  reduce(): void {
    this.chunks.push(OPCODES.REDUCE.code);
  }
  setItems(): void {
    this.chunks.push(OPCODES.SETITEMS.code);
  }
  persistentId(): void {
    this.chunks.push(OPCODES.BINPERSID.code);
  }
  stop(): void {
    this.chunks.push(OPCODES.STOP.code);
  }
  bool(value: boolean): void {
    this.chunks.push(value ? OPCODES.NEWTRUE.code : OPCODES.NEWFALSE.code);
  }
  global(module: string, name: string): void {
    this.chunks.push(OPCODES.GLOBAL.code, ...this.encoder.encode(`${module}\n${name}\n`));
  }
  string(value: string): void {
    const bytes = this.encoder.encode(value);
    this.chunks.push(OPCODES.BINUNICODE.code, ...le32(bytes.length), ...bytes);
  }
  int(value: number): void {
    if (value >= 0 && value < 256) this.chunks.push(OPCODES.BININT1.code, value);
    else if (value >= -(2 ** 31) && value < 2 ** 31) this.chunks.push(OPCODES.BININT.code, ...le32(value));
    else {
      // LONG1 with 8 little-endian two's-complement bytes.
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
      this.chunks.push(OPCODES.LONG1.code, 8, ...bytes);
    }
  }
  intTuple(values: readonly number[]): void {
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
