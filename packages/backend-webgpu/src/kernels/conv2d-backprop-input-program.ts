/**
 * The WGSL of this package's Conv2DBackpropInput: the input gradient of an NHWC convolution (dilation 1) as an
 * implicit GEMM, one GEMM per stride phase.
 *
 * `dx[b, ih, iw, ci] = sum over (kh, kw, co) of dy[b, oh, ow, co] * W[kh, kw, ci, co]`, where
 * `oh = (ih + padTop - kh) / strideH` and `ow = (iw + padLeft - kw) / strideW` count only where the divisions are exact
 * and land inside dy. Taken as it stands, that is a GEMM with `M = batch*IH*IW`, `N = Cin`, `K = KH*KW*Cout`, but with
 * stride `s` only about one `(kh, kw)` in `s*s` hits a given dx pixel (AlexNet's conv1, 11x11 at stride 4: 9 of 121 at
 * most), so most of `K` would be zeros multiplied in. Which `kh` hit depends only on `(ih + padTop) mod strideH`, the
 * pixel's *phase*: the pixels of one phase `(rh, rw)` are a strided sub-image (`ih = ihStart + strideH*jh`), hit by
 * exactly the kernel taps `kh = rh + strideH*th`, `kw = rw + strideW*tw`, with `oh = oh0 + jh - th` (`oh0` fixed per
 * phase). So each phase is a dense GEMM of its own:
 *
 * - `M_p = batch*IHp*IWp` rows (`m = (b*IHp + jh)*IWp + jw`), `N = Cin` columns, and
 * - `K_p = KHp*KWp*Cout` terms (`k = (th*KWp + tw)*Cout + co`: Cout innermost, which is contiguous in dy and in W),
 * - `A[m, k] = dy[b, oh0 + jh - th, ow0 + jw - tw, co]` gathered on the fly (zero outside dy: the padding and the
 *   image's edges), `B[k, n] = W[rh + strideH*th, rw + strideW*tw, n, co]` (W with its last two axes swapped).
 *
 * All phases run in one dispatch (the phase is part of the workgroup's y); a phase with no tap (a kernel smaller than
 * its stride) writes zeros. Every dx element belongs to exactly one phase, so each is written once, and no
 * multiplication by a structural zero is done. Stride 1 is the single phase `(0, 0)`.
 *
 * Each workgroup of 16x16 invocations computes one 64x64 tile of a phase's `C`, 4x4 values an invocation; the tiles
 * of `A` and `B` go through workgroup memory 16 terms of `K` at a time. `M` is large wherever the input gradient is
 * needed in training (AlexNet's conv2 at batch 128: 93,312 rows), so there is no split of `K`: the dispatch has
 * hundreds to thousands of workgroups as it is, and each sums its whole `K` (at most a few thousand terms) itself.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { MAIN_XYZ } from './webgpu-internals.js';

/** Rows (`M`, dx pixels of one phase) of `C` a workgroup computes. */
export const TILE_M = 64;
/** Columns (`N`, input channels) of `C` a workgroup computes. */
export const TILE_N = 64;
/** Terms of `K` staged through workgroup memory per step. */
export const TILE_K = 16;
/** Outputs an invocation computes along `M` and along `N`: 16x16 invocations cover a 64x64 tile. */
const PER_INVOCATION = 4;
const GROUP_M = TILE_M / PER_INVOCATION;
const GROUP_N = TILE_N / PER_INVOCATION;
/** A dispatch dimension WebGPU guarantees (`maxComputeWorkgroupsPerDimension`'s default and minimum). */
export const MAX_DISPATCH = 65535;

/** The size of one stride phase's GEMM, along one spatial axis. */
export interface PhaseAxis {
  /** First pixel of the phase (`(start + pad) mod stride == phase`). */
  start: number;
  /** Pixels of the phase. */
  pixels: number;
  /** Kernel taps of the phase (`tap = phase + stride*t < kernel`). */
  taps: number;
}

