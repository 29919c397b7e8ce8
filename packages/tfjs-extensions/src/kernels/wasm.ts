import * as tf from '@tensorflow/tfjs-core';

/**
 * Convolution gradients and transposed matrix products for TF.js's `wasm` backend, rewritten from its fast kernels.
 *
 * The wasm backend's forward `Conv2D` (XNNPACK, about 40 GFLOP/s a thread here) and untransposed `BatchMatMul` are
 * fast; what training needs besides is slow or missing: `BatchMatMul` with a transposed operand runs at 0.6-1.9
 * GFLOP/s, `Conv2DBackpropInput` at about 2.6, and `Conv2DBackpropFilter` is not registered at all. Both
 * convolution gradients are convolutions themselves, so each is computed here by the forward kernel on rearranged
 * operands, and a transposed operand is transposed explicitly (a fast kernel) before an untransposed product.
 *
 * - Input gradient: the output gradient, spread by the stride (zeros between its rows and columns) and padded by
 *   `kernel - 1 - pad`, convolved with the filter rotated 180 degrees and its channel axes swapped.
 * - Filter gradient: with the input's channels as the batch and its batch as the channels, the input convolved
 *   with the output gradient as the filter, dilated by the stride.
 *
 * Engine internal: each replacement keeps the replaced kernel's `setupFunc` (a wasm kernel binds its WebAssembly
 * function when the backend starts) and calls the backend's other kernels through the kernel registry.
 */

type Attrs = Record<string, unknown>;
interface WasmBackendLike {
  disposeData(dataId: object): void;
}
interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The wasm kernels replaced here (null where the backend had none), to put back on restore. */
const replaced = new Map<string, tf.KernelConfig | null>();

/**
 * Registers `BatchMatMul`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` above on TF.js's `wasm` backend, where it
 * is imported (otherwise it does nothing). Idempotent; undo with {@link restoreWasmKernels}.
 */
export function installWasmKernels(): void {
  if (!tf.findBackendFactory('wasm') || replaced.size > 0) return;
  replace(tf.BatchMatMul, batchMatMul);
  replace(tf.Conv2DBackpropInput, conv2dBackpropInput);
  replace(tf.Conv2DBackpropFilter, conv2dBackpropFilter);
}

/** Puts the wasm backend's own kernels back (it has no `Conv2DBackpropFilter` of its own). */
export function restoreWasmKernels(): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    if (original) tf.registerKernel(original);
  }
  replaced.clear();
}

type KernelBody = (ops: Ops, inputs: tf.NamedTensorInfoMap, attrs: Attrs) => tf.TensorInfo;

function replace(kernelName: string, body: KernelBody): void {
  const original = tf.getKernel(kernelName, 'wasm') ?? null;
  replaced.set(kernelName, original);
  if (original) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    // A wasm kernel binds its WebAssembly function when the backend starts: keep that step.
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const ops = new Ops(backend as WasmBackendLike, original);
      try {
        return body(ops, inputs, (attrs ?? {}) as Attrs);
      } finally {
        ops.disposeTemporaries();
      }
    },
  });
}

/** Runs wasm kernels on one backend and frees what they made, except the result. */
class Ops {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(
    private readonly backend: WasmBackendLike,
    /** The kernel being replaced, for the cases the rewrite does not cover. */
    readonly original: tf.KernelConfig | null,
  ) {}

  /** Calls a wasm kernel; its output is freed after the kernel unless it is the one returned. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs): tf.TensorInfo {
    const kernel = kernelName === this.original?.kernelName ? this.original : tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`The wasm backend has no ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: this.backend as never });
    this.temporaries.push(out as tf.TensorInfo);
    return out as tf.TensorInfo;
  }

  /** Marks `result` as the kernel's output (not freed) and returns it. */
  keep(result: tf.TensorInfo): tf.TensorInfo {
    this.temporaries.splice(this.temporaries.indexOf(result), 1);
    return result;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  disposeTemporaries(): void {
    for (const t of this.temporaries) this.backend.disposeData(t.dataId);
    this.temporaries.length = 0;
  }
}

function batchMatMul(ops: Ops, inputs: tf.NamedTensorInfoMap, attrs: Attrs): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const swapLast = (t: tf.TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return ops.transpose(t, perm);
  };
  const out = ops.run(
    tf.BatchMatMul,
    { a: attrs.transposeA ? swapLast(a) : a, b: attrs.transposeB ? swapLast(b) : b },
    { ...attrs, transposeA: false, transposeB: false },
  );
  return ops.keep(out);
}

