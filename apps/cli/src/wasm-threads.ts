import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeAtomically } from '@alexnet/torch-io/node';
import * as tf from '@tensorflow/tfjs-core';

/**
 * TF.js's wasm backend turns its threads off under Node (tfjs issue 3830) and loads the single-threaded build. Its
 * threaded build works under Node once two things are fixed, both done here without patching the package:
 *
 * - Emscripten starts each pthread as a `worker_threads` Worker from the script `locateFile` names; TF.js names a
 *   `blob:` URL, which Node's Worker cannot load. Here the script is written to a file once (named by its hash).
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
 * for `wasm` are used as they are. Returns the thread count (1 where the worker script cannot be written: TF.js's own
 * single-threaded start-up is kept).
 */
export async function registerThreadedWasm(threads = availableParallelism()): Promise<number> {
  const count = Math.max(1, Math.min(MAX_THREADS, Math.floor(threads)));
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const outDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factory = require(join(outDir, `${THREADED_BINARY}.js`)) as EmscriptenFactory;
  let workerScript: string;
  try {
    workerScript = await writeWorkerScript(
      (require(join(outDir, `${THREADED_BINARY}.worker.js`)) as { wasmWorkerContents: string }).wasmWorkerContents,
    );
  } catch (error) {
    // No writable temporary folder: TF.js's own single-threaded wasm still works.
    process.emitWarning(`wasm threads are off: ${(error as Error).message}`, { code: 'ALEXNET_WASM_THREADS' });
    return 1;
  }
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

/** The pthread worker script as a file (Node's Worker loads files, not blobs); written once, atomically. */
async function writeWorkerScript(contents: string): Promise<string> {
  // TF.js escapes the newlines inside the script's string literals the same way before making its blob.
  const script = contents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `alexnet-tfjs-wasm-worker-${hash}.cjs`);
  if (!existsSync(file)) await writeAtomically(file, script);
  return file;
}