/** One spatial axis of stride phase `phase`; the shader computes the same (`phaseAxis` in the WGSL). */
export function phaseAxis(phase: number, stride: number, pad: number, inSize: number, kernel: number): PhaseAxis {
  const start = (((phase - pad) % stride) + stride) % stride;
  const pixels = start < inSize ? Math.ceil((inSize - start) / stride) : 0;
  const taps = phase < kernel ? Math.ceil((kernel - phase) / stride) : 0;
  return { start, pixels, taps };
}

/** How the GEMMs are cut into workgroups. */
export interface BackpropInputPlan {
  /** Stride phases (`strideH*strideW`), one GEMM each. */
  phases: number;
  /** The largest phase's `M` (`batch*ceil(IH/strideH)*ceil(IW/strideW)`): every phase gets this many rows of tiles. */
  maxM: number;
  /** `Cin`. */
  n: number;
  /** The largest phase's `K` (`ceil(KH/strideH)*ceil(KW/strideW)*Cout`). */
  maxK: number;
  /** Sum of the phases' `M*K` over `M*K` of the dense GEMM (`batch*IH*IW` by `KH*KW*Cout`): the work kept. */
  workKept: number;
  /** Tiles along `M` per phase. */
  tilesM: number;
  /** Tiles along `N`. */
  tilesN: number;
  /** The dispatch: x and z carry the `M` tile (`x + z*dispatch[0]`), y the `N` tile and the phase. */
  dispatch: [number, number, number];
}

/**
 * The plan for an NHWC input gradient of `inShape` from `dyShape` through an HWIO filter of `filterShape`. More than
 * `maxDispatch` tiles along `M` (TF.js refuses a y or z dispatch over the device's limit, and folds only flat ones)
 * are folded into the dispatch's x and z.
 */
export function planBackpropInput(
  inShape: readonly number[],
  filterShape: readonly number[],
  dyShape: readonly number[],
  strides: [number, number],
  pads: [number, number],
  maxDispatch = MAX_DISPATCH,
): BackpropInputPlan {
  const [batch, inH, inW, inC] = inShape;
  const [kH, kW] = filterShape;
  const outC = dyShape[3];
  const phases = strides[0] * strides[1];
  const maxM = batch * Math.ceil(inH / strides[0]) * Math.ceil(inW / strides[1]);
  const maxK = Math.ceil(kH / strides[0]) * Math.ceil(kW / strides[1]) * outC;
  let kept = 0;
  for (let rh = 0; rh < strides[0]; rh++)
    for (let rw = 0; rw < strides[1]; rw++) {
      const h = phaseAxis(rh, strides[0], pads[0], inH, kH);
      const w = phaseAxis(rw, strides[1], pads[1], inW, kW);
      kept += batch * h.pixels * w.pixels * h.taps * w.taps * outC;
    }
  const dense = batch * inH * inW * kH * kW * outC;
  const tilesM = Math.max(1, Math.ceil(maxM / TILE_M));
  const tilesN = Math.max(1, Math.ceil(inC / TILE_N));
  const folds = Math.ceil(tilesM / maxDispatch);
  const dispatch: [number, number, number] = [Math.ceil(tilesM / folds), tilesN * phases, folds];
  return { phases, maxM, n: inC, maxK, workKept: dense === 0 ? 0 : kept / dense, tilesM, tilesN, dispatch };
}

/** `count` lines from `line(i)`: the shader's fixed-size loops, unrolled. */
const unroll = (count: number, line: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => line(i)).join('\n');
const LANES = ['x', 'y', 'z', 'w'];

/**
 * One 64x64 tile of one phase's `C` per workgroup; writes dx (`[batch, IH, IW, Cin]`) directly, every element once.
 *
 * Uniforms: `pads` (top, left), `strides` (height, width), `tilesN` (workgroups along `N`, to split y into the `N`
 * tile and the phase). A workgroup past its phase's rows (a smaller phase, or a folded dispatch's extra ones) does
 * nothing.
 */
