/**
 * `@alexnet/torch-io/node`: the Node.js file helpers of `@alexnet/torch-io`, kept out of the main entry so that it
 * runs in browsers.
 *
 * @packageDocumentation
 * @module @alexnet/torch-io/node
 */
export { linkAtomically, writeAtomically } from './write-atomically.js';
