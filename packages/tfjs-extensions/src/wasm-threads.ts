import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/**
 * TF.js's wasm backend turns its threads off under Node (tfjs issue 3830) and loads the single-threaded build. Its
 * threaded build works under Node once two things are fixed, both done here without patching the package:
 *
 * - Emscripten starts each pthread as a `worker_threads` Worker from the script `locateFile` names; TF.js names a
 *   `blob:` URL, which Node's Worker cannot load. Here it names a `data:` URL (a `URL` object, which Node's Worker
 *   accepts) of a small module that runs TF.js's worker script as the CommonJS code it is: nothing is written to
 *   disk.
 * - The C side sizes its thread pool from `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads a
 *   core), capped there whatever `setThreadsCount` asks for: on a 2-core machine, one thread. Here that import
 *   reports twice the threads asked for, so the pool has exactly that many.
 */

/** Largest pool: the threaded build pre-starts 8 workers. */
const MAX_THREADS = 8;
const THREADED_BINARY = 'tfjs-backend-wasm-threaded-simd';
/** Above cpu (1), the same as TF.js's own wasm registration. */
const WASM_PRIORITY = 2;

type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;
interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: Array<{ unref(): void }> };
}
interface WasmImports {
  env: Record<string, unknown>;
  [module: string]: unknown;
}

/**
 * Replaces the `wasm` backend's factory with one that starts TF.js's threaded SIMD build with `threads` threads
 * (default: the cores Node reports, at most 8). Call before `tf.setBackend('wasm')`; the kernels TF.js registered
 * for `wasm` are used as they are. Returns the thread count. Node only (`@alexnet/tfjs-extensions/node`).
 *
 * Engine internal: it replaces the factory with `tf.removeBackend` / `tf.registerBackend`, loads the Emscripten
 * build from `@tensorflow/tfjs-backend-wasm/wasm-out`, and repeats the C bridge TF.js's own start-up makes;
 * `internals.test.ts` checks the files, exports and imports it relies on.
 */
export async function registerThreadedWasm(threads = availableParallelism()): Promise<number> {
  const count = Math.max(1, Math.min(MAX_THREADS, Math.floor(threads)));
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const outDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factory = require(join(outDir, `${THREADED_BINARY}.js`)) as EmscriptenFactory;
  const workerPath = join(outDir, `${THREADED_BINARY}.worker.js`);
  const workerScript = workerModuleUrl(
    (require(workerPath) as { wasmWorkerContents: string }).wasmWorkerContents,
    workerPath,
  );
  const binary = join(outDir, `${THREADED_BINARY}.wasm`);

  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      // Emscripten waits for instantiateWasm's callback and never hears of a failure: race it against one.
      let failed: (error: unknown) => void = () => {};
      const failure = new Promise<never>((_, reject) => {
        failed = reject;
      });
      const starting = factory({
        locateFile: (file: string) => (file.endsWith('.worker.js') ? workerScript : join(outDir, file)),
        instantiateWasm(
          imports: WasmImports,
          receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
        ) {
          const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * count };
          WebAssembly.instantiate(readFileSync(binary), { ...imports, env }).then(
            ({ instance, module }) => receive(instance, module),
            failed,
          );
          return {};
        },
      });
      const module = await Promise.race([starting, failure]);
      // The same bridge TF.js's own init() sets up.
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      wasmPackage.setThreadsCount(count);
      const backend = new wasmPackage.BackendWasm(module as never);
      // The pool's threads wait for work for the life of the process; their workers must not keep it alive.
      for (const worker of module.PThread?.runningWorkers ?? []) worker.unref();
      return backend;
    },
    WASM_PRIORITY,
  );
  return count;
}

/**
 * The pthread worker as a `data:` URL: an ES module (how Node loads `data:` workers) that runs TF.js's worker
 * script with the `require` and `__filename` a CommonJS module would have (the script reads both: `require` for
 * `worker_threads` and `fs`, `__filename` as its `location`).
 */
function workerModuleUrl(contents: string, filename: string): URL {
  // TF.js escapes the newlines inside the script's string literals the same way before making its blob.
  const script = contents.replace(/\n/g, '\\n');
  const module = [
    "import { createRequire } from 'node:module';",
    `const filename = ${JSON.stringify(filename)};`,
    `new Function('require', '__filename', ${JSON.stringify(script)})(createRequire(filename), filename);`,
  ].join('\n');
  return new URL(`data:text/javascript;base64,${Buffer.from(module).toString('base64')}`);
}
