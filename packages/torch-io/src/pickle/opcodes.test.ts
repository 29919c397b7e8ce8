import { describe, expect, it } from 'vitest';
import { MARK, PickleMachine } from './machine.js';
import { OPCODES, OPCODES_BY_BYTE, type OpcodeName } from './opcodes.js';
import { PickleGlobal, PickleObject, type UnpickleHooks } from './values.js';

/**
 * Each handler of the opcode table, run on its own: the operand bytes that follow the opcode, the stack (and memo)
 * before, and what it leaves; then a malformed use and the error it gives.
 */
interface Case {
  /** Operand bytes after the opcode (the opcode itself is not in them). */
  operand?: number[];
  stack?: unknown[];
  memo?: Array<[number, unknown]>;
  hooks?: UnpickleHooks;
  /** The stack afterwards. */
  after: unknown[];
  /** The memo afterwards, when the opcode changes it. */
  memoAfter?: Array<[number, unknown]>;
  /** Where the machine stands afterwards, when not just past the operand. */
  result?: unknown;
  /** A malformed use and its error; absent for the opcodes that take no operand and only push. */
  malformed?: { operand?: number[]; stack?: unknown[]; error: RegExp };
}

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const le64 = (n: number) => [...le32(n), 0, 0, 0, 0];
const TRUNCATED = /test\.pkl: Invalid pickle at byte \d+: unexpected end of data/;
const UNDERFLOW = /test\.pkl: Invalid pickle at byte \d+: stack underflow/;
const NO_MARK = /MARK not found/;
const point = new PickleGlobal('geometry', 'Point');

