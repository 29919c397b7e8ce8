/**
 * The WGSL of this package's Conv2DBackpropFilter: the filter gradient of an NHWC convolution (dilation 1) as an
 * implicit GEMM, split along its long reduction dimension.
 *
 * `dW[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*sh - padTop + kh, ow*sw - padLeft + kw, ci] * dy[b, oh, ow, co]`
 * is `C = A * B` with `M = KH*KW*Cin` rows (`m = (kh*KW + kw)*Cin + ci`, which is also the HWIO filter's row-major
 * order), `N = Cout` columns and `K = batch*OH*OW` terms (`k = (b*OH + oh)*OW + ow`, dy's own row-major order).
 * `A[m, k]` is gathered from `x` on the fly (zero outside the image: the padding), `B[k, n]` is `dy` as it lies.
 *
 * Each workgroup of 16x16 invocations computes one 64x64 tile of `C`, 4x4 values an invocation, over one slice of
 * `K`; the tiles of `A` and `B` go through workgroup memory 16 terms of `K` at a time. Convolution gradients have
 * a small `M*N` and a huge `K` (AlexNet's first layer, batch 128: 363 x 64 outputs over 387,200 terms), so `K` is
 * cut into slices (the dispatch's z), each writing its partial tile to a scratch buffer, and a second program sums
 * the slices in a fixed order (deterministic, no atomics). {@link planSplitK} chooses the slices.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { LANES, tileProduct, unroll } from './gemm-wgsl.js';
import { MAIN_FLAT, MAIN_XYZ } from './webgpu-internals.js';

/** Rows (`M`) of `C` a workgroup computes. */
export const TILE_M = 64;
/** Columns (`N`) of `C` a workgroup computes. */
export const TILE_N = 64;
/** Terms of `K` staged through workgroup memory per step. */
export const TILE_K = 16;
/** Outputs an invocation computes along `M` and along `N`: 16x16 invocations cover a 64x64 tile. */
const PER_INVOCATION = 4;
const GROUP_M = TILE_M / PER_INVOCATION;
const GROUP_N = TILE_N / PER_INVOCATION;

/** Workgroups the split aims at: enough to fill a large GPU (an H100 / H200 has 132 SMs) a few times over. */
export const TARGET_WORKGROUPS = 512;
/** A slice sums at least this many terms, so that the partial sums' traffic stays small beside the work. */
export const MIN_K_PER_SLICE = 256;
/** At most this many slices. */
export const MAX_SLICES = 256;
/** The scratch buffer of partial sums is kept under this many bytes (and under the device's binding limit). */
export const MAX_SCRATCH_BYTES = 256 * 1024 * 1024;

/** How the GEMM is cut: its sizes, the tiles, and the split of `K` into slices. */
export interface SplitKPlan {
  /** `KH*KW*Cin`. */
  m: number;
  /** `Cout`. */
  n: number;
  /** `batch*OH*OW`. */
  k: number;
  /** Workgroups along `M` (the dispatch's y). */
  tilesM: number;
  /** Workgroups along `N` (the dispatch's x). */
  tilesN: number;
  /** Slices of `K` (the dispatch's z); 1 means no scratch buffer and no second pass. */
  slices: number;
  /** Terms of `K` per slice, a multiple of {@link TILE_K} (the last slice may have fewer). */
  kPerSlice: number;
}

/**
 * Chooses the split of `K`: as many slices as bring the workgroups to {@link TARGET_WORKGROUPS}, but no slice under
 * {@link MIN_K_PER_SLICE} terms, at most {@link MAX_SLICES}, and a scratch buffer (`slices*M*N` floats) within
 * `maxScratchBytes`; each slice a whole number of `K` tiles, and no slice empty.
 */
export function planSplitK(m: number, n: number, k: number, maxScratchBytes = MAX_SCRATCH_BYTES): SplitKPlan {
  const tilesM = Math.ceil(m / TILE_M);
  const tilesN = Math.ceil(n / TILE_N);
  const wanted = Math.ceil(TARGET_WORKGROUPS / Math.max(1, tilesM * tilesN));
  const byScratch = Math.floor(maxScratchBytes / Math.max(1, m * n * 4));
  let slices = Math.max(1, Math.min(wanted, Math.floor(k / MIN_K_PER_SLICE), MAX_SLICES, byScratch));
  const kPerSlice = Math.ceil(Math.ceil(k / slices) / TILE_K) * TILE_K;
  slices = kPerSlice === 0 ? 1 : Math.ceil(k / kPerSlice);
  return { m, n, k, tilesM, tilesN, slices, kPerSlice };
}

/**
 * One slice of `K` per z, one 64x64 tile of `C` per (x: `N`, y: `M`) workgroup. Writes `result[(slice*M + m)*N + n]`:
 * the filter itself when there is one slice, the scratch buffer `[slices, M, N]` otherwise.
 *
 * Uniforms: `pads` (top, left), `strides` (height, width), `filterDims` (height, width), `dimM`, `dimN`, `dimK`,
 * `kPerSlice`, `tilesPerSlice` (`kPerSlice / 16`: the loop's count, which must be uniform for the barriers).
 */
