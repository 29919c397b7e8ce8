#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-native bench:winograd-accuracy`: how far the direct path and the Winograd path
// land from a float64 reference on V2's conv2 (5x5) and conv4 (3x3) shapes at batch 4, with 2 x 2 and 4 x 4 tiles, forward and
// filter gradient: the worst absolute error over the largest reference value. ReLU-like (non-negative) inputs, small
// dy and weights, as in training. The tolerances of src/winograd.test.ts rest on these figures.
import { addon } from './addon.mjs';

let state = 1;
const uniform = () => {
  state = (state * 1103515245 + 12345) >>> 0;
  return (state / 2 ** 32) * 2 - 1;
};

/** Worst |a - reference| over max |reference|. */
function relativeError(values, reference) {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    worst = Math.max(worst, Math.abs(values[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return (worst / scale).toExponential(2);
}

const batch = 4;
console.log(`worst error over the largest value against float64, batch ${batch}`);
for (const [label, size, c, o, k] of [
  ['V2 conv2 (5x5)', 27, 64, 192, 5],
  ['V2 conv4 (3x3)', 13, 384, 384, 3],
]) {
  const pad = (k - 1) / 2;
  const shape = Int32Array.from([batch, size, size, c, size, size, o, k, k, 1, 1, 1, 1, pad, pad]);
  const x = Float32Array.from({ length: batch * size * size * c }, () => Math.max(0, uniform()));
  const dy = Float32Array.from({ length: batch * size * size * o }, () => uniform() * 0.01);
  const w = Float32Array.from({ length: k * k * c * o }, () => uniform() * 0.05);
  // Float64 references: y = x * w and dw = x^T dy, tap by tap.
  const y64 = new Float64Array(dy.length);
  const dw64 = new Float64Array(w.length);
  for (let n = 0; n < batch; n++)
    for (let oy = 0; oy < size; oy++)
      for (let ox = 0; ox < size; ox++) {
        const at = ((n * size + oy) * size + ox) * o;
        for (let kh = 0; kh < k; kh++) {
          const iy = oy - pad + kh;
          if (iy < 0 || iy >= size) continue;
          for (let kw = 0; kw < k; kw++) {
            const ix = ox - pad + kw;
            if (ix < 0 || ix >= size) continue;
            const from = ((n * size + iy) * size + ix) * c;
            const tap = (kh * k + kw) * c * o;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[from + ci];
              if (xv === 0) continue;
              const row = tap + ci * o;
              for (let oi = 0; oi < o; oi++) {
                y64[at + oi] += xv * w[row + oi];
                dw64[row + oi] += xv * dy[at + oi];
              }
            }
          }
        }
      }
  const y = new Float32Array(dy.length);
  const dw = new Float32Array(w.length);
  for (const [mode, tile, path] of [
    ['off', 0, 'direct'],
    ['always', 2, `F(2x2, ${k}x${k})`],
    ['always', 4, `F(4x4, ${k}x${k})`],
  ]) {
    addon.setWinograd(mode);
    addon.setWinogradTile(tile);
    addon.conv2d(shape, x, w, null, false, y);
    addon.conv2dBackpropFilter(shape, x, dy, dw);
    console.log(
      `${label.padEnd(16)} ${path.padEnd(13)} forward ${relativeError(y, y64)}  filter gradient ${relativeError(dw, dw64)}`,
    );
  }
}
addon.setWinograd('auto');
addon.setWinogradTile(0);
