/**
 * Reductions over any set of axes, with `keepdims`: sum, mean, prod, max, min, norm, and argmax /
 * argmin over one axis. Reduced axes that are not adjacent are first moved to the end, so every
 * kernel sees one contiguous (outer, reduce, inner) view.
 *
 * Dtypes: reductions keep the input's dtype, except that `mean` and `norm` of integers give
 * float32 and a uint8 `sum`/`prod` computes in int32; argmax/argmin give int32 indices. NaN
 * propagates through sum, max and min, and is the winner of argmax/argmin, as in NumPy.
 */
import { isFloat } from '../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkShape, normalizeAxes, normalizeAxis, reducedShape, sizeOf } from '../core/shape.js';
import type { ArgReduceOp, ReduceOp, ReducePlan } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type GradContext, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { add, div, equal, mul } from './binary.js';
import { abs, sqrt, square } from './unary.js';
import { broadcastTo, reshape, transpose } from './shape.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

/** Options of the reductions. */
export interface ReduceOptions {
  /** The axis or axes to reduce (negative counts from the end); null or omitted reduces all. */
  axis?: number | readonly number[] | null;
  /** Keep reduced axes as length 1, so the result broadcasts against the input (default false). */
  keepdims?: boolean;
}

/** `x.sum()`, `x.sum(1)`, `x.sum([0, 2], { keepdims: true })` and `x.sum({ axis: 1 })` all work. */
export type AxisArg = number | readonly number[] | ReduceOptions | null | undefined;

function parseArgs(axisOrOptions: AxisArg, options: ReduceOptions | undefined): ReduceOptions {
  if (axisOrOptions !== null && typeof axisOrOptions === 'object' && !Array.isArray(axisOrOptions)) {
    return axisOrOptions as ReduceOptions;
  }
  return { ...options, axis: axisOrOptions as number | readonly number[] | null | undefined };
}

interface ReduceAttrs {
  readonly plan: ReducePlan;
  /** The output shape (with or without kept dimensions). */
  readonly shape: readonly number[];
  /** The reduced input's shape with the reduced block set to 1, for broadcasting gradients. */
  readonly gradShape: readonly number[];
}

/**
 * Puts the reduced axes into one contiguous block and returns the input to reduce (maybe
 * transposed) with the kernel plan.
 */
function arrange(x: NDArray, axes: readonly number[], keepdims: boolean): { input: NDArray; attrs: ReduceAttrs } {
  const contiguous = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
  let input = x;
  let first = axes[0] ?? x.ndim;
  if (!contiguous) {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    input = transpose(x, [...kept, ...axes]);
    first = kept.length;
  }
  const shape = input.shape;
  const last = first + axes.length;
  const plan = { outer: sizeOf(shape.slice(0, first)), reduce: sizeOf(shape.slice(first, last)), inner: sizeOf(shape.slice(last)) };
  const gradShape = shape.map((d, i) => (i >= first && i < last ? 1 : d));
  return { input, attrs: { plan, shape: reducedShape(x.shape, axes, keepdims), gradShape } };
}

/** The output gradient spread back over the reduced input. */
function spread(g: NDArray, { inputs: [x], attrs }: GradContext<ReduceAttrs>): NDArray {
  return broadcastTo(reshape(g, attrs.gradShape), x!.shape);
}

type GradRule = (g: NDArray, ctx: GradContext<ReduceAttrs>) => NDArray;

function reducePrim(op: ReduceOp, grad: GradRule): Primitive<ReduceAttrs, ReducePlan> {
  return primitive({
    name: op,
    outputInit: 'none',
    infer: ([x], attrs) => ({ shape: attrs.shape, dtype: x!.dtype, plan: attrs.plan }),
    compute: (k, out, [x], plan) => k.reduce[op](out, x!, plan),
    grad: (g, ctx) => [grad(g, ctx)],
  });
}

/** Where the input equals the extreme the reduction picked; ties all receive the gradient. */
const extremeGrad: GradRule = (g, ctx) => mul(spread(g, ctx), equal(ctx.inputs[0]!, spread(ctx.out, ctx)));

/**
 * d prod / d x_i is the product of the other elements. Dividing the product by x_i fails at
 * zeros, so zeros are replaced by ones first: with no zero in a line the gradient is p / x_i; with
 * one zero only that element gets the product of the rest; with two or more every gradient is 0.
 */
