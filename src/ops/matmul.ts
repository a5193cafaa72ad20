/**
 * Matrix products: `dot` (MXNet's: contract the last axis of a with the first of b), `matmul`
 * (NumPy's, with batch broadcasting) and `batchDot` (3-D batches), each with transpose flags, and
 * `fullyConnected` (MXNet's FullyConnected, `x Wᵀ + b` in one op). All run on the backend's GEMM.
 */
import { isFloat, promote } from '../core/dtype.js';
import { DTypeError, ShapeError, fmtShape } from '../core/errors.js';
import { broadcastShapes, sizeOf } from '../core/shape.js';
import type { MatmulPlan } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, applyInto, wantsGrad, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { broadcastTo, reshape, transpose } from './shape.js';
import { installMethods } from './method.js';
import { sum } from './reduce.js';
import { publicOp } from '../core/public.js';

/** Transpose flags of dot, matmul and batchDot: use the (last two axes) transposed operand. */
export interface TransposeOptions {
  /** Use `a` transposed (default false). */
  transposeA?: boolean;
  /** Use `b` transposed (default false), e.g. Dense's `x Wᵀ`. */
  transposeB?: boolean;
}

interface BmmAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
  /** For error messages: the public op and its operands' shapes before they were made 3-D. */
  readonly op?: string;
  readonly shapes?: readonly [readonly number[], readonly number[]];
}

/** (B|1, m, k) x (B|1, k, n) -> (B, m, n), operands read transposed when the flags say so. */
const bmmPrim: Primitive<BmmAttrs, MatmulPlan> = primitive({
  name: 'matmul',
  outputInit: 'none',
  infer([a, b], { transA, transB, op = 'matmul', shapes = [a!.shape, b!.shape] }) {
    const [ba, ra, ca] = a!.shape as [number, number, number];
    const [bb, rb, cb] = b!.shape as [number, number, number];
    const [m, k] = transA ? [ca, ra] : [ra, ca];
    const [kb, n] = transB ? [cb, rb] : [rb, cb];
    if (k !== kb) {
      throw new ShapeError(
        `${op}: inner dimensions differ: ${fmtShape(shapes[0])}${transA ? ' (transposed)' : ''} times ` +
          `${fmtShape(shapes[1])}${transB ? ' (transposed)' : ''} contracts ${k} with ${kb}; they must be equal`,
      );
    }
    if (ba !== bb && ba !== 1 && bb !== 1) {
      throw new ShapeError(`${op}: batch sizes ${ba} and ${bb} of ${fmtShape(shapes[0])} and ${fmtShape(shapes[1])} differ; each must match or be 1`);
    }
    // An empty batch stays empty: (0, m, k) times (1, k, n) is (0, m, n).
    const batch = ba === 1 ? bb : ba;
    const plan: MatmulPlan = {
      batch, m, n, k, transA, transB,
      aBatchStride: ba === 1 ? 0 : m * k,
      bBatchStride: bb === 1 ? 0 : k * n,
    };
    return { shape: [batch, m, n], dtype: a!.dtype, plan };
  },
  compute: (kernels, out, [a, b], plan) => kernels.matmul(out, a!, b!, plan),
  grad(g, ctx) {
    const { inputs: [a, b], attrs: { transA, transB } } = ctx;
    // A gradient with no batch broadcasting has its input's shape, so it can be written straight
    // into the buffer autograd offers (a weight's gradient, through its reshape): no copy.
    const ia = ctx.into?.[0] ?? null;
    const ib = ctx.into?.[1] ?? null;
    const ga = !wantsGrad(ctx, 0) ? null : transA ? bmmInto(b!, g, transB, true, ia) : bmmInto(g, b!, false, !transB, ia);
    const gb = !wantsGrad(ctx, 1) ? null : transB ? bmmInto(g, a!, true, transA, ib) : bmmInto(a!, g, !transA, false, ib);
    return [ga, gb];
  },
});

function bmm(a: NDArray, b: NDArray, transA: boolean, transB: boolean, from?: { op: string; a: NDArray; b: NDArray }): NDArray {
  const attrs: BmmAttrs = from ? { transA, transB, op: from.op, shapes: [from.a.shape, from.b.shape] } : { transA, transB };
  return apply(bmmPrim, [a, b], attrs);
}

function bmmInto(a: NDArray, b: NDArray, transA: boolean, transB: boolean, dest: NDArray | null): NDArray {
  return applyInto(bmmPrim, [a, b], { transA, transB }, dest);
}

function floatOperands(op: string, a: NDArray, b: NDArray): [NDArray, NDArray] {
  const dtype = promote(a.dtype, b.dtype);
  if (!isFloat(dtype)) {
    throw new DTypeError(`${op}: needs float32 or float64 operands, got ${a.dtype} and ${b.dtype}; convert with .astype('float32')`);
  }
  return [ensureDType(a, dtype), ensureDType(b, dtype)];
}

