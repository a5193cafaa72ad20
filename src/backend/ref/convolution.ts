/**
 * Reference convolution kernels, one sample at a time: unfold the sample's windows (im2col) and
 * multiply by the filters (matmul), or the adjoint. Readable compositions of the reference
 * im2col, col2im and matmul kernels, which the native kernels are checked against.
 */
import type { TypedArray } from '../../core/dtype.js';
import { checkAllocation } from '../../core/limits.js';
import type { ConvPlan, FusedPlan, MatmulPlan } from '../kernels.js';
import { col2im, im2col } from './conv.js';
import { fused } from './fused.js';
import { matmul } from './matmul.js';

interface Sizes {
  readonly N: number;
  readonly C: number;
  readonly O: number;
  /** Taps per window, C·taps, output positions and input cells per channel. */
  readonly K: number;
  readonly CK: number;
  readonly L: number;
  readonly inSize: number;
}

function sizes(p: ConvPlan): Sizes {
  const K = p.kernel[0] * p.kernel[1] * p.kernel[2];
  return {
    N: p.batch,
    C: p.channels,
    O: p.filters,
    K,
    CK: p.channels * K,
    L: p.out[0] * p.out[1] * p.out[2],
    inSize: p.in[0] * p.in[1] * p.in[2],
  };
}

/**
 * One sample's columns, of `like`'s type, within the allocation limit: they can be far larger
 * than the sample (C·taps values per output position).
 */
function columns(like: TypedArray, s: Sizes): TypedArray {
  checkAllocation(s.CK * s.L, like.BYTES_PER_ELEMENT, () => `the unfolded columns of one convolution sample (${s.CK} x ${s.L})`);
  return new (like.constructor as new (n: number) => TypedArray)(s.CK * s.L);
}

function gemmPlan(m: number, n: number, k: number, o: Partial<MatmulPlan> = {}): MatmulPlan {
  return { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, ...o };
}

/** The columns of sample n: (C·taps, L), zero where a window reaches into the padding. */
function unfold(cols: TypedArray, x: TypedArray, p: ConvPlan, s: Sizes, n: number): void {
  cols.fill(0);
  im2col(cols, x.subarray(n * s.C * s.inSize, (n + 1) * s.C * s.inSize), { ...p, batch: 1 });
}

/** y[n] = bias + w · cols(x[n]); the bias is written first and the product added onto it. */
export function conv(y: TypedArray, x: TypedArray, w: TypedArray, bias: TypedArray | null, p: ConvPlan): void {
  const s = sizes(p);
  const cols = columns(x, s);
  for (let n = 0; n < s.N; n++) {
    unfold(cols, x, p, s, n);
    const yn = y.subarray(n * s.O * s.L, (n + 1) * s.O * s.L);
    if (bias !== null) for (let o = 0; o < s.O; o++) yn.fill(bias[o]!, o * s.L, (o + 1) * s.L);
    matmul(yn, w, cols, gemmPlan(s.O, s.L, s.CK, { accumulate: bias !== null }));
  }
}

/** gx[n] = col2im(wᵀ · g[n]). */
export function convDataGrad(gx: TypedArray, g: TypedArray, w: TypedArray, p: ConvPlan): void {
  const s = sizes(p);
  const cols = columns(g, s);
  gx.fill(0);
  for (let n = 0; n < s.N; n++) {
    matmul(cols, w, g.subarray(n * s.O * s.L, (n + 1) * s.O * s.L), gemmPlan(s.CK, s.L, s.O, { transA: true }));
    col2im(gx.subarray(n * s.C * s.inSize, (n + 1) * s.C * s.inSize), cols, { ...p, batch: 1 });
  }
}

/** gw = Σn g[n] · cols(x[n])ᵀ, accumulated sample by sample. */
export function convWeightGrad(gw: TypedArray, x: TypedArray, g: TypedArray, p: ConvPlan): void {
  const s = sizes(p);
  const cols = columns(x, s);
  gw.fill(0);
  for (let n = 0; n < s.N; n++) {
    unfold(cols, x, p, s, n);
    matmul(gw, g.subarray(n * s.O * s.L, (n + 1) * s.O * s.L), cols, gemmPlan(s.O, s.CK, s.L, { transB: true, accumulate: true }));
  }
}

/** conv, then the epilogue chain run in place on its output (y is the chain's input `self`). */
export function convFused(y: TypedArray, x: TypedArray, w: TypedArray, bias: TypedArray | null, p: ConvPlan, inputs: readonly TypedArray[], epilogue: FusedPlan, self: number): void {
  conv(y, x, w, bias, p);
  fused(y, [...inputs.slice(0, self), y, ...inputs.slice(self)], epilogue);
}