const prodGrad: GradRule = (g, ctx) => {
  const x = ctx.inputs[0]!;
  const isZero = equal(x, 0);
  const safe = add(x, isZero);
  const p = apply(PRIMS.prod, [safe], ctx.attrs);
  const zeros = apply(PRIMS.sum, [isZero], ctx.attrs);
  const none = spread(equal(zeros, 0), ctx);
  const one = spread(equal(zeros, 1), ctx);
  const pFull = spread(p, ctx);
  const local = add(mul(none, div(pFull, safe)), mul(mul(one, isZero), pFull));
  return mul(spread(g, ctx), local);
};

const PRIMS: Record<ReduceOp, Primitive<ReduceAttrs, ReducePlan>> = {
  sum: reducePrim('sum', spread),
  prod: reducePrim('prod', (g, ctx) => prodGrad(g, ctx)),
  max: reducePrim('max', extremeGrad),
  min: reducePrim('min', extremeGrad),
};

function reduceWith(op: ReduceOp, x: NDArray, axisOrOptions: AxisArg, options?: ReduceOptions): NDArray {
  expectArray(op, x);
  const { axis, keepdims = false } = parseArgs(axisOrOptions, options);
  const axes = normalizeAxes(axis, x.ndim, op);
  if ((op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0)) {
    throw new ValueError(`${op}: cannot reduce over a zero-size axis of shape ${fmtShape(x.shape)}; the result has no identity`);
  }
  // NOTE: a uint8 sum or product overflows at 256 (pixel sums, counts of matches); it computes in
  // int32 instead, as NumPy widens small integers.
  const widened = (op === 'sum' || op === 'prod') && x.dtype === 'uint8' ? ensureDType(x, 'int32') : x;
  const { input, attrs } = arrange(widened, axes, keepdims);
  return apply(PRIMS[op], [input], attrs);
}

/** Sum over `axis` (all axes when omitted). */
export const sum = publicOp('sum', function sum(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('sum', x, axis, options);
}, 2);

/**
 * Product over `axis` (all axes when omitted); uint8 input multiplies in int32.
 * @example nd.prod(nd.array([[1, 2], [3, 4]]), 1) // [2, 12]
 */
export const prod = publicOp('prod', function prod(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('prod', x, axis, options);
}, 2);

/**
 * Maximum over `axis` (all axes when omitted); the gradient goes to every element equal to it.
 * @example nd.array([[1, 5], [7, 2]]).max(0) // [7, 5]
 */
export const max = publicOp('max', function max(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('max', x, axis, options);
}, 2);

/** Minimum over `axis` (all axes when omitted); the gradient goes to every element equal to it. */
export const min = publicOp('min', function min(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('min', x, axis, options);
}, 2);

/** Mean over `axis`; integer inputs give a float32 mean. */
export const mean = publicOp('mean', function mean(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  expectArray('mean', x);
  const opts = parseArgs(axis, options);
  const axes = normalizeAxes(opts.axis, x.ndim, 'mean');
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  const xf = isFloat(x.dtype) ? x : ensureDType(x, 'float32');
  return div(sum(xf, opts), count);
}, 2);

/** Options of `norm`: the reduction options and the order (2, Euclidean, by default; or 1). */
export type NormOptions = ReduceOptions & { ord?: 1 | 2 };

/**
 * The vector norm over `axis` (all axes when omitted): `ord` 2 (default, Euclidean) or 1.
 * @example nd.norm(nd.array([3, 4])) // 5; x.norm({ axis: 1, keepdims: true })
 */
export const norm = publicOp('norm', function norm(x: NDArray, axisOrOptions?: number | readonly number[] | NormOptions | null, options?: NormOptions): NDArray {
  expectArray('norm', x);
  const opts = parseArgs(axisOrOptions, options) as NormOptions;
  const ord = opts.ord ?? 2;
  if (ord !== 1 && ord !== 2) throw new ValueError(`norm: ord must be 1 or 2, got ${String(ord)}`);
  const reduceOpts = { axis: opts.axis ?? null, keepdims: opts.keepdims ?? false };
  const xf = isFloat(x.dtype) ? x : ensureDType(x, 'float32');
  return ord === 1 ? sum(abs(xf), reduceOpts) : sqrt(sum(square(xf), reduceOpts));
}, 2);

