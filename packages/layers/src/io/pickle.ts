/**
 * A Python pickle reader (protocols 0 to 5, the opcodes `torch.save` and ordinary state dicts use). It builds
 * plain JavaScript values: dicts become `Map`s (keys may be ints), lists and tuples arrays, and the classes and
 * functions that a pickle names are resolved through `findClass`, so nothing in the file can run code.
 */

/** A class or function a pickle refers to, when `findClass` does not know it. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of an unknown class: what it was called with and the state it was given. */
export class PickleObject {
  state: unknown = undefined;

  constructor(
    readonly type: PickleGlobal,
    readonly args: unknown[],
  ) {}
}

/** How to turn named classes, calls and persistent ids into values. */
export interface UnpickleHooks {
  /** A callable for `module.name`, or undefined to keep a {@link PickleGlobal}. */
  findClass?(module: string, name: string): ((...args: unknown[]) => unknown) | undefined;
  /** Resolves a persistent id (PyTorch uses them for tensor storages). */
  persistentLoad?(pid: unknown): unknown;
}

const MARK = Symbol('mark');

/** Reads one pickle from `bytes` starting at `offset`; returns the value and the offset after its STOP opcode. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks = {}, offset = 0): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = offset;

  const fail = (why: string): never => {
    throw new Error(`Invalid pickle at byte ${pos}: ${why}`);
  };
  /** Checks that `n` more bytes exist, moves past them and returns where they start. */
  const advance = (n: number): number => {
    if (pos + n > bytes.byteLength) fail('unexpected end of data');
    pos += n;
    return pos - n;
  };
  const u8 = () => bytes[advance(1)];
  const u16 = () => view.getUint16(advance(2), true);
  const u32 = () => view.getUint32(advance(4), true);
  const i32 = () => view.getInt32(advance(4), true);
  const u64 = () => Number(view.getBigUint64(advance(8), true));
  const take = (n: number) => {
    const start = advance(n);
    return bytes.subarray(start, start + n);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const text = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('MARK not found');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const top = () => (stack.length === 0 ? fail('stack underflow') : stack[stack.length - 1]);
  const pop = () => (stack.length === 0 ? fail('stack underflow') : stack.pop());
  const resolve = (module: string, name: string): unknown =>
    hooks.findClass?.(module, name) ?? builtin(module, name) ?? new PickleGlobal(module, name);
  const call = (callable: unknown, args: unknown[]): unknown => {
    if (typeof callable === 'function') return callable(...args);
    if (callable instanceof PickleGlobal) return new PickleObject(callable, args);
    return fail(`cannot call ${String(callable)}`);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (target instanceof Map) {
      for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    } else if (target instanceof PickleObject) {
      target.state ??= new Map();
      setItems(target.state, items);
    } else {
      fail('SETITEM on a value that is not a dict');
    }
  };
  const longFromBytes = (data: Uint8Array): number | bigint => {
    if (data.byteLength === 0) return 0;
    let value = 0n;
    for (let i = data.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
    if (data[data.byteLength - 1] & 0x80) value -= 1n << BigInt(8 * data.byteLength);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longFromBytes(take(u32())));
        break;
      case 0x49: {
        // INT (text): also spells booleans as 00 / 01
        const text = line();
        stack.push(text === '01' ? true : text === '00' ? false : Number.parseInt(text, 10));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(Number.parseInt(line().replace(/L$/, ''), 10));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(advance(8), false));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(take(u64())));
        break;
      case 0x56: // UNICODE (text, raw-unicode-escape)
        stack.push(line());
        break;
      case 0x54: // BINSTRING
        stack.push(decoder.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(decoder.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = new Map();
        setItems(dict, items);
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        (top() as unknown[]).push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail('APPENDS on a value that is not a list');
        (list as unknown[]).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        for (const item of items) (top() as Set<unknown>).add(item);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        const key = opcode === 0x68 ? u8() : opcode === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(key)) fail(`memo key ${key} not found`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(resolve(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop() as string;
        const module = pop() as string;
        stack.push(resolve(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop() as unknown[];
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop() as unknown[];
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop() as unknown[];
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        // A dict subclass's state holds its attributes (OrderedDict's `_metadata`), not items: only objects keep it.
        if (target instanceof PickleObject) target.state = state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail('persistent id without a persistentLoad hook');
        stack.push(hooks.persistentLoad?.(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!hooks.persistentLoad) fail('persistent id without a persistentLoad hook');
        stack.push(hooks.persistentLoad?.(pid));
        break;
      }
      default:
        pos--;
        fail(`unsupported opcode 0x${opcode.toString(16).padStart(2, '0')}`);
    }
  }
}

/** The few Python built-ins that ordinary checkpoints call. */
function builtin(module: string, name: string): ((...args: unknown[]) => unknown) | undefined {
  const qualified = `${module}.${name}`;
  switch (qualified) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict':
      return () => new Map();
    case 'builtins.set':
    case '__builtin__.set':
      return (items?: unknown) => new Set(items as unknown[]);
    case 'builtins.list':
    case '__builtin__.list':
      return (items?: unknown) => [...((items as unknown[]) ?? [])];
    case 'builtins.tuple':
    case '__builtin__.tuple':
      return (items?: unknown) => [...((items as unknown[]) ?? [])];
    case 'builtins.bytearray':
    case '__builtin__.bytearray':
      return (data?: unknown) => (data instanceof Uint8Array ? data : new Uint8Array());
    case '_codecs.encode':
      // Protocol 2 pickles bytes as _codecs.encode(latin-1 text, 'latin1').
      return (text: unknown) => Uint8Array.from(String(text), (ch) => ch.charCodeAt(0));
    default:
      return undefined;
  }
}
