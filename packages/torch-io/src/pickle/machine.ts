import { builtin } from './builtins.js';
import { PickleGlobal, PickleObject, type UnpickleHooks } from './values.js';

/** The MARK opcode's entry on the stack: where a TUPLE, LIST, DICT, APPENDS or SETITEMS starts collecting. */
export const MARK: unique symbol = Symbol('mark');

/**
 * The state of the pickle virtual machine while one pickle is read: the input and where it is, the stack and the
 * memo, and the operations the opcode handlers are made of. Every failure goes through {@link PickleMachine.fail},
 * so each error names the input and the byte.
 */
export class PickleMachine {
  readonly stack: unknown[] = [];
  readonly memo = new Map<number, unknown>();
  /** The value STOP popped, once it ran. */
  result: { value: unknown } | undefined = undefined;
  /** Where the next byte is read. */
  pos: number;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder();

  constructor(
    readonly bytes: Uint8Array,
    readonly hooks: UnpickleHooks = {},
    offset = 0,
    /** Names the input in errors, when given. */
    readonly source?: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = offset;
  }

  fail(why: string): never {
    const message = `Invalid pickle at byte ${this.pos}: ${why}`;
    throw new Error(this.source === undefined ? message : `${this.source}: ${message}`);
  }

  /** Checks that `n` more bytes exist, moves past them and returns where they start. */
  advance(n: number): number {
    if (this.pos + n > this.bytes.byteLength) this.fail('unexpected end of data');
    this.pos += n;
    return this.pos - n;
  }

  u8(): number {
    return this.bytes[this.advance(1)];
  }
  u16(): number {
    return this.view.getUint16(this.advance(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.advance(4), true);
  }
  u64(): number {
    return Number(this.view.getBigUint64(this.advance(8), true));
  }
  /** A big-endian float64 (BINFLOAT's byte order). */
  f64(): number {
    return this.view.getFloat64(this.advance(8), false);
  }
  /** The next `n` bytes, as a view into the input. */
  take(n: number): Uint8Array {
    const start = this.advance(n);
    return this.bytes.subarray(start, start + n);
  }
  /** A LONG1 / LONG4 integer of `n` bytes, refused over {@link MAX_LONG_BYTES}. */
  long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) this.fail(`integer of ${n} bytes (more than ${MAX_LONG_BYTES}: no checkpoint holds one)`);
    return longFromBytes(this.take(n));
  }

  /** UTF-8 text of `n` bytes. */
  text(n: number): string {
    return this.decoder.decode(this.take(n));
  }
  /** Text up to the next newline (the text opcodes of protocol 0), without it. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('unterminated line');
    const text = this.decoder.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  push(value: unknown): void {
    this.stack.push(value);
  }
  /** The top value; a MARK is not a value, so reaching one is an underflow (as in Python's unpickler). */
  top(): unknown {
    const value = this.stack.length === 0 ? MARK : this.stack[this.stack.length - 1];
    return value === MARK ? this.fail('stack underflow') : value;
  }
  pop(): unknown {
    const value = this.top();
    this.stack.pop();
    return value;
  }
  /** The values above the topmost MARK, which is removed with them. */
  popMark(): unknown[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) this.fail('MARK not found');
    return this.stack.splice(at).slice(1);
  }

  /** What `module.name` means: a hook's callable, an allow-listed built-in, or an inert {@link PickleGlobal}. */
  resolve(module: unknown, name: unknown): unknown {
    if (typeof module !== 'string' || typeof name !== 'string') this.fail('a global needs a module and a name');
    return this.hooks.findClass?.(module, name) ?? builtin(module, name) ?? new PickleGlobal(module, name);
  }

  /** Calls what {@link resolve} returned; an unresolved class becomes a {@link PickleObject} holding its arguments. */
  call(callable: unknown, args: unknown): unknown {
    if (!Array.isArray(args)) this.fail(`arguments of ${describe(callable)} are not a tuple`);
    if (typeof callable === 'function') return callable(...args);
    if (callable instanceof PickleGlobal) return new PickleObject(callable, args);
    return this.fail(`cannot call ${describe(callable)}`);
  }

  /** Sets key/value pairs (`items` alternates them) on a dict, or on an object's state. */
  setItems(target: unknown, items: unknown[]): void {
    if (target instanceof Map) {
      for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    } else if (target instanceof PickleObject) {
      target.state ??= new Map();
      this.setItems(target.state, items);
    } else {
      this.fail('SETITEM on a value that is not a dict');
    }
  }

  /** Resolves a persistent id through the hook; a pickle that has them cannot be read without one. */
  persistentLoad(pid: unknown): unknown {
    if (!this.hooks.persistentLoad) this.fail('persistent id without a persistentLoad hook');
    return this.hooks.persistentLoad(pid);
  }
}

function describe(value: unknown): string {
  return value instanceof PickleGlobal ? value.qualifiedName : String(value);
}

/**
 * The longest LONG1 / LONG4 integer read, in bytes. State dicts and training checkpoints hold sizes, counts, seeds
 * and the legacy format's 10-byte magic number; Python's own RNG state is 32-bit words and torch's is a byte tensor,
 * so no real checkpoint needs an integer over 512 bits. The bound keeps a hostile file from asking for a huge one.
 */
export const MAX_LONG_BYTES = 64;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A little-endian two's-complement integer (LONG1 / LONG4): a number when it is safe, a bigint otherwise. Decoded
 * through one hex string, linear in the length (shifting a BigInt byte by byte is quadratic).
 */
export function longFromBytes(data: Uint8Array): number | bigint {
  if (data.byteLength === 0) return 0;
  const digits = new Array<string>(data.byteLength);
  for (let i = 0; i < data.byteLength; i++) digits[i] = HEX[data[data.byteLength - 1 - i]];
  let value = BigInt(`0x${digits.join('')}`);
  if (data[data.byteLength - 1] & 0x80) value -= 1n << BigInt(8 * data.byteLength);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
