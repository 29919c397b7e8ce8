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
 * Each workgroup of 256 invocations computes one tile of a phase's `C`, 4x4 values an invocation, the tiles of `A`
 * and `B` going through workgroup memory a slab of `K` at a time: 64x64 outputs and 16 terms (16x16 invocations) for
 * most layers, 256x16 outputs and 8 terms (64x4 invocations) for at most 16 input channels, where a 64-wide tile
 * would compute mostly padding. `M` is large wherever the input gradient is
 * needed in training (AlexNet's conv2 at batch 128: 93,312 rows), so there is no split of `K`: the dispatch has
 * hundreds to thousands of workgroups as it is, and each sums its whole `K` (at most a few thousand terms) itself.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { LANES, tileProduct, unroll } from './gemm-wgsl.js';
import { MAIN_XYZ } from './webgpu-internals.js';

/** The tile a workgroup of 256 invocations computes, 4x4 outputs an invocation. */
export interface Tile {
  /** Rows (`M`, dx pixels of one phase) of `C` a workgroup computes. */
  m: number;
  /** Columns (`N`, input channels) of `C` a workgroup computes. */
  n: number;
  /** Terms of `K` staged through workgroup memory per step. */
  k: number;
}

/** The tile for most layers: 64x64 outputs (16x16 invocations), 16 terms a step (as Conv2DBackpropFilter's). */
export const WIDE_TILE: Tile = { m: 64, n: 64, k: 16 };
/**
 * The tile for at most {@link NARROW_MAX_CHANNELS} input channels: 256x16 outputs (64x4 invocations), so that 3
 * channels (AlexNet's conv1) fill 3 of 16 columns rather than 3 of 64; 8 terms a step keep its workgroup memory
 * (8.5 KiB) within WebGPU's guaranteed 16 KiB.
 */
export const NARROW_TILE: Tile = { m: 256, n: 16, k: 8 };
/** Input channel counts up to this take {@link NARROW_TILE}. */
export const NARROW_MAX_CHANNELS = 16;
/** Invocations a workgroup. */
const INVOCATIONS = 256;
/** Outputs an invocation computes along `M` and along `N`. */
const PER_INVOCATION = 4;
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
  /** The workgroup's tile. */
  tile: Tile;
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
  const tile = inC <= NARROW_MAX_CHANNELS ? NARROW_TILE : WIDE_TILE;
  const tilesM = Math.max(1, Math.ceil(maxM / tile.m));
  const tilesN = Math.max(1, Math.ceil(inC / tile.n));
  const folds = Math.ceil(tilesM / maxDispatch);
  const dispatch: [number, number, number] = [Math.ceil(tilesM / folds), tilesN * phases, folds];
  return { phases, maxM, n: inC, maxK, workKept: dense === 0 ? 0 : kept / dense, tilesM, tilesN, dispatch, tile };
}

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
  workgroupSize: [number, number, number] = [INVOCATIONS, 1, 1];
  // Only its shape matters to TF.js (a y or z part: `main()` without an argument); the dispatch is given.
  dispatchLayout = { x: [1, 2], y: [3], z: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;
  private readonly tile: Tile;

  constructor(inShape: number[], plan: BackpropInputPlan) {
    this.outputShape = inShape;
    this.dispatch = plan.dispatch;
    this.tile = plan.tile;
    // The tile is baked into the WGSL, so it is part of the pipeline's cache key.
    this.shaderKey = `alexnetConv2DBackpropInputGemm_${plan.tile.m}x${plan.tile.n}x${plan.tile.k}`;
  }

  getUserCode(): string {
    const { m: TILE_M, n: TILE_N, k: TILE_K } = this.tile;
    const GROUP_M = TILE_M / PER_INVOCATION;
    const GROUP_N = TILE_N / PER_INVOCATION;
    // Loads go by units of 4 consecutive terms of K for one row of A (a pixel) or of B (a channel): QUADS units a
    // row per K tile, A's in PASSES_A rounds of the 256 invocations, B's in one round by the first UNITS_B.
    const QUADS = TILE_K / 4;
    const PASSES_A = (TILE_M * QUADS) / INVOCATIONS;
    const UNITS_B = TILE_N * QUADS;
    return `
      // [k][m / 4] and [k][n / 4]: a ${TILE_K}-term slab of A's and of B's tile.
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

      // Terms k..k+3 of a phase's K as kernel taps and output channels: k = (th*tapsW + tw)*Cout + co.
      struct Taps { th : vec4<i32>, tw : vec4<i32>, co : vec4<i32>, inside : vec4<bool> };
      fn tapsOf(k : i32, dimK : i32, outC : i32, tapsW : i32) -> Taps {
        let k4 = vec4<i32>(k) + vec4<i32>(0, 1, 2, 3);
        let tap4 = k4 / vec4<i32>(outC);
        let tw = max(tapsW, 1);
        return Taps(tap4 / vec4<i32>(tw), tap4 % vec4<i32>(tw), k4 % vec4<i32>(outC), k4 < vec4<i32>(dimK));
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

        // Loading: unit u is row u / QUADS of A's tile (a dx pixel) or B's (an input channel), at the 4 consecutive terms
        // (u % QUADS)*4.. of each K tile: consecutive co, which lie side by side in dy and in W. A row's pixel is
        // decoded once, before the loop.
        ${unroll(
          PASSES_A,
          (p) => `
        let aUnit${p} = tid + ${p * INVOCATIONS};
        let aRow${p} = aUnit${p} / ${QUADS};
        let aQuad${p} = aUnit${p} % ${QUADS};
        let aM${p} = mBase + aRow${p};
        let aJw${p} = aM${p} % max(pw.y, 1);
        let aBh${p} = aM${p} / max(pw.y, 1);
        let aOh${p} = oh0 + aBh${p} % max(ph.y, 1);
        let aOw${p} = ow0 + aJw${p};
        let aDyBatch${p} = (aBh${p} / max(ph.y, 1)) * outH;
        let aIn${p} = aM${p} < dimM;`,
        )}
        let bRow = tid / ${QUADS};
        let bQuad = tid % ${QUADS};
        let bN = nBase + bRow;
        let bIn = bN < inC;

        // Computing: this invocation accumulates rows row*4.. of the tile's M and columns col*4.. of its N.
        let col = tid % ${GROUP_N};
        let row = tid / ${GROUP_N};

        var acc : array<vec4<f32>, 4>;
        for (var t = 0; t < tilesK; t = t + 1) {
          let kTile = t * ${TILE_K};
          ${unroll(
            PASSES_A,
            (p) => `{
            // A: dy at (oh0 + jh - th, ow0 + jw - tw), zero outside dy.
            let k4 = tapsOf(kTile + aQuad${p} * 4, dimK, outC, tapsW);
            let oh4 = vec4<i32>(aOh${p}) - k4.th;
            let ow4 = vec4<i32>(aOw${p}) - k4.tw;
            let in4 = k4.inside & vec4<bool>(aIn${p}) & (oh4 >= vec4<i32>(0)) & (oh4 < vec4<i32>(outH)) &
                (ow4 >= vec4<i32>(0)) & (ow4 < vec4<i32>(outW));
            let index4 = ((vec4<i32>(aDyBatch${p}) + oh4) * outW + ow4) * outC + k4.co;
            let slot = aQuad${p} * ${4 * GROUP_M} + aRow${p} / 4;
            ${unroll(
              4,
              (j) => `{
              var a = 0.0;
              if (in4.${LANES[j]}) { a = dy[index4.${LANES[j]}]; }
              tileA[slot + ${j * GROUP_M}][aRow${p} % 4] = a;
            }`,
            )}
          }`,
          )}
          if (tid < ${UNITS_B}) {
            // B: W at (rh + sH*th, rw + sW*tw, n, co).
            let k4 = tapsOf(kTile + bQuad * 4, dimK, outC, tapsW);
            let in4 = k4.inside & vec4<bool>(bIn);
            let kh4 = vec4<i32>(rh) + k4.th * sH;
            let kw4 = vec4<i32>(rw) + k4.tw * sW;
            let index4 = ((kh4 * kW + kw4) * inC + vec4<i32>(bN)) * outC + k4.co;
            let slot = bQuad * ${4 * GROUP_N} + bRow / 4;
            ${unroll(
              4,
              (j) => `{
              var b = 0.0;
              if (in4.${LANES[j]}) { b = w[index4.${LANES[j]}]; }
              tileB[slot + ${j * GROUP_N}][bRow % 4] = b;
            }`,
            )}
          }
          ${tileProduct(TILE_K, GROUP_M, GROUP_N)}
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
