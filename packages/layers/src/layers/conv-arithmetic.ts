/** A size given once for both spatial dimensions or as `[height, width]`. */
export type Pair = number | readonly [number, number];

/** `[height, width]` from a {@link Pair}. */
export function pair(value: Pair): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/**
 * The output side of a convolution or pooling window along one dimension, as PyTorch computes it
 * (floor mode): floor((size + 2 padding - kernel) / stride) + 1.
 */
export function slidingOutputSize(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Checks a `[h, w, c]` input and returns its output `[h, w]` for a sliding window, or throws naming the layer. */
export function slidingOutputShape(
  layer: string,
  inputShape: readonly number[],
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
): [number, number] {
  if (inputShape.length !== 3) {
    throw new Error(`${layer} expects a [height, width, channels] input, got [${inputShape.join(', ')}]`);
  }
  const out: [number, number] = [
    slidingOutputSize(inputShape[0], kernel[0], stride[0], padding[0]),
    slidingOutputSize(inputShape[1], kernel[1], stride[1], padding[1]),
  ];
  if (out[0] < 1 || out[1] < 1) {
    throw new Error(
      `${layer}: input ${inputShape[0]}x${inputShape[1]} is too small for a ${kernel[0]}x${kernel[1]} window ` +
        `with padding ${padding[0]}x${padding[1]} (needs at least ${kernel[0] - 2 * padding[0]}x${kernel[1] - 2 * padding[1]})`,
    );
  }
  return out;
}

/** TF.js padding for a symmetric `[ph, pw]`: explicit per-side amounts in NHWC order. */
export function explicitPadding(
  padding: [number, number],
): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  if (padding[0] === 0 && padding[1] === 0) return 'valid';
  return [
    [0, 0],
    [padding[0], padding[0]],
    [padding[1], padding[1]],
    [0, 0],
  ];
}
