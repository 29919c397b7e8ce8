import { expectClose, expectNoTensorLeak, fixtureBytes, nchwToNhwc } from '@alexnet/test-utils';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  LocalResponseNorm,
  MaxPool2d,
  PAPER_LRN,
  RandomGenerator,
} from '../index.js';

const fixtures = readSafetensors(
  fixtureBytes(new URL('../../fixtures/layers.expected.safetensors', import.meta.url)),
).tensors;

/** NHWC tensor -> NCHW values, to compare with PyTorch's. */
function toNchw(t: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

/** Direct convolution in PyTorch's terms (NCHW input, OIHW weight), for checking layouts. */
function referenceConv(
  x: Float32Array,
  [n, c, h, w]: number[],
  weight: Float32Array,
  [o, , kh, kw]: number[],
  bias: Float32Array,
  stride: number,
  pad: number,
): { data: Float32Array; shape: number[] } {
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out = new Float32Array(n * o * oh * ow);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let sum = bias[oc];
          for (let ic = 0; ic < c; ic++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) {
                const y = i * stride - pad + u;
                const xx = j * stride - pad + v;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                sum += x[((b * c + ic) * h + y) * w + xx] * weight[((oc * c + ic) * kh + u) * kw + v];
              }
          out[((b * o + oc) * oh + i) * ow + j] = sum;
        }
  return { data: out, shape: [n, o, oh, ow] };
}

describe('Conv2d', () => {
  it('computes a PyTorch convolution from its OIHW state-dict weight (stride 4, padding 2, like conv1)', () => {
    const conv = new Conv2d({
      inChannels: 3,
      outChannels: 5,
      kernelSize: 11,
      stride: 4,
      padding: 2,
      rng: new RandomGenerator(1),
    });
    const xNchw = tf.randomNormal([2, 3, 31, 27], 0, 1, 'float32', 2);
    const state = conv.stateDict();
    const expected = referenceConv(
      xNchw.dataSync() as Float32Array,
      xNchw.shape,
      state.weight.dataSync() as Float32Array,
      state.weight.shape,
      state.bias.dataSync() as Float32Array,
      4,
      2,
    );
    const y = conv.forward(tf.transpose(xNchw, [0, 2, 3, 1]));
    expect(y.shape).toEqual([2, 7, 6, 5]);
    expect(conv.outputShape([31, 27, 3])).toEqual([7, 6, 5]);
    expect(conv.multiplyAdds([31, 27, 3])).toBe(7 * 6 * 5 * 3 * 121);
    expectClose(toNchw(y), expected.data, 1e-5, 'conv');
    tf.dispose([xNchw, y, ...Object.values(state)]);
    conv.dispose();
  });

  it('names the size it needs when the input is too small', () => {
    const conv = new Conv2d({
      inChannels: 3,
      outChannels: 4,
      kernelSize: 11,
      stride: 4,
      padding: 2,
      rng: new RandomGenerator(1),
    });
    expect(() => conv.outputShape([6, 6, 3])).toThrow(
      /input 6x6 is too small for a 11x11 window with padding 2x2 \(needs at least 7x7\)/,
    );
    expect(() => conv.outputShape([64, 64, 4])).toThrow(/expects 3 input channels, got 4/);
    conv.dispose();
  });

  it("gives TF.js's gradients, and skips the input's where nothing needs it", async () => {
    const conv = new Conv2d({
      inChannels: 3,
      outChannels: 4,
      kernelSize: 5,
      stride: 2,
      padding: 2,
      rng: new RandomGenerator(3),
    });
    const x = tf.randomNormal([2, 13, 11, 3], 0, 1, 'float32', 4);
    const dy = tf.randomNormal([2, 7, 6, 4], 0, 1, 'float32', 5);
    const weight = conv.weight.variable as tf.Tensor4D;
    const bias = conv.bias?.variable as tf.Tensor;
    const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, dy));
    // Reference: TF.js's own convolution and bias add, differentiated by TF.js.
    const expected = tf.grads((input: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      loss(
        tf.add(
          tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 2, [
            [0, 0],
            [2, 2],
            [2, 2],
            [0, 0],
          ]),
          b,
        ),
      ),
    )([x, weight, bias]);
    const actual = tf.grads((input: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      expect(w).toBe(weight);
      expect(b).toBe(bias);
      return loss(conv.forward(input));
    })([x, weight, bias]);
    for (const [i, name] of ['dx', 'dW', 'db'].entries())
      expectClose(actual[i].dataSync(), expected[i].dataSync(), 1e-4, name);

    // Only the parameters' gradients: the input gradient kernel must not run.
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(
        () => loss(conv.forward(x)) as tf.Scalar,
        [weight as tf.Variable, bias as tf.Variable],
      );
      return Object.values(grads);
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain('Conv2DBackpropFilter');
    expect(kernels).not.toContain('Conv2DBackpropInput');

    // The gradient is registered for every taped FusedConv2D: one with an activation is refused, not mis-differentiated.
    const withRelu = () =>
      tf.engine().runKernel('FusedConv2D', { x, filter: weight, bias }, {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NHWC',
        dilations: [1, 1],
        activation: 'relu',
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(() => tf.grad((w: tf.Tensor) => tf.sum(withRelu()).add(tf.sum(w)))(weight)).toThrow(
      /FusedConv2D gradient handles bias only .*relu/,
    );
    tf.dispose([x, dy, ...expected, ...actual, ...(profile.result as tf.Tensor[])]);
    conv.dispose();
  });
});