export class Conv2DBackpropInputGemmProgram implements WebGPUProgram {
  variableNames = ['dy', 'w'];
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, tilesN : i32,';
  workgroupSize: [number, number, number] = [GROUP_N * GROUP_M, 1, 1];
  // Only its shape matters to TF.js (a y or z part: `main()` without an argument); the dispatch is given.
  dispatchLayout = { x: [1, 2], y: [3], z: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'alexnetConv2DBackpropInputGemm_64x64x16';

  constructor(inShape: number[], plan: BackpropInputPlan) {
    this.outputShape = inShape;
    this.dispatch = plan.dispatch;
  }

  getUserCode(): string {
    return `
      // [k][m / 4] and [k][n / 4]: a 16-term slab of A's and of B's tile.
      var<workgroup> tileA : array<vec4<f32>, ${TILE_K * GROUP_M}>;
      var<workgroup> tileB : array<vec4<f32>, ${TILE_K * GROUP_N}>;
      // The number of K tiles of this workgroup's phase. It comes from workgroupId, which TF.js copies into a private
      // variable, so WGSL's uniformity analysis cannot tell that it is the same for the whole workgroup: read through
      // workgroupUniformLoad, it may bound the loop around the barriers (each phase runs its own count, not the
      // largest phase's).
      var<workgroup> phaseTilesK : i32;

      // One spatial axis of a stride phase: (first pixel, pixels, kernel taps), as phaseAxis() in TypeScript.
      fn phaseAxis(phase : i32, stride : i32, pad : i32, inSize : i32, kernel : i32) -> vec3<i32> {
        let start = (((phase - pad) % stride) + stride) % stride;
        var pixels = 0;
        if (start < inSize) { pixels = (inSize - start + stride - 1) / stride; }
        var taps = 0;
        if (phase < kernel) { taps = (kernel - phase + stride - 1) / stride; }
        return vec3<i32>(start, pixels, taps);
      }

      ${MAIN_XYZ} {
        let tid = i32(localIndex);
        let batch = uniforms.outShape[0];
        let inH = uniforms.outShape[1];
        let inW = uniforms.outShape[2];
        let inC = uniforms.outShape[3];
        let outH = uniforms.dyShape[1];
        let outW = uniforms.dyShape[2];
        let outC = uniforms.dyShape[3];
        let kH = uniforms.wShape[0];
        let kW = uniforms.wShape[1];
        let sH = uniforms.strides.x;
        let sW = uniforms.strides.y;

        let mTile = i32(workgroupId.x + workgroupId.z * numWorkgroups.x);
        let nTile = i32(workgroupId.y) % uniforms.tilesN;
        let phase = i32(workgroupId.y) / uniforms.tilesN;
        let rh = phase / sW;
        let rw = phase % sW;
        let ph = phaseAxis(rh, sH, uniforms.pads.x, inH, kH);
        let pw = phaseAxis(rw, sW, uniforms.pads.y, inW, kW);
        // oh = oh0 + jh - th: (ihStart + padTop - rh) is a multiple of the stride, and not negative.
        let oh0 = (ph.x + uniforms.pads.x - rh) / sH;
        let ow0 = (pw.x + uniforms.pads.y - rw) / sW;
        let tapsW = pw.z;
        let dimM = batch * ph.y * pw.y;
        let dimK = ph.z * tapsW * outC;
        let mBase = mTile * ${TILE_M};
        let nBase = nTile * ${TILE_N};

        if (tid == 0) {
          var tiles = (dimK + ${TILE_K - 1}) / ${TILE_K};
          // A workgroup past its phase's rows (a smaller phase, or the fold's remainder) has nothing to sum.
          if (mBase >= dimM) { tiles = 0; }
          phaseTilesK = tiles;
        }
        let tilesK = workgroupUniformLoad(&phaseTilesK);

        // Loading: this invocation fetches row 'lr' of A's tile (a dx pixel) and of B's (an input channel), at the
        // 4 consecutive terms lq*4.. of each K tile: consecutive co, which lie side by side in dy and in W.
        let lr = tid / 4;
        let lq = tid % 4;
        let mLoad = mBase + lr;
        let jwLoad = mLoad % max(pw.y, 1);
        let bhLoad = mLoad / max(pw.y, 1);
        let jhLoad = bhLoad % max(ph.y, 1);
        let bLoad = bhLoad / max(ph.y, 1);
        let mLoadIn = mLoad < dimM;
        let nLoad = nBase + lr;
        let nLoadIn = nLoad < inC;
        let dyBatch = bLoad * outH;
        let aSlot = lr / 4;
        let aLane = lr % 4;

        // Computing: this invocation accumulates rows row*4.. of the tile's M and columns col*4.. of its N.
        let col = tid % ${GROUP_N};
        let row = tid / ${GROUP_N};

        var acc : array<vec4<f32>, 4>;
        for (var t = 0; t < tilesK; t = t + 1) {
          let k4 = vec4<i32>(t * ${TILE_K} + lq * 4) + vec4<i32>(0, 1, 2, 3);
          let kIn4 = k4 < vec4<i32>(dimK);
          let co4 = k4 % vec4<i32>(outC);
          let tap4 = k4 / vec4<i32>(outC);
          let tw4 = tap4 % vec4<i32>(max(tapsW, 1));
          let th4 = tap4 / vec4<i32>(max(tapsW, 1));
          // A: dy at (oh0 + jh - th, ow0 + jw - tw), zero outside dy.
          let oh4 = vec4<i32>(oh0 + jhLoad) - th4;
          let ow4 = vec4<i32>(ow0 + jwLoad) - tw4;
          let aIn4 = kIn4 & vec4<bool>(mLoadIn) & (oh4 >= vec4<i32>(0)) & (oh4 < vec4<i32>(outH)) &
              (ow4 >= vec4<i32>(0)) & (ow4 < vec4<i32>(outW));
          let aIndex4 = ((vec4<i32>(dyBatch) + oh4) * outW + ow4) * outC + co4;
          // B: W at (rh + sH*th, rw + sW*tw, n, co).
          let kh4 = vec4<i32>(rh) + th4 * sH;
          let kw4 = vec4<i32>(rw) + tw4 * sW;
          let bIn4 = kIn4 & vec4<bool>(nLoadIn);
          let bIndex4 = ((kh4 * kW + kw4) * inC + vec4<i32>(nLoad)) * outC + co4;
          ${unroll(
            4,
            (j) => `{
            var a = 0.0;
            if (aIn4.${LANES[j]}) { a = dy[aIndex4.${LANES[j]}]; }
            tileA[(lq * 4 + ${j}) * ${GROUP_M} + aSlot][aLane] = a;
            var b = 0.0;
            if (bIn4.${LANES[j]}) { b = w[bIndex4.${LANES[j]}]; }
            tileB[(lq * 4 + ${j}) * ${GROUP_N} + aSlot][aLane] = b;
          }`,
          )}
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk = kk + 1) {
            let av = tileA[kk * ${GROUP_M} + row];
            let bv = tileB[kk * ${GROUP_N} + col];
            ${unroll(4, (i) => `acc[${i}] = fma(vec4<f32>(av.${LANES[i]}), bv, acc[${i}]);`)}
          }
          workgroupBarrier();
        }

        // Each row of C is a dx pixel of this phase: (b, ihStart + sH*jh, iwStart + sW*jw).
        let n0 = nBase + col * 4;
        ${unroll(
          4,
          (i) => `{
          let m = mBase + row * 4 + ${i};
          if (m < dimM) {
            let jw = m % pw.y;
            let bh = m / pw.y;
            let ih = ph.x + sH * (bh % ph.y);
            let iw = pw.x + sW * jw;
            let rowStart = (((bh / ph.y) * inH + ih) * inW + iw) * inC + n0;
            ${unroll(4, (j) => `if (n0 + ${j} < inC) { result[rowStart + ${j}] = acc[${i}].${LANES[j]}; }`)}
          }
        }`,
        )}
      }
    `;
  }
}
