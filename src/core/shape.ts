/**
 * Shape arithmetic shared by every op: sizes, row-major strides, NumPy broadcasting and axis
 * normalization. Everything here is pure and works on plain number arrays.
 */
import { AxisError, ShapeError, ValueError, fmtShape, fmtValue } from './errors.js';

/** Dimensions of an array, outermost first; `[]` is a 0-d (scalar) array. */
export type Shape = readonly number[];

/** Number of elements of `shape` (1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  // An indexed loop: for-of would allocate an iterator on paths V8 does not optimize (every NDArray constructor).
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when both shapes have the same dimensions. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The most dimensions an array may have (NumPy 2's limit). Deeper nesting is refused up front, so
 * recursive walks over dimensions (printing, `toArray`, nested input) cannot exhaust the stack.
 */
export const MAX_NDIM = 64;

/** Rejects negative, fractional and non-finite dimensions, holes, and more than MAX_NDIM axes. */
export function checkShape(shape: Shape, op: string): number[] {
  if (!Array.isArray(shape)) throw new ValueError(`${op}: a shape must be a list of non-negative integers, e.g. [2, 3], got ${fmtValue(shape)}`);
  if (shape.length > MAX_NDIM) throw new ValueError(`${op}: a shape has at most ${MAX_NDIM} dimensions, got ${shape.length}`);
  // An indexed loop: a hole ([, 3]) must be seen, not skipped as for...of and map would.
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d! < 0) {
      throw new ValueError(
        `${op}: invalid shape ${fmtShape(shape)}: every dimension must be a non-negative integer, got ${fmtValue(d)}`,
      );
    }
  }
  return [...shape];
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming the op otherwise. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together ` +
          `(axis ${i - n} has ${da} vs ${db}); each dimension must match or be 1`,
      );
    }
  }
  return out;
}

/**
 * Strides for reading an array of shape `from` as if it had shape `to` (which it broadcasts to):
 * broadcast dimensions get stride 0.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const base = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[off + i] = from[i] === 1 && to[off + i] !== 1 ? 0 : base[i]!;
  return out;
}

/** Normalizes a possibly negative axis against `ndim`. */
export function normalizeAxis(axis: number, ndim: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= Math.max(ndim, 1)) {
    throw new AxisError(
      `${op}: axis ${fmtValue(axis)} is out of range for an array with ${ndim} dimension(s); ` +
        `use an axis in [${-ndim}, ${Math.max(ndim - 1, 0)}]`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalizes an axis list (undefined = all axes), sorted and without repeats. */
export function normalizeAxes(axis: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) throw new AxisError(`${op}: axis must be a number, a list of numbers or null, got ${fmtValue(axis)}`);
  // Array.from reads holes as undefined (map would skip them), which normalizeAxis refuses.
  const out = Array.from(list as readonly unknown[], (a) => normalizeAxis(a as number, ndim, op));
  const seen = new Set(out);
  if (seen.size !== out.length) throw new AxisError(`${op}: repeated axis in ${fmtValue(list)}`);
  return out.sort((x, y) => x - y);
}

/** The shape after reducing `axes`, keeping them as 1 when `keepdims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}
