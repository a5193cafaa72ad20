/**
 * Ungrouped convolution as three fused, mutually differentiable primitives, so that the unfolded
 * columns never exist for the whole batch: each one im2col's a chunk of samples into a reusable
 * scratch buffer sized to stay in cache and runs the GEMM on it right away.
 *
 * - `convolution` y[n] = W · cols(x[n]) (+ bias, copied into y first and accumulated onto);
 * - `convolutionDataGrad` gx[n] = col2im(Wᵀ · g[n]);
 * - `convolutionWeightGrad` gW = Σn g[n] · cols(x[n])ᵀ, accumulated sample by sample in place of
 *   a (N, O, C·K) batch of products summed afterwards.
 *
 * Each is bilinear, and the gradients of each are the other two (and the first), so gradients of
 * any order compose. Results equal the im2col / matmul composition up to float rounding.
 */
import { allocate, type TypedArray } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import type { KernelTable, MatmulPlan, WindowPlan } from '../backend/kernels.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, applyInto, wantsGrad, type Primitive } from './define.js';
import { sum } from './reduce.js';

/** Scratch columns per chunk, in elements (512 KiB of float32: an L2-sized working set). */
const CHUNK_ELEMS = 1 << 17;

interface ConvAttrs {
  /** The window plan over the whole input (N, C, *in) with the output extents. */
  readonly plan: WindowPlan;
  readonly xShape: readonly number[];
  readonly wShape: readonly number[];
  readonly yShape: readonly number[];
}

/** Sizes shared by the three kernels: O output channels, CK = C·prod(kernel), L = prod(out). */
interface ConvPlan {
  readonly plan: WindowPlan;
  readonly N: number;
  readonly O: number;
  readonly CK: number;
  readonly L: number;
  /** Input elements per sample. */
  readonly inSize: number;
  /** Whether some column entries fall in the padding (the scratch must then be zeroed). */
  readonly padded: boolean;
  /** Samples per chunk. */
  readonly chunk: number;
}

function convPlan(a: ConvAttrs): ConvPlan {
  const { plan, xShape, wShape, yShape } = a;
  const N = xShape[0]!;
  const CK = sizeOf(wShape.slice(1));
  const L = sizeOf(yShape.slice(2));
  const chunk = Math.max(1, Math.min(N, Math.floor(CHUNK_ELEMS / Math.max(1, CK * L))));
  return { plan, N, O: wShape[0]!, CK, L, inSize: sizeOf(xShape.slice(1)), padded: plan.pad.some((p) => p > 0), chunk };
}

let scratch32: TypedArray = new Float32Array(0);
let scratch64: TypedArray = new Float64Array(0);

/**
 * A reusable buffer of `n` elements of `like`'s type (compute never re-enters, so one suffices),
 * within the allocation limit: one sample's columns can be far larger than its input.
 */
function scratch(like: TypedArray, n: number): TypedArray {
  if (like instanceof Float64Array) {
    if (scratch64.length < n) scratch64 = allocate('float64', n);
    return scratch64;
  }
  if (scratch32.length < n) scratch32 = allocate('float32', n);
  return scratch32;
}

/** Unfolds samples [n0, n0 + nb) of x into the first nb·CK·L entries of buf. */
function unfold(k: KernelTable, buf: TypedArray, x: TypedArray, p: ConvPlan, n0: number, nb: number): TypedArray {
  const cols = buf.subarray(0, nb * p.CK * p.L);
  if (p.padded) cols.fill(0);
  k.im2col(cols, x.subarray(n0 * p.inSize, (n0 + nb) * p.inSize), { ...p.plan, batch: nb });
  return cols;
}

function gemmPlan(batch: number, m: number, n: number, kk: number, o: Partial<MatmulPlan>): MatmulPlan {
  return { batch, m, n, k: kk, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, ...o };
}

const convPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolution',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.yShape, dtype: x!.dtype, plan: convPlan(attrs) }),
  compute(k, y, [x, w, b], p) {
    const { N, O, CK, L, chunk } = p;
    if (b !== undefined) {
      for (let r = 0; r < N * O; r++) y.fill(b[r % O]!, r * L, (r + 1) * L);
    }
    const buf = scratch(x!, chunk * CK * L);
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      const cols = unfold(k, buf, x!, p, n0, nb);
      const plan = gemmPlan(nb, O, L, CK, { bBatchStride: CK * L, accumulate: b !== undefined });
      k.matmul(y.subarray(n0 * O * L, (n0 + nb) * O * L), w!, cols, plan);
    }
  },
  grad(g, ctx) {
    const { inputs: [x, w, b], attrs } = ctx;
    const gx = wantsGrad(ctx, 0) ? apply(dataGradPrim, [g, w!], attrs) : null;
    const gw = wantsGrad(ctx, 1) ? applyInto(weightGradPrim, [x!, g], attrs, ctx.into?.[1] ?? null) : null;
    if (b === undefined) return [gx, gw];
    const axes = [0, ...attrs.yShape.slice(2).map((_, i) => i + 2)];
    return [gx, gw, wantsGrad(ctx, 2) ? sum(g, axes) : null];
  },
});

const dataGradPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolutionDataGrad',
  infer: ([g], attrs) => ({ shape: attrs.xShape, dtype: g!.dtype, plan: convPlan(attrs) }),
  // gx arrives zeroed; col2im adds every column entry back to the cell it was read from.
  compute(k, gx, [g, w], p) {
    const { N, O, CK, L, inSize, chunk } = p;
    const buf = scratch(g!, chunk * CK * L);
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      const cols = buf.subarray(0, nb * CK * L);
      k.matmul(cols, w!, g!.subarray(n0 * O * L, (n0 + nb) * O * L), gemmPlan(nb, CK, L, O, { transA: true, bBatchStride: O * L }));
      k.col2im(gx.subarray(n0 * inSize, (n0 + nb) * inSize), cols, { ...p.plan, batch: nb });
    }
  },
  grad(gg, ctx) {
    const { inputs: [g, w], attrs } = ctx;
    return [
      wantsGrad(ctx, 0) ? apply(convPrim, [gg, w!], attrs) : null,
      wantsGrad(ctx, 1) ? apply(weightGradPrim, [gg, g!], attrs) : null,
    ];
  },
});

const weightGradPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolutionWeightGrad',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.wShape, dtype: x!.dtype, plan: convPlan(attrs) }),
  compute(k, gw, [x, g], p) {
    const { N, O, CK, L, chunk } = p;
    // No output positions or no input values: every product is zero, and the batch may be
    // enormous (a zero-element batch of 2^40 samples must cost O(1)). gw may come from
    // applyInto, not zeroed.
    if (g!.length === 0 || x!.length === 0) {
      gw.fill(0);
      return;
    }
    const buf = scratch(x!, chunk * CK * L);
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nb = Math.min(chunk, N - n0);
      const cols = unfold(k, buf, x!, p, n0, nb);
      for (let i = 0; i < nb; i++) {
        const n = n0 + i;
        const plan = gemmPlan(1, O, CK, L, { transB: true, accumulate: n > 0 });
        k.matmul(gw, g!.subarray(n * O * L, (n + 1) * O * L), cols.subarray(i * CK * L, (i + 1) * CK * L), plan);
      }
    }
  },
  grad(gg, ctx) {
    const { inputs: [x, g], attrs } = ctx;
    return [
      wantsGrad(ctx, 0) ? apply(dataGradPrim, [g!, gg], attrs) : null,
      wantsGrad(ctx, 1) ? apply(convPrim, [x!, gg], attrs) : null,
    ];
  },
});

/**
 * Convolution of x (N, C, *in) with weight (O, C, *kernel) plus an optional bias (O,), all of one
 * float dtype and already validated, over the window plan `plan` (whose `out` gives the output
 * extents).
 */
export function fusedConvolution(x: NDArray, weight: NDArray, bias: NDArray | null, plan: WindowPlan): NDArray {
  const out = plan.out.slice(3 - (x.ndim - 2));
  const attrs: ConvAttrs = { plan, xShape: x.shape, wShape: weight.shape, yShape: [x.shape[0]!, weight.shape[0]!, ...out] };
  return apply(convPrim, bias === null ? [x, weight] : [x, weight, bias], attrs);
}
