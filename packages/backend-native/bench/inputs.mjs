// Deterministic inputs for this package's benchmarks: the same values on every run, so runs compare.

/** n floats in [-0.5, 0.5], a sine of the index. */
export const random = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
