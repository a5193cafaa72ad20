/**
 * Shape ops that move no values or only permute them: reshape, transpose, swapAxes, expandDims,
 * squeeze, flatten and broadcastTo.
 *
 * reshape, and expandDims, squeeze and flatten through it, return *views*: arrays that share the
 * input's storage (row-major order is unchanged, so nothing needs copying), as MXNet's and
 * PyTorch's reshape do. transpose, swapAxes and broadcastTo reorder or repeat values, so they
 * produce fresh contiguous arrays through the backend's strided copy.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { broadcastShapes, broadcastStrides, checkShape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf, stridesOf } from '../core/shape.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { installMethods } from './method.js';
import { sumTo } from './reduce.js';
import { publicOp } from '../core/public.js';

// A view: apply wraps x's storage; compute (the equivalent copy) is never called for it.
const reshapePrim: Primitive<{ shape: readonly number[] }, null> = primitive({
  name: 'reshape',
  view: true,
  infer: ([x], { shape }) => ({ shape, dtype: x!.dtype, plan: null }),
  compute: (_k, out, [x]) => out.set(x!),
  grad: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
});

/**
 * The same values in a new shape; one dimension may be -1 and is inferred. The shape is a list or,
 * as in NumPy and PyTorch, the dimensions one by one.
 *
 * The result is a view: it shares memory with `x` (nothing is copied), as in MXNet and PyTorch,
 * so an in-place write into one (`assign`, `fill`, `setSlice`) shows in the other. Such a write is
 * refused while a recorded graph still needs either array's values; `nd.array(x.reshape(s))`
 * gives an independent copy.
 * @example nd.arange(6).reshape([2, -1]) // shape (2, 3); x.reshape(3, 2) also works
 */
export const reshape = publicOp('reshape', function reshape(x: NDArray, shapeOrDim: readonly number[] | number, ...rest: number[]): NDArray {
  expectArray('reshape', x);
  const shape = typeof shapeOrDim === 'number' ? [shapeOrDim, ...rest] : shapeOrDim;
  if (!Array.isArray(shape)) throw new ValueError(`reshape: the shape must be a list of integers, got ${typeof shapeOrDim}`);
  const infer = shape.indexOf(-1);
  if (infer !== shape.lastIndexOf(-1)) throw new ShapeError(`reshape: at most one dimension may be -1, got ${fmtShape(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < -1) {
      throw new ValueError(`reshape: invalid target shape ${fmtShape(shape)}: dimensions must be non-negative integers or a single -1`);
    }
  }
  const target = [...shape];
  if (infer >= 0) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape array of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    }
    target[infer] = x.size / known;
  }
  if (sizeOf(target) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape array of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)} (${sizeOf(target)} elements); the sizes must match`,
    );
  }
  return apply(reshapePrim, [x], { shape: target });
});

/** A strided copy: `out` (contiguous, shape `shape`) reads `x` through `strides`. */
interface CopyPlan {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

function stridedCopyPrim<A>(name: string, plan: (x: NDArray, attrs: A) => CopyPlan, grad: Primitive<A, CopyPlan>['grad']): Primitive<A, CopyPlan> {
  return primitive({
    name,
    outputInit: 'none',
    infer(inputs, attrs) {
      const p = plan(inputs[0]!, attrs);
      return { shape: p.shape, dtype: inputs[0]!.dtype, plan: p };
    },
    compute: (k, out, [x], p) => k.copyStrided(out, { offset: 0, strides: stridesOf(p.shape) }, x!, { offset: 0, strides: p.strides }, p.shape),
    grad,
  });
}

const transposePrim = stridedCopyPrim<{ axes: readonly number[] }>(
  'transpose',
  (x, { axes }) => {
    const st = stridesOf(x.shape);
    return { shape: axes.map((a) => x.shape[a]!), strides: axes.map((a) => st[a]!) };
  },
  (g, { attrs: { axes } }) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, i) => (inverse[a] = i));
    return [transpose(g, inverse)];
  },
);

