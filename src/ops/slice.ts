/**
 * Slicing ops: MXNet's `slice` (per-axis begin/end/step), `sliceAxis` and `flip`, plus the strided
 * `Region` machinery that movement ops and `setSlice` share.
 *
 * One primitive pair carries every gradient here: a strided slice reads a region of the input into
 * a fresh contiguous array, and its gradient scatters the output gradient back into zeros of the
 * input's shape (each is the other's gradient). Results are built by the backend's `copyStrided`
 * kernel, so later in-place writes never alias the input.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { normalizeAxes, normalizeAxis, stridesOf } from '../core/shape.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

/** @internal A strided region of an array: per-axis first index, step and length. */
export interface Region {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly shape: readonly number[];
}

/** @internal Where `region` lies inside a contiguous array of shape `full`: offset and strides. */
export function regionView(full: readonly number[], region: Region): { offset: number; strides: number[] } {
  const st = stridesOf(full);
  let offset = 0;
  for (let i = 0; i < full.length; i++) if (region.shape[i]! > 0) offset += region.starts[i]! * st[i]!;
  return { offset, strides: st.map((s, i) => s * region.steps[i]!) };
}

/** A region together with the shape of the array it lies in. */
interface RegionIn extends Region {
  readonly full: readonly number[];
}

const slicePrim: Primitive<RegionIn, null> = primitive({
  name: 'slice',
  outputInit: 'none',
  infer: ([x], r) => ({ shape: r.shape, dtype: x!.dtype, plan: null }),
  compute: (k, out, [x], _p, r) => k.copyStrided(out, { offset: 0, strides: stridesOf(r.shape) }, x!, regionView(r.full, r), r.shape),
  grad: (g, { attrs }) => [apply(scatterPrim, [g], attrs)],
});

/** Zeros of the full shape with the input written into the region: the gradient of slice. */
const scatterPrim: Primitive<RegionIn, null> = primitive({
  name: 'sliceScatter',
  infer: ([g], r) => ({ shape: r.full, dtype: g!.dtype, plan: null }),
  compute: (k, out, [g], _p, r) => k.copyStrided(out, regionView(r.full, r), g!, { offset: 0, strides: stridesOf(r.shape) }, r.shape),
  grad: (gg, { attrs }) => [apply(slicePrim, [gg], attrs)],
});

/** @internal Copies `region` of `x` into a new array (a primitive: its gradient scatters into zeros). */
export function sliceRegion(x: NDArray, region: Region): NDArray {
  return apply(slicePrim, [x], { starts: region.starts, steps: region.steps, shape: region.shape, full: x.shape });
}

/**
 * @internal Python's `slice(begin, end, step).indices(n)`: out-of-range bounds are clamped, negative ones
 * count from the end, and null means "from the start" (or the end when stepping backwards).
 */
export function sliceIndices(begin: number | null | undefined, end: number | null | undefined, step: number, n: number): { start: number; len: number } {
  let start: number;
  let stop: number;
  if (step > 0) {
    start = begin == null ? 0 : begin < 0 ? Math.max(begin + n, 0) : Math.min(begin, n);
    stop = end == null ? n : end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
  } else {
    start = begin == null ? n - 1 : begin < 0 ? Math.max(begin + n, -1) : Math.min(begin, n - 1);
    stop = end == null ? -1 : end < 0 ? Math.max(end + n, -1) : Math.min(end, n - 1);
  }
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return { start: len === 0 ? 0 : start, len };
}

/** One begin, end or step of a slice: a (possibly negative) index, or null/undefined for the default. */
export type SliceBound = number | null | undefined;

/** @internal Validates MXNet-style per-axis begin/end/step lists and turns them into a region. */
export function parseSlice(op: string, shape: readonly number[], begin: readonly SliceBound[], end: readonly SliceBound[], step: readonly SliceBound[] = []): Region {
  const nd = shape.length;
  for (const [name, list] of [['begin', begin], ['end', end], ['step', step]] as const) {
    if (!Array.isArray(list)) throw new ValueError(`${op}: ${name} must be a list with one bound per axis (null for the default), got ${fmtValue(list)}`);
  }
  if (begin.length > nd || end.length > nd || step.length > nd) {
    throw new ShapeError(
      `${op}: begin ${fmtValue(begin)}, end ${fmtValue(end)} and step ${fmtValue(step)} may list at most ${nd} axes for an array of shape ${fmtShape(shape)}`,
    );
  }
  const starts: number[] = [];
  const steps: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < nd; i++) {
    const s = step[i] ?? 1;
    for (const v of [begin[i], end[i], s]) {
      if (v != null && !Number.isSafeInteger(v)) throw new ValueError(`${op}: slice bounds and steps must be integers or null, got ${fmtValue(v)} for axis ${i} of shape ${fmtShape(shape)}`);
    }
    if (s === 0) throw new ValueError(`${op}: step must not be 0 (axis ${i} of shape ${fmtShape(shape)})`);
    const { start, len } = sliceIndices(begin[i], end[i], s, shape[i]!);
    starts.push(start);
    steps.push(s);
    out.push(len);
  }
  return { starts, steps, shape: out };
}

/**
 * MXNet's `nd.slice`: per-axis `begin`/`end`/`step` lists (shorter than ndim leaves the remaining
 * axes whole; `null` means the default). Negative indices count from the end, negative steps walk
 * backwards, and out-of-range bounds are clamped as in Python.
 * @example nd.slice(nd.arange(10).reshape([2, 5]), [null, 1], [null, 4]) // columns 1..3
 * @example nd.slice(x, [null], [null], [-1]) // x reversed along axis 0
 */
export const slice = publicOp('slice', function slice(x: NDArray, begin: readonly SliceBound[], end: readonly SliceBound[], step?: readonly SliceBound[]): NDArray {
  expectArray('slice', x);
  return sliceRegion(x, parseSlice('slice', x.shape, begin, end, step));
});

/**
 * Elements `begin` to `end` (exclusive; null for the end) along one axis.
 * @example nd.sliceAxis(x, 1, 0, 2) // the first two columns
 */
export const sliceAxis = publicOp('sliceAxis', function sliceAxis(x: NDArray, axis: number, begin: number, end: number | null = null): NDArray {
  expectArray('sliceAxis', x);
  const a = normalizeAxis(axis, x.ndim, 'sliceAxis');
  const b: SliceBound[] = x.shape.map(() => null);
  const e: SliceBound[] = x.shape.map(() => null);
  b[a] = begin;
  e[a] = end;
  return sliceRegion(x, parseSlice('sliceAxis', x.shape, b, e));
});

/**
 * Reverses the order of elements along `axis` (one axis or several; every axis when omitted, as NumPy).
 * @example nd.flip(nd.array([1, 2, 3]), 0) // [3, 2, 1]
 */
export const flip = publicOp('flip', function flip(x: NDArray, axis?: number | readonly number[] | null): NDArray {
  expectArray('flip', x);
  const axes = normalizeAxes(axis, x.ndim, 'flip');
  const step: SliceBound[] = x.shape.map((_, i) => (axes.includes(i) ? -1 : 1));
  return sliceRegion(x, parseSlice('flip', x.shape, [], [], step));
});

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    slice(begin: readonly SliceBound[], end: readonly SliceBound[], step?: readonly SliceBound[]): NDArray;
    sliceAxis(axis: number, begin: number, end?: number | null): NDArray;
    flip(axis?: number | readonly number[] | null): NDArray;
  }
}

installMethods({ slice, sliceAxis, flip });
