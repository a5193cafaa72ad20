/**
 * Creating arrays: from JavaScript values (`array`), constant fills (`zeros`, `ones`, `full`),
 * ranges (`arange`, `linspace`) and `eye`. The default dtype is float32, as in Gluon. Values for a
 * float16 / bfloat16 array are computed as numbers and then rounded to 16 bits (core/half.ts).
 */
import { dtypeOf, isDType, type DType, type TypedArray } from '../core/dtype.js';
import { decodeHalf, encodeHalf, isHalf, toHalfBits } from '../core/half.js';
import { DTypeError, ValueError } from '../core/errors.js';
import { checkShape, sizeOf } from '../core/shape.js';
import { NDArray, describeValue, expectArray, type NestedArray } from './ndarray.js';

/** The `dtype` option of creation functions (default float32, or the input's dtype for the `*Like` ones). */
export interface DTypeOption {
  dtype?: DType;
}

/** A shape, or a single number for a 1-d shape: `nd.zeros(3)` is `nd.zeros([3])`. */
export type ShapeLike = number | readonly number[];

/** @internal Validates a ShapeLike into a fresh shape array; `op` names the caller in errors. */
export function toShape(shape: ShapeLike, op: string): number[] {
  if (typeof shape !== 'number' && !Array.isArray(shape)) throw new ValueError(`${op}: the shape must be a number or a list of numbers, e.g. [2, 3], got ${describeValue(shape)}`);
  return checkShape(typeof shape === 'number' ? [shape] : shape, op);
}

