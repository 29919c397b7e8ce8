/**
 * Seeded random numbers for initialisers and dropout masks.
 *
 * PyTorch draws from one global generator that `torch.manual_seed` resets; this module mirrors that with
 * {@link manualSeed} and {@link defaultGenerator}, and lets every layer take its own {@link RandomGenerator} instead.
 * The algorithm is xoshiro128** (seeded through splitmix32): fast, 128 bits of state, and its state can be saved
 * in a checkpoint and restored exactly.
 */

/** The serialisable state of a {@link RandomGenerator}: four unsigned 32-bit words and the normal kept for later. */
export interface RandomGeneratorState {
  words: [number, number, number, number];
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded pseudo-random generator (xoshiro128**), the counterpart of `torch.Generator`. Named `RandomGenerator`
 * rather than `Generator` so that importing it does not shadow TypeScript's built-in `Generator` type.
 */
export class RandomGenerator {
  private s: [number, number, number, number] = [0, 0, 0, 0];
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Resets the generator to the sequence that `seed` starts. */
  seed(seed: number): this {
    if (!Number.isFinite(seed)) throw new RangeError(`RandomGenerator seed must be a finite number, got ${seed}`);
    const next = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
    this.s = [next(), next(), next(), next()];
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
    this.spareNormal = null;
    return this;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float uniformly distributed in [0, 1), with 53 bits of resolution. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Fills `out` with U(low, high) values from 32 random bits each: enough for float32, and several times faster
   * than calling {@link RandomGenerator.uniform} per element, which matters for 60M-parameter initialisations.
   */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    const scale = (high - low) / 4294967296;
    for (let i = 0; i < out.length; i++) out[i] = low + this.nextUint32() * scale;
    return out;
  }

  /** Fills `out` with N(mean, std²) values (Box-Muller on 32-bit uniforms, both values of each pair used). */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    let i = 0;
    if (this.spareNormal !== null && out.length > 0) {
      out[i++] = mean + std * this.spareNormal;
      this.spareNormal = null;
    }
    const twoPi = 2 * Math.PI;
    for (; i < out.length; i += 2) {
      const u = (this.nextUint32() + 1) / 4294967296; // (0, 1]: the logarithm stays finite
      const v = this.nextUint32() / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = mean + std * r * Math.cos(twoPi * v);
      const second = r * Math.sin(twoPi * v);
      if (i + 1 < out.length) out[i + 1] = mean + std * second;
      else this.spareNormal = second;
    }
    return out;
  }

  /** An integer seed for APIs that take one (for example `tf.randomUniform`). */
  nextSeed(): number {
    return this.nextUint32();
  }

  /** A copy of the state, for checkpoints (plain JSON). */
  getState(): RandomGeneratorState {
    return { words: [...this.s], spareNormal: this.spareNormal };
  }

  /** Restores a state returned by {@link RandomGenerator.getState}. */
  setState(state: RandomGeneratorState): this {
    const words = state?.words;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new TypeError('RandomGenerator state must hold four unsigned 32-bit integers in `words`');
    }
    this.s = [words[0], words[1], words[2], words[3]];
    this.spareNormal = typeof state.spareNormal === 'number' ? state.spareNormal : null;
    return this;
  }
}

/** The generator layers use when they are given none (PyTorch's global generator). */
export const defaultGenerator = new RandomGenerator(Date.now() % 2 ** 32);

/** Seeds {@link defaultGenerator}, like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
