/**
 * Data-movement ops: concat, stack, split, tile, repeat and pad (slicing lives in slice.ts).
 *
 * Two primitives carry the gradients: concatenation (each input is one slab of the output; its
 * gradient slices the slabs back out) and constant padding (write the input into a filled output;
 * its gradient slices). Everything else is a composition of those with slices, reshape,
 * broadcastTo and take, so gradients come for free. All results are fresh contiguous arrays built by the backend's
 * `copyStrided` kernel, so later in-place writes never alias an input.
 */
import { allocate, promote } from '../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { NDARRAY_OBJECT_BYTES, checkJsArray } from '../core/limits.js';
import { normalizeAxis, stridesOf } from '../core/shape.js';
import { NDArray, describeValue, expectArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { broadcastTo, reshape } from './shape.js';
import { take } from './indexing.js';
import { installMethods } from './method.js';
import { regionView, sliceAxis, sliceRegion, type Region } from './slice.js';
import { publicOp } from '../core/public.js';

/** A list of NDArrays, checked element by element so the message names the bad position. */
function expectArrayList(op: string, arrays: unknown): void {
  if (!Array.isArray(arrays)) throw new ValueError(`${op}: expects a list of arrays, e.g. ${op}([a, b]), got ${describeValue(arrays)}`);
  arrays.forEach((x, i) => expectArray(op, x, `element ${i} of the list`));
}

interface ConcatPlan {
  readonly shapes: readonly (readonly number[])[];
  readonly outStrides: readonly number[];
}

/** Joins inputs along `axis`; with `stacked`, each input first gains a new axis of length 1 there. */
const concatPrim: Primitive<{ axis: number; stacked: boolean }, ConcatPlan> = primitive({
  name: 'concat',
  outputInit: 'none',
  infer(inputs, { axis, stacked }) {
    const shapes = inputs.map((x) => (stacked ? [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] : x.shape));
    const shape = [...shapes[0]!];
    shape[axis] = shapes.reduce((n, s) => n + s[axis]!, 0);
    return { shape, dtype: inputs[0]!.dtype, plan: { shapes, outStrides: stridesOf(shape) } };
  },
  compute(k, out, xs, { shapes, outStrides }, { axis }) {
    // Each input is one slab of the output, starting `at` rows along `axis`.
    let at = 0;
    xs.forEach((x, i) => {
      const shape = shapes[i]!;
      k.copyStrided(out, { offset: at * outStrides[axis]!, strides: outStrides }, x, { offset: 0, strides: stridesOf(shape) }, shape);
      at += shape[axis]!;
    });
  },
  grad(g, { inputs, attrs: { axis, stacked } }) {
    let at = 0;
    return inputs.map((x) => {
      const len = stacked ? 1 : x.shape[axis]!;
      const part = sliceAxis(g, axis, at, at + len);
      at += len;
      return stacked ? reshape(part, x.shape) : part;
    });
  },
});

/** The axis option of concat, stack and split. */
export interface AxisOption {
  /** The axis to join or split along (default 0; negative counts from the end). */
  axis?: number;
}

/**
 * Joins arrays along an existing axis; the other dimensions must match. Mixed dtypes promote to
 * the widest, as in binary ops.
 * @example nd.concat([nd.ones([2, 3]), nd.zeros([1, 3])]) // shape (3, 3)
 * @example nd.concat([a, b], { axis: 1 })
 */
export const concat = publicOp('concat', function concat(arrays: readonly NDArray[], options: AxisOption = {}): NDArray {
  expectArrayList('concat', arrays);
  if (arrays.length === 0) throw new ValueError('concat: needs at least one array, got an empty list');
  const first = arrays[0]!;
  if (first.ndim === 0) throw new ShapeError('concat: cannot concatenate 0-d arrays (shape ()); use nd.stack to join scalars into a vector');
  const axis = normalizeAxis(options.axis ?? 0, first.ndim, 'concat');
  for (const x of arrays) {
    const ok = x.ndim === first.ndim && x.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!ok) {
      throw new ShapeError(
        `concat: shapes ${arrays.map((a) => fmtShape(a.shape)).join(', ')} do not match except along axis ${axis}; ` +
          `all arrays need the same number of dimensions and the same size on every other axis`,
      );
    }
  }
  const dtype = arrays.reduce((d, x) => promote(d, x.dtype), first.dtype);
  return apply(concatPrim, arrays.map((x) => ensureDType(x, dtype)), { axis, stacked: false });
}, 1);

/**
 * Joins arrays of one shape along a new axis.
 * @example nd.stack([nd.array([1, 2]), nd.array([3, 4])], { axis: 1 }) // [[1, 3], [2, 4]]
 */
