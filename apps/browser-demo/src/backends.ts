/**
 * The TF.js backends a page can run on, best first: WebGPU (through `@alexnet/tfjs-backend-webgpu`, on the
 * browser's `navigator.gpu`), WebGL, and the CPU backend (plain JavaScript, everywhere).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWebGpuBackend } from '@alexnet/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';

export const BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A backend in use, with the device it runs on as the browser names it. */
export interface BackendInUse {
  name: BackendName;
  device: string;
}

function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'WebGL2';
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** Makes `name` TF.js's backend, or throws why it cannot be used here. */
export async function useBackend(name: BackendName): Promise<BackendInUse> {
  if (name === 'webgpu') {
    const status = await setWebGpuBackend();
    const { vendor, architecture, device } = status.adapter;
    const label = [vendor, architecture, device].filter(Boolean).join(' ');
    return { name, device: `${label || 'WebGPU adapter'}${status.software ? ' (software)' : ''}` };
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not start its ${name} backend here`);
  await tf.ready();
  return { name, device: name === 'webgl' ? webglRenderer() : 'JavaScript' };
}

/** The first backend of `order` that starts; the reasons of those that did not are returned too. */
export async function bestBackend(
  order: readonly BackendName[] = BACKENDS,
): Promise<BackendInUse & { skipped: string[] }> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      return { ...(await useBackend(name)), skipped };
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TF.js backend started: ${skipped.join('; ')}`);
}
