#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-native bench:winograd [--batch 32] [--reps 3]`: 3x3 and 5x5 stride-1
// convolutions (forward, input gradient, filter gradient) through the direct im2col path and through Winograd
// (F(2x2, r x r) and F(4x4, r x r) for r = 3 and 5), on AlexNet's own layers and on smaller channel
// counts, all threads. The rules in native/winograd.c (`winograd_applies`, `output_tile`) come from these rows; each
// ratio is direct time / that Winograd's time (above 1: Winograd is faster). Direct-path GFLOP/s count
// 2 * N*OH*OW * k*k * C * O.
import { parseArgs } from 'node:util';
import { addon } from './addon.mjs';
import { random } from './inputs.mjs';

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '32' }, reps: { type: 'string', default: '3' } },
});
const batch = Number(values.batch);
const reps = Number(values.reps);

// [label, filter size, image size, in channels, out channels]: 'same' padding, as AlexNet's layers.
const shapes = [
  ['V2 conv2 (27 px)', 5, 27, 64, 192],
  ['V1 conv2 (27 px)', 5, 27, 96, 256],
  ['V2 at 1/2 width conv2', 5, 27, 32, 96],
  ['5x5 64 -> 64 at 27 px', 5, 27, 64, 64],
  ['5x5 32 -> 64 at 27 px', 5, 27, 32, 64],
  ['5x5 128 -> 128 at 13 px', 5, 13, 128, 128],
  ['V2 conv3 (13 px)', 3, 13, 192, 384],
  ['V2 conv4', 3, 13, 384, 384],
  ['V2 conv5', 3, 13, 384, 256],
  ['torchvision conv5', 3, 13, 256, 256],
  ['V2 at 1/2 width conv4', 3, 13, 192, 128],
  ['128 -> 128 at 13 px', 3, 13, 128, 128],
  ['128 -> 128 at 27 px', 3, 27, 128, 128],
  ['96 -> 96 at 27 px', 3, 27, 96, 96],
  ['64 -> 64 at 27 px', 3, 27, 64, 64],
  ['256 -> 64 at 13 px', 3, 13, 256, 64],
  ['64 -> 256 at 13 px', 3, 13, 64, 256],
];

function time(fn) {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

console.log(
  `stride-1 convolutions, batch ${batch}, ${addon.info().isa}, ${addon.info().threads} threads: ms (best of ${reps})`,
);
console.log(
  `${'shape'.padEnd(24)} ${'pass'.padEnd(8)} ${'direct'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'F(2x2)'.padStart(8)} ${'ratio'.padStart(6)} ${'F(4x4)'.padStart(8)} ${'ratio'.padStart(6)}`,
);
for (const [label, k, size, c, o] of shapes) {
  const pad = (k - 1) / 2;
  // batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left
  const shape = Int32Array.from([batch, size, size, c, size, size, o, k, k, 1, 1, 1, 1, pad, pad]);
  const x = random(batch * size * size * c);
  const w = random(k * k * c * o);
  const y = new Float32Array(batch * size * size * o);
  const dy = random(y.length);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  const passes = [
    ['forward', () => addon.conv2d(shape, x, w, null, false, y)],
    ['input', () => addon.conv2dBackpropInput(shape, dy, w, dx)],
    ['filter', () => addon.conv2dBackpropFilter(shape, x, dy, dw)],
  ];
  const flops = 2 * batch * size * size * k * k * c * o;
  for (const [pass, run] of passes) {
    addon.setWinograd('off');
    const direct = time(run);
    addon.setWinograd('always');
    const cells = [2, 4].map((tile) => {
      addon.setWinogradTile(tile);
      const ms = time(run);
      return `${ms.toFixed(1).padStart(8)} ${(direct / ms).toFixed(2).padStart(6)}`;
    });
    addon.setWinogradTile(0);
    console.log(
      `${label.padEnd(24)} ${pass.padEnd(8)} ${direct.toFixed(1).padStart(8)} ${(flops / direct / 1e6).toFixed(0).padStart(8)} ${cells.join(' ')}`,
    );
  }
}
addon.setWinograd('auto');