export const stack = publicOp('stack', function stack(arrays: readonly NDArray[], options: AxisOption = {}): NDArray {
  expectArrayList('stack', arrays);
  if (arrays.length === 0) throw new ValueError('stack: needs at least one array, got an empty list');
  const first = arrays[0]!;
  for (const x of arrays) {
    if (x.ndim !== first.ndim || x.shape.some((d, i) => d !== first.shape[i])) {
      throw new ShapeError(`stack: all arrays must have the same shape, got ${arrays.map((a) => fmtShape(a.shape)).join(', ')}`);
    }
  }
  const axis = normalizeAxis(options.axis ?? 0, first.ndim + 1, 'stack');
  const dtype = arrays.reduce((d, x) => promote(d, x.dtype), first.dtype);
  return apply(concatPrim, arrays.map((x) => ensureDType(x, dtype)), { axis, stacked: true });
}, 1);

/** Options of `split`. */
export interface SplitOptions extends AxisOption {
  /** Remove the split axis from each part (each part must then have length 1 there). */
  squeezeAxis?: boolean;
}

/**
 * Splits `x` along `axis` into `sections` equal parts, or at the given indices (NumPy's
 * `array_split` indices: `[2, 5]` gives `x[:2]`, `x[2:5]`, `x[5:]`).
 * @example nd.split(nd.arange(6), 3) // three arrays of shape (2,)
 * @example nd.split(x, [1, 3], { axis: 1 })
 */
export const split = publicOp('split', function split(x: NDArray, sections: number | readonly number[], options: SplitOptions = {}): NDArray[] {
  expectArray('split', x);
  if (x.ndim === 0) throw new ShapeError('split: cannot split a 0-d array (shape ())');
  const axis = normalizeAxis(options.axis ?? 0, x.ndim, 'split');
  const n = x.shape[axis]!;
  let bounds: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0) throw new ValueError(`split: the number of sections must be a positive integer, got ${fmtValue(sections)}`);
    // One array object per part: 1e8 empty parts of a (0,) array would exhaust V8's heap.
    checkJsArray(sections, () => `a list of ${sections} parts`, NDARRAY_OBJECT_BYTES);
    if (n % sections !== 0) {
      throw new ShapeError(
        `split: axis ${axis} of shape ${fmtShape(x.shape)} has length ${n}, which does not divide into ${sections} equal sections; pass split indices instead`,
      );
    }
    bounds = Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * n) / sections);
  } else {
    if (!Array.isArray(sections)) throw new ValueError(`split: sections must be a number of equal parts or a list of split indices, got ${fmtValue(sections)}`);
    bounds = Array.from(sections as readonly unknown[], (b) => {
      if (!Number.isSafeInteger(b)) throw new ValueError(`split: split indices must be integers, got ${fmtValue(sections)}`);
      return b as number;
    });
  }
  const edges = [0, ...bounds, n];
  const parts = edges.slice(1).map((end, i) => sliceAxis(x, axis, edges[i]!, end));
  if (!options.squeezeAxis) return parts;
  return parts.map((p) => {
    if (p.shape[axis] !== 1) {
      throw new ShapeError(`split: squeezeAxis needs parts of length 1 along axis ${axis}, but a part has shape ${fmtShape(p.shape)}`);
    }
    return reshape(p, p.shape.filter((_, i) => i !== axis));
  });
}, 2);

/** `value` as a list of non-negative integer counts (one number is a list of one). */
function countList(op: string, what: string, value: unknown, shape: readonly number[]): number[] {
  const bad = (): never => {
    throw new ValueError(`${op}: ${what} must be a non-negative integer or a list of them, got ${fmtValue(value)} for shape ${fmtShape(shape)}`);
  };
  if (typeof value !== 'number' && !Array.isArray(value)) return bad();
  // Array.from reads holes as undefined, which the check refuses.
  const counts = typeof value === 'number' ? [value] : Array.from(value as readonly unknown[]);
  for (const r of counts) if (!Number.isSafeInteger(r) || (r as number) < 0) bad();
  return counts as number[];
}

