/**
 * Reference batched matrix multiply, blocked the way BLAS kernels are: op(B) is packed into
 * panels of 4 columns over a block of KC rows of k, op(A) into panels of 4 rows, and a 4x4
 * micro-kernel keeps 16 sums in locals while it streams both panels. Packing makes every
 * transpose variant read contiguous memory in the inner loop and keeps the panels in cache;
 * packed values and sums are float64, so float32 products are accumulated in double precision.
 *
 * Edges (m or n not multiples of 4) are zero-padded in the panels and never written back, so a
 * padding zero times an infinite input cannot leak a NaN into the result. Tiny products skip the
 * packing and run a plain loop.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { MatmulPlan } from '../kernels.js';

const MR = 4;
const NR = 4;
/** Rows of k per block: a 4-row A panel (KC * 4 doubles = 8 KiB) stays in L1. */
const KC = 256;
/** Columns per block: the packed B block (KC * NC doubles = 512 KiB) stays in L2. */
const NC = 256;
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL = 4096;

// Scratch buffers reused across calls (kernels never run concurrently in one thread).
let aPack = new Float64Array(MR * KC);
let bPack = new Float64Array(KC * NC);
let cBlock = new Float64Array(0);

/** Packs rows [i0, i0 + mr) and k-range [p0, p0 + kc) of op(A) as kc groups of MR values. */
function packA(a: TypedArray, ao: number, m: number, k: number, transA: boolean, i0: number, mr: number, p0: number, kc: number): void {
  const dst = aPack;
  for (let p = 0; p < kc; p++) {
    const d = p * MR;
    for (let r = 0; r < MR; r++) {
      if (r >= mr) dst[d + r] = 0;
      else dst[d + r] = transA ? a[ao + (p0 + p) * m + i0 + r]! : a[ao + (i0 + r) * k + p0 + p]!;
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as ceil(nc/NR) panels, each kc groups of NR values. */
function packB(b: TypedArray, bo: number, n: number, k: number, transB: boolean, p0: number, kc: number, j0: number, nc: number): void {
  const dst = bPack;
  const panels = Math.ceil(nc / NR);
  for (let jp = 0; jp < panels; jp++) {
    const base = jp * kc * NR;
    const jj = j0 + jp * NR;
    const nr = Math.min(NR, j0 + nc - jj);
    for (let p = 0; p < kc; p++) {
      const d = base + p * NR;
      const row = p0 + p;
      for (let c = 0; c < NR; c++) {
        if (c >= nr) dst[d + c] = 0;
        else dst[d + c] = transB ? b[bo + (jj + c) * k + row]! : b[bo + row * n + jj + c]!;
      }
    }
  }
}

/** C[ci..] (row stride ldc) += A panel (kc x 4) times B panel (kc x 4), writing mr x nr. */
function microKernel(kc: number, bOff: number, c: Float64Array, ci: number, ldc: number, mr: number, nr: number): void {
  const A = aPack;
  const B = bPack;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = 0;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = A[ai]!, a1 = A[ai + 1]!, a2 = A[ai + 2]!, a3 = A[ai + 3]!;
    const b0 = B[bi]!, b1 = B[bi + 1]!, b2 = B[bi + 2]!, b3 = B[bi + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  if (mr === MR && nr === NR) {
    c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
    ci += ldc;
    c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
    ci += ldc;
    c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
    ci += ldc;
    c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) c[ci + r * ldc + s] += tile[r * NR + s]!;
}

/** One (m, n) product, accumulated in float64 and added to or stored into `out` at `oo`. */
function gemm(out: TypedArray, oo: number, a: TypedArray, ao: number, b: TypedArray, bo: number, plan: MatmulPlan): void {
  const { m, n, k, transA, transB, accumulate } = plan;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    if (cBlock.length < m * nc) cBlock = new Float64Array(m * nc);
    const c = cBlock;
    c.fill(0, 0, m * nc);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      packB(b, bo, n, k, transB, p0, kc, j0, nc);
      for (let i0 = 0; i0 < m; i0 += MR) {
        const mr = Math.min(MR, m - i0);
        packA(a, ao, m, k, transA, i0, mr, p0, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          microKernel(kc, (jr / NR) * kc * NR, c, i0 * nc + jr, nc, mr, Math.min(NR, nc - jr));
        }
      }
    }
    for (let i = 0; i < m; i++) {
      const row = oo + i * n + j0;
      const ci = i * nc;
      if (accumulate) for (let j = 0; j < nc; j++) out[row + j] += c[ci + j]!;
      else for (let j = 0; j < nc; j++) out[row + j] = c[ci + j]!;
    }
  }
}

/** The textbook loop for tiny products, summing in a double like the blocked path. */
function gemmSmall(out: TypedArray, oo: number, a: TypedArray, ao: number, b: TypedArray, bo: number, plan: MatmulPlan): void {
  const { m, n, k, transA, transB, accumulate } = plan;
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let ai = ao + i * ars;
      let bi = bo + j * bcs;
      for (let p = 0; p < k; p++) {
        s += a[ai]! * b[bi]!;
        ai += acs;
        bi += brs;
      }
      const o = oo + i * n + j;
      out[o] = accumulate ? out[o]! + s : s;
    }
  }
}

/** Batched `out[b] = op(a[b]) op(b[b])` with the transposes, sizes and batch strides of `plan`. */
/** The bias in every row of out, then the product accumulated onto it. */
export function matmulBias(out: TypedArray, a: TypedArray, b: TypedArray, bias: TypedArray, plan: MatmulPlan): void {
  const { batch, m, n } = plan;
  for (let r = 0; r < batch * m; r++) for (let j = 0; j < n; j++) out[r * n + j] = bias[j]!;
  matmul(out, a, b, { ...plan, accumulate: true });
}

export function matmul(out: TypedArray, a: TypedArray, b: TypedArray, plan: MatmulPlan): void {
  const { batch, m, n, k, aBatchStride, bBatchStride } = plan;
  if (m === 0 || n === 0) return;
  if (aPack.length < MR * KC) aPack = new Float64Array(MR * KC);
  if (bPack.length < KC * NC) bPack = new Float64Array(KC * NC);
  const small = m * n * k <= SMALL;
  for (let t = 0; t < batch; t++) {
    const args = [out, t * m * n, a, t * aBatchStride, b, t * bBatchStride, plan] as const;
    if (small) gemmSmall(...args);
    else gemm(...args);
  }
}
