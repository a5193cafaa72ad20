/**
 * In-place writes: `x.assign(v)`, `x.fill(v)` and `x.setSlice(begin, end, v)`. These are what
 * Gluon's `data[:] = v` and `data[b:e] = v` do, and what initializers and optimizers use to update
 * parameters without allocating. They are not recorded by autograd.
 *
 * Writing into an array that a recorded graph still needs would silently corrupt its gradients,
 * so such writes raise an AutogradError instead: an array produced by a recorded op whose backward
 * has not run, or an array with an attached gradient while recording is on. A reshape is a view
 * sharing its input's memory, so writing into it is checked against the array that owns the memory
 * as well.
 *
 * A float16 / bfloat16 target is written through a float32 copy that is rounded back, so values
 * land in it rounded to 16 bits as `astype` rounds them.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { isHalf, toHalfBits } from '../core/half.js';
import { broadcastShapes, broadcastStrides, shapesEqual, stridesOf } from '../core/shape.js';
import { getBackend } from '../backend/registry.js';
import type { View } from '../backend/kernels.js';
import { NDArray, type NestedArray, expectArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { pause } from '../autograd/state.js';
import { ensureDType } from './cast.js';
import { parseSlice, regionView, type SliceBound } from './slice.js';
import { checkWritable } from './writable.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

/** A value to write: a number (every element), an NDArray or nested list broadcastable to the target. */
export type AssignValue = number | NDArray | NestedArray;

/**
 * Copies `value`, broadcast to `shape` and cast to `dst`'s dtype, into the view `dstView` of
 * `dst`'s storage.
 */
function write(op: string, dst: NDArray, dstView: View, shape: readonly number[], value: AssignValue): void {
  if (isHalf(dst.dtype)) {
    const wide = pause(() => ensureDType(dst, 'float32'));
    write(op, wide, dstView, shape, value);
    dst._raw.set(pause(() => ensureDType(wide, dst.dtype))._raw);
    return;
  }
  if (typeof value === 'number') {
    if (shapesEqual(shape, dst.shape)) dst.storage.fill(value);
    else getBackend().kernels.copyStrided(dst.storage, dstView, new (dst.storage.constructor as Float64ArrayConstructor)([value]), { offset: 0, strides: shape.map(() => 0) }, shape);
    return;
  }
  let v = NDArray.isInstance(value) ? value : array(value as NestedArray, { dtype: dst.dtype });
  const out = broadcastShapes(v.shape, shape, op);
  if (!shapesEqual(out, shape)) {
    throw new ShapeError(`${op}: cannot write a value of shape ${fmtShape(v.shape)} into a target of shape ${fmtShape(shape)}; the value must broadcast to the target's shape`);
  }
  // Cast first so the kernel copies between arrays of one dtype; copy when the value shares
  // memory with the target (x.assign(x.T)), since the kernel reads while it writes.
  const cast = v;
  v = pause(() => ensureDType(cast, dst.dtype));
  if (v.storage.buffer === dst.storage.buffer) v = array(v);
  getBackend().kernels.copyStrided(dst.storage, dstView, v.storage, { offset: 0, strides: broadcastStrides(v.shape, shape) }, shape);
}

/**
 * Overwrites every element of `x` with `value` (a number, or an array broadcastable to `x`'s
 * shape, cast to `x`'s dtype) and returns `x`. This is Gluon's `x[:] = value`. Not recorded by
 * autograd.
 * @example const w = nd.zeros([2, 3]); w.assign(nd.array([1, 2, 3])); // every row is [1, 2, 3]
 */
export const assign = publicOp('assign', function assign(x: NDArray, value: AssignValue): NDArray {
  expectArray('assign', x);
  checkWritable('assign', x);
  write('assign', x, { offset: 0, strides: stridesOf(x.shape) }, x.shape, value);
  return x;
});

/**
 * Sets every element of `x` to `value` and returns `x` (Gluon's `x[:] = value` with a number).
 * Integer arrays truncate fractions; uint8 wraps modulo 256, as typed arrays do.
 * @example nd.zeros([3]).fill(7) // [7, 7, 7]
 */
export const fill = publicOp('fill', function fill(x: NDArray, value: number): NDArray {
  expectArray('fill', x);
  if (typeof value !== 'number') throw new ValueError(`fill: the value must be a number, got ${fmtValue(value)}; use x.assign(v) to write an array`);
  checkWritable('fill', x);
  if (isHalf(x.dtype)) x._raw.fill(toHalfBits(value, x.dtype));
  else x.storage.fill(value);
  return x;
});

/**
 * Writes `value` into the region `begin:end:step` of `x` and returns `x`: Gluon's
 * `x[b:e] = value`. `begin`/`end`/`step` follow `nd.slice` (per-axis lists, null for defaults,
 * negative indices); plain numbers address axis 0. `value` broadcasts to the region's shape.
 * @example nd.zeros([3, 4]).setSlice([1, 1], [3, 3], 5) // a 2x2 block of fives
 */
export const setSlice = publicOp('setSlice', function setSlice(
  x: NDArray,
  begin: SliceBound | readonly SliceBound[],
  end: SliceBound | readonly SliceBound[],
  value: AssignValue,
  step?: SliceBound | readonly SliceBound[],
): NDArray {
  expectArray('setSlice', x);
  checkWritable('setSlice', x);
  const list = (b: SliceBound | readonly SliceBound[] | undefined): readonly SliceBound[] =>
    b === undefined ? [] : Array.isArray(b) ? (b as readonly SliceBound[]) : [b as SliceBound];
  const region = parseSlice('setSlice', x.shape, list(begin), list(end), list(step));
  write('setSlice', x, regionView(x.shape, region), region.shape, value);
  return x;
});

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    /** Overwrites this array with `value` (broadcast, cast) and returns it: Gluon's `x[:] = value`. */
    assign(value: AssignValue): this;
    /** Sets every element to `value` and returns this array. */
    fill(value: number): this;
    /** Writes `value` into `this[begin:end:step]` and returns this array: Gluon's `x[b:e] = value`. */
    setSlice(begin: SliceBound | readonly SliceBound[], end: SliceBound | readonly SliceBound[], value: AssignValue, step?: SliceBound | readonly SliceBound[]): this;
  }
}

installMethods({ assign, fill, setSlice });
