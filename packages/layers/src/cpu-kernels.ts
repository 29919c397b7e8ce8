import * as tf from '@tensorflow/tfjs-core';

/**
 * Faster JavaScript kernels for TF.js's `cpu` backend, where its own are pathologically slow for AlexNet, and for
 * its `wasm` backend, which lacks them.
 *
 * `Conv2DBackpropFilter` (the weight gradient of a convolution) in tfjs-backend-cpu 4.22 indexes every element
 * through a generic buffer: one AlexNet V2 image takes about 160 s of it, against 2 s for the forward pass. The
 * kernel here walks the input once in memory order and accumulates outer products into the filter gradient,
 * skipping zero inputs (half of them after a ReLU); it is about 100x faster and gives the same sums.
 *
 * `BatchMatMul` on the wasm backend runs 20-60x slower when an operand is transposed (as in every linear layer's
 * backward pass) than when none is; the wrapper here transposes such operands explicitly (a fast wasm kernel)
 * and multiplies untransposed.
 */

interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

interface WasmBackendLike {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

/** The backends these kernels run on, and how each one's tensors are read and written. */
const BACKENDS = {
  cpu: {
    read: (backend: unknown, t: tf.TensorInfo) => (backend as CpuBackendLike).data.get(t.dataId).values as Float32Array,
    write: (backend: unknown, shape: number[], values: Float32Array) =>
      (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', values),
  },
  wasm: {
    read: (backend: unknown, t: tf.TensorInfo) => (backend as WasmBackendLike).typedArrayFromHeap(t),
    write: (backend: unknown, shape: number[], values: Float32Array) =>
      (backend as WasmBackendLike).makeOutput(shape, 'float32', undefined, values),
  },
} as const;

type BackendName = keyof typeof BACKENDS;

/** TF.js's own kernels that were replaced (the wasm backend has none), to put back on restore. */
const replaced = new Map<BackendName, tf.KernelConfig | null>();

/**
 * Registers the faster `Conv2DBackpropFilter` on TF.js's `cpu` backend (replacing its own) and on the `wasm`
 * backend (which has none, so training convolutions there fails without it), for those of the two that are
 * imported. Idempotent; undo with {@link restoreCpuKernels}.
 */
export function useFastCpuKernels(): void {
  let registered = 0;
  for (const name of Object.keys(BACKENDS) as BackendName[]) {
    if (!tf.findBackendFactory(name)) continue;
    registered += 1;
    if (replaced.has(name)) continue;
    const current = tf.getKernel('Conv2DBackpropFilter', name);
    replaced.set(name, current ?? null);
    if (current) tf.unregisterKernel('Conv2DBackpropFilter', name);
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: name,
      kernelFunc: (args) => conv2dBackpropFilter(args, name),
    });
  }
  if (tf.findBackendFactory('wasm')) useUntransposedWasmMatMul();
  if (registered === 0) {
    throw new Error(
      "Neither TF.js's cpu nor its wasm backend is registered: import '@tensorflow/tfjs-backend-cpu' first",
    );
  }
}

/** Puts TF.js's own kernels back. */
export function restoreCpuKernels(): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel('Conv2DBackpropFilter', name);
    if (original) tf.registerKernel(original);
  }
  replaced.clear();
  if (originalWasmMatMul) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(originalWasmMatMul);
    originalWasmMatMul = null;
  }
}

let originalWasmMatMul: tf.KernelConfig | null = null;

/** Wraps the wasm backend's BatchMatMul so transposed operands are transposed explicitly first. */
function useUntransposedWasmMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose || originalWasmMatMul) return;
  originalWasmMatMul = original;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    // The wasm kernel binds its WebAssembly function when the backend starts: keep that step.
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const backend = args.backend as { disposeData(dataId: object): void };
      const swapLast = (t: tf.TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
        return transpose.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      };
      const a2 = transposeA ? swapLast(a) : a;
      const b2 = transposeB ? swapLast(b) : b;
      const out = original.kernelFunc({
        inputs: { a: a2, b: b2 },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
      if (a2 !== a) backend.disposeData(a2.dataId);
      if (b2 !== b) backend.disposeData(b2.dataId);
      return out;
    },
  });
}

function conv2dBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  backendName: BackendName,
): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const original = replaced.get(backendName);
  if (attrs.dataFormat === 'NCHW') {
    if (!original) throw new Error('Conv2DBackpropFilter supports NHWC only on this backend');
    return original.kernelFunc(args as never) as tf.TensorInfo;
  }
  const io = BACKENDS[backendName];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
  );
  const xs = io.read(args.backend, x);
  const dys = io.read(args.backend, dy);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth - left + kw;
            if (iw < 0 || iw >= inWidth) continue;
            const xOffset = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wOffset = (kh * filterWidth + kw) * inChannels * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = xs[xOffset + c];
              if (xv === 0) continue;
              const row = wOffset + c * outChannels;
              for (let o = 0; o < outChannels; o++) dw[row + o] += xv * dys[dyOffset + o];
            }
          }
        }
      }
    }
  }
  return io.write(args.backend, [...attrs.filterShape], dw);
}
