/**
 * What the implicit-GEMM convolution gradients share: the WGSL of a workgroup's tile product, the helpers that write
 * it, and the rule for which calls they take (the rest go to TF.js's own kernels).
 */
import * as tf from '@tensorflow/tfjs-core';

/** `count` lines from `line(i)`: the shader's fixed-size loops, unrolled. */
export const unroll = (count: number, line: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => line(i)).join('\n');

/** The components of a vec4, by index. */
export const LANES = ['x', 'y', 'z', 'w'];

/**
 * One K tile of the product: each invocation adds `tileA[kk][row] * tileB[kk][col]` (a vec4 of A's rows against a
 * vec4 of B's columns, 4x4 outputs in `acc`) for the tile's `tileK` terms, between the barriers that guard the tiles.
 */
export function tileProduct(tileK: number, groupM: number, groupN: number): string {
  return `workgroupBarrier();
          for (var kk = 0; kk < ${tileK}; kk = kk + 1) {
            let av = tileA[kk * ${groupM} + row];
            let bv = tileB[kk * ${groupN} + col];
            ${unroll(4, (i) => `acc[${i}] = fma(vec4<f32>(av.${LANES[i]}), bv, acc[${i}]);`)}
          }
          workgroupBarrier();`;
}

/** A convolution gradient's attributes as far as the choice of kernel goes. */
interface GradientAttrs {
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
}

const isOne = (d: number | [number, number] | undefined) =>
  d === undefined || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);

/**
 * Whether this package's gradient kernels take the call: NHWC float32 with dilation 1, which TF.js's convolution
 * gradient always asks for. NCHW, dilations and other dtypes go to TF.js's own kernel.
 */
export function takesConvGradient(attrs: GradientAttrs, inputs: tf.TensorInfo[]): boolean {
  return (
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat) === 'channelsLast' &&
    isOne(attrs.dilations) &&
    inputs.every((t) => t.dtype === 'float32')
  );
}
