#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-native bench:gemm-blocks [--threads 1] [--reps 3]`: GFLOP/s of the native
// matrix product on the shapes AlexNet's layers reduce to, with the cache blocking derived from this machine's cache
// sizes (native/gemm.c's derive_blocks) and with other blockings around it, for each instruction set the CPU has.
// The blockings are measured in turn, round after round, and each keeps its best round: on a shared host the speed
// drifts, and alternating keeps the drift out of the comparison. The rule in derive_blocks comes from these rows.
import { parseArgs } from 'node:util';
import { addon } from './addon.mjs';
import { random } from './inputs.mjs';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, reps: { type: 'string', default: '3' } },
});
const threads = Number(values.threads);
const reps = Number(values.reps);
addon.setThreads(threads);

// [label, m, n, k, transposeA, transposeB]: per image for the convolutions, a batch of 32 for the dense layers.
const shapes = [
  ['square 1024', 1024, 1024, 1024],
  ['conv1 im2col (V2)', 3025, 64, 363],
  ['conv4 Winograd position (256 tiles)', 256, 384, 384],
  ['conv2 im2col (V2)', 729, 192, 1600],
  ['fc1 forward', 32, 4096, 9216],
  ['fc1 weight gradient', 9216, 4096, 32, true, false],
  ['fc1 input gradient', 32, 9216, 4096, false, true],
];
const operands = shapes.map(([, m, n, k]) => ({ a: random(m * k), b: random(k * n), c: new Float32Array(m * n) }));

/** GFLOP/s of one shape at the blocking in force: enough repetitions for about 0.3 s of work. */
function rate(index) {
  const [, m, n, k, transposeA = false, transposeB = false] = shapes[index];
  const { a, b, c } = operands[index];
  const run = () => addon.gemm(a, b, c, m, n, k, transposeA, transposeB, false);
  run();
  const count = Math.max(1, Math.round(0.3e9 / (m * n * k)));
  const start = performance.now();
  for (let r = 0; r < count; r++) run();
  return (2 * m * n * k * count) / ((performance.now() - start) / 1000) / 1e9;
}

const { caches } = addon.info();
const kib = (bytes) => (bytes ? `${Math.round(bytes / 1024)} KiB` : 'unknown');
console.log(`caches: L1d ${kib(caches.l1d)}, L2 ${kib(caches.l2)}, L3 ${kib(caches.l3)} (as the system reports them)`);
console.log(`GFLOP/s on ${threads} thread(s), best of ${reps} alternating rounds`);
for (const isa of ['avx512', 'avx2', 'sse']) {
  if (!addon.setIsa(isa)) continue;
  addon.setGemmBlocks(0, 0, 0);
  const derived = addon.info().gemmBlocks;
  const { kc, mc, nc } = derived;
  const blockings = [
    { label: 'derived', kc, mc, nc },
    { label: 'kc / 2', kc: kc / 2, mc, nc },
    { label: 'kc x 2', kc: kc * 2, mc, nc },
    { label: 'mc / 2', kc, mc: Math.max(1, mc / 2), nc },
    { label: 'mc x 2', kc, mc: mc * 2, nc },
    { label: 'nc / 4', kc, mc, nc: nc / 4 },
    { label: 'nc x 2', kc, mc, nc: nc * 2 },
  ];
  const best = blockings.map(() => shapes.map(() => 0));
  for (let round = 0; round < reps; round++) {
    for (const [i, blocking] of blockings.entries()) {
      if (!addon.setGemmBlocks(blocking.kc, blocking.mc, blocking.nc)) continue;
      for (let s = 0; s < shapes.length; s++) best[i][s] = Math.max(best[i][s], rate(s));
    }
  }
  addon.setGemmBlocks(0, 0, 0);
  console.log(`\n${isa}: derived blocking kc ${kc}, mc ${mc}, nc ${nc}`);
  console.log(`${'shape'.padEnd(36)} ${blockings.map((b) => b.label.padStart(8)).join(' ')}`);
  for (const [s, [label]] of shapes.entries()) {
    const row = blockings.map((_, i) => (best[i][s] ? best[i][s].toFixed(1) : '-').padStart(8)).join(' ');
    console.log(`${label.padEnd(36)} ${row}`);
  }
}