/**
 * Repeats the whole array `reps[i]` times along axis i (NumPy's `tile`: a shorter `reps` is
 * padded with leading 1s, a longer one adds leading axes to `x`).
 * @example nd.tile(nd.array([1, 2]), [2, 2]) // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export const tile = publicOp('tile', function tile(x: NDArray, reps: number | readonly number[]): NDArray {
  expectArray('tile', x);
  const r = countList('tile', 'reps', reps, x.shape);
  const m = Math.max(x.ndim, r.length);
  const shape = [...new Array<number>(m - x.ndim).fill(1), ...x.shape];
  const rr = [...new Array<number>(m - r.length).fill(1), ...r];
  // (d0, d1) -> (1, d0, 1, d1) -> broadcast (r0, d0, r1, d1) -> (r0*d0, r1*d1).
  const inter = shape.flatMap((d) => [1, d]);
  const wide = shape.flatMap((d, i) => [rr[i]!, d]);
  return reshape(broadcastTo(reshape(x, inter), wide), shape.map((d, i) => d * rr[i]!));
});

/**
 * Repeats each element `repeats` times along `axis` (NumPy's `repeat`; without `axis` the array
 * is flattened first). `repeats` may also list a count per element along the axis.
 * @example nd.repeat(nd.array([[1, 2], [3, 4]]), 2, { axis: 1 }) // [[1, 1, 2, 2], [3, 3, 4, 4]]
 */
export const repeat = publicOp('repeat', function repeat(x: NDArray, repeats: number | readonly number[], options: { axis?: number } = {}): NDArray {
  expectArray('repeat', x);
  const counts = countList('repeat', 'repeats', repeats, x.shape);
  if (options.axis === undefined) return repeat(reshape(x, [x.size]), repeats, { axis: 0 });
  const axis = normalizeAxis(options.axis, x.ndim, 'repeat');
  const n = x.shape[axis]!;
  if (counts.length === 1) {
    const r = counts[0]!;
    const inter = [...x.shape.slice(0, axis + 1), 1, ...x.shape.slice(axis + 1)];
    const wide = [...inter];
    wide[axis + 1] = r;
    const out = [...x.shape];
    out[axis] = n * r;
    return reshape(broadcastTo(reshape(x, inter), wide), out);
  }
  if (counts.length !== n) {
    throw new ShapeError(`repeat: ${counts.length} repeat counts given for axis ${axis} of length ${n} in shape ${fmtShape(x.shape)}; give one count or one per element`);
  }
  return take(x, indexTable(counts.reduce((a, b) => a + b, 0), (idx) => {
    let at = 0;
    counts.forEach((c, i) => {
      idx.fill(i, at, at + c);
      at += c;
    });
  }), { axis, mode: 'raise' });
}, 2);

/**
 * An int32 index array of `length` entries filled by `fill`, within the allocation limit: the
 * tables of repeat and of the edge/reflect/symmetric pads are as long as the result's axis.
 */
function indexTable(length: number, fill: (idx: Int32Array) => void): NDArray {
  const idx = allocate('int32', length, [length]) as Int32Array;
  fill(idx);
  return new NDArray(idx, [length], 'int32');
}

/** How `pad` fills the border; see PadOptions.mode. */
export type PadMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** Options of `pad`. */
export interface PadOptions {
  /** 'constant' (default) fills with `constantValue`; 'edge' repeats the border value; 'reflect'
   * mirrors without repeating the border; 'symmetric' mirrors repeating it (as NumPy). */
  mode?: PadMode;
  /** The fill value of 'constant' mode (default 0). */
  constantValue?: number;
}

