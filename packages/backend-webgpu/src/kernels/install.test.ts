import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { webGpuKernelConfigs } from './index.js';
import { installDefaultWebGpuKernels, KERNELS_ENV, useWebGpuKernels, webGpuKernelSet } from './install.js';
import '../index.js';

afterEach(() => useWebGpuKernels('alexnet'));

describe('the kernel set', () => {
  it('is installed at import, and stock puts back the very kernels TF.js registered', () => {
    expect(webGpuKernelSet()).toBe('alexnet');
    const ours = webGpuKernelConfigs.map((c) => tf.getKernel(c.kernelName, 'webgpu')?.kernelFunc);
    expect(ours).toEqual(webGpuKernelConfigs.map((c) => c.kernelFunc));
    useWebGpuKernels('stock');
    expect(webGpuKernelSet()).toBe('stock');
    for (const config of webGpuKernelConfigs)
      expect(tf.getKernel(config.kernelName, 'webgpu')?.kernelFunc).not.toBe(config.kernelFunc);
    useWebGpuKernels('alexnet');
    for (const config of webGpuKernelConfigs)
      expect(tf.getKernel(config.kernelName, 'webgpu')?.kernelFunc).toBe(config.kernelFunc);
  });

  it('rejects an unknown set, and an unknown value of the environment variable by name', () => {
    expect(() => useWebGpuKernels('fast' as never)).toThrow(/expected 'alexnet' or 'stock', got "fast"/);
    process.env[KERNELS_ENV] = 'fastest';
    try {
      expect(() => installDefaultWebGpuKernels()).toThrow(
        /ALEXNET_WEBGPU_KERNELS must be 'alexnet' or 'stock', got 'fastest'/,
      );
    } finally {
      delete process.env[KERNELS_ENV];
    }
  });
});