/**
 * MXNet's dot: for 2-D arrays the matrix product; for N-D, contracts the last axis of `a` with
 * the first axis of `b`; two vectors give their inner product (a 0-d array).
 */
export const dot = publicOp('dot', function dot(a: NDArray, b: NDArray, options: TransposeOptions = {}): NDArray {
  expectArray('dot', a, 'the first operand');
  expectArray('dot', b, 'the second operand');
  [a, b] = floatOperands('dot', a, b);
  let { transposeA = false, transposeB = false } = options;
  // Transposing an N-D operand reverses all its axes; only 2-D operands can be read transposed.
  if (transposeA && a.ndim > 2) [a, transposeA] = [transpose(a), false];
  if (transposeB && b.ndim > 2) [b, transposeB] = [transpose(b), false];
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`dot: operands must have at least one dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.size !== b.size) throw new ShapeError(`dot: vectors of shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ in length`);
    return reshape(bmm(reshape(a, [1, 1, a.size]), reshape(b, [1, b.size, 1]), false, false), []);
  }
  const aRows = transposeA ? a.shape.slice(1) : a.shape.slice(0, -1);
  const aK = transposeA ? a.shape[0]! : a.shape[a.ndim - 1]!;
  const bK = transposeB ? b.shape[b.ndim - 1]! : b.shape[0]!;
  const bCols = transposeB ? b.shape.slice(0, -1) : b.shape.slice(1);
  if (aK !== bK) {
    throw new ShapeError(
      `dot: inner dimensions differ: ${fmtShape(a.shape)}${transposeA ? ' (transposed)' : ''} · ` +
        `${fmtShape(b.shape)}${transposeB ? ' (transposed)' : ''} contracts ${aK} with ${bK}; they must be equal`,
    );
  }
  const m = sizeOf(aRows);
  const n = sizeOf(bCols);
  const a3 = reshape(a, transposeA ? [1, aK, m] : [1, m, aK]);
  const b3 = reshape(b, transposeB ? [1, n, bK] : [1, bK, n]);
  return reshape(bmm(a3, b3, transposeA, transposeB), [...aRows, ...bCols]);
}, 2);

/** Batched product of 3-D arrays: (B, m, k) x (B, k, n) -> (B, m, n). */
export const batchDot = publicOp('batchDot', function batchDot(a: NDArray, b: NDArray, options: TransposeOptions = {}): NDArray {
  expectArray('batchDot', a, 'the first operand');
  expectArray('batchDot', b, 'the second operand');
  [a, b] = floatOperands('batchDot', a, b);
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(`batchDot: needs two 3-D arrays with the same batch size, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return bmm(a, b, options.transposeA ?? false, options.transposeB ?? false, { op: 'batchDot', a, b });
}, 2);

/**
 * NumPy's matmul: vectors are promoted to matrices, leading (batch) dimensions broadcast.
 * @example nd.matmul(nd.ones([4, 2, 3]), nd.ones([3, 5])) // shape (4, 2, 5)
 */
