/**
 * The one file of this package that relies on how `@tensorflow/tfjs-backend-webgpu` **4.22** builds and runs a
 * program beyond its typed surface. The types (`WebGPUBackend`, `WebGPUProgram`, `runWebGPUProgram`,
 * `makeTensorInfo`, `disposeData`) are public; what a program's WGSL may assume about the text TF.js wraps around it
 * is not, and is written down here so that a TF.js upgrade is checked in one place (`webgpu-internals.test.ts` fails
 * by name when it changes):
 *
 * - TF.js compiles `getUserCode()` between its own prelude and an `_start` entry point. The prelude declares
 *   `var<private>` copies of the builtins, `localId`, `localIndex` (u32), `globalId`, `numWorkgroups` and
 *   `workgroupId` (vec3<u32>), which `_start` fills before calling the program's `main`.
 * - `main` takes no argument when `dispatchLayout` has a non-empty `y` or `z`, and `main(index : i32)` (the flat
 *   global index) otherwise (TF.js's unexported `getMainHeaderString`).
 * - The output binds as `result: array<f32>` (binding 0) and each of `variableNames` as `<name>: array<f32>`
 *   (bindings 1...), read-only.
 * - One uniform struct, `uniforms`: `NAN`, `INFINITY`, then `<name>Shape` / `<name>ShapeStrides` for each input
 *   (the name's first letter in lower case: an input `W` has `wShape`),
 *   `outShape` / `outShapeStrides` for the output, then `size : i32` when `program.size` is set (the output's
 *   element count), then the fields of `program.uniforms`, filled in order from the `programDefinedUniform` array
 *   given to `runWebGPUProgram` (each entry's length gives its WGSL alignment: 1 -> i32, 2 -> vec2<i32>).
 * - `program.dispatch` is used as given while every dimension is within `maxComputeWorkgroupsPerDimension`; a flat
 *   layout over the limit is folded into y and z (a flat program must then use the `index` argument, never
 *   `globalId.x`); a y or z layout over it is refused (an assertion), so such a program folds its own dispatch.
 * - The pipeline is cached by `shaderKey` plus the ranks, dtypes and variable names of the bindings: anything the
 *   WGSL text bakes in must be in `shaderKey`.
 * - The bind group layout comes from the compiled shader ('auto'): an input the WGSL never reads is left out of it
 *   and the dispatch fails validation (Dawn reports it asynchronously; the output keeps its old contents). Bind only
 *   what the shader reads.
 * - A read (`data()`) keeps the downloaded values in `tensorMap` and answers later reads from them: a kernel that
 *   writes a tensor's buffer in place must drop them ({@link forgetDownloadedValues}).
 * - `disposeData` of a tensor a recorded command still uses defers the buffer's release to the next submit; the
 *   buffer returns to the backend's pool (`tf.memory().numBytesInGPU` falls, `numBytesAllocatedInGPU` keeps it).
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type * as tf from '@tensorflow/tfjs-core';

/** The `@tensorflow/tfjs-backend-webgpu` minor version this file was written against. */
export const WEBGPU_INTERNALS_VERSION = '4.22';

/** A program's own uniforms, in the order its `uniforms` string declares them. */
export type ProgramUniforms = Array<{ type: 'int32' | 'uint32' | 'float32'; data: number[] }>;

/** The WGSL header of `main` for a program whose dispatch layout has a y or z part. */
export const MAIN_XYZ = 'fn main()';

/** The WGSL header of `main` for a program with a flat dispatch layout: `index` is the flat global index. */
export const MAIN_FLAT = 'fn main(index : i32)';

/**
 * Runs `program` on `backend` over `inputs` (bound, in order, as `program.variableNames`), into `output` when given
 * (its shape then sets `outShape`) or a new float32 tensor of `program.outputShape`.
 */
export function runProgram(
  backend: WebGPUBackend,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
  uniforms: ProgramUniforms,
  output?: tf.TensorInfo,
): tf.TensorInfo {
  return backend.runWebGPUProgram(program, inputs, 'float32', uniforms, output);
}

/** The largest storage buffer binding the backend's device allows, in bytes. */
export function maxStorageBinding(backend: WebGPUBackend): number {
  return backend.device.limits.maxStorageBufferBindingSize;
}

/** The most workgroups the backend's device allows along one dimension of a dispatch. */
export function maxWorkgroupsPerDimension(backend: WebGPUBackend): number {
  return backend.device.limits.maxComputeWorkgroupsPerDimension;
}

/**
 * Drops the values a read downloaded for `t` (TF.js keeps them in `tensorMap`, public in 4.22's `WebGPUBackend` type,
 * and answers the next read from them): needed after writing `t`'s GPU buffer in place.
 */
export function forgetDownloadedValues(backend: WebGPUBackend, t: tf.TensorInfo): void {
  const data = backend.tensorMap.get(t.dataId);
  if (data) data.values = null as unknown as typeof data.values;
}