/** @internal Validates a dtype given by a user; `op` names the caller in errors. */
export function checkDType(dtype: unknown, op: string): DType {
  if (!isDType(dtype)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; use 'float32', 'float64', 'int32', 'uint8', 'float16' or 'bfloat16'`);
  }
  return dtype;
}

/**
 * @internal Fills `out` through `write`, which receives a numeric buffer of `out`'s length: the
 * storage itself, or for float16 / bfloat16 a Float64Array rounded into the 16-bit patterns after.
 */
export function writeValues(out: NDArray, write: (data: TypedArray | Float64Array) => void): NDArray {
  if (!isHalf(out.dtype)) {
    write(out.storage);
    return out;
  }
  const values = new Float64Array(out.size);
  write(values);
  encodeHalf(out._raw as Uint16Array, values, out.dtype);
  return out;
}

/** Copies `src`'s values into `dst` (same shape), converting between dtypes as `astype` does. */
function copyConverted(dst: NDArray, src: NDArray): void {
  if (dst.dtype === src.dtype) dst._raw.set(src._raw);
  else if (isHalf(dst.dtype)) {
    const values = isHalf(src.dtype) ? new Float32Array(src.size) : src.storage;
    if (isHalf(src.dtype)) decodeHalf(values, src._raw as Uint16Array, src.dtype);
    encodeHalf(dst._raw as Uint16Array, values, dst.dtype);
  } else if (isHalf(src.dtype)) decodeHalf(dst.storage, src._raw as Uint16Array, src.dtype);
  else dst.storage.set(src.storage);
}

function inferNestedShape(value: NestedArray | readonly NestedArray[], op: string): number[] {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  const check = (x: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (typeof x !== 'number' && typeof x !== 'boolean') {
        throw new ValueError(`${op}: expected a number at depth ${dim}, got ${Array.isArray(x) ? 'an array' : typeof x}; nested lists must be rectangular`);
      }
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new ValueError(
        `${op}: ragged nested list: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(x) ? x.length : typeof x}; every row must have the same length`,
      );
    }
    for (const e of x) check(e, dim + 1);
  };
  check(value, 0);
  return shape;
}

/**
 * An array from nested JavaScript arrays, a typed array, a number, or another NDArray (copied).
 * @example nd.array([[1, 2], [3, 4]])
 */
export function array(
  value: NestedArray | readonly NestedArray[] | TypedArray | NDArray,
  options: DTypeOption & { shape?: readonly number[] } = {},
): NDArray {
  if (value instanceof NDArray) {
    const dtype = checkDType(options.dtype ?? value.dtype, 'array');
    const out = NDArray.empty(value.shape, dtype);
    copyConverted(out, value);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const bits = value instanceof Uint16Array;
    if (bits && !(options.dtype === 'float16' || options.dtype === 'bfloat16')) {
      throw new DTypeError(`array: a Uint16Array holds float16 or bfloat16 bit patterns; say which with dtype: 'float16' or 'bfloat16' (got ${JSON.stringify(options.dtype)})`);
    }
    const dtype = checkDType(options.dtype ?? dtypeOf(value), 'array');
    const shape = checkShape(options.shape ?? [value.length], 'array');
    if (sizeOf(shape) !== value.length) {
      throw new ValueError(`array: shape (${shape.join(', ')}) needs ${sizeOf(shape)} values, the typed array has ${value.length}`);
    }
    if (bits) return new NDArray(Uint16Array.from(value), shape, dtype);
    return writeValues(NDArray.empty(shape, dtype), (data) => data.set(value));
  }
  const dtype = checkDType(options.dtype ?? 'float32', 'array');
  const shape = inferNestedShape(value as NestedArray, 'array');
  const out = NDArray.empty(options.shape ? checkShape(options.shape, 'array') : shape, dtype);
  if (out.size !== sizeOf(shape)) {
    throw new ValueError(`array: shape (${out.shape.join(', ')}) needs ${out.size} values, the nested list has ${sizeOf(shape)}`);
  }
  return writeValues(out, (data) => {
    if (shape.length === 0) data[0] = Number(value);
    else {
      const flat = (value as unknown[]).flat(Infinity) as (number | boolean)[];
      for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
    }
  });
}

/**
 * An array of zeros.
 * @example nd.zeros([2, 3]) // float32 (2, 3)
 */
export function zeros(shape: ShapeLike, options: DTypeOption = {}): NDArray {
  return NDArray.empty(toShape(shape, 'zeros'), checkDType(options.dtype ?? 'float32', 'zeros'));
}

/**
 * An array filled with `value`.
 * @example nd.full([2], 7, { dtype: 'int32' }) // [7, 7]
 */
export function full(shape: ShapeLike, value: number, options: DTypeOption = {}): NDArray {
  return filled('full', shape, value, options);
}

/** `full` under the caller's name, so errors name the function the user called. */
function filled(op: string, shape: ShapeLike, value: number, options: DTypeOption): NDArray {
  const out = NDArray.empty(toShape(shape, op), checkDType(options.dtype ?? 'float32', op));
  if (isHalf(out.dtype)) out._raw.fill(toHalfBits(value, out.dtype));
  else out.storage.fill(value);
  return out;
}

/**
 * An array of ones.
 * @example nd.ones(3) // [1, 1, 1]
 */
export function ones(shape: ShapeLike, options: DTypeOption = {}): NDArray {
  return filled('ones', shape, 1, options);
}

/** Zeros of `x`'s shape and (unless given) dtype. */
export function zerosLike(x: NDArray, options: DTypeOption = {}): NDArray {
  expectArray('zerosLike', x);
  return zeros(x.shape, { dtype: options.dtype ?? x.dtype });
}

/** Ones of `x`'s shape and (unless given) dtype. */
export function onesLike(x: NDArray, options: DTypeOption = {}): NDArray {
  expectArray('onesLike', x);
  return full(x.shape, 1, { dtype: options.dtype ?? x.dtype });
}

/** `value` in `x`'s shape and (unless given) dtype. */
export function fullLike(x: NDArray, value: number, options: DTypeOption = {}): NDArray {
  expectArray('fullLike', x);
  return full(x.shape, value, { dtype: options.dtype ?? x.dtype });
}

/**
 * Evenly spaced values in [start, stop) with `step`; `arange(5)` is [0, 1, 2, 3, 4].
 */
export function arange(start: number, stop?: number, step = 1, options: DTypeOption = {}): NDArray {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const out = NDArray.empty([n], checkDType(options.dtype ?? 'float32', 'arange'));
  return writeValues(out, (data) => {
    for (let i = 0; i < n; i++) data[i] = lo + i * step;
  });
}

/** `num` evenly spaced values from start to stop (inclusive unless `endpoint: false`). */
export function linspace(start: number, stop: number, num: number, options: DTypeOption & { endpoint?: boolean } = {}): NDArray {
  checkShape([num], 'linspace');
  const endpoint = options.endpoint ?? true;
  const out = NDArray.empty([num], checkDType(options.dtype ?? 'float32', 'linspace'));
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  return writeValues(out, (data) => {
    for (let i = 0; i < num; i++) data[i] = start + i * step;
    if (endpoint && num > 1) data[num - 1] = stop;
  });
}

/** An (n, m) matrix with ones on diagonal k. */
export function eye(n: number, m = n, k = 0, options: DTypeOption = {}): NDArray {
  const out = NDArray.empty(checkShape([n, m], 'eye'), checkDType(options.dtype ?? 'float32', 'eye'));
  return writeValues(out, (data) => {
    for (let i = 0; i < n; i++) {
      const j = i + k;
      if (j >= 0 && j < m) data[i * m + j] = 1;
    }
  });
}