/** Accepts NumPy's forms (n, [b, a], [[b, a], ...]) and MXNet's flat (b0, a0, b1, a1, ...). */
function parsePadWidth(padWidth: number | readonly number[] | readonly (readonly number[])[], shape: readonly number[]): [number, number][] {
  const nd = shape.length;
  const bad = (why: string): never => {
    throw new ValueError(
      `pad: bad padWidth ${fmtValue(padWidth)} for shape ${fmtShape(shape)}: ${why}; use [[before, after], ...] with one pair per axis (or one pair for all axes)`,
    );
  };
  let pairs: [number, number][];
  if (typeof padWidth !== 'number' && !Array.isArray(padWidth)) return bad('give a number, a list of numbers or a list of pairs');
  if (typeof padWidth === 'number') pairs = shape.map(() => [padWidth, padWidth]);
  else if (padWidth.every((p) => typeof p === 'number')) {
    const flat = padWidth as readonly number[];
    if (flat.length === 2 * nd) pairs = shape.map((_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);
    else if (flat.length === 2) pairs = shape.map(() => [flat[0]!, flat[1]!]);
    else if (flat.length === 1) pairs = shape.map(() => [flat[0]!, flat[0]!]);
    else return bad(`a flat list needs 2 or ${2 * nd} numbers, got ${flat.length}`);
  } else {
    const nested = padWidth as readonly (readonly number[])[];
    if (!nested.every((p) => Array.isArray(p) && p.length === 2)) return bad('every entry must be a [before, after] pair');
    if (nested.length === 1) pairs = shape.map(() => [nested[0]![0]!, nested[0]![1]!]);
    else if (nested.length === nd) pairs = nested.map((p) => [p[0]!, p[1]!]);
    else return bad(`got ${nested.length} pairs for ${nd} axes`);
  }
  for (const [b, a] of pairs) if (!Number.isSafeInteger(b) || !Number.isSafeInteger(a) || b < 0 || a < 0) bad('widths must be non-negative integers');
  return pairs;
}

const padPrim: Primitive<{ pairs: readonly (readonly [number, number])[]; value: number; region: Region }, null> = primitive({
  name: 'pad',
  infer: ([x], { pairs }) => ({ shape: x!.shape.map((d, i) => d + pairs[i]![0] + pairs[i]![1]), dtype: x!.dtype, plan: null }),
  compute(k, out, [x], _p, { pairs, value, region }) {
    if (value !== 0) out.fill(value);
    const full = region.shape.map((d, i) => d + pairs[i]![0] + pairs[i]![1]);
    k.copyStrided(out, regionView(full, region), x!, { offset: 0, strides: stridesOf(region.shape) }, region.shape);
  },
  grad: (g, { attrs: { region } }) => [sliceRegion(g, region)],
});

/** Source index along one axis for padded position `p` (which runs from -before). */
function padSource(mode: Exclude<PadMode, 'constant'>, p: number, n: number): number {
  if (mode === 'edge' || n === 1) return Math.min(Math.max(p, 0), n - 1);
  const period = mode === 'reflect' ? 2 * (n - 1) : 2 * n;
  const q = ((p % period) + period) % period;
  if (q < n) return q;
  return mode === 'reflect' ? period - q : period - 1 - q;
}

/**
 * Pads `x` with `padWidth[i] = [before, after]` elements on each axis (NumPy's `pad`).
 * @example nd.pad(nd.array([[1, 2]]), [[1, 1], [0, 2]]) // shape (3, 4), zeros around
 * @example nd.pad(x, [[0, 0], [2, 2]], { mode: 'reflect' })
 */
export const pad = publicOp('pad', function pad(x: NDArray, padWidth: number | readonly number[] | readonly (readonly number[])[], options: PadOptions = {}): NDArray {
  expectArray('pad', x);
  const mode = options.mode ?? 'constant';
  const constantValue = options.constantValue ?? 0;
  if (typeof constantValue !== 'number') throw new ValueError(`pad: constantValue must be a number, got ${fmtValue(constantValue)}`);
  const pairs = parsePadWidth(padWidth, x.shape);
  if (mode === 'constant') {
    const region: Region = { starts: pairs.map((p) => p[0]), steps: pairs.map(() => 1), shape: x.shape };
    return apply(padPrim, [x], { pairs, value: constantValue, region });
  }
  if (!['edge', 'reflect', 'symmetric'].includes(mode)) {
    throw new ValueError(`pad: unknown mode ${fmtValue(mode)}; use 'constant', 'edge', 'reflect' or 'symmetric'`);
  }
  let out = x;
  pairs.forEach(([before, after], axis) => {
    if (before === 0 && after === 0) return;
    const n = x.shape[axis]!;
    if (n === 0) throw new ShapeError(`pad: cannot pad the empty axis ${axis} of shape ${fmtShape(x.shape)} in '${mode}' mode; there is no value to extend`);
    const idx = indexTable(before + n + after, (t) => {
      for (let j = 0; j < t.length; j++) t[j] = padSource(mode, j - before, n);
    });
    out = take(out, idx, { axis, mode: 'raise' });
  });
  return out === x ? reshape(x, x.shape) : out;
}, 2);

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    /** `nd.concat([this, ...others], options)`. */
    concat(others: NDArray | readonly NDArray[], options?: AxisOption): NDArray;
    /** `nd.stack([this, ...others], options)`. */
    stack(others: NDArray | readonly NDArray[], options?: AxisOption): NDArray;
    split(sections: number | readonly number[], options?: SplitOptions): NDArray[];
    tile(reps: number | readonly number[]): NDArray;
    repeat(repeats: number | readonly number[], options?: { axis?: number }): NDArray;
    pad(padWidth: number | readonly number[] | readonly (readonly number[])[], options?: PadOptions): NDArray;
  }
}

const withOthers = (fn: typeof concat) => (x: NDArray, others: NDArray | readonly NDArray[], options?: AxisOption) => {
  if (!(others instanceof NDArray) && !Array.isArray(others)) {
    throw new ValueError(`${fn.name}: x.${fn.name}(others) needs an NDArray or a list of them, got ${fmtValue(others)}`);
  }
  return fn([x, ...(others instanceof NDArray ? [others] : others)], options);
};

installMethods({ concat: withOthers(concat), stack: withOthers(stack), split, tile, repeat, pad });
