/**
 * Indexing ops: take (gather along an axis), pick (one element per row, as cross-entropy needs),
 * oneHot, where (three-way broadcasting select) and clip.
 *
 * Index arrays may be float or integer; fractional indices are truncated toward zero, as MXNet
 * casts them. Out-of-range indices are handled by `mode`: 'clip' (MXNet's default) clamps to the
 * valid range, 'wrap' wraps around, 'raise' accepts [-n, n) (negatives count from the end) and
 * throws otherwise. Indices are validated once, in JavaScript, before a kernel runs, so kernels
 * only ever see valid positions.
 */
import { promote, promoteScalar, type DType, type TypedArray } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { broadcastShapes, broadcastStrides, normalizeAxis, sizeOf } from '../core/shape.js';
import type { AxisPlan, TernaryPlan } from '../backend/kernels.js';
import { NDArray, type NestedArray, expectArray } from '../ndarray/ndarray.js';
import { array, checkDType, full } from '../ndarray/creation.js';
import { apply, primitive, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { maximum, minimum } from './binary.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

/** What an out-of-range index does: 'clip' to the ends, 'wrap' around, or 'raise' a ValueError. */
export type IndexMode = 'clip' | 'wrap' | 'raise';

const MODES: readonly IndexMode[] = ['clip', 'wrap', 'raise'];

/** Index arrays may be given as NDArrays or plain (nested) JavaScript arrays of numbers. */
export type IndexLike = NDArray | NestedArray;

function toIndexArray(indices: IndexLike): NDArray {
  return NDArray.isInstance(indices) ? indices : array(indices as NestedArray, { dtype: 'int32' });
}

/**
 * Validates and maps raw index values onto [0, n) according to `mode`. With `strict` (nn.Embedding)
 * every index must already be an integer in [0, n), and the error names the layer.
 */
function normalizeIndices(op: string, data: TypedArray, n: number, a: GatherAttrs): Int32Array {
  // int32 indices already in [0, n) (class labels, token ids) are read as they are: every mode
  // maps them to themselves, and a training step need not copy its labels twice.
  if (data instanceof Int32Array) {
    let j = 0;
    while (j < data.length && data[j]! >= 0 && data[j]! < n) j++;
    if (j === data.length) return data;
  }
  const out = new Int32Array(data.length);
  if (data.length === 0) return out;
  if (n === 0) throw new ShapeError(`${op}: cannot index ${whereOf(a)}, which has length 0`);
  const { mode, strict } = a;
  for (let j = 0; j < data.length; j++) {
    const v = data[j]!;
    if (strict !== undefined && (!(v >= 0 && v < n) || Math.trunc(v) !== v)) {
      throw new ValueError(
        `${strict.block}: index ${v} at flat position ${j} of the input ${fmtShape(strict.indexShape)} is not an integer in [0, ${n}); ` +
          `the vocabulary has inputDim ${n} entries`,
      );
    }
    let i = Number.isNaN(v) ? 0 : Math.trunc(v);
    if (mode === 'clip') i = i < 0 ? 0 : i >= n ? n - 1 : i;
    else if (mode === 'wrap') i = ((i % n) + n) % n;
    else {
      if (!(i >= -n && i < n)) {
        throw new ValueError(`${op}: index ${v} is out of range for ${whereOf(a)} of length ${n} (mode 'raise' accepts [${-n}, ${n - 1}]); use mode 'clip' or 'wrap' to map it into range`);
      }
      if (i < 0) i += n;
    }
    out[j] = i;
  }
  return out;
}

function whereOf(a: GatherAttrs): string {
  return `axis ${a.axis} of shape ${fmtShape(a.full)}`;
}

function checkMode(op: string, mode: string): IndexMode {
  if (!MODES.includes(mode as IndexMode)) throw new ValueError(`${op}: unknown mode ${fmtValue(mode)}; use 'clip', 'wrap' or 'raise'`);
  return mode as IndexMode;
}

function axisPlan(shape: readonly number[], axis: number): AxisPlan {
  return { outer: sizeOf(shape.slice(0, axis)), axisLen: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

/**
 * A gather along one axis. The index array is the primitive's second input, read when the kernel
 * runs (never baked into the attributes), so a traced graph gathers whatever indices it is given.
 * (src/ops/embedding.ts builds these attributes for nn.Embedding's lookup.)
 */
interface GatherAttrs {
  readonly shape: readonly number[];
  /** The input's shape (the gradient's shape). */
  readonly full: readonly number[];
  readonly plan: AxisPlan;
  readonly axis: number;
  readonly mode: IndexMode;
  /** nn.Embedding's check: indices must be integers in [0, n); errors name `block`. */
  readonly strict?: { readonly block: string; readonly indexShape: readonly number[] };
}

function gatherPrims(name: 'take' | 'pick'): { fwd: Primitive<GatherAttrs, null>; back: Primitive<GatherAttrs, null> } {
  const fwd: Primitive<GatherAttrs, null> = primitive({
    name,
    outputInit: 'none',
    infer: ([x], a) => ({ shape: a.shape, dtype: x!.dtype, plan: null }),
    compute: (k, out, [x, i], _p, a) => k[name](out, x!, normalizeIndices(name, i!, a.plan.axisLen, a), a.plan),
    grad: (g, { inputs: [, i], attrs }) => [apply(back, [g, i!], attrs), null],
  });
  const back: Primitive<GatherAttrs, null> = primitive({
    name: `${name}Grad`,
    infer: ([g], a) => ({ shape: a.full, dtype: g!.dtype, plan: null }),
    compute: (k, out, [g, i], _p, a) => k[name === 'take' ? 'takeGrad' : 'pickGrad'](out, g!, normalizeIndices(name, i!, a.plan.axisLen, a), a.plan),
    grad: (gg, { inputs: [, i], attrs }) => [apply(fwd, [gg, i!], attrs), null],
  });
  return { fwd, back };
}

const TAKE = gatherPrims('take');
const PICK = gatherPrims('pick');

/** The arguments take and pick share, validated: the index array, the mode and the axis of `x`. */
function gatherArgs(op: 'take' | 'pick', x: NDArray, indices: IndexLike, options: { axis?: number; mode?: IndexMode }, defaultAxis: number): { idxArr: NDArray; mode: IndexMode; axis: number } {
  const idxArr = toIndexArray(indices);
  const mode = checkMode(op, options.mode ?? 'clip');
  if (x.ndim === 0) throw new ShapeError(`${op}: cannot ${op} from a 0-d array (shape ()); it has no axis to index`);
  return { idxArr, mode, axis: normalizeAxis(options.axis ?? defaultAxis, x.ndim, op) };
}

/** The attributes of a gather along `axis` with output `shape`. */
function gatherAttrs(x: NDArray, { mode, axis }: { mode: IndexMode; axis: number }, shape: readonly number[]): GatherAttrs {
  return { shape, full: x.shape, plan: axisPlan(x.shape, axis), axis, mode };
}

/** Options of `take`. */
export interface TakeOptions {
  /** The axis to gather along (default 0). */
  axis?: number;
  /** Out-of-range indices (default 'clip'). */
  mode?: IndexMode;
}

/**
 * Gathers slices of `x` along `axis` at `indices`: the result has shape
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]` (MXNet's `take`; default mode 'clip').
 * @example nd.take(nd.array([[1, 2], [3, 4], [5, 6]]), nd.array([2, 0])) // [[5, 6], [1, 2]]
 */
export const take = publicOp('take', function take(x: NDArray, indices: IndexLike, options: TakeOptions = {}): NDArray {
  expectArray('take', x);
  const args = gatherArgs('take', x, indices, options, 0);
  const { idxArr, axis } = args;
  const shape = [...x.shape.slice(0, axis), ...idxArr.shape, ...x.shape.slice(axis + 1)];
  return apply(TAKE.fwd, [x, idxArr], gatherAttrs(x, args, shape));
}, 2);

/** Options of `pick`. */
export interface PickOptions {
  /** The axis to pick along (default -1). */
  axis?: number;
  /** Keep the picked axis with length 1 (default false). */
  keepdims?: boolean;
  /** Out-of-range indices (default 'clip'). */
  mode?: IndexMode;
}

/**
 * Picks one element along `axis` for every position of the other axes: `out[i] = x[i, index[i]]`
 * for a 2-d `x` and the default axis -1 (Gluon's `pick`, used by softmax cross-entropy). `index`
 * has `x`'s shape without `axis` (or with size 1 there).
 * @example nd.pick(nd.array([[1, 2], [3, 4]]), nd.array([1, 0])) // [2, 3]
 */
export const pick = publicOp('pick', function pick(x: NDArray, index: IndexLike, options: PickOptions = {}): NDArray {
  expectArray('pick', x);
  const args = gatherArgs('pick', x, index, options, -1);
  const { idxArr, axis } = args;
  const dropped = x.shape.filter((_, i) => i !== axis);
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  const fits = (s: readonly number[]) => s.length === idxArr.ndim && s.every((d, i) => d === idxArr.shape[i]);
  if (!fits(dropped) && !fits(kept)) {
    throw new ShapeError(
      `pick: index of shape ${fmtShape(idxArr.shape)} does not fit data of shape ${fmtShape(x.shape)} along axis ${axis}; ` +
        `it must have shape ${fmtShape(dropped)} (or ${fmtShape(kept)})`,
    );
  }
  return apply(PICK.fwd, [x, idxArr], gatherAttrs(x, args, options.keepdims ? kept : dropped));
}, 2);

interface OneHotAttrs {
  readonly depth: number;
  readonly on: number;
  readonly off: number;
  readonly dtype: DType;
}

const oneHotPrim: Primitive<OneHotAttrs, null> = primitive({
  name: 'oneHot',
  infer: ([i], a) => ({ shape: [...i!.shape, a.depth], dtype: a.dtype, plan: null }),
  compute(_k, out, [idx], _p, { depth, on, off }) {
    if (off !== 0) out.fill(off);
    for (let j = 0; j < idx!.length; j++) {
      const v = Math.trunc(idx![j]!);
      if (v >= 0 && v < depth) out[j * depth + v] = on;
    }
  },
});

/** Options of `oneHot`. */
export interface OneHotOptions {
  /** The value at each index (default 1). */
  onValue?: number;
  /** The value elsewhere (default 0). */
  offValue?: number;
  /** The result's dtype (default float32). */
  dtype?: DType;
}

/**
 * One-hot encoding: appends an axis of length `depth` holding `onValue` at each index and
 * `offValue` elsewhere. Indices outside [0, depth) give a row of `offValue`, as in MXNet.
 * @example nd.oneHot(nd.array([1, 0]), 3) // [[0, 1, 0], [1, 0, 0]]
 */
export const oneHot = publicOp('oneHot', function oneHot(indices: IndexLike, depth: number, options: OneHotOptions = {}): NDArray {
  if (!Number.isInteger(depth) || depth < 0) throw new ValueError(`oneHot: depth must be a non-negative integer, got ${fmtValue(depth)}`);
  const idx = toIndexArray(indices);
  const dtype = checkDType(options.dtype ?? 'float32', 'oneHot');
  return apply(oneHotPrim, [idx], { depth, on: options.onValue ?? 1, off: options.offValue ?? 0, dtype });
}, 2);

const wherePrim: Primitive<null, TernaryPlan> = primitive({
  name: 'where',
  outputInit: 'none',
  infer([c, a, b]) {
    let shape: number[];
    try {
      shape = broadcastShapes(broadcastShapes(c!.shape, a!.shape, 'where'), b!.shape, 'where');
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw new ShapeError(
        `where: condition ${fmtShape(c!.shape)}, x ${fmtShape(a!.shape)} and y ${fmtShape(b!.shape)} cannot be broadcast together; each dimension must match or be 1`,
      );
    }
    const plan = { shape, cStrides: broadcastStrides(c!.shape, shape), aStrides: broadcastStrides(a!.shape, shape), bStrides: broadcastStrides(b!.shape, shape) };
    return { shape, dtype: a!.dtype, plan };
  },
  compute: (k, out, [c, a, b], plan) => k.where(out, c!, a!, b!, plan),
  grad: (g, { inputs: [c] }) => [null, where(c!, g, 0), where(c!, 0, g)],
});

/**
 * Element-wise select: `x` where `condition` is non-zero, `y` elsewhere, with three-way NumPy
 * broadcasting. `x` and `y` may be numbers; their dtypes promote as in binary ops. The gradient
 * flows to `x` where the condition holds and to `y` elsewhere.
 * @example nd.where(x.greater(0), x, 0) // relu
 */
export const where = publicOp('where', function where(condition: NDArray, x: NDArray | number, y: NDArray | number): NDArray {
  expectArray('where', condition, 'the condition');
  let dtype: DType;
  if (NDArray.isInstance(x) && NDArray.isInstance(y)) dtype = promote(x.dtype, y.dtype);
  else if (NDArray.isInstance(x)) dtype = promoteScalar(x.dtype, y as number);
  else if (NDArray.isInstance(y)) dtype = promoteScalar(y.dtype, x as number);
  else dtype = 'float32';
  const lift = (v: NDArray | number, name: string): NDArray => {
    if (typeof v === 'number') return full([], v, { dtype });
    if (!NDArray.isInstance(v)) throw new DTypeError(`where: ${name} must be an NDArray or a number, got ${typeof v}`);
    return ensureDType(v, dtype);
  };
  return apply(wherePrim, [condition, lift(x, 'x'), lift(y, 'y')], null);
});

/**
 * Limits values to [min, max] (either bound may be null for no limit). The gradient passes where
 * `min <= x <= max` and is zero where the value was clipped.
 * @example nd.clip(nd.array([-2, 0.5, 3]), 0, 1) // [0, 0.5, 1]
 */
export const clip = publicOp('clip', function clip(x: NDArray, min: number | NDArray | null, max: number | NDArray | null): NDArray {
  expectArray('clip', x);
  if (min == null && max == null) throw new ValueError(`clip: give at least one of min and max (array of shape ${fmtShape(x.shape)})`);
  let out = x;
  if (min != null) out = maximum(out, min);
  if (max != null) out = minimum(out, max);
  return out;
});

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    take(indices: IndexLike, options?: TakeOptions): NDArray;
    pick(index: IndexLike, options?: PickOptions): NDArray;
    /** One-hot encoding of this index array. */
    oneHot(depth: number, options?: OneHotOptions): NDArray;
    clip(min: number | NDArray | null, max: number | NDArray | null): NDArray;
  }
}

installMethods({ take, pick, oneHot, clip });
