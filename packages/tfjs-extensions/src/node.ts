/**
 * `@alexnet/tfjs-extensions/node`: the extensions that need Node.js built-ins, kept out of the main entry so that it
 * stays usable in browsers.
 *
 * @packageDocumentation
 * @module @alexnet/tfjs-extensions/node
 */

export { registerThreadedWasm } from './wasm-threads.js';
