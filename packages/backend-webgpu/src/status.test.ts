import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_GPU, STATUS, SWIFTSHADER } from '../test/gpu.js';
import {
  ADAPTER_ENV,
  BACKEND_NAME,
  disposeWebGpuBackend,
  listWebGpuAdapters,
  setWebGpuBackend,
  webGpuStatus,
} from './index.js';

describe.skipIf(NO_GPU)('the status of the adapter the tests run on', () => {
  it('describes an initialised backend: adapter, limits, features', () => {
    if (!STATUS.available) throw new Error(STATUS.reason);
    expect(STATUS.initialized).toBe(true);
    expect(STATUS.runtime).toBe('dawn');
    expect(STATUS.adapter.index).toBe(0);
    expect(STATUS.software).toBe(STATUS.adapter.software);
    expect(STATUS.features.all).toEqual([...STATUS.features.all].sort());
    expect(STATUS.features.subgroups).toBe(STATUS.features.all.includes('subgroups'));
    // WebGPU's guaranteed minimums (256 MiB, 128 MiB); TF.js asks the device for the adapter's maxima.
    expect(STATUS.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 2 ** 20);
    expect(STATUS.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    const device = (tf.findBackend(BACKEND_NAME) as WebGPUBackend).device;
    expect(device.limits.maxStorageBufferBindingSize).toBe(STATUS.limits.maxStorageBufferBindingSize);
    expect(device.features.has('timestamp-query')).toBe(STATUS.features.timestampQuery);
  });

  it.runIf(SWIFTSHADER)('on SwiftShader: a software, fallback adapter with 1 GiB buffers and subgroups', () => {
    if (!STATUS.available) throw new Error(STATUS.reason);
    expect(STATUS.software).toBe(true);
    expect(STATUS.adapter).toMatchObject({
      name: 'SwiftShader Device (Subzero)',
      backend: 'vulkan',
      vendor: 'google',
      architecture: 'swiftshader',
      fallback: true,
      software: true,
    });
    expect(STATUS.adapter.description).toMatch(/^SwiftShader driver/);
    expect(STATUS.limits.maxBufferSize).toBe(2 ** 30);
    expect(STATUS.limits.maxStorageBufferBindingSize).toBe(2 ** 30);
    expect(STATUS.features).toMatchObject({ subgroups: true, timestampQuery: true, shaderF16: false });
  });

  it("lists Dawn's adapters, the tests' first", async () => {
    if (!STATUS.available) throw new Error(STATUS.reason);
    const adapters = await listWebGpuAdapters();
    expect(adapters.length).toBeGreaterThanOrEqual(1);
    expect(adapters.map((a) => a.index)).toEqual(adapters.map((_, i) => i));
    expect(adapters[0]).toEqual(STATUS.adapter);
  });
});

describe.skipIf(NO_GPU)('choosing the adapter', () => {
  const saved = process.env[ADAPTER_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[ADAPTER_ENV];
    else process.env[ADAPTER_ENV] = saved;
  });
  const name = STATUS.available ? STATUS.adapter.name : '';
  const vendor = STATUS.available ? STATUS.adapter.vendor : '';

  it('by index, by a part of its name in any case, or by its vendor', async () => {
    for (const adapter of [0, '0', name.toUpperCase().slice(0, 6), vendor]) {
      const status = await webGpuStatus({ adapter });
      expect(status, JSON.stringify(adapter)).toMatchObject({ available: true, initialized: false, adapter: { name } });
    }
  });

  it(`from ${ADAPTER_ENV} when the option is not given`, async () => {
    process.env[ADAPTER_ENV] = 'no such adapter';
    const status = await webGpuStatus({});
    expect(status.available).toBe(false);
    if (status.available) return;
    expect(status.reason).toContain('no adapter "no such adapter" among the');
    // The list of adapters there are, to choose from.
    expect(status.reason).toContain(`0: ${name} (`);
    expect(await webGpuStatus({ adapter: 0 })).toMatchObject({ available: true });
  });

  it('says why when the index is out of range, the index is negative or Dawn refuses its flags', async () => {
    const count = (await listWebGpuAdapters()).length;
    expect(await webGpuStatus({ adapter: count })).toMatchObject({
      available: false,
      reason: expect.stringContaining(`no adapter ${count} among the ${count}`),
    });
    await expect(webGpuStatus({ adapter: -1 })).rejects.toThrow('adapter must be an index >= 0 or a name, got -1');
    expect(await webGpuStatus({ dawnFlags: ['backend=bogus'] })).toMatchObject({
      available: false,
      reason: expect.stringContaining("unrecognised backend 'bogus'"),
    });
  });

  it.runIf(SWIFTSHADER)('forceFallbackAdapter gives the fallback adapter', async () => {
    expect(await webGpuStatus({ forceFallbackAdapter: true })).toMatchObject({
      available: true,
      adapter: { fallback: true, software: true },
    });
  });
});

describe.skipIf(NO_GPU)('reading', () => {
  it('says to read asynchronously where dataSync cannot read the GPU (no OffscreenCanvas in Node.js)', async () => {
    const product = tf.matMul(tf.ones([2, 2]), tf.ones([2, 2]));
    expect(() => product.dataSync()).toThrow('use await tensor.data() or tensor.array()');
    expect(Array.from(await product.data())).toEqual([2, 2, 2, 2]);
    // Once read, the values are on the CPU too, and a synchronous read gives them.
    expect(Array.from(product.dataSync())).toEqual([2, 2, 2, 2]);
    product.dispose();
  });
});

describe.skipIf(NO_GPU)('disposal', () => {
  it('destroys the device, leaves TF.js on another backend, and opens a new device on the next setBackend', async () => {
    const first = tf.findBackend(BACKEND_NAME) as WebGPUBackend;
    const lost = first.device.lost;
    disposeWebGpuBackend();
    expect((await lost).reason).toBe('destroyed');
    expect(tf.getBackend()).not.toBe(BACKEND_NAME);
    expect(await webGpuStatus()).toMatchObject({ available: true, initialized: false });

    expect(await tf.setBackend(BACKEND_NAME)).toBe(true);
    const second = tf.findBackend(BACKEND_NAME) as WebGPUBackend;
    expect(second).not.toBe(first);
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data())).toEqual([4, 6]);
    expect(await setWebGpuBackend()).toMatchObject({ initialized: true });
    expect(tf.findBackend(BACKEND_NAME)).toBe(second);
  });
});