describe('Linear', () => {
  it('computes x W^T + b with the [out, in] state-dict weight', () => {
    const linear = new Linear({ inFeatures: 4, outFeatures: 3, rng: new RandomGenerator(4) });
    const state = linear.stateDict();
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const w = state.weight.arraySync() as number[][];
    const b = state.bias.dataSync();
    const expected = w.map((row, o) => row.reduce((s, wi, i) => s + wi * (i + 1), b[o]));
    const y = linear.forward(x);
    expectClose(y.dataSync(), expected, 1e-6, 'linear');
    tf.dispose([x, y, ...Object.values(state)]);
    linear.dispose();
  });
});

describe('MaxPool2d and Flatten', () => {
  it('pools overlapping 3x3 windows with stride 2 (55 -> 27)', () => {
    const pool = new MaxPool2d({ kernelSize: 3, stride: 2 });
    expect(pool.outputShape([55, 55, 96])).toEqual([27, 27, 96]);
    const x = tf.tensor4d(
      Array.from({ length: 25 }, (_, i) => (i * 7) % 25),
      [1, 5, 5, 1],
    );
    const y = pool.forward(x);
    // Windows start at rows/cols 0 and 2; each max is taken by hand from the 5x5 grid of (i * 7) % 25.
    const grid = (r: number, c: number) => ((r * 5 + c) * 7) % 25;
    const windowMax = (r0: number, c0: number) =>
      Math.max(...[0, 1, 2].flatMap((dr) => [0, 1, 2].map((dc) => grid(r0 + dr, c0 + dc))));
    expect(Array.from(y.dataSync())).toEqual([windowMax(0, 0), windowMax(0, 2), windowMax(2, 0), windowMax(2, 2)]);
    tf.dispose([x, y]);
  });

  it("flattens in PyTorch's C, H, W order by default and in H, W, C order on request", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]); // NHWC: pixel (h, w) holds channels [c0, c1]
    const chw = new Flatten().forward(x);
    const hwc = new Flatten({ order: 'hwc' }).forward(x);
    expect(Array.from(chw.dataSync())).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    expect(Array.from(hwc.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    tf.dispose([x, chw, hwc]);
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and zeroes about p of the values, scaled by 1/(1-p), in training', () => {
    const dropout = new Dropout({ p: 0.5, rng: new RandomGenerator(1) });
    const x = tf.ones([100, 100]);
    const y = dropout.forward(x);
    const values = y.dataSync();
    const zeros = values.filter((v) => v === 0).length;
    expect(values.every((v) => v === 0 || Math.abs(v - 2) < 1e-6)).toBe(true);
    expect(zeros / values.length).toBeGreaterThan(0.48);
    expect(zeros / values.length).toBeLessThan(0.52);
    dropout.eval();
    expect(dropout.forward(x)).toBe(x);
    tf.dispose([x, y]);
  });

  it('draws a new mask each call, and the same sequence of masks for the same seed', () => {
    const masks = (seed: number) => {
      const d = new Dropout({ p: 0.3, rng: new RandomGenerator(seed) });
      const x = tf.ones([64]);
      const out = [d.forward(x), d.forward(x)].map((t) => Array.from(t.dataSync()));
      x.dispose();
      return out;
    };
    const [a1, a2] = masks(5);
    const [b1, b2] = masks(5);
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    expect(() => new Dropout({ p: 1 })).toThrow(/p must be in \[0, 1\)/);
  });
});