const CASES: Record<OpcodeName, Case> = {
  PROTO: { operand: [2], after: [], malformed: { error: TRUNCATED } },
  FRAME: { operand: le64(0), after: [], malformed: { operand: [1, 2], error: TRUNCATED } },
  STOP: { stack: ['done'], after: [], result: 'done', malformed: { error: UNDERFLOW } },
  NONE: { after: [null] },
  NEWTRUE: { after: [true] },
  NEWFALSE: { after: [false] },
  EMPTY_DICT: { after: [new Map()] },
  EMPTY_LIST: { after: [[]] },
  EMPTY_TUPLE: { after: [[]] },
  EMPTY_SET: { after: [new Set()] },
  BININT1: { operand: [200], after: [200], malformed: { error: TRUNCATED } },
  BININT2: { operand: [0x34, 0x12], after: [0x1234], malformed: { operand: [1], error: TRUNCATED } },
  BININT: { operand: le32(-70000), after: [-70000], malformed: { operand: [1, 2, 3], error: TRUNCATED } },
  LONG1: {
    operand: [9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff],
    after: [-(2n ** 63n)],
    malformed: { operand: [4, 1, 2], error: TRUNCATED },
  },
  LONG4: {
    operand: [...le32(2), 0x00, 0x80],
    after: [-32768],
    malformed: { operand: [...le32(9), 1], error: TRUNCATED },
  },
  INT: { operand: ascii('01\n'), after: [true], malformed: { operand: ascii('12x'), error: /unterminated line/ } },
  LONG: {
    operand: ascii('-123L\n'),
    after: [-123],
    malformed: { operand: ascii('abc\n'), error: /"abc" is not an integer/ },
  },
  BINFLOAT: { operand: [0x40, 0x04, 0, 0, 0, 0, 0, 0], after: [2.5], malformed: { operand: [0x40], error: TRUNCATED } },
  FLOAT: {
    operand: ascii('-0.125\n'),
    after: [-0.125],
    malformed: { operand: ascii('pi\n'), error: /"pi" is not a number/ },
  },
  BINUNICODE: {
    operand: [...le32(3), 0xc3, 0xa9, 0x61],
    after: ['éa'],
    malformed: { operand: [...le32(10), 0x61], error: TRUNCATED },
  },
  SHORT_BINUNICODE: {
    operand: [2, ...ascii('hi')],
    after: ['hi'],
    malformed: { operand: [5, 0x61], error: TRUNCATED },
  },
  BINUNICODE8: {
    operand: [...le64(1), 0x7a],
    after: ['z'],
    malformed: { operand: [...le64(2), 0x7a], error: TRUNCATED },
  },
  UNICODE: {
    operand: ascii('text\n'),
    after: ['text'],
    malformed: { operand: ascii('text'), error: /unterminated line/ },
  },
  BINSTRING: {
    operand: [...le32(2), ...ascii('ok')],
    after: ['ok'],
    malformed: { operand: le32(-1), error: /BINSTRING of negative length -1/ },
  },
  SHORT_BINSTRING: { operand: [1, 0x41], after: ['A'], malformed: { operand: [3], error: TRUNCATED } },
  BINBYTES: {
    operand: [...le32(2), 1, 2],
    after: [Uint8Array.of(1, 2)],
    malformed: { operand: le32(1), error: TRUNCATED },
  },
  SHORT_BINBYTES: { operand: [1, 255], after: [Uint8Array.of(255)], malformed: { operand: [2, 0], error: TRUNCATED } },
  BINBYTES8: { operand: [...le64(1), 7], after: [Uint8Array.of(7)], malformed: { operand: le64(1), error: TRUNCATED } },
  BYTEARRAY8: {
    operand: [...le64(2), 7, 8],
    after: [Uint8Array.of(7, 8)],
    malformed: { operand: [1], error: TRUNCATED },
  },
  MARK: { stack: [1], after: [1, MARK] },
  TUPLE: { stack: [0, MARK, 1, 2], after: [0, [1, 2]], malformed: { stack: [1, 2], error: NO_MARK } },
  TUPLE1: { stack: [1], after: [[1]], malformed: { stack: [], error: UNDERFLOW } },
  TUPLE2: { stack: [1, 2], after: [[1, 2]], malformed: { stack: [1], error: UNDERFLOW } },
  TUPLE3: { stack: [1, 2, 3], after: [[1, 2, 3]], malformed: { stack: [MARK, 2, 3], error: UNDERFLOW } },
  LIST: { stack: [MARK, 'a'], after: [['a']], malformed: { stack: ['a'], error: NO_MARK } },
  DICT: {
    stack: [MARK, 'a', 1, 2, 'b'],
    after: [
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
    ],
    malformed: { stack: ['a', 1], error: NO_MARK },
  },
  FROZENSET: { stack: [MARK, 1, 1, 2], after: [new Set([1, 2])], malformed: { stack: [1], error: NO_MARK } },
  APPEND: {
    stack: [[1], 2],
    after: [[1, 2]],
    malformed: { stack: [new Map(), 2], error: /APPEND on a value that is not a list/ },
  },
  APPENDS: {
    stack: [[1], MARK, 2, 3],
    after: [[1, 2, 3]],
    malformed: { stack: ['x', MARK, 2], error: /APPENDS on a value that is not a list/ },
  },
  SETITEM: {
    stack: [new Map(), 'k', 'v'],
    after: [new Map([['k', 'v']])],
    malformed: { stack: [[], 'k', 'v'], error: /SETITEM on a value that is not a dict/ },
  },
  SETITEMS: {
    stack: [new Map(), MARK, 'a', 1, 'b', 2],
    after: [
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    ],
    malformed: { stack: [7, MARK, 'a', 1], error: /SETITEM on a value that is not a dict/ },
  },
  ADDITEMS: {
    stack: [new Set([1]), MARK, 2, 3],
    after: [new Set([1, 2, 3])],
    malformed: { stack: [[], MARK, 2], error: /ADDITEMS on a value that is not a set/ },
  },
  POP: { stack: [1, 2], after: [1], malformed: { stack: [], error: UNDERFLOW } },
  POP_MARK: { stack: [1, MARK, 2, 3], after: [1], malformed: { stack: [1], error: NO_MARK } },
  DUP: { stack: ['x'], after: ['x', 'x'], malformed: { stack: [MARK], error: UNDERFLOW } },
  BINPUT: {
    operand: [3],
    stack: ['v'],
    after: ['v'],
    memoAfter: [[3, 'v']],
    malformed: { stack: [], operand: [3], error: UNDERFLOW },
  },
  LONG_BINPUT: {
    operand: le32(70000),
    stack: ['v'],
    after: ['v'],
    memoAfter: [[70000, 'v']],
    malformed: { stack: ['v'], operand: [1], error: TRUNCATED },
  },
  PUT: {
    operand: ascii('12\n'),
    stack: ['v'],
    after: ['v'],
    memoAfter: [[12, 'v']],
    malformed: { stack: ['v'], operand: ascii('x\n'), error: /"x" is not an integer/ },
  },
  MEMOIZE: {
    stack: ['v'],
    memo: [[0, 'u']],
    after: ['v'],
    memoAfter: [
      [0, 'u'],
      [1, 'v'],
    ],
    malformed: { stack: [], error: UNDERFLOW },
  },
  BINGET: { operand: [4], memo: [[4, 'm']], after: ['m'], malformed: { operand: [5], error: /memo key 5 not found/ } },
  LONG_BINGET: {
    operand: le32(300),
    memo: [[300, 'm']],
    after: ['m'],
    malformed: { operand: le32(301), error: /memo key 301 not found/ },
  },
  GET: {
    operand: ascii('4\n'),
    memo: [[4, 'm']],
    after: ['m'],
    malformed: { operand: ascii('9\n'), error: /memo key 9 not found/ },
  },
  GLOBAL: {
    operand: ascii('geometry\nPoint\n'),
    after: [point],
    malformed: { operand: ascii('geometry\n'), error: /unterminated line/ },
  },
  STACK_GLOBAL: {
    stack: ['geometry', 'Point'],
    after: [point],
    malformed: { stack: ['geometry', 3], error: /a global needs a module and a name/ },
  },
  REDUCE: {
    stack: [point, [1, 2]],
    after: [new PickleObject(point, [1, 2])],
    malformed: { stack: [point, 'not a tuple'], error: /arguments of geometry\.Point are not a tuple/ },
  },
  NEWOBJ: {
    stack: [point, [3]],
    after: [new PickleObject(point, [3])],
    malformed: { stack: [42, []], error: /cannot call 42/ },
  },
  NEWOBJ_EX: {
    stack: [point, [3], new Map()],
    after: [new PickleObject(point, [3])],
    malformed: { stack: [point, [3]], error: UNDERFLOW },
  },
  BUILD: {
    stack: [new PickleObject(point, []), { x: 1 }],
    after: [Object.assign(new PickleObject(point, []), { state: { x: 1 } })],
    malformed: { stack: [{ x: 1 }], error: UNDERFLOW },
  },
  BINPERSID: {
    stack: [['storage', '0']],
    hooks: { persistentLoad: (pid) => `loaded ${(pid as string[]).join(' ')}` },
    after: ['loaded storage 0'],
    malformed: { stack: [['storage', '0']], error: /persistent id without a persistentLoad hook/ },
  },
  PERSID: {
    operand: ascii('key\n'),
    hooks: { persistentLoad: (pid) => `loaded ${pid}` },
    after: ['loaded key'],
    malformed: { operand: ascii('key\n'), error: /persistent id without a persistentLoad hook/ },
  },
};

