#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-native bench`: GFLOP/s of the native matrix product on the shapes AlexNet's
// layers reduce to, for each instruction set this CPU has, on one thread and on all of them; and what a fresh output
// array costs against a recycled one (why the backend pools them).
import { availableParallelism } from 'node:os';
import { addon } from './addon.mjs';
import { random } from './inputs.mjs';

const cores = availableParallelism();
const shapes = [
  ['square 1024', 1024, 1024, 1024],
  ['conv1 forward (V2, one image)', 3025, 64, 363],
  // col^T dy: the left operand transposed, packed by one copy of MR floats a column.
  ['conv1 filter grad (V2, one image)', 363, 64, 3025, true, false],
  ['conv2 forward (V2, one image)', 729, 192, 1600],
  ['conv4 forward (V2, one image)', 169, 384, 3456],
  ['fc1 forward (batch 32)', 32, 4096, 9216],
  ['fc1 weight gradient (batch 32)', 9216, 4096, 32],
  // dy w^T: the right operand transposed, packed by 8 x 8 register transposes.
  ['fc1 input gradient (batch 32)', 32, 9216, 4096, false, true],
];

console.log(`native matrix product, GFLOP/s (${cores} cores)`);
console.log(`${'shape'.padEnd(34)} ${'isa'.padEnd(7)} ${'1 thread'.padStart(9)} ${`${cores} threads`.padStart(10)}`);
for (const isa of ['avx512', 'avx2', 'sse']) {
  if (!addon.setIsa(isa)) continue;
  for (const [name, m, n, k, transposeA = false, transposeB = false] of shapes) {
    const a = random(m * k);
    const b = random(k * n);
    const c = new Float32Array(m * n);
    const rate = (threads) => {
      addon.setThreads(threads);
      addon.gemm(a, b, c, m, n, k, transposeA, transposeB, false);
      const reps = Math.max(2, Math.round(2e9 / (2 * m * n * k)));
      const start = performance.now();
      for (let r = 0; r < reps; r++) addon.gemm(a, b, c, m, n, k, transposeA, transposeB, false);
      return (2 * m * n * k * reps) / ((performance.now() - start) / 1000) / 1e9;
    };
    console.log(
      `${name.padEnd(34)} ${isa.padEnd(7)} ${rate(1).toFixed(1).padStart(9)} ${rate(cores).toFixed(1).padStart(10)}`,
    );
  }
}

// A conv1 activation of V1 at batch 32 (32 x 55 x 55 x 96 floats, 37 MB): allocated and written, or written again.
const length = 32 * 55 * 55 * 96;
const reps = 20;
let start = performance.now();
const live = [];
for (let r = 0; r < reps; r++) {
  live.push(new Float32Array(length).fill(1));
  if (live.length > 3) live.shift();
}
const fresh = (performance.now() - start) / reps;
const reused = new Float32Array(length);
start = performance.now();
for (let r = 0; r < reps; r++) reused.fill(1);
const refill = (performance.now() - start) / reps;
console.log(`37 MB output array: new and written ${fresh.toFixed(1)} ms, recycled and written ${refill.toFixed(1)} ms`);
