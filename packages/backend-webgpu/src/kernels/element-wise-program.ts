import { type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { MAIN_FLAT } from './webgpu-internals.js';

/** What an element-wise program needs: its name for the pipeline cache, its inputs and the body of its loop. */
export interface ElementWiseSpec {
  /**
   * Names the compiled pipeline: TF.js caches one per key and input/output shapes, so everything that changes the
   * WGSL text (not the uniforms' values) must be in it.
   */
  shaderKey: string;
  /** The inputs, bound read-only as `array<f32>` under these names in the order the kernel passes them. */
  variableNames: string[];
  outputShape: number[];
  /** Extra uniform fields, WGSL struct syntax (`lr : f32, momentum : f32,`), filled by the kernel in this order. */
  uniforms?: string;
  /**
   * WGSL run for each flat `index` below the output's size. It reads the inputs by name (`G[index]`) and reads and
   * writes the output as `result[index]`; the output can be a tensor updated in place, so `result` may hold its old
   * value.
   */
  body: string;
}

/** Elements each invocation of the flat workgroup handles: 256 lanes, one element each. */
const WORKGROUP_SIZE = 256;

/**
 * An element-wise WebGPU program in the shape TF.js 4.22's `runWebGPUProgram` compiles (its public
 * `WebGPUProgram` type): the wrapper declares `result`, the inputs, the uniforms (with `size`) and the entry point,
 * which calls `main` with the flat index (`webgpu-internals.ts` says what else it assumes). Writing the loop on flat arrays, not TF.js's per-coordinate getters, keeps
 * each kernel one pass over memory.
 */
export function elementWiseProgram(spec: ElementWiseSpec): WebGPUProgram {
  const dispatchLayout = webgpu_util.flatDispatchLayout(spec.outputShape);
  const workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  return {
    shaderKey: spec.shaderKey,
    variableNames: spec.variableNames,
    outputShape: spec.outputShape,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, spec.outputShape, workgroupSize),
    workgroupSize,
    size: true,
    ...(spec.uniforms ? { uniforms: spec.uniforms } : {}),
    getUserCode: () => `
      ${MAIN_FLAT} {
        if (index < uniforms.size) {
          ${spec.body}
        }
      }`,
  };
}