export const matmul = publicOp('matmul', function matmul(a: NDArray, b: NDArray, options: TransposeOptions = {}): NDArray {
  expectArray('matmul', a, 'the first operand');
  expectArray('matmul', b, 'the second operand');
  [a, b] = floatOperands('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: operands must have at least one dimension, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const { transposeA = false, transposeB = false } = options;
  const a2 = a.ndim === 1 ? reshape(a, transposeA ? [a.size, 1] : [1, a.size]) : a;
  const b2 = b.ndim === 1 ? reshape(b, transposeB ? [1, b.size] : [b.size, 1]) : b;
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  if (!batchA.every((d, i) => { const e = batchB[batchB.length - batchA.length + i]; return e === undefined || d === e || d === 1 || e === 1; })) {
    throw new ShapeError(
      `matmul: batch dimensions of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be broadcast together ` +
        `(${fmtShape(batchA)} vs ${fmtShape(batchB)}); each must match or be 1`,
    );
  }
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const flatBatch = (x: NDArray, own: readonly number[]): NDArray => {
    const mat = x.shape.slice(-2);
    if (sizeOf(own) === 1) return reshape(x, [1, ...mat]);
    return reshape(broadcastTo(x, [...batch, ...mat]), [sizeOf(batch), ...mat]);
  };
  const out = bmm(flatBatch(a2, batchA), flatBatch(b2, batchB), transposeA, transposeB, { op: 'matmul', a, b });
  const shape = [...batch, out.shape[1]!, out.shape[2]!];
  if (a.ndim === 1) shape.splice(shape.length - 2, 1);
  if (b.ndim === 1) shape.splice(shape.length - 1, 1);
  return reshape(out, shape);
}, 2);

interface FcAttrs {
  readonly hasBias: boolean;
}

/** (M, K) x (N, K)ᵀ + b -> (M, N): the GEMM adds its products to the bias, one pass, one array. */
const fcPrim: Primitive<FcAttrs, MatmulPlan> = primitive({
  name: 'fullyConnected',
  outputInit: 'none',
  infer([x, w, b], { hasBias }) {
    const [m, k] = x!.shape as [number, number];
    const [n, kw] = w!.shape as [number, number];
    if (w!.ndim !== 2 || k !== kw) {
      throw new ShapeError(
        `fullyConnected: the weight must be (units, ${k}) for an input with ${k} features (shape ${fmtShape(x!.shape)}), got ${fmtShape(w!.shape)}`,
      );
    }
    if (hasBias && (b!.ndim !== 1 || b!.shape[0] !== n)) {
      throw new ShapeError(`fullyConnected: the bias must have shape (${n},) to match the weight ${fmtShape(w!.shape)}, got ${fmtShape(b!.shape)}`);
    }
    const plan: MatmulPlan = { batch: 1, m, n, k, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0, accumulate: hasBias };
    return { shape: [m, n], dtype: x!.dtype, plan };
  },
  compute(kernels, out, [x, w, b], plan) {
    if (plan.accumulate) kernels.matmulBias(out, x!, w!, b!, plan);
    else kernels.matmul(out, x!, w!, plan);
  },
  grad(g, ctx) {
    const { inputs: [x, w], attrs: { hasBias } } = ctx;
    const [m, k] = x!.shape as [number, number];
    const n = w!.shape[0]!;
    const g3 = reshape(g, [1, m, n]);
    const gx = wantsGrad(ctx, 0) ? reshape(bmm(g3, reshape(w!, [1, n, k]), false, false), [m, k]) : null;
    let gw: NDArray | null = null;
    if (wantsGrad(ctx, 1)) {
      // Written straight into the weight's gradient buffer when autograd offers it.
      const dest = ctx.into?.[1] ?? null;
      const r = bmmInto(g3, reshape(x!, [1, m, k]), true, false, dest === null ? null : reshape(dest, [1, n, k]));
      gw = dest !== null && r.storage === dest.storage ? dest : reshape(r, [n, k]);
    }
    const gb = hasBias && wantsGrad(ctx, 2) ? sum(g, 0) : null;
    return hasBias ? [gx, gw, gb] : [gx, gw];
  },
});

/** Options of `fullyConnected`. */
export interface FullyConnectedOptions {
  /** Treat (N, d1, ..., dk) as (N, d1*...*dk) (default true); false applies the layer to the last axis. */
  flatten?: boolean;
}

/**
 * MXNet's FullyConnected: `x Wᵀ + b` as one op, what `nn.Dense` computes. `weight` is
 * (units, inUnits) and `bias` (units) or null. With `flatten` (the default) the input is
 * (N, ...) and the output (N, units); without it the last axis is contracted and the output is
 * (..., units). The product accumulates onto the bias, so the result is one fresh array, and the
 * weight's gradient is written straight into its gradient buffer when autograd can.
 * @example nd.fullyConnected(nd.ones([2, 3]), nd.ones([4, 3]), nd.zeros([4])) // shape (2, 4), all 3
 */
export const fullyConnected = publicOp('fullyConnected', function fullyConnected(x: NDArray, weight: NDArray, bias: NDArray | null = null, options: FullyConnectedOptions = {}): NDArray {
  expectArray('fullyConnected', x, 'the input');
  expectArray('fullyConnected', weight, 'the weight');
  if (bias !== null) expectArray('fullyConnected', bias, 'the bias');
  const dtype = [x, weight, ...(bias === null ? [] : [bias])].reduce((d, a) => promote(d, a.dtype), x.dtype);
  if (!isFloat(dtype)) {
    throw new DTypeError(`fullyConnected: needs float32 or float64 arrays, got ${x.dtype} and ${weight.dtype}; convert with .astype('float32')`);
  }
  const flatten = options.flatten ?? true;
  if (x.ndim === 0 || (flatten && x.ndim < 2)) {
    throw new ShapeError(`fullyConnected: the input of shape ${fmtShape(x.shape)} needs ${flatten ? 'a batch axis and features' : 'at least one axis'}`);
  }
  const lead = flatten ? [x.shape[0]!] : x.shape.slice(0, -1);
  const features = flatten ? sizeOf(x.shape.slice(1)) : x.shape[x.ndim - 1]!;
  const xc = ensureDType(x, dtype);
  const x2 = xc.ndim === 2 && lead.length === 1 ? xc : reshape(xc, [sizeOf(lead), features]);
  const inputs = [x2, ensureDType(weight, dtype), ...(bias === null ? [] : [ensureDType(bias, dtype)])];
  const y = apply(fcPrim, inputs, { hasBias: bias !== null });
  return lead.length === 1 ? y : reshape(y, [...lead, y.shape[1]!]);
}, 3);

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    dot(b: NDArray, options?: TransposeOptions): NDArray;
    matmul(b: NDArray, options?: TransposeOptions): NDArray;
    batchDot(b: NDArray, options?: TransposeOptions): NDArray;
  }
}

installMethods({ dot, matmul, batchDot });
