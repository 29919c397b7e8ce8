/** The element-wise program wrapper, and what happens when a program fails the GPU's validation. */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NO_GPU } from '../../test/gpu.js';
import { elementWiseProgram } from './element-wise-program.js';

const run = (names: string[], body: string, inputs: tf.Tensor[]) => {
  const backend = tf.backend() as WebGPUBackend;
  const program = elementWiseProgram({
    shaderKey: `test_${names.join('_')}_${body}`,
    variableNames: names,
    outputShape: [1000],
    body,
  });
  const info = backend.runWebGPUProgram(program, inputs, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
};

describe.skipIf(NO_GPU)('element-wise programs', () => {
  it('run their body over every element, past one workgroup', async () => {
    await tf.setBackend('webgpu');
    const a = tf.range(0, 1000);
    const b = tf.fill([1000], 2);
    const out = run(['A', 'B'], 'result[index] = A[index] * B[index] + 1.0;', [a, b]);
    expect(Array.from(await out.data())).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i + 1));
    tf.dispose([a, b, out]);
  });

  it("make the next read fail with the GPU's message, not return zeros, when they fail validation", async () => {
    await tf.setBackend('webgpu');
    const a = tf.range(0, 1000);
    const b = tf.fill([1000], 2);
    // B is bound but never read: the pipeline's layout leaves it out and the bind group fails validation.
    const bad = run(['A', 'B'], 'result[index] = A[index];', [a, b]);
    await expect(bad.data()).rejects.toThrow(/the GPU reported an error, so results are not valid: .+/);
    // Reported once: the device goes on working.
    const good = run(['A'], 'result[index] = A[index] + 1.0;', [a]);
    expect((await good.data())[999]).toBe(1000);
    tf.dispose([a, b, bad, good]);
  });
});