/** Permutes the axes (reverses them when `axes` is omitted). */
export const transpose = publicOp('transpose', function transpose(x: NDArray, axes?: readonly number[]): NDArray {
  expectArray('transpose', x);
  if (axes != null && !Array.isArray(axes)) throw new ValueError(`transpose: axes must be a list such as [1, 0], got ${fmtValue(axes)}`);
  const perm = Array.from(axes ?? x.shape.map((_, i) => x.ndim - 1 - i));
  if (perm.length !== x.ndim) {
    throw new ShapeError(`transpose: axes ${fmtValue(perm)} must list each of the ${x.ndim} axes of shape ${fmtShape(x.shape)} once`);
  }
  const norm = perm.map((a) => normalizeAxis(a, x.ndim, 'transpose'));
  if (new Set(norm).size !== norm.length) throw new ShapeError(`transpose: repeated axis in ${fmtValue(perm)}`);
  return apply(transposePrim, [x], { axes: norm });
});

/** Exchanges two axes. */
export const swapAxes = publicOp('swapAxes', function swapAxes(x: NDArray, axis1: number, axis2: number): NDArray {
  expectArray('swapAxes', x);
  const a = normalizeAxis(axis1, x.ndim, 'swapAxes');
  const b = normalizeAxis(axis2, x.ndim, 'swapAxes');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return transpose(x, perm);
});

/** Inserts a dimension of size 1 at `axis` (which may be ndim, or negative); a view of `x`, as reshape. */
export const expandDims = publicOp('expandDims', function expandDims(x: NDArray, axis: number): NDArray {
  expectArray('expandDims', x);
  const at = normalizeAxis(axis, x.ndim + 1, 'expandDims');
  const shape = [...x.shape];
  shape.splice(at, 0, 1);
  return reshape(x, shape);
});

/** Removes dimensions of size 1 (all of them, or those in `axis`, which must have size 1); a view of `x`, as reshape. */
export const squeeze = publicOp('squeeze', function squeeze(x: NDArray, axis?: number | readonly number[]): NDArray {
  expectArray('squeeze', x);
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const axes = normalizeAxes(axis, x.ndim, 'squeeze');
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
});

/** Collapses all axes after the first: (N, d1, ..., dk) becomes (N, d1*...*dk); a view of `x`, as reshape. */
export const flatten = publicOp('flatten', function flatten(x: NDArray): NDArray {
  expectArray('flatten', x);
  if (x.ndim === 0) return reshape(x, [1, 1]);
  return reshape(x, [x.shape[0]!, x.shape[0] === 0 ? sizeOf(x.shape.slice(1)) : -1]);
});

const broadcastPrim = stridedCopyPrim<{ shape: readonly number[] }>(
  'broadcastTo',
  (x, { shape }) => ({ shape, strides: broadcastStrides(x.shape, shape) }),
  (g, { inputs: [x] }) => [sumTo(g, x!.shape)],
);

/** Repeats `x` along axes of size 1 (and new leading axes) to reach `shape`. */
export const broadcastTo = publicOp('broadcastTo', function broadcastTo(x: NDArray, shape: readonly number[]): NDArray {
  expectArray('broadcastTo', x);
  checkShape(shape, 'broadcastTo');
  const result = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!shapesEqual(result, shape)) {
    throw new ShapeError(`broadcastTo: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(shape)}; only axes of size 1 can grow`);
  }
  if (shapesEqual(x.shape, shape)) return x;
  return apply(broadcastPrim, [x], { shape: [...shape] });
});

/** Broadcasts `x` to the shape of `like`. */
export const broadcastLike = publicOp('broadcastLike', function broadcastLike(x: NDArray, like: NDArray): NDArray {
  expectArray('broadcastLike', x);
  expectArray('broadcastLike', like, 'the array to match');
  return broadcastTo(x, like.shape);
});

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    reshape(shape: readonly number[] | number, ...rest: number[]): NDArray;
    transpose(axes?: readonly number[]): NDArray;
    /** The transpose (axes reversed), as NumPy's `.T`. */
    readonly T: NDArray;
    swapAxes(axis1: number, axis2: number): NDArray;
    expandDims(axis: number): NDArray;
    squeeze(axis?: number | readonly number[]): NDArray;
    flatten(): NDArray;
    broadcastTo(shape: readonly number[]): NDArray;
    broadcastLike(like: NDArray): NDArray;
  }
}

installMethods({ reshape, transpose, swapAxes, expandDims, squeeze, flatten, broadcastTo, broadcastLike });
Object.defineProperty(NDArray.prototype, 'T', {
  get(this: NDArray) {
    return transpose(this);
  },
  configurable: true,
});
