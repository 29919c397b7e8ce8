import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED_SGD_UPDATE, nativeBackendStatus, RELU_GRAD } from './index.js';
import { customKernelNames, nativeKernelConfigs } from './kernels/index.js';

const listed = nativeKernelConfigs.map((config) => config.kernelName);

describe('the one kernel list', () => {
  it("names each kernel once, for backend 'native', by a tfjs-core constant or one of this package's own", () => {
    expect(new Set(listed).size).toBe(listed.length);
    expect(nativeKernelConfigs.filter((config) => config.backendName !== 'native')).toEqual([]);
    // tfjs-core exports each kernel name as a constant of the same name (`export const Conv2D = 'Conv2D'`).
    const core = tf as unknown as Record<string, unknown>;
    expect(listed.filter((name) => core[name] !== name && !customKernelNames.includes(name))).toEqual([]);
    expect([...customKernelNames].sort()).toEqual([FUSED_SGD_UPDATE, RELU_GRAD].sort());
    for (const name of customKernelNames) {
      expect(core[name], name).toBeUndefined();
      expect(tf.getKernel(name, 'cpu'), name).toBeUndefined();
    }
  });

  it("registers exactly the listed kernels as its own for 'native', and every other one as the CPU backend's", () => {
    const cpu = new Map(tf.getKernelsForBackend('cpu').map((kernel) => [kernel.kernelName, kernel.kernelFunc]));
    const native = tf.getKernelsForBackend('native');
    const own = native.filter((kernel) => kernel.kernelFunc !== cpu.get(kernel.kernelName));
    expect(own.map((kernel) => kernel.kernelName).sort()).toEqual([...listed].sort());
    expect(native.map((kernel) => kernel.kernelName).sort()).toEqual([...new Set([...cpu.keys(), ...listed])].sort());
    for (const config of nativeKernelConfigs) {
      expect(tf.getKernel(config.kernelName, 'native')?.kernelFunc, config.kernelName).toBe(config.kernelFunc);
    }
    const status = nativeBackendStatus();
    expect(status.available && status.kernels).toEqual([...listed].sort());
  });
});