function machine(operand: number[] = [], stack: unknown[] = [], hooks: UnpickleHooks = {}): PickleMachine {
  const m = new PickleMachine(Uint8Array.from(operand), hooks, 0, 'test.pkl');
  m.stack.push(...stack);
  return m;
}

describe('the opcode table', () => {
  it('has one byte per opcode, and OPCODES_BY_BYTE finds each by it', () => {
    const codes = Object.values(OPCODES).map((o) => o.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, opcode] of Object.entries(OPCODES)) expect(OPCODES_BY_BYTE[opcode.code]?.name).toBe(name);
    expect(OPCODES_BY_BYTE.filter(Boolean)).toHaveLength(codes.length);
  });

  it('has a test case for every opcode it lists', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(OPCODES).sort());
  });
});

describe('opcode handlers', () => {
  for (const [name, c] of Object.entries(CASES) as Array<[OpcodeName, Case]>) {
    it(`${name}: value, stack and memo effect`, () => {
      const m = machine(c.operand, c.stack, c.hooks);
      for (const [key, value] of c.memo ?? []) m.memo.set(key, value);
      OPCODES[name].run(m);
      expect(m.stack).toEqual(c.after);
      expect([...m.memo]).toEqual(c.memoAfter ?? c.memo ?? []);
      expect(m.pos, 'reads exactly its operand').toBe(c.operand?.length ?? 0);
      if ('result' in c) expect(m.result).toEqual({ value: c.result });
    });

    const { malformed } = c;
    if (malformed) {
      it(`${name}: malformed`, () => {
        const m = machine(malformed.operand, malformed.stack);
        expect(() => OPCODES[name].run(m)).toThrow(malformed.error);
      });
    } else {
      it(`${name}: takes no operand and only pushes, so cannot be malformed`, () => {
        expect(c.operand).toBeUndefined();
        expect(c.after.slice(0, -1)).toEqual(c.stack ?? []);
      });
    }
  }

  it('FRAME: a frame longer than the data left is refused, as Python refuses it', () => {
    expect(() => OPCODES.FRAME.run(machine(le64(1000)))).toThrow(
      /test\.pkl: Invalid pickle at byte 8: a frame of 1000 bytes runs past the end of the data/,
    );
  });
});