describe('LocalResponseNorm against torch.nn.LocalResponseNorm', () => {
  const x = nchwToNhwc(fixtures['lrn.x']);
  const cases: Array<[string, ConstructorParameters<typeof LocalResponseNorm>[0], boolean]> = [
    ['paper', PAPER_LRN, true],
    ['even4', { size: 4, alpha: 1e-2, beta: 0.6, k: 1.5 }, false],
    ['reference12', { size: 12 }, false],
    ['wide', { size: 3, alpha: 0.5, beta: 0.75, k: 1 }, true],
  ];
  for (const [label, options, fused] of cases) {
    it(`${label}: output and input gradient (${fused ? 'fused TF.js kernel' : 'banded window sum'})`, () => {
      const lrn = new LocalResponseNorm(options);
      expect(lrn.usesFusedKernel()).toBe(fused);
      const expectedY = fixtures[`lrn.${label}.y`];
      const weights = tf.tidy(() =>
        tf.transpose(tf.reshape(tf.linspace(-1, 1, expectedY.data.length), expectedY.shape), [0, 2, 3, 1]),
      );
      const y = lrn.forward(x);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(lrn.forward(input), weights)))(x);
      expectClose(toNchw(y), expectedY.data, 1e-5, `${label} y`);
      expectClose(toNchw(dx), fixtures[`lrn.${label}.dx`].data, 1e-4, `${label} dx`);
      tf.dispose([weights, y, dx]);
    });
  }

  it('uses the paper constants n 5, k 2, alpha 1e-4 (5e-4 in PyTorch terms), beta 0.75', () => {
    expect(PAPER_LRN).toEqual({ size: 5, alpha: 5e-4, beta: 0.75, k: 2 });
  });
});

describe('AdaptiveAvgPool2d against torch.nn.AdaptiveAvgPool2d', () => {
  for (const [side, out] of [
    [3, 6],
    [13, 6],
    [7, 3],
    [6, 6],
    [12, 6],
  ]) {
    it(`${side}x${side} -> ${out}x${out}: output and input gradient`, () => {
      const pool = new AdaptiveAvgPool2d(out);
      const key = `adaptive.${side}to${out}`;
      const x = nchwToNhwc(fixtures[`${key}.x`]);
      const expectedY = fixtures[`${key}.y`];
      const weights = tf.tidy(() =>
        tf.transpose(tf.reshape(tf.linspace(-1, 1, expectedY.data.length), expectedY.shape), [0, 2, 3, 1]),
      );
      const y = pool.forward(x);
      expect(pool.outputShape([side, side, 5])).toEqual([out, out, 5]);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(pool.forward(input), weights)))(x);
      expectClose(toNchw(y), expectedY.data, 1e-5, `${key} y`);
      expectClose(toNchw(dx), fixtures[`${key}.dx`].data, 1e-5, `${key} dx`);
      tf.dispose([x, weights, y, dx]);
    });
  }
});

describe('memory', () => {
  it('leaves no tensors behind across forward and backward passes', () => {
    const rng = new RandomGenerator(3);
    const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng });
    const lrnEven = new LocalResponseNorm({ size: 4 });
    const lrnOdd = new LocalResponseNorm(PAPER_LRN);
    const pool = new AdaptiveAvgPool2d(3);
    const dropout = new Dropout({ rng });
    const linear = new Linear({ inFeatures: 36, outFeatures: 2, rng });
    const x = tf.randomNormal([2, 8, 8, 3]);
    const loss = () =>
      tf.tidy(() => {
        let y = lrnOdd.forward(lrnEven.forward(conv.forward(x)));
        y = pool.forward(new MaxPool2d({ kernelSize: 2 }).forward(y));
        return tf.sum(linear.forward(dropout.forward(new Flatten().forward(y))));
      });
    const variables = [...conv.parameters(), ...linear.parameters()];
    expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, variables);
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    conv.dispose();
    linear.dispose();
  });
});
