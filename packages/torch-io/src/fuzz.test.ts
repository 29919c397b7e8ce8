import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unpickle } from './pickle/unpickle.js';
import { PickleObject } from './pickle/values.js';
import { readPyTorch } from './pytorch/read-pytorch.js';
import { isRawTensor } from './raw-tensor.js';
import { readSafetensors } from './safetensors.js';
import { readZip } from './zip/read-zip.js';

/**
 * A seeded fuzzer over every reader of the package: byte flips, truncations and insertions of the committed
 * fixtures. Each outcome must be a successful read or a plain `Error` naming the input (no TypeError or RangeError
 * from inside, not even as the cause of a wrapped one), within a time bound, decoding at most 100 MB.
 */

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));

/** mulberry32, a small seeded generator: the same cases on every run. Returns an integer in [0, n). */
function generator(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

/** One mutation of `bytes`: a few bytes flipped, a truncation, or a few random bytes inserted. */
function mutate(bytes: Uint8Array, random: (n: number) => number): { bytes: Uint8Array; how: string } {
  const kind = random(3);
  if (kind === 0) {
    const out = bytes.slice();
    const at: number[] = [];
    for (let n = 1 + random(4); n > 0; n--) {
      const i = random(out.byteLength);
      out[i] = random(256);
      at.push(i);
    }
    return { bytes: out, how: `flip at ${at.join(', ')}` };
  }
  if (kind === 1) {
    const end = random(bytes.byteLength);
    return { bytes: bytes.slice(0, end), how: `cut at ${end}` };
  }
  const at = random(bytes.byteLength + 1);
  const inserted = Uint8Array.from({ length: 1 + random(16) }, () => random(256));
  const out = new Uint8Array(bytes.byteLength + inserted.byteLength);
  out.set(bytes.subarray(0, at));
  out.set(inserted, at);
  out.set(bytes.subarray(at), at + inserted.byteLength);
  return { bytes: out, how: `insert ${inserted.byteLength} at ${at}` };
}

/** The bytes of every typed array a result holds (what reading it allocated for tensors). */
function decodedBytes(value: unknown, seen = new Set<unknown>()): number {
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (isRawTensor(value)) return value.data.byteLength;
  let total = 0;
  const children =
    value instanceof Map
      ? [...value.values()]
      : value instanceof Set || Array.isArray(value)
        ? [...value]
        : value instanceof PickleObject
          ? [value.args, value.state]
          : Object.values(value);
  for (const child of children) total += decodedBytes(child, seen);
  return total;
}

/** Why an outcome breaks the rules, or undefined when it keeps them. */
function problem(read: () => unknown, source: string): string | undefined {
  const started = performance.now();
  let error: unknown;
  let bytes = 0;
  try {
    bytes = decodedBytes(read());
  } catch (thrown) {
    error = thrown;
  }
  const elapsed = performance.now() - started;
  if (elapsed > 1000) return `took ${Math.round(elapsed)} ms`;
  if (bytes > 100 * 2 ** 20) return `decoded ${bytes} bytes`;
  if (error === undefined) return undefined;
  for (let cause: unknown = error; cause !== undefined; cause = (cause as Error).cause) {
    if (!(cause instanceof Error) || cause.constructor !== Error) {
      return `threw ${(cause as Error)?.constructor?.name}: ${String((cause as Error)?.message ?? cause)}`;
    }
  }
  const message = (error as Error).message;
  return message.includes(source) ? undefined : `error without the input's name: ${message}`;
}

const views = fixture('views.pth');
const entries = readZip(views);
const pickle = entries.get([...entries.keys()].find((key) => key.endsWith('data.pkl')) ?? '') as Uint8Array;
const READERS: Array<[string, Uint8Array, (bytes: Uint8Array, source: string) => unknown]> = [
  ['data.pkl', pickle, (bytes, source) => unpickle(bytes, {}, 0, source)],
  ['views.zip', views, (bytes, source) => readZip(bytes, source)],
  ['views.pth', views, (bytes, source) => readPyTorch(bytes, source)],
  ['views.legacy.pth', fixture('views.legacy.pth'), (bytes, source) => readPyTorch(bytes, source)],
  ['views.safetensors', fixture('views.expected.safetensors'), (bytes, source) => readSafetensors(bytes, source)],
];
const CASES = Number(process.env.FUZZ_CASES ?? 1000);

describe('fuzz: every reader, every mutated fixture', () => {
  for (const [name, original, read] of READERS) {
    it(`${name}: ${CASES} seeded mutations read or fail cleanly, naming the input, fast and small`, () => {
      const random = generator(name.length * 7919 + original.byteLength);
      const problems: string[] = [];
      for (let n = 0; n < CASES; n++) {
        const { bytes, how } = mutate(original, random);
        const source = `fuzz-${n}.${name}`;
        const why = problem(() => read(bytes, source), source);
        if (why) problems.push(`case ${n} (${how}): ${why}`);
      }
      expect(problems.slice(0, 10), `${problems.length} of ${CASES} cases`).toEqual([]);
    });
  }
});
