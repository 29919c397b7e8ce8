/**
 * The parity page: runs a weight file on an input on every backend this browser starts, and leaves the logits in
 * `window.parityResult` (and the page) for the headless-browser test to compare with PyTorch's.
 */
import { readWeights } from '@alexnet/models';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, type BackendName, useBackend } from './backends.js';
import { modelFor } from './model.js';

export interface BackendRun {
  backend: BackendName;
  /** The device as the browser names it, when the backend started. */
  device?: string;
  /** Why the backend did not run. */
  error?: string;
  logits?: number[];
  shape?: number[];
  ms?: number;
}

declare global {
  interface Window {
    parityResult?: { runs: BackendRun[] } | { error: string };
  }
}

async function bytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function run(): Promise<BackendRun[]> {
  const query = new URLSearchParams(location.search);
  const at = (name: string) => {
    const value = query.get(name);
    if (!value) throw new Error(`the page needs ?${name}=URL`);
    return new URL(value, location.href);
  };
  const file = await readWeights(at('weights'));
  const input = readSafetensors(await bytes(at('input'))).tensors.input;
  if (!input) throw new Error('the input file has no tensor named input');
  const backends = (query.get('backends')?.split(',') ?? BACKENDS) as BackendName[];
  const runs: BackendRun[] = [];
  for (const backend of backends) {
    console.info(`parity: ${backend}`);
    let device: string;
    try {
      device = (await useBackend(backend)).device;
    } catch (error) {
      runs.push({ backend, error: (error as Error).message });
      continue;
    }
    const model = modelFor(file);
    const start = performance.now();
    const logits = tf.tidy(() => {
      const nchw = tf.tensor4d(input.data as Float32Array, input.shape as [number, number, number, number]);
      return model.forward(tf.transpose(nchw, [0, 2, 3, 1]));
    });
    const data = await logits.data();
    runs.push({ backend, device, logits: Array.from(data), shape: logits.shape, ms: performance.now() - start });
    logits.dispose();
    model.dispose();
  }
  return runs;
}

const out = document.getElementById('result') as HTMLElement;
run().then(
  (runs) => {
    window.parityResult = { runs };
    out.textContent = runs
      .map((r) => `${r.backend}: ${r.error ?? `${r.device}, logits [${r.shape}] in ${r.ms?.toFixed(0)} ms`}`)
      .join('\n');
  },
  (error: Error) => {
    window.parityResult = { error: error.message };
    out.textContent = `error: ${error.message}`;
  },
);