/** Sums `x` down to `shape`, the inverse of broadcasting `shape` up to `x.shape`. */
export const sumTo = publicOp('sumTo', function sumTo(x: NDArray, shape: readonly number[]): NDArray {
  expectArray('sumTo', x);
  checkShape(shape, 'sumTo');
  const lead = x.ndim - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== x.shape[i + lead])) {
    throw new ShapeError(`sumTo: cannot sum shape ${fmtShape(x.shape)} down to ${fmtShape(shape)}; the target must broadcast to the input's shape`);
  }
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  if (axes.length === 0) return x;
  return reshape(sum(x, axes, { keepdims: true }), shape);
});

function argPrim(op: ArgReduceOp): Primitive<ReduceAttrs, ReducePlan> {
  return primitive({
    name: op,
    outputInit: 'none',
    infer: (_inputs, attrs) => ({ shape: attrs.shape, dtype: 'int32', plan: attrs.plan }),
    compute: (k, out, [x], plan) => k.argReduce[op](out as Int32Array, x!, plan),
  });
}

const argPrims: Record<ArgReduceOp, Primitive<ReduceAttrs, ReducePlan>> = { argmax: argPrim('argmax'), argmin: argPrim('argmin') };

function argReduce(op: ArgReduceOp, x: NDArray, axis: number | null | undefined, keepdims: boolean): NDArray {
  if (axis === null || axis === undefined) {
    if (x.size === 0) throw new ValueError(`${op}: the array of shape ${fmtShape(x.shape)} is empty; there is no index to return`);
    const flat = argReduce(op, reshape(x, [x.size]), 0, false);
    return keepdims ? reshape(flat, x.shape.map(() => 1)) : flat;
  }
  const a = normalizeAxis(axis, x.ndim, op);
  if (x.shape[a] === 0) throw new ValueError(`${op}: axis ${a} of shape ${fmtShape(x.shape)} is empty; there is no index to return`);
  const { input, attrs } = arrange(x, [a], keepdims);
  return apply(argPrims[op], [input], attrs);
}

/** Options of `argmax` / `argmin`: one axis (omitted or null: the flattened array), `keepdims`. */
export interface ArgReduceOptions {
  axis?: number | null;
  keepdims?: boolean;
}

/** `x.argmax(1)`, `x.argmax(1, { keepdims: true })` and `x.argmax({ axis: 1, keepdims: true })` all work. */
export type ArgAxisArg = number | ArgReduceOptions | null | undefined;

function parseArgArgs(op: ArgReduceOp, axisOrOptions: ArgAxisArg, options: ArgReduceOptions | undefined): { axis: number | null | undefined; keepdims: boolean } {
  const opts = parseArgs(axisOrOptions as AxisArg, options);
  if (Array.isArray(opts.axis)) throw new ValueError(`${op}: axis must be one axis (a number) or null, got ${fmtValue(opts.axis)}; ${op} reduces over a single axis`);
  return { axis: opts.axis as number | null | undefined, keepdims: opts.keepdims ?? false };
}

/**
 * Index (int32) of the largest value along `axis` (of the flattened array when omitted).
 * @example nd.argmax(x, 1); x.argmax({ axis: 1, keepdims: true })
 */
export const argmax = publicOp('argmax', function argmax(x: NDArray, axis?: ArgAxisArg, options?: ArgReduceOptions): NDArray {
  expectArray('argmax', x);
  const opts = parseArgArgs('argmax', axis, options);
  return argReduce('argmax', x, opts.axis, opts.keepdims);
}, 2);

/** Index (int32) of the smallest value along `axis` (of the flattened array when omitted). */
export const argmin = publicOp('argmin', function argmin(x: NDArray, axis?: ArgAxisArg, options?: ArgReduceOptions): NDArray {
  expectArray('argmin', x);
  const opts = parseArgArgs('argmin', axis, options);
  return argReduce('argmin', x, opts.axis, opts.keepdims);
}, 2);

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    sum(axis?: AxisArg, options?: ReduceOptions): NDArray;
    prod(axis?: AxisArg, options?: ReduceOptions): NDArray;
    max(axis?: AxisArg, options?: ReduceOptions): NDArray;
    min(axis?: AxisArg, options?: ReduceOptions): NDArray;
    mean(axis?: AxisArg, options?: ReduceOptions): NDArray;
    norm(axis?: number | readonly number[] | NormOptions | null, options?: NormOptions): NDArray;
    argmax(axis?: ArgAxisArg, options?: ArgReduceOptions): NDArray;
    argmin(axis?: ArgAxisArg, options?: ArgReduceOptions): NDArray;
  }
}

installMethods({ sum, prod, max, min, mean, norm, argmax, argmin });
