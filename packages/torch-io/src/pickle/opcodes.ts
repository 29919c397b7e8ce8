import { MARK, type PickleMachine } from './machine.js';
import { PickleObject } from './values.js';

/**
 * The opcode table: every pickle opcode this reader supports (those of protocols 0 to 5 that `torch.save` and
 * ordinary state dicts use), its byte, and the small handler that runs it. This table is the one list of what is
 * supported; any other byte is an error. No handler runs code named by the pickle: globals go through
 * {@link PickleMachine.resolve}, which only knows the hooks' callables and an allow-list of built-in containers.
 */

/** One opcode: its byte and what it does to the machine. */
export interface Opcode {
  readonly code: number;
  readonly run: (m: PickleMachine) => void;
}

// Framing and the end.
const proto = (m: PickleMachine) => void m.u8();
/** FRAME: its length is only checked (as Python does: a frame past the end is a truncated or forged pickle). */
const frame = (m: PickleMachine) => {
  const length = m.u64();
  if (m.pos + length > m.bytes.byteLength) m.fail(`a frame of ${length} bytes runs past the end of the data`);
};
const stop = (m: PickleMachine) => {
  m.result = { value: m.pop() };
};

// Constants and empty containers. Tuples are arrays.
const pushing = (make: () => unknown) => (m: PickleMachine) => m.push(make());

// Numbers.
const binint1 = (m: PickleMachine) => m.push(m.u8());
const binint2 = (m: PickleMachine) => m.push(m.u16());
const binint = (m: PickleMachine) => m.push(m.i32());
const long1 = (m: PickleMachine) => m.push(m.long(m.u8()));
const long4 = (m: PickleMachine) => m.push(m.long(m.u32()));
/** Protocol 0 INT also spells booleans, as 00 and 01. */
const int = (m: PickleMachine) => {
  const text = m.line();
  m.push(text === '01' ? true : text === '00' ? false : parseInteger(m, text));
};
const long = (m: PickleMachine) => m.push(parseInteger(m, m.line().replace(/L$/, '')));
const binfloat = (m: PickleMachine) => m.push(m.f64());
const float = (m: PickleMachine) => {
  const text = m.line();
  const value = Number.parseFloat(text);
  if (Number.isNaN(value) && !/nan/i.test(text)) m.fail(`FLOAT ${JSON.stringify(text)} is not a number`);
  m.push(value);
};

// Text and bytes. Bytes are copied out, so they outlive the input.
const binunicode = (m: PickleMachine) => m.push(m.text(m.u32()));
const shortBinunicode = (m: PickleMachine) => m.push(m.text(m.u8()));
const binunicode8 = (m: PickleMachine) => m.push(m.text(m.u64()));
const unicode = (m: PickleMachine) => m.push(m.line());
const binstring = (m: PickleMachine) => {
  const length = m.i32();
  if (length < 0) m.fail(`BINSTRING of negative length ${length}`);
  m.push(m.text(length));
};
const shortBinstring = (m: PickleMachine) => m.push(m.text(m.u8()));
const binbytes = (m: PickleMachine) => m.push(m.take(m.u32()).slice());
const shortBinbytes = (m: PickleMachine) => m.push(m.take(m.u8()).slice());
const binbytes8 = (m: PickleMachine) => m.push(m.take(m.u64()).slice());

// Building containers.
const mark = (m: PickleMachine) => m.push(MARK);
const collect = (m: PickleMachine) => m.push(m.popMark());
const tuple1 = (m: PickleMachine) => m.push([m.pop()]);
const tuple2 = (m: PickleMachine) => {
  const b = m.pop();
  m.push([m.pop(), b]);
};
const tuple3 = (m: PickleMachine) => {
  const c = m.pop();
  const b = m.pop();
  m.push([m.pop(), b, c]);
};
const dict = (m: PickleMachine) => {
  const items = m.popMark();
  const map = new Map();
  m.setItems(map, items);
  m.push(map);
};
const frozenset = (m: PickleMachine) => m.push(new Set(m.popMark()));
const append = (m: PickleMachine) => {
  const value = m.pop();
  listOnTop(m, 'APPEND').push(value);
};
const appends = (m: PickleMachine) => {
  const items = m.popMark();
  listOnTop(m, 'APPENDS').push(...items);
};
const setitem = (m: PickleMachine) => {
  const value = m.pop();
  const key = m.pop();
  m.setItems(m.top(), [key, value]);
};
const setitems = (m: PickleMachine) => {
  const items = m.popMark();
  m.setItems(m.top(), items);
};
const additems = (m: PickleMachine) => {
  const items = m.popMark();
  const set = m.top();
  if (!(set instanceof Set)) m.fail('ADDITEMS on a value that is not a set');
  for (const item of items) set.add(item);
};

// The stack and the memo.
const pop = (m: PickleMachine) => void m.pop();
const popMark = (m: PickleMachine) => void m.popMark();
const dup = (m: PickleMachine) => m.push(m.top());
const put = (key: (m: PickleMachine) => number) => (m: PickleMachine) => {
  const at = key(m);
  m.memo.set(at, m.top());
};
const get = (key: (m: PickleMachine) => number) => (m: PickleMachine) => {
  const at = key(m);
  if (!m.memo.has(at)) m.fail(`memo key ${at} not found`);
  m.push(m.memo.get(at));
};
const memoize = (m: PickleMachine) => m.memo.set(m.memo.size, m.top());
const textKey = (m: PickleMachine) => parseInteger(m, m.line());

