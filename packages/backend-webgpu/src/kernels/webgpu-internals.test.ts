/**
 * What `webgpu-internals.ts` relies on in `@tensorflow/tfjs-backend-webgpu`, each by name: the version, and the
 * program wrapper's contract (the `main` headers, the builtins' copies, the bindings, the uniform layout), on tiny
 * programs whose results say which part broke.
 */

import { createRequire } from 'node:module';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NO_GPU } from '../../test/gpu.js';
import {
  forgetDownloadedValues,
  MAIN_FLAT,
  MAIN_XYZ,
  runProgram,
  WEBGPU_INTERNALS_VERSION,
} from './webgpu-internals.js';

const require = createRequire(import.meta.url);

describe('the tfjs-backend-webgpu internals this package relies on', () => {
  it(`is version ${WEBGPU_INTERNALS_VERSION}`, () => {
    const { version } = require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string };
    expect(version.startsWith(`${WEBGPU_INTERNALS_VERSION}.`), `installed ${version}`).toBe(true);
  });

  describe.skipIf(NO_GPU)('the program wrapper', () => {
    const run = async (program: WebGPUProgram, inputs: tf.Tensor[], uniforms: Parameters<typeof runProgram>[3]) => {
      await tf.setBackend('webgpu');
      const backend = tf.backend() as WebGPUBackend;
      const info = runProgram(backend, program, inputs, uniforms);
      const out = tf.engine().makeTensorFromTensorInfo(info);
      const values = Array.from(await out.data());
      out.dispose();
      return values;
    };

    it('main() with a y/z layout: workgroupId, numWorkgroups, localIndex, the output as result, program uniforms after the shapes', async () => {
      const program: WebGPUProgram = {
        variableNames: ['a'],
        uniforms: 'pair : vec2<i32>, scale : i32,',
        workgroupSize: [4, 1, 1],
        dispatchLayout: { x: [1], y: [0] },
        dispatch: [1, 2, 1],
        outputShape: [2, 4],
        shaderKey: 'alexnetInternalsXyz',
        getUserCode: () => `
          ${MAIN_XYZ} {
            let i = i32(workgroupId.y) * 4 + i32(localIndex);
            result[i] = a[i] * f32(uniforms.scale) + f32(uniforms.pair.y * 100 + uniforms.aShape[1]) +
                f32(numWorkgroups.y * 1000u);
          }`,
      };
      const a = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7], [2, 4]);
      const values = await run(
        program,
        [a],
        [
          { type: 'int32', data: [7, 3] },
          { type: 'int32', data: [10] },
        ],
      );
      a.dispose();
      expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((v) => v * 10 + 2304));
    });

    it('main(index) with a flat layout and size, over the per-dimension dispatch limit', async () => {
      const count = 65536 * 64 + 3;
      const program: WebGPUProgram = {
        variableNames: [],
        uniforms: 'offset : i32,',
        workgroupSize: [64, 1, 1],
        size: true,
        dispatchLayout: { x: [0] },
        dispatch: [Math.ceil(count / 64), 1, 1],
        outputShape: [count],
        shaderKey: 'alexnetInternalsFlat',
        getUserCode: () => `
          ${MAIN_FLAT} {
            if (index < uniforms.size) { result[index] = f32(index % 1000 + uniforms.offset); }
          }`,
      };
      const values = await run(program, [], [{ type: 'int32', data: [5] }]);
      expect(values.length).toBe(count);
      expect(values.every((v, i) => v === (i % 1000) + 5)).toBe(true);
    });

    it('keeps downloaded values in tensorMap, which forgetDownloadedValues drops after an in-place write', async () => {
      await tf.setBackend('webgpu');
      const backend = tf.backend() as WebGPUBackend;
      // Made on the GPU (small tensors would run on the CPU), then downloaded.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      const t = tf.tidy(() => tf.add(tf.range(0, 8), 1));
      tf.env().set('WEBGPU_CPU_FORWARD', true);
      expect(Array.from(await t.data())[7]).toBe(8);
      expect(backend.tensorMap.get(t.dataId)?.values).not.toBeNull();
      const program: WebGPUProgram = {
        variableNames: [],
        workgroupSize: [64, 1, 1],
        size: true,
        dispatchLayout: { x: [0] },
        dispatch: [1, 1, 1],
        outputShape: [8],
        shaderKey: 'alexnetInternalsInPlace',
        getUserCode: () => `${MAIN_FLAT} { if (index < uniforms.size) { result[index] = result[index] * 2.0; } }`,
      };
      runProgram(backend, program, [], [], t);
      // Without forgetting, the read answers from the stale download.
      expect(Array.from(await t.data())[7]).toBe(8);
      forgetDownloadedValues(backend, t);
      expect(Array.from(await t.data())[7]).toBe(16);
      t.dispose();
    });
  });
});
