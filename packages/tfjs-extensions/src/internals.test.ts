// The TF.js internals this package relies on, one check each, so that an upgrade of TF.js fails here, loudly and
// by name, instead of somewhere inside a training step. Every message says what changed and what uses it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MathBackendCPU, version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as wasmPackage from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hasFusedConv2DGradient } from './gradients/fused-conv2d.js';
import { installKernelPatches, restoreKernelPatches } from './kernels/patches.js';

const changed = (what: string, usedBy: string) => `TF.js changed: ${what} (used by ${usedBy})`;

describe('the TF.js internals @alexnet/tfjs-extensions relies on', () => {
  it('is TF.js 4.22.x, which every check below was written against', () => {
    for (const [name, version] of Object.entries({
      '@tensorflow/tfjs-core': tf.version_core,
      '@tensorflow/tfjs-backend-cpu': version_cpu,
      '@tensorflow/tfjs-backend-wasm': wasmPackage.version_wasm,
    })) {
      expect(version, changed(`${name} is ${version}, not 4.22.x: re-check this file`, 'the whole package')).toMatch(
        /^4\.22\./,
      );
    }
  });

  it("has the engine's tape: state.activeTape / gradientDepth, startTape / endTape / scopedRun, and its nodes", () => {
    const engine = tf.engine() as unknown as Record<string, unknown> & {
      state: Record<string, unknown>;
      scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
      startTape(): void;
      endTape(): void;
    };
    for (const method of ['scopedRun', 'startTape', 'endTape', 'tidy']) {
      expect(typeof engine[method], changed(`engine.${method} is not a function`, 'variableGrads')).toBe('function');
    }
    expect(engine.state.gradientDepth, changed('engine.state.gradientDepth is not 0 at rest', 'variableGrads')).toBe(0);
    const v = tf.variable(tf.tensor1d([1, -2, 3]), true, 'internals-tape');
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => tf.relu(v),
    );
    const tape = engine.state.activeTape as Array<Record<string, unknown>> | null;
    expect(Array.isArray(tape), changed('engine.state.activeTape is not kept after endTape()', 'variableGrads')).toBe(
      true,
    );
    const node = (tape as Array<Record<string, unknown>>).find((n) => n.kernelName === tf.Relu);
    expect(node, changed('a tape node has no kernelName', 'variableGrads')).toBeDefined();
    const { inputs, outputs, saved, gradient } = node as {
      inputs: Record<string, tf.Tensor>;
      outputs: tf.Tensor[];
      saved: tf.Tensor[];
      gradient: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    };
    expect(inputs?.x?.id, changed('tape node inputs are not { name: Tensor }', 'variableGrads')).toBe(v.id);
    expect(outputs?.[0]?.id, changed('tape node outputs are not Tensor[]', 'variableGrads')).toBe(y.id);
    expect(Array.isArray(saved), changed('tape node saved is not Tensor[]', 'variableGrads')).toBe(true);
    expect(
      typeof gradient,
      changed('tape node gradient is not (dys) => { input: () => Tensor }', 'variableGrads'),
    ).toBe('function');
    const dx = tf.tidy(() => gradient([tf.onesLike(y)]).x());
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 1]);
    tf.dispose([dx, y, v, ...saved]);
    engine.state.activeTape = null;
  });

  it("has the cpu backend's data map: backend.data.get(dataId).values, and makeTensorInfo", () => {
    const backend = tf.findBackend('cpu') as unknown as MathBackendCPU;
    const dataId = backend.write(new Float32Array([1, 2]), [2], 'float32');
    const entry = (backend.data as unknown as { get(id: object): { values?: unknown } | undefined }).get(dataId);
    expect(
      entry?.values,
      changed("the cpu backend's data.get(dataId).values is not the stored array", 'installCpuKernels'),
    ).toBeInstanceOf(Float32Array);
    expect(typeof backend.makeTensorInfo, changed('MathBackendCPU.makeTensorInfo is gone', 'installCpuKernels')).toBe(
      'function',
    );
    backend.disposeData(dataId);
  });

  it("has the cpu backend's private firstUse flag, set until the first write", () => {
    const backend = new MathBackendCPU();
    const flag = () => (backend as unknown as { firstUse?: unknown }).firstUse;
    expect(flag(), changed('MathBackendCPU has no firstUse flag set at construction', 'silenceTfjsNodeHint')).toBe(
      true,
    );
    backend.disposeData(backend.write(new Float32Array(1), [1], 'float32'));
    expect(flag(), changed('MathBackendCPU.write() no longer clears firstUse', 'silenceTfjsNodeHint')).toBe(false);
    backend.dispose();
  });

  it('has the wasm backend factory hook and the Emscripten build registerThreadedWasm starts', () => {
    for (const [name, fn] of Object.entries({
      findBackendFactory: tf.findBackendFactory,
      removeBackend: tf.removeBackend,
      registerBackend: tf.registerBackend,
    })) {
      expect(typeof fn, changed(`tf.${name} is gone`, 'registerThreadedWasm')).toBe('function');
    }
    expect(
      typeof tf.findBackendFactory('wasm'),
      changed('importing -wasm registers no wasm factory', 'registerThreadedWasm'),
    ).toBe('function');
    expect(typeof wasmPackage.BackendWasm, changed('BackendWasm is not exported', 'registerThreadedWasm')).toBe(
      'function',
    );
    expect(typeof wasmPackage.setThreadsCount, changed('setThreadsCount is not exported', 'registerThreadedWasm')).toBe(
      'function',
    );
    const require = createRequire(import.meta.url);
    const outDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
    const build = 'tfjs-backend-wasm-threaded-simd';
    expect(
      typeof require(join(outDir, `${build}.js`)),
      changed(`wasm-out/${build}.js is not a factory`, 'registerThreadedWasm'),
    ).toBe('function');
    const main = readFileSync(join(outDir, `${build}.js`), 'utf8');
    for (const hook of [`locateFile("${build}.worker.js")`, 'new Worker(pthreadMainJs)', 'instantiateWasm']) {
      expect(main.includes(hook), changed(`${build}.js no longer contains ${hook}`, 'registerThreadedWasm')).toBe(true);
    }
    const worker = (require(join(outDir, `${build}.worker.js`)) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
    expect(
      typeof worker,
      changed(`${build}.worker.js exports no wasmWorkerContents string`, 'registerThreadedWasm'),
    ).toBe('string');
    // The data: URL wrapper gives the worker script require and __filename, as a CommonJS module has: nothing else.
    expect(
      /\b(__dirname|module\.exports|exports\.)/.test(worker as string),
      changed('the worker script reads more than require and __filename', 'registerThreadedWasm'),
    ).toBe(false);
    const wasm = new WebAssembly.Module(readFileSync(join(outDir, `${build}.wasm`)));
    const imports = WebAssembly.Module.imports(wasm).map((i) => `${i.module}.${i.name}`);
    expect(
      imports,
      changed('the threaded build no longer imports env.emscripten_num_logical_cores', 'registerThreadedWasm'),
    ).toContain('env.emscripten_num_logical_cores');
    const exports = WebAssembly.Module.exports(wasm).map((e) => e.name);
    for (const name of [
      'init',
      'init_with_threads_count',
      'get_threads_count',
      'register_tensor',
      'dispose_data',
      'dispose',
    ]) {
      expect(exports, changed(`the threaded build no longer exports ${name}`, 'registerThreadedWasm')).toContain(name);
    }
  });

  it('has the wasm kernels installWasmKernels replaces (with setupFunc), and no wasm Conv2DBackpropFilter', () => {
    restoreKernelPatches();
    try {
      for (const name of [tf.BatchMatMul, tf.Conv2DBackpropInput, tf.Conv2D, tf.Transpose]) {
        expect(
          typeof tf.getKernel(name, 'wasm')?.setupFunc,
          changed(`the wasm ${name} kernel has no setupFunc`, 'installWasmKernels'),
        ).toBe('function');
      }
      expect(
        tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'),
        changed('the wasm backend now has a Conv2DBackpropFilter', 'installWasmKernels'),
      ).toBeUndefined();
      expect(
        tf.getKernel(tf.Conv2DBackpropFilter, 'cpu'),
        changed('the cpu backend has no Conv2DBackpropFilter', 'installCpuKernels'),
      ).toBeDefined();
    } finally {
      installKernelPatches();
    }
  });

  it("registers no FusedConv2D gradient of its own (so registerGradients() installed this package's)", () => {
    expect(
      hasFusedConv2DGradient(),
      changed("a FusedConv2D gradient was registered before this package's", 'registerFusedConv2DGradient, Conv2d'),
    ).toBe(true);
  });
});