// Globals, calls and objects: resolved only through the hooks and the built-in allow-list.
const global = (m: PickleMachine) => {
  const module = m.line();
  m.push(m.resolve(module, m.line()));
};
const stackGlobal = (m: PickleMachine) => {
  const name = m.pop();
  m.push(m.resolve(m.pop(), name));
};
const reduce = (m: PickleMachine) => {
  const args = m.pop();
  m.push(m.call(m.pop(), args));
};
const newobjEx = (m: PickleMachine) => {
  m.pop(); // keyword arguments: no allow-listed callable takes any
  reduce(m);
};
const build = (m: PickleMachine) => {
  const state = m.pop();
  const target = m.top();
  // A dict subclass's state holds its attributes (OrderedDict's `_metadata`), not items: only objects keep it.
  if (target instanceof PickleObject) target.state = state;
};
const binpersid = (m: PickleMachine) => m.push(m.persistentLoad(m.pop()));
const persid = (m: PickleMachine) => m.push(m.persistentLoad(m.line()));

/** The supported opcodes by name (Python's `pickletools` names). */
export const OPCODES = {
  PROTO: { code: 0x80, run: proto },
  FRAME: { code: 0x95, run: frame },
  STOP: { code: 0x2e, run: stop },
  NONE: { code: 0x4e, run: pushing(() => null) },
  NEWTRUE: { code: 0x88, run: pushing(() => true) },
  NEWFALSE: { code: 0x89, run: pushing(() => false) },
  EMPTY_DICT: { code: 0x7d, run: pushing(() => new Map()) },
  EMPTY_LIST: { code: 0x5d, run: pushing(() => []) },
  EMPTY_TUPLE: { code: 0x29, run: pushing(() => []) },
  EMPTY_SET: { code: 0x8f, run: pushing(() => new Set()) },
  BININT1: { code: 0x4b, run: binint1 },
  BININT2: { code: 0x4d, run: binint2 },
  BININT: { code: 0x4a, run: binint },
  LONG1: { code: 0x8a, run: long1 },
  LONG4: { code: 0x8b, run: long4 },
  INT: { code: 0x49, run: int },
  LONG: { code: 0x4c, run: long },
  BINFLOAT: { code: 0x47, run: binfloat },
  FLOAT: { code: 0x46, run: float },
  BINUNICODE: { code: 0x58, run: binunicode },
  SHORT_BINUNICODE: { code: 0x8c, run: shortBinunicode },
  BINUNICODE8: { code: 0x8d, run: binunicode8 },
  UNICODE: { code: 0x56, run: unicode },
  BINSTRING: { code: 0x54, run: binstring },
  SHORT_BINSTRING: { code: 0x55, run: shortBinstring },
  BINBYTES: { code: 0x42, run: binbytes },
  SHORT_BINBYTES: { code: 0x43, run: shortBinbytes },
  BINBYTES8: { code: 0x8e, run: binbytes8 },
  BYTEARRAY8: { code: 0x96, run: binbytes8 },
  MARK: { code: 0x28, run: mark },
  TUPLE: { code: 0x74, run: collect },
  TUPLE1: { code: 0x85, run: tuple1 },
  TUPLE2: { code: 0x86, run: tuple2 },
  TUPLE3: { code: 0x87, run: tuple3 },
  LIST: { code: 0x6c, run: collect },
  DICT: { code: 0x64, run: dict },
  FROZENSET: { code: 0x91, run: frozenset },
  APPEND: { code: 0x61, run: append },
  APPENDS: { code: 0x65, run: appends },
  SETITEM: { code: 0x73, run: setitem },
  SETITEMS: { code: 0x75, run: setitems },
  ADDITEMS: { code: 0x90, run: additems },
  POP: { code: 0x30, run: pop },
  POP_MARK: { code: 0x31, run: popMark },
  DUP: { code: 0x32, run: dup },
  BINPUT: { code: 0x71, run: put((m) => m.u8()) },
  LONG_BINPUT: { code: 0x72, run: put((m) => m.u32()) },
  PUT: { code: 0x70, run: put(textKey) },
  MEMOIZE: { code: 0x94, run: memoize },
  BINGET: { code: 0x68, run: get((m) => m.u8()) },
  LONG_BINGET: { code: 0x6a, run: get((m) => m.u32()) },
  GET: { code: 0x67, run: get(textKey) },
  GLOBAL: { code: 0x63, run: global },
  STACK_GLOBAL: { code: 0x93, run: stackGlobal },
  REDUCE: { code: 0x52, run: reduce },
  NEWOBJ: { code: 0x81, run: reduce },
  NEWOBJ_EX: { code: 0x92, run: newobjEx },
  BUILD: { code: 0x62, run: build },
  BINPERSID: { code: 0x51, run: binpersid },
  PERSID: { code: 0x50, run: persid },
} as const satisfies Record<string, Opcode>;

/** The name of each opcode in {@link OPCODES}. */
export type OpcodeName = keyof typeof OPCODES;

/** {@link OPCODES} indexed by byte, for the reader's loop; undefined where a byte is not a supported opcode. */
export const OPCODES_BY_BYTE: ReadonlyArray<(Opcode & { name: OpcodeName }) | undefined> = (() => {
  const table = new Array<(Opcode & { name: OpcodeName }) | undefined>(256).fill(undefined);
  for (const [name, opcode] of Object.entries(OPCODES) as Array<[OpcodeName, Opcode]>) {
    table[opcode.code] = { name, ...opcode };
  }
  return table;
})();

function listOnTop(m: PickleMachine, opcode: string): unknown[] {
  const list = m.top();
  return Array.isArray(list) ? list : m.fail(`${opcode} on a value that is not a list`);
}

function parseInteger(m: PickleMachine, text: string): number {
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) ? m.fail(`${JSON.stringify(text)} is not an integer`) : value;
}
