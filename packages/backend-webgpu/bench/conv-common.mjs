// What the two convolution-gradient benches share: their flags, the adapter, AlexNet V2's layers at reduced sizes,
// the timing of one kernel call and the comparison of two results. Each bench is its own script (pnpm passes extra
// arguments only to the last command of a chain).
import { parseArgs } from 'node:util';
import { setWebGpuBackend } from '../dist/index.js';

/**
 * Reads `--batch`, `--reps` and `--layers`, opens the adapter, prints the title line for `kernel`, and returns the
 * layers asked for as [name, input shape, filter shape, stride, padding].
 */
export async function setUp(kernel) {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      batch: { type: 'string', default: '32' },
      layers: { type: 'string', default: 'conv1,conv2,conv3' },
    },
  });
  const batch = Number(values.batch);
  const status = await setWebGpuBackend();
  const software = status.software ? ' [software adapter]' : '';
  const label = status.software
    ? 'SwiftShader (CPU), not a GPU figure'
    : 'a hardware adapter: one run, no profiling; see scripts/bench/gpu.mjs for training figures';
  console.log(`${kernel}, ms per call on ${status.adapter.name}${software} — ${label}`);
  const shapes = [
    ['conv1 11x11x3x64 s4 p2, 63px', [batch, 63, 63, 3], [11, 11, 3, 64], 4, 2],
    ['conv2 5x5x64x192 s1 p2, 15px', [batch, 15, 15, 64], [5, 5, 64, 192], 1, 2],
    ['conv3 3x3x192x384 s1 p1, 13px', [batch, 13, 13, 192], [3, 3, 192, 384], 1, 1],
  ];
  const layers = values.layers.split(',');
  return { batch, reps: Number(values.reps), shapes: shapes.filter(([name]) => layers.includes(name.split(' ')[0])) };
}

/** TF.js's explicit padding of `p` pixels on every side of an NHWC input. */
export const padding = (p) => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];

/**
 * Runs `call` (which returns a tensor) once to compile it, then `reps` times, each result awaited (so the figures
 * include the read-back); the mean milliseconds and the first result's values.
 */
export async function timeCalls(call, reps) {
  const run = async () => {
    const out = call();
    const values = await out.data();
    out.dispose();
    return values;
  };
  const first = await run();
  const start = performance.now();
  for (let r = 0; r < reps; r++) await run();
  return { ms: (performance.now() - start) / reps, values: first };
}

/** The largest difference between two results over the largest magnitude of `reference`. */
export function relativeDifference(reference, values) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - values[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return diff / scale;
}