/** Stride, padding and sizes of the forward convolution whose gradient is asked for. */
function forwardGeometry(inputShape: number[], filterShape: number[], attrs: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
  );
}

function conv2dBackpropInput(ops: Ops, inputs: tf.NamedTensorInfoMap, attrs: Attrs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const conv = attrs as unknown as ConvAttrs & { inputShape: number[] };
  const info = forwardGeometry(conv.inputShape, filter.shape, conv);
  const { batchSize, outHeight, outWidth, outChannels, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw, inHeight, inWidth } = info;
  const { top, left } = info.padInfo;
  if (conv.dataFormat === 'NCHW' || top > kh - 1 || left > kw - 1) return fallback(ops, inputs, attrs);

  // The output gradient with (stride - 1) zeros after each row and column: a 6-D pad, then a reshape.
  let spread = dy;
  if (sh > 1 || sw > 1) {
    const split = ops.run(tf.Reshape, { x: dy }, { shape: [batchSize, outHeight, 1, outWidth, 1, outChannels] });
    const padded = ops.run(
      tf.PadV2,
      { x: split },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    spread = ops.run(tf.Reshape, { x: padded }, { shape: [batchSize, outHeight * sh, outWidth * sw, outChannels] });
  }
  // Rows before and after so that a stride-1 valid convolution gives inHeight rows; negative: rows to drop.
  const before = [kh - 1 - top, kw - 1 - left];
  const after = [inHeight + kh - 1 - before[0] - outHeight * sh, inWidth + kw - 1 - before[1] - outWidth * sw];
  if (after[0] < 0 || after[1] < 0) {
    spread = ops.run(
      tf.Slice,
      { x: spread },
      {
        begin: [0, 0, 0, 0],
        size: [batchSize, outHeight * sh + Math.min(0, after[0]), outWidth * sw + Math.min(0, after[1]), outChannels],
      },
    );
  }
  const rotated = ops.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
  const flipped = ops.transpose(rotated, [0, 1, 3, 2]);
  const dx = ops.run(
    tf.Conv2D,
    { x: spread, filter: flipped },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [
        [0, 0],
        [before[0], Math.max(0, after[0])],
        [before[1], Math.max(0, after[1])],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  return ops.keep(dx);
}

function conv2dBackpropFilter(ops: Ops, inputs: tf.NamedTensorInfoMap, attrs: Attrs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const conv = attrs as unknown as ConvAttrs & { filterShape: number[] };
  if (conv.dataFormat === 'NCHW') return fallback(ops, inputs, attrs);
  const info = forwardGeometry(x.shape, conv.filterShape, conv);
  const { filterHeight: kh, filterWidth: kw, inChannels, outChannels } = info;
  const { top, bottom, left, right } = info.padInfo;
  // Input channels become the batch and the batch the channels; the output gradient becomes the filter.
  const channelsFirst = ops.transpose(x, [3, 1, 2, 0]);
  const asFilter = ops.transpose(dy, [1, 2, 0, 3]);
  const grad = ops.run(
    tf.Conv2D,
    { x: channelsFirst, filter: asFilter },
    {
      strides: [1, 1],
      dilations: [info.strideHeight, info.strideWidth],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  // Rows and columns the forward pass never reached (its padding left a remainder) come out as extra: drop them.
  const exact =
    grad.shape[1] === kh && grad.shape[2] === kw
      ? grad
      : ops.run(tf.Slice, { x: grad }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] });
  return ops.keep(ops.transpose(exact, [1, 2, 0, 3]));
}

function fallback(ops: Ops, inputs: tf.NamedTensorInfoMap, attrs: Attrs): tf.TensorInfo {
  if (!ops.original) throw new Error('This convolution gradient supports NHWC only on the wasm backend');
  return ops.keep(ops.run(ops.original.kernelName, inputs, attrs));
}
