import { expectClose, expectNoTensorLeak } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED_SGD_UPDATE, type FusedSgdAttrs } from './index.js';

// @alexnet/trainer's tests run its SGD on this kernel against torch.optim.SGD; these check the kernel itself.

const SETTINGS: Array<Omit<FusedSgdAttrs, 'first'>> = [
  { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false },
  { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 1e-3, nesterov: true },
  { lr: 0.1, momentum: 0.5, dampening: 0.3, weightDecay: 0, nesterov: false },
  { lr: 0.2, momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false },
];

/** PyTorch's rule, one element at a time in float64. */
function reference(param: number[], grads: number[][], a: Omit<FusedSgdAttrs, 'first'>): number[] {
  const p = [...param];
  let buf: number[] | null = null;
  for (const grad of grads) {
    const g = grad.map((gi, i) => gi + a.weightDecay * p[i]);
    let step = g;
    if (a.momentum !== 0) {
      buf = buf ? buf.map((b, i) => a.momentum * b + (1 - a.dampening) * g[i]) : [...g];
      const b = buf;
      step = a.nesterov ? g.map((gi, i) => gi + a.momentum * b[i]) : b;
    }
    for (let i = 0; i < p.length; i++) p[i] -= a.lr * step[i];
  }
  return p;
}

function run(param: tf.Variable, buffer: tf.Variable | null, grad: tf.Tensor, attrs: FusedSgdAttrs): void {
  tf.tidy(() => {
    const inputs: tf.NamedTensorMap = { param, grad };
    if (buffer) inputs.buffer = buffer;
    const out = tf.engine().runKernel(FUSED_SGD_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    if (out.length > 0) {
      param.assign(out[0]);
      if (buffer && out[1]) buffer.assign(out[1]);
    }
  });
}

const PARAM = [0.5, -1, 2, 0.25, 3, -0.75, 1e-3];
const GRADS = Array.from({ length: 8 }, (_, step) => PARAM.map((_, i) => Math.sin(step * 7 + i) * (i + 1)));

describe('the fused SGD kernel', () => {
  it('is registered on the native backend only', () => {
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'native')).toBeDefined();
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'cpu')).toBeUndefined();
  });

  it.each(SETTINGS)("applies PyTorch's update over 8 steps: %o", (settings) => {
    const param = tf.variable(tf.tensor1d(PARAM));
    const buffer = settings.momentum !== 0 ? tf.variable(tf.zeros([PARAM.length])) : null;
    GRADS.forEach((g, step) => {
      const grad = tf.tensor1d(g);
      run(param, buffer, grad, { ...settings, first: step === 0 });
      grad.dispose();
    });
    expectClose(param.dataSync(), reference(PARAM, GRADS, settings), 1e-6, 'parameter');
    tf.dispose([param, ...(buffer ? [buffer] : [])]);
  });

  it('updates in place when the variable owns its storage, and returns new tensors when it shares it', () => {
    const settings = { ...SETTINGS[0], first: true };
    // Made inside tidy, so the variables end up the only owners of their storage.
    const [owned, ownedBuffer] = tf.tidy(() => [
      tf.variable(tf.tensor1d(PARAM)),
      tf.variable(tf.zeros([PARAM.length])),
    ]);
    const grad = tf.tensor1d(GRADS[0]);
    const storage = owned.dataSync();
    run(owned, ownedBuffer, grad, settings);
    expect(owned.dataSync()).toBe(storage);

    const shared = tf.variable(tf.tensor1d(PARAM));
    const sharedBuffer = tf.variable(tf.zeros([PARAM.length]));
    const clone = tf.clone(shared);
    run(shared, sharedBuffer, grad, settings);
    expect(Array.from(clone.dataSync())).toEqual(Array.from(Float32Array.from(PARAM)));
    expectClose(shared.dataSync(), owned.dataSync(), 0, 'same update either way');
    tf.dispose([owned, ownedBuffer, grad, shared, sharedBuffer, clone]);
  });

  it('adds no live tensors across steps', () => {
    const param = tf.variable(tf.randomNormal([64, 32]));
    const buffer = tf.variable(tf.zeros([64, 32]));
    const grad = tf.randomNormal([64, 32]);
    expectNoTensorLeak(() => run(param, buffer, grad, { ...SETTINGS[0], first: false }));
    tf.dispose([param, buffer, grad]);
  });

  it('says which input is wrong', () => {
    const p = tf.zeros([3]);
    const g = tf.zeros([4]);
    const attrs = { ...SETTINGS[3], first: false } as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel(FUSED_SGD_UPDATE, { param: p, grad: g }, attrs)).toThrow(
      /grad must be float32 of shape \[3\], got float32 \[4\]/,
    );
    expect(() =>
      tf.engine().runKernel(FUSED_SGD_UPDATE, { param: p, grad: p }, { ...attrs, momentum: 0.9 } as tf.NamedAttrMap),
    ).toThrow(/momentum needs a buffer input/);
    tf.dispose([p, g]);
  });
});