export class Conv2DBackpropFilterGemmProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms =
    'pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>, dimM : i32, dimN : i32, dimK : i32, kPerSlice : i32, tilesPerSlice : i32,';
  workgroupSize: [number, number, number] = [GROUP_N * GROUP_M, 1, 1];
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'alexnetConv2DBackpropFilterGemm_64x64x16';

  constructor(plan: SplitKPlan) {
    this.outputShape = [plan.slices, plan.m, plan.n];
    this.dispatch = [plan.tilesN, plan.tilesM, plan.slices];
  }

  getUserCode(): string {
    return `
      // [k][m / 4] and [k][n / 4]: a 16-term slab of A's and of B's tile.
      var<workgroup> tileA : array<vec4<f32>, ${TILE_K * GROUP_M}>;
      var<workgroup> tileB : array<vec4<f32>, ${TILE_K * GROUP_N}>;

      ${MAIN_XYZ} {
        let tid = i32(localIndex);
        // Loading: this invocation fetches 4 consecutive m (of A) and 4 consecutive n (of B) at term 'row'.
        // Computing: it accumulates rows row*4.. of the tile's M and columns col*4.. of its N.
        let col = tid % ${GROUP_N};
        let row = tid / ${GROUP_N};
        let mBase = i32(workgroupId.y) * ${TILE_M};
        let nBase = i32(workgroupId.x) * ${TILE_N};
        let slice = i32(workgroupId.z);
        let kBegin = slice * uniforms.kPerSlice;
        let kEnd = min(kBegin + uniforms.kPerSlice, uniforms.dimK);

        let inH = uniforms.xShape[1];
        let inW = uniforms.xShape[2];
        let inC = uniforms.xShape[3];
        let outH = uniforms.dyShape[1];
        let outW = uniforms.dyShape[2];
        let dimM = uniforms.dimM;
        let dimN = uniforms.dimN;

        // The 4 rows of A this invocation loads, as (kh, kw, ci): fixed for the whole slice.
        let m4 = vec4<i32>(mBase + col * 4) + vec4<i32>(0, 1, 2, 3);
        let ci4 = m4 % vec4<i32>(inC);
        let khw4 = m4 / vec4<i32>(inC);
        let kw4 = khw4 % vec4<i32>(uniforms.filterDims.y);
        let kh4 = khw4 / vec4<i32>(uniforms.filterDims.y);
        let mIn4 = m4 < vec4<i32>(dimM);
        let n0 = nBase + col * 4;

        var acc : array<vec4<f32>, 4>;
        for (var t = 0; t < uniforms.tilesPerSlice; t = t + 1) {
          let k = kBegin + t * ${TILE_K} + row;
          var a = vec4<f32>(0.0);
          var b = vec4<f32>(0.0);
          if (k < kEnd) {
            let ow = k % outW;
            let bh = k / outW;
            let oh = bh % outH;
            let batch = bh / outH;
            let ih4 = vec4<i32>(oh * uniforms.strides.x - uniforms.pads.x) + kh4;
            let iw4 = vec4<i32>(ow * uniforms.strides.y - uniforms.pads.y) + kw4;
            let inside4 = mIn4 & (ih4 >= vec4<i32>(0)) & (ih4 < vec4<i32>(inH)) & (iw4 >= vec4<i32>(0)) &
                (iw4 < vec4<i32>(inW));
            let index4 = ((vec4<i32>(batch * inH) + ih4) * inW + iw4) * inC + ci4;
            ${unroll(4, (j) => `if (inside4.${LANES[j]}) { a.${LANES[j]} = x[index4.${LANES[j]}]; }`)}
            let dyRow = k * dimN + n0;
            ${unroll(4, (j) => `if (n0 + ${j} < dimN) { b.${LANES[j]} = dy[dyRow + ${j}]; }`)}
          }
          tileA[row * ${GROUP_M} + col] = a;
          tileB[row * ${GROUP_N} + col] = b;
          ${tileProduct(TILE_K, GROUP_M, GROUP_N)}
        }

        let outBase = slice * dimM;
        ${unroll(
          4,
          (i) => `{
          let m = mBase + row * 4 + ${i};
          if (m < dimM) {
            let rowStart = (outBase + m) * dimN + n0;
            ${unroll(4, (j) => `if (n0 + ${j} < dimN) { result[rowStart + ${j}] = acc[${i}].${LANES[j]}; }`)}
          }
        }`,
        )}
      }
    `;
  }
}

/** Sums the `[slices, M*N]` partial results, slice after slice, into the filter gradient (`M*N` values). */
export class Conv2DBackpropFilterReduceProgram implements WebGPUProgram {
  variableNames = ['partial'];
  uniforms = 'slices : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'alexnetConv2DBackpropFilterReduce';

  constructor(filterShape: number[]) {
    this.outputShape = filterShape;
    this.dispatchLayout = { x: filterShape.map((_, i) => i) };
    const count = filterShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(count / this.workgroupSize[0]), 1, 1];
  }

  getUserCode(): string {
    return `
      ${MAIN_FLAT} {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.slices; s = s + 1) {
            sum = sum + partial[s * uniforms.size + index];
          }
          result[index] = sum;
        }
      }
    `;
  }
}
