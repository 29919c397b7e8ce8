import { describe, expect, it } from 'vitest';
import { OPCODES } from './opcodes.js';
import { unpickle } from './unpickle.js';
import { PickleGlobal, PickleObject } from './values.js';

describe('unpickle', () => {
  it('reads protocol 2 containers, ints, floats, strings, booleans and None', () => {
    // pickle.dumps({'a': [1, 2.5, 'x'], 'b': (True, None), 3: -70000}, protocol=2)
    const bytes = Uint8Array.from(
      atob('gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABYAQAAAHhxA2VYAQAAAGJxBIhOhnEFSwNKkO7+/3Uu'),
      (c) => c.charCodeAt(0),
    );
    const { value } = unpickle(bytes);
    expect(value).toEqual(
      new Map<unknown, unknown>([
        ['a', [1, 2.5, 'x']],
        ['b', [true, null]],
        [3, -70000],
      ]),
    );
  });

  it('names the byte and opcode it does not understand', () => {
    expect(() => unpickle(Uint8Array.of(0x80, 0x02, 0xff))).toThrow(
      /Invalid pickle at byte 2: unsupported opcode 0xff/,
    );
  });
});

const PROTOCOL_2 = Uint8Array.from(
  atob('gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABYAQAAAHhxA2VYAQAAAGJxBIhOhnEFSwNKkO7+/3Uu'),
  (c) => c.charCodeAt(0),
);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const binunicode = (text: string) => [0x58, text.length, 0, 0, 0, ...ascii(text)];

describe('unpickle: safety', () => {
  it('never resolves a global outside the hooks and the allow-list: os.system stays an inert object', () => {
    // pickle.dumps of an object whose __reduce__ returns (os.system, ('echo pwned',)), protocol 2.
    const bytes = Uint8Array.of(0x80, 2, 0x63, ...ascii('os\nsystem\n'), ...binunicode('echo pwned'), 0x85, 0x52, 0x2e);
    const { value } = unpickle(bytes);
    expect(value).toBeInstanceOf(PickleObject);
    expect((value as PickleObject).type.qualifiedName).toBe('os.system');
    expect((value as PickleObject).args).toEqual(['echo pwned']);
    // STACK_GLOBAL (protocol 4) goes the same way, and a hook sees every name asked for.
    const asked: string[] = [];
    const stacked = Uint8Array.of(
      ...binunicode('builtins'),
      ...binunicode('eval'),
      0x93,
      ...binunicode('1+1'),
      0x85,
      0x52,
      0x2e,
    );
    const evaluated = unpickle(stacked, { findClass: (module, name) => void asked.push(`${module}.${name}`) }).value;
    expect(evaluated).toBeInstanceOf(PickleObject);
    expect((evaluated as PickleObject).type).toEqual(new PickleGlobal('builtins', 'eval'));
    expect(asked).toEqual(['builtins.eval']);
  });

  it('refuses a 400 KB LONG4 at once, naming the input, and still reads long integers up to the bound', () => {
    const length = 400_000;
    const bytes = new Uint8Array(1 + 4 + length + 1);
    bytes[0] = 0x8b; // LONG4
    new DataView(bytes.buffer).setUint32(1, length, true);
    bytes.fill(0x7f, 5, 5 + length);
    bytes[5 + length] = 0x2e; // STOP
    const started = performance.now();
    expect(() => unpickle(bytes, {}, 0, 'huge-long.pkl')).toThrow(
      /^huge-long\.pkl: Invalid pickle at byte 5: integer of 400000 bytes \(more than 64/,
    );
    expect(performance.now() - started).toBeLessThan(200);
    // At the bound: 64 bytes of 0xff are -1; 63 of 0xff then 0x7f (little-endian) are 2^511 - 1.
    const longest = Uint8Array.of(0x8b, 64, 0, 0, 0, ...new Array(64).fill(0xff), 0x2e);
    expect(unpickle(longest).value).toBe(-1);
    const positive = Uint8Array.of(0x8b, 64, 0, 0, 0, ...new Array(63).fill(0xff), 0x7f, 0x2e);
    expect(unpickle(positive).value).toBe(2n ** 511n - 1n);
  });

  it('gives every truncation of a pickle a clear error naming the input and the byte', () => {
    for (let end = 0; end < PROTOCOL_2.byteLength; end++) {
      expect(() => unpickle(PROTOCOL_2.subarray(0, end), {}, 0, 'cut.pkl'), `cut at ${end}`).toThrow(
        /^cut\.pkl: Invalid pickle at byte \d+: /,
      );
    }
  });

  it('turns garbage into its own errors, never a TypeError from inside', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const codes = Object.values(OPCODES).map((o) => o.code);
    for (let trial = 0; trial < 3000; trial++) {
      // Mostly supported opcodes (so the handlers run), with random operands.
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 24) }, () =>
        random() < 0.6 ? codes[Math.floor(random() * codes.length)] : Math.floor(random() * 256),
      );
      try {
        unpickle(bytes, {}, 0, 'garbage.pkl');
      } catch (error) {
        expect(error, `bytes ${Array.from(bytes)}`).toBeInstanceOf(Error);
        expect((error as Error).constructor, `bytes ${Array.from(bytes)}`).toBe(Error);
        expect((error as Error).message).toMatch(/^garbage\.pkl: Invalid pickle at byte \d+: /);
      }
    }
  });
});
