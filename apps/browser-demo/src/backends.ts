/**
 * The TF.js backends a page can run on, best first: WebGPU (through `@alexnet/tfjs-backend-webgpu`, on the
 * browser's `navigator.gpu`), WebGL, and the CPU backend (plain JavaScript, everywhere). Chosen automatically, a GPU
 * backend that runs in software (SwiftShader, a fallback adapter: what headless browsers and machines without a GPU
 * offer) is passed over, as the CLI's `--backend auto` does: it is far slower than plain JavaScript (see the
 * package README for a full-size checkpoint tried once by hand).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWebGpuBackend, webGpuStatus } from '@alexnet/tfjs-backend-webgpu';
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

/** Renderers that are CPU emulations of a GPU. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

/**
 * Makes `name` TF.js's backend, or throws why it cannot be used here. With `hardwareOnly`, a WebGPU adapter or
 * WebGL renderer that runs in software is refused (before a WebGPU device is created).
 */
export async function useBackend(name: BackendName, hardwareOnly = false): Promise<BackendInUse> {
  if (name === 'webgpu') {
    if (hardwareOnly) {
      const found = await webGpuStatus();
      if (found.available && found.software) {
        throw new Error(`its adapter (${found.adapter.description || found.adapter.architecture}) runs in software`);
      }
    }
    const status = await setWebGpuBackend();
    const { vendor, architecture, device } = status.adapter;
    const label = [vendor, architecture, device].filter(Boolean).join(' ');
    return { name, device: `${label || 'WebGPU adapter'}${status.software ? ' (software)' : ''}` };
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not start its ${name} backend here`);
  await tf.ready();
  const device = name === 'webgl' ? webglRenderer() : 'JavaScript';
  if (hardwareOnly && name === 'webgl' && SOFTWARE_RENDERER.test(device)) {
    throw new Error(`it renders in software (${device})`);
  }
  return { name, device };
}

/**
 * The first backend of `order` that starts; the reasons of those that did not are returned too. With `hardwareOnly`
 * (the page's automatic choice), GPU backends that run in software are passed over; the last of `order` is taken
 * whatever it runs on.
 */
export async function bestBackend(
  order: readonly BackendName[] = BACKENDS,
  hardwareOnly = false,
): Promise<BackendInUse & { skipped: string[] }> {
  const skipped: string[] = [];
  for (const [i, name] of order.entries()) {
    try {
      return { ...(await useBackend(name, hardwareOnly && i < order.length - 1)), skipped };
    } catch (error) {
      skipped.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TF.js backend started: ${skipped.join('; ')}`);
}
