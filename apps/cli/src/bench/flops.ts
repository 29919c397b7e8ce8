/**
 * Floating-point operations of one TF.js kernel call, from the shapes `tf.profile` records for it (`inputShapes` in
 * the order the op passes its inputs, `outputShapes`); tf.profile keeps no attributes, and none are needed: a
 * convolution's work is fixed by its filter and its output's (or, for the gradients, dy's) spatial size, whatever the
 * strides, padding and dilation that produced them. A multiply-add counts 2. Bias and activation are left out
 * (O(output), not O(output x depth)). Undefined for kernels whose work is not a matrix product.
 */

type Shape = number[] | null | undefined;

const product = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** 2 x (output pixels: N x H x W of y or dy) x kH x kW x inC x outC: every output value sums kH x kW x inC products. */
function convFlops(spatial: Shape, filter: Shape): number | undefined {
  if (spatial?.length !== 4 || filter?.length !== 4) return undefined;
  return 2 * spatial[0] * spatial[1] * spatial[2] * product(filter);
}

/**
 * 2 x batch x M x N x K for out = a x b of shape [..., M, N]. K is a's size per batch over M, so it is right whether
 * or not a was transposed (tf.profile does not say).
 */
function matMulFlops(a: Shape, out: Shape): number | undefined {
  if (!a || a.length < 2 || !out || out.length < 2) return undefined;
  const m = out[out.length - 2];
  const aBatch = product(a.slice(0, -2));
  if (m === 0 || aBatch === 0) return 0;
  const k = product(a) / aBatch / m;
  return 2 * product(out) * k;
}

export function kernelFlops(name: string, inputShapes: Shape[], outputShapes: Shape[]): number | undefined {
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': // inputs x, filter[, bias, prelu weights]
      return convFlops(outputShapes[0], inputShapes[1]);
    case 'Conv2DBackpropInput': // inputs dy, filter
      return convFlops(inputShapes[0], inputShapes[1]);
    case 'Conv2DBackpropFilter': // inputs x, dy; output the filter's gradient
      return convFlops(inputShapes[1], outputShapes[0]);
    case 'BatchMatMul':
    case '_FusedMatMul': // inputs a, b[, bias, prelu weights]
      return matMulFlops(inputShapes[0], outputShapes[0]);
    default:
      return undefined;
  }
}
