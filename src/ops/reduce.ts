/**
 * Reductions over any set of axes, with `keepdims`: sum, mean, prod, max, min, norm, and argmax /
 * argmin over one axis. Reduced axes that are not adjacent are first moved to the end, so every
 * kernel sees one contiguous (outer, reduce, inner) view.
 */
import { isFloat } from '../core/dtype.js';
import { ValueError, fmtShape } from '../core/errors.js';
import { normalizeAxes, normalizeAxis, reducedShape, sizeOf } from '../core/shape.js';
import type { ArgReduceOp, ReduceOp, ReducePlan } from '../backend/kernels.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { apply, type GradContext, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { div, equal, mul } from './binary.js';
import { abs, sqrt, square } from './unary.js';
import { broadcastTo, reshape, transpose } from './shape.js';
import { installMethods } from './method.js';

export interface ReduceOptions {
  axis?: number | readonly number[] | null;
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
  return {
    name: op,
    infer: ([x], attrs) => ({ shape: attrs.shape, dtype: x!.dtype, plan: attrs.plan }),
    compute: (k, out, [x], plan) => k.reduce[op](out, x!, plan),
    grad: (g, ctx) => [grad(g, ctx)],
  };
}

/** Where the input equals the extreme the reduction picked; ties all receive the gradient. */
const extremeGrad: GradRule = (g, ctx) => mul(spread(g, ctx), equal(ctx.inputs[0]!, spread(ctx.out, ctx)));

const PRIMS: Record<ReduceOp, Primitive<ReduceAttrs, ReducePlan>> = {
  sum: reducePrim('sum', spread),
  prod: reducePrim('prod', (g, ctx) => div(mul(spread(g, ctx), spread(ctx.out, ctx)), ctx.inputs[0]!)),
  max: reducePrim('max', extremeGrad),
  min: reducePrim('min', extremeGrad),
};

function reduceWith(op: ReduceOp, x: NDArray, axisOrOptions: AxisArg, options?: ReduceOptions): NDArray {
  const { axis, keepdims = false } = parseArgs(axisOrOptions, options);
  const axes = normalizeAxes(axis, x.ndim, op);
  if ((op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0)) {
    throw new ValueError(`${op}: cannot reduce over a zero-size axis of shape ${fmtShape(x.shape)}; the result has no identity`);
  }
  const { input, attrs } = arrange(x, axes, keepdims);
  return apply(PRIMS[op], [input], attrs);
}

/** Sum over `axis` (all axes when omitted). */
export function sum(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('sum', x, axis, options);
}

export function prod(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('prod', x, axis, options);
}

export function max(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('max', x, axis, options);
}

export function min(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  return reduceWith('min', x, axis, options);
}

/** Mean over `axis`; integer inputs give a float32 mean. */
export function mean(x: NDArray, axis?: AxisArg, options?: ReduceOptions): NDArray {
  const opts = parseArgs(axis, options);
  const axes = normalizeAxes(opts.axis, x.ndim, 'mean');
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  const xf = isFloat(x.dtype) ? x : ensureDType(x, 'float32');
  return div(sum(xf, opts), count);
}

/** The vector norm over `axis`: `ord` 2 (default, Euclidean) or 1. */
export function norm(x: NDArray, options: ReduceOptions & { ord?: 1 | 2 } = {}): NDArray {
  const ord = options.ord ?? 2;
  if (ord === 1) return sum(abs(x), options);
  if (ord !== 2) throw new ValueError(`norm: ord must be 1 or 2, got ${String(ord)}`);
  return sqrt(sum(square(x), options));
}

/** Sums `x` down to `shape`, the inverse of broadcasting `shape` up to `x.shape`. */
export function sumTo(x: NDArray, shape: readonly number[]): NDArray {
  const lead = x.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++) if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  if (axes.length === 0) return x;
  return reshape(sum(x, axes, { keepdims: true }), shape);
}

function argPrim(op: ArgReduceOp): Primitive<ReduceAttrs, ReducePlan> {
  return {
    name: op,
    infer: (_inputs, attrs) => ({ shape: attrs.shape, dtype: 'int32', plan: attrs.plan }),
    compute: (k, out, [x], plan) => k.argReduce[op](out as Int32Array, x!, plan),
  };
}

const argPrims: Record<ArgReduceOp, Primitive<ReduceAttrs, ReducePlan>> = { argmax: argPrim('argmax'), argmin: argPrim('argmin') };

function argReduce(op: ArgReduceOp, x: NDArray, axis: number | null | undefined, keepdims: boolean): NDArray {
  if (axis === null || axis === undefined) return argReduce(op, reshape(x, [x.size]), 0, false);
  const a = normalizeAxis(axis, x.ndim, op);
  if (x.shape[a] === 0) throw new ValueError(`${op}: axis ${a} of shape ${fmtShape(x.shape)} is empty; there is no index to return`);
  const { input, attrs } = arrange(x, [a], keepdims);
  return apply(argPrims[op], [input], attrs);
}

/** Index (int32) of the largest value along `axis` (of the flattened array when omitted). */
export function argmax(x: NDArray, axis?: number | null, options: { keepdims?: boolean } = {}): NDArray {
  return argReduce('argmax', x, axis, options.keepdims ?? false);
}

/** Index (int32) of the smallest value along `axis` (of the flattened array when omitted). */
export function argmin(x: NDArray, axis?: number | null, options: { keepdims?: boolean } = {}): NDArray {
  return argReduce('argmin', x, axis, options.keepdims ?? false);
}

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    sum(axis?: AxisArg, options?: ReduceOptions): NDArray;
    prod(axis?: AxisArg, options?: ReduceOptions): NDArray;
    max(axis?: AxisArg, options?: ReduceOptions): NDArray;
    min(axis?: AxisArg, options?: ReduceOptions): NDArray;
    mean(axis?: AxisArg, options?: ReduceOptions): NDArray;
    norm(options?: ReduceOptions & { ord?: 1 | 2 }): NDArray;
    argmax(axis?: number | null, options?: { keepdims?: boolean }): NDArray;
    argmin(axis?: number | null, options?: { keepdims?: boolean }): NDArray;
  }
}

installMethods({ sum, prod, max, min, mean, norm, argmax, argmin });
