/**
 * The fused SGD update on WebGPU against the CPU backend's element-wise update (PyTorch's rule, which the trainer's
 * own tests check against torch.optim.SGD): every option, in place and on shared storage, with flat memory.
 */

import { expectClose } from '@alexnet/test-utils';
import { FUSED_SGD_UPDATE } from '@alexnet/tfjs-extensions';
import { SGD, type SGDOptions } from '@alexnet/trainer';
import type { WebGPUMemoryInfo } from '@tensorflow/tfjs-backend-webgpu/dist/backend_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NO_GPU, random, values } from '../../test/gpu.js';

/** Odd sizes: below one workgroup of 256, not a multiple of 4, and over several workgroups. */
const SHAPES: Record<string, number[]> = { weight: [3, 5, 7], bias: [13], big: [1031] };

const SETTINGS: Array<[string, SGDOptions]> = [
  ['plain', { lr: 0.1 }],
  ['weight decay', { lr: 0.05, weightDecay: 0.01 }],
  ['momentum, dampening', { lr: 0.02, momentum: 0.9, dampening: 0.25 }],
  ['nesterov, weight decay', { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }],
];

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function ownedVariable(next: () => number, shape: number[]): tf.Variable {
  const initial = tf.tensor(values(next, size(shape)), shape);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

/** `steps` SGD steps of seeded random gradients on `backend`; the final parameters and momentum buffers. */
async function train(backend: string, options: SGDOptions, steps: number, share = false) {
  await tf.setBackend(backend);
  const next = random(7);
  // Each variable the only tensor on its storage (as a model's parameters are), so the kernel updates it in place.
  const params = Object.fromEntries(Object.entries(SHAPES).map(([name, shape]) => [name, ownedVariable(next, shape)]));
  const optimizer = new SGD(params, options);
  const before: Record<string, Float32Array> = {};
  const history: Array<[string, number, Float32Array]> = [];
  for (let step = 0; step < steps; step++) {
    // A snapshot shares each parameter's storage, so the kernel may not write it in place.
    const snapshots = share ? Object.values(params).map((p) => tf.clone(p)) : [];
    const grads = Object.fromEntries(
      Object.entries(SHAPES).map(([name, shape]) => [name, tf.tensor(values(next, size(shape)), shape)]),
    );
    optimizer.step(grads);
    // Read after every step: a read keeps a CPU copy, which an update in place must not leave stale.
    for (const [name, p] of Object.entries(params)) history.push([name, step, (await p.data()) as Float32Array]);
    if (share && step === steps - 1)
      for (const [i, name] of Object.keys(params).entries()) before[name] = (await snapshots[i].data()) as Float32Array;
    tf.dispose([...Object.values(grads), ...snapshots]);
  }
  const weights: Record<string, Float32Array> = {};
  for (const [name, p] of Object.entries(params)) weights[name] = (await p.data()) as Float32Array;
  const state = optimizer.stateDict();
  const buffers: Record<string, Float32Array> = {};
  for (const [name, { momentumBuffer }] of Object.entries(state.state))
    buffers[name] = (await momentumBuffer.data()) as Float32Array;
  tf.dispose(Object.values(state.state).map((s) => s.momentumBuffer));
  optimizer.dispose();
  tf.dispose(Object.values(params));
  return { weights, buffers, before, history };
}

describe.skipIf(NO_GPU)('the fused SGD update on webgpu', () => {
  it('is the kernel the trainer runs there', () => {
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'webgpu')).toBeDefined();
    expect(tf.getKernel(FUSED_SGD_UPDATE, 'cpu')).toBeUndefined();
  });

  for (const [label, options] of SETTINGS) {
    it(`follows the cpu backend's element-wise update over 3 steps: ${label}`, async () => {
      const cpu = await train('cpu', options, 3);
      const gpu = await train('webgpu', options, 3);
      for (const name of Object.keys(SHAPES)) {
        expectClose(gpu.weights[name], cpu.weights[name], 1e-6, `${label}: ${name}`);
        if (options.momentum) expectClose(gpu.buffers[name], cpu.buffers[name], 1e-6, `${label}: ${name}'s buffer`);
      }
      expect(Object.keys(gpu.buffers).length).toBe(options.momentum ? 3 : 0);
      for (const [i, [name, step, values]] of gpu.history.entries())
        expectClose(values, cpu.history[i][2], 1e-6, `${label}: ${name} after step ${step + 1}`);
    });
  }

  it('leaves storage shared with another tensor as it was, and returns the new values instead', async () => {
    const options = { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
    const cpu = await train('cpu', options, 3, true);
    const gpu = await train('webgpu', options, 3, true);
    for (const name of Object.keys(SHAPES)) {
      expectClose(gpu.weights[name], cpu.weights[name], 1e-6, name);
      // The snapshot taken before the last step still holds the weights from before it.
      expectClose(gpu.before[name], cpu.before[name], 1e-6, `${name}'s snapshot`);
      expect(gpu.before[name]).not.toEqual(gpu.weights[name]);
    }
  });

  it('runs as two dispatches a parameter and keeps tensors and GPU memory flat over 30 more steps', async () => {
    await tf.setBackend('webgpu');
    const next = random(3);
    const params = { w: ownedVariable(next, [1031]) };
    const optimizer = new SGD(params, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
    const grad = tf.tensor(values(next, 1031), [1031]);
    optimizer.step({ w: grad });
    const profile = await tf.profile(() => optimizer.step({ w: grad }));
    // The trainer's cast of a float32 gradient is a no-op; no element-wise kernel runs.
    expect(profile.kernelNames.filter((name) => name !== 'Cast')).toEqual([FUSED_SGD_UPDATE]);
    // One round of 30 steps first: uniform buffers wait for the queue's next submission, so the pool reaches the
    // size it keeps for that many dispatches between reads.
    for (let step = 0; step < 30; step++) optimizer.step({ w: grad });
    await params.w.data();
    const before = tf.memory() as WebGPUMemoryInfo;
    for (let step = 0; step < 30; step++) optimizer.step({ w: grad });
    await params.w.data();
    const after = tf.memory() as WebGPUMemoryInfo;
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
    expect(after.numBytesAllocatedInGPU).toBeLessThanOrEqual(before.numBytesAllocatedInGPU);
    optimizer.dispose();
    tf.dispose([grad, params.w]);
  });
});
