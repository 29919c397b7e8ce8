import { describe, expect, it } from 'vitest';
import { constant, fanInUniform, kaimingNormal, kaimingUniform, normal, RandomGenerator } from './index.js';

describe('RandomGenerator', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new RandomGenerator(42);
    const b = new RandomGenerator(42);
    const c = new RandomGenerator(43);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('restores a saved state exactly', () => {
    const g = new RandomGenerator(7);
    g.normal();
    const state = g.getState();
    const next = [g.uniform(), g.normal(), g.nextUint32()];
    g.setState(state);
    expect([g.uniform(), g.normal(), g.nextUint32()]).toEqual(next);
    expect(() => g.setState({ words: [1, 2, 3] } as never)).toThrow(/four unsigned 32-bit integers/);
  });

  it('draws uniform values in [0, 1) and standard normals with the right moments', () => {
    const g = new RandomGenerator(1);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = g.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = g.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.01);
  });
});

describe('initialisers', () => {
  const context = (shape: number[], fanIn: number, seed = 3) => ({ shape, fanIn, rng: new RandomGenerator(seed) });

  it('normal(0.01) has the paper standard deviation', () => {
    const values = normal(0.01)(context([256, 96, 5, 5], 2400));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(values).toHaveLength(256 * 96 * 25);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(std).toBeCloseTo(0.01, 4);
  });

  it("kaimingUniform(sqrt 5) and fanInUniform are bounded by 1/sqrt(fanIn), like PyTorch's defaults", () => {
    const fanIn = 363;
    const bound = 1 / Math.sqrt(fanIn);
    for (const init of [kaimingUniform(Math.sqrt(5)), fanInUniform()]) {
      const values = init(context([96, 3, 11, 11], fanIn));
      const max = values.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(bound * 0.99);
    }
  });

  it('kaimingNormal has variance 2 / fanIn', () => {
    const values = kaimingNormal()(context([512, 256, 3, 3], 2304));
    const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
    expect(variance).toBeCloseTo(2 / 2304, 5);
  });

  it('constant fills every value and seeded initialisers repeat', () => {
    expect(Array.from(constant(1)(context([3], 1)))).toEqual([1, 1, 1]);
    expect(normal(1)(context([10], 1, 9))).toEqual(normal(1)(context([10], 1, 9)));
  });
});
