/**
 * Creating arrays: from JavaScript values (`array`), constant fills (`zeros`, `ones`, `full`),
 * ranges (`arange`, `linspace`) and `eye`. The default dtype is float32, as in Gluon. Values for a
 * float16 / bfloat16 array are computed as numbers and then rounded to 16 bits (core/half.ts).
 */
import { allocate, dtypeOf, isDType, type DType, type TypedArray } from '../core/dtype.js';
import { decodeHalf, encodeHalf, isHalf, toHalfBits } from '../core/half.js';
import { DTypeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { MAX_NDIM, checkShape, sizeOf } from '../core/shape.js';
import { NDArray, describeValue, expectArray, type NestedArray } from './ndarray.js';
import { publicOp } from '../core/public.js';

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
    throw new DTypeError(`${op}: unknown dtype ${dtype === undefined ? 'undefined' : fmtValue(dtype)}; use 'float32', 'float64', 'int32', 'uint8', 'float16' or 'bfloat16'`);
  }
  return dtype;
}

/**
 * @internal Fills `out` through `write`, which receives a numeric buffer of `out`'s length: the
 * storage itself, or for float16 / bfloat16 a Float64Array (within the allocation limit) rounded
 * into the 16-bit patterns after.
 */
export function writeValues(out: NDArray, write: (data: TypedArray | Float64Array) => void): NDArray {
  if (!isHalf(out.dtype)) {
    write(out.storage);
    return out;
  }
  const values = allocate('float64', out.size, out.shape) as Float64Array;
  write(values);
  encodeHalf(out._raw as Uint16Array, values, out.dtype);
  return out;
}

/** Copies `src`'s values into `dst` (same shape), converting between dtypes as `astype` does. */
function copyConverted(dst: NDArray, src: NDArray): void {
  if (dst.dtype === src.dtype) dst._raw.set(src._raw);
  else if (isHalf(dst.dtype)) {
    const values = isHalf(src.dtype) ? allocate('float32', src.size, src.shape) : src.storage;
    if (isHalf(src.dtype)) decodeHalf(values, src._raw as Uint16Array, src.dtype);
    encodeHalf(dst._raw as Uint16Array, values, dst.dtype);
  } else if (isHalf(src.dtype)) decodeHalf(dst.storage, src._raw as Uint16Array, src.dtype);
  else dst.storage.set(src.storage);
}

/** Nesting deeper than an array may have dimensions is refused before it is walked. */
function inferNestedShape(value: NestedArray | readonly NestedArray[], op: string): number[] {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    if (shape.length === MAX_NDIM) throw new ValueError(`${op}: the nested lists are deeper than ${MAX_NDIM} levels; an array has at most ${MAX_NDIM} dimensions`);
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
    // An indexed loop, so that a hole ([, 1]) is seen as the undefined it reads as.
    for (let i = 0; i < x.length; i++) check(x[i], dim + 1);
  };
  check(value, 0);
  return shape;
}

/** The dtype a typed array's values come in as; other element types are refused (bigints) or widened. */
function typedDType(value: ArrayBufferView, op: string): DType {
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array || value instanceof Uint8Array) return dtypeOf(value)!;
  if (value instanceof Uint8ClampedArray) return 'uint8';
  if (value instanceof Int8Array || value instanceof Int16Array) return 'int32';
  if (value instanceof Uint32Array) return 'float64';
  throw new DTypeError(
    `${op}: cannot read a ${value.constructor.name}; give a Float32Array, Float64Array, Int32Array, Uint8Array (or another array of numbers)` +
      (value instanceof BigInt64Array || value instanceof BigUint64Array ? ', converting bigints with Number() first' : ''),
  );
}

/**
 * An array from nested JavaScript arrays, a typed array, a number, or another NDArray (copied).
 * @example nd.array([[1, 2], [3, 4]])
 */
export const array = publicOp('array', function array(
  value: NestedArray | readonly NestedArray[] | TypedArray | NDArray,
  options: DTypeOption & { shape?: readonly number[] } = {},
): NDArray {
  if (NDArray.isInstance(value)) {
    const dtype = checkDType(options.dtype ?? value.dtype, 'array');
    const out = NDArray.empty(value.shape, dtype);
    copyConverted(out, value);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    // A Uint16Array holds float16 or bfloat16 bit patterns, copied as they are.
    const bits = value instanceof Uint16Array;
    if (bits && !(options.dtype === 'float16' || options.dtype === 'bfloat16')) {
      throw new DTypeError(`array: a Uint16Array holds float16 or bfloat16 bit patterns; say which with dtype: 'float16' or 'bfloat16' (got ${options.dtype === undefined ? 'undefined' : fmtValue(options.dtype)})`);
    }
    const source = bits ? options.dtype! : typedDType(value, 'array');
    const length = (value as TypedArray).length;
    const dtype = checkDType(options.dtype ?? source, 'array');
    const shape = checkShape(options.shape ?? [length], 'array');
    if (sizeOf(shape) !== length) {
      throw new ValueError(`array: shape (${shape.join(', ')}) needs ${sizeOf(shape)} values, the typed array has ${length}`);
    }
    if (bits) {
      const data = allocate(dtype, length, shape);
      data.set(value as Uint16Array);
      return new NDArray(data, shape, dtype);
    }
    return writeValues(NDArray.empty(shape, dtype), (data) => data.set(value as TypedArray));
  }
  const dtype = checkDType(options.dtype ?? 'float32', 'array');
  const shape = inferNestedShape(value as NestedArray, 'array');
  const target = options.shape === undefined ? shape : checkShape(options.shape, 'array');
  if (sizeOf(target) !== sizeOf(shape)) {
    throw new ValueError(`array: shape ${fmtShape(target)} needs ${sizeOf(target)} values, the nested lists hold ${sizeOf(shape)} (shape ${fmtShape(shape)})`);
  }
  const out = NDArray.empty(target, dtype);
  return writeValues(out, (data) => {
    if (shape.length === 0) data[0] = Number(value);
    else {
      const flat = (value as unknown[]).flat(Infinity) as (number | boolean)[];
      for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
    }
  });
}, 1);

/**
 * An array of zeros.
 * @example nd.zeros([2, 3]) // float32 (2, 3)
 */
export const zeros = publicOp('zeros', function zeros(shape: ShapeLike, options: DTypeOption = {}): NDArray {
  return NDArray.empty(toShape(shape, 'zeros'), checkDType(options.dtype ?? 'float32', 'zeros'));
}, 1);

/**
 * An array filled with `value`.
 * @example nd.full([2], 7, { dtype: 'int32' }) // [7, 7]
 */
export const full = publicOp('full', function full(shape: ShapeLike, value: number, options: DTypeOption = {}): NDArray {
  return filled('full', shape, value, options);
}, 2);

/** Throws a ValueError naming `op` unless `value` is a number (a finite one when `finite`). */
function checkNumber(op: string, what: string, value: unknown, finite = false): void {
  if (typeof value !== 'number' || (finite && !Number.isFinite(value))) {
    throw new ValueError(`${op}: ${what} must be a ${finite ? 'finite ' : ''}number, got ${typeof value === 'number' ? value : describeValue(value)}`);
  }
}

/** `full` under the caller's name, so errors name the function the user called. */
function filled(op: string, shape: ShapeLike, value: number, options: DTypeOption): NDArray {
  checkNumber(op, 'the fill value', value);
  const out = NDArray.empty(toShape(shape, op), checkDType(options.dtype ?? 'float32', op));
  if (isHalf(out.dtype)) out._raw.fill(toHalfBits(value, out.dtype));
  else out.storage.fill(value);
  return out;
}

/**
 * An array of ones.
 * @example nd.ones(3) // [1, 1, 1]
 */
export const ones = publicOp('ones', function ones(shape: ShapeLike, options: DTypeOption = {}): NDArray {
  return filled('ones', shape, 1, options);
}, 1);

/** Zeros of `x`'s shape and (unless given) dtype. */
export const zerosLike = publicOp('zerosLike', function zerosLike(x: NDArray, options: DTypeOption = {}): NDArray {
  expectArray('zerosLike', x);
  return zeros(x.shape, { dtype: options.dtype ?? x.dtype });
}, 1);

/** Ones of `x`'s shape and (unless given) dtype. */
export const onesLike = publicOp('onesLike', function onesLike(x: NDArray, options: DTypeOption = {}): NDArray {
  expectArray('onesLike', x);
  return full(x.shape, 1, { dtype: options.dtype ?? x.dtype });
}, 1);

/** `value` in `x`'s shape and (unless given) dtype. */
export const fullLike = publicOp('fullLike', function fullLike(x: NDArray, value: number, options: DTypeOption = {}): NDArray {
  expectArray('fullLike', x);
  return full(x.shape, value, { dtype: options.dtype ?? x.dtype });
}, 2);

/**
 * Evenly spaced values in [start, stop) with `step`; `arange(5)` is [0, 1, 2, 3, 4].
 */
export const arange = publicOp('arange', function arange(start: number, stop?: number, step = 1, options: DTypeOption = {}): NDArray {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  checkNumber('arange', stop === undefined ? 'stop' : 'start', stop === undefined ? hi : lo, true);
  if (stop !== undefined) checkNumber('arange', 'stop', hi, true);
  if (typeof step !== 'number' || step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a finite non-zero number, got ${String(step)}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const out = NDArray.empty([n], checkDType(options.dtype ?? 'float32', 'arange'));
  return writeValues(out, (data) => {
    for (let i = 0; i < n; i++) data[i] = lo + i * step;
  });
}, 3);

/** `num` evenly spaced values from start to stop (inclusive unless `endpoint: false`). */
export const linspace = publicOp('linspace', function linspace(start: number, stop: number, num: number, options: DTypeOption & { endpoint?: boolean } = {}): NDArray {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'stop', stop);
  checkShape([num], 'linspace');
  const endpoint = options.endpoint ?? true;
  const out = NDArray.empty([num], checkDType(options.dtype ?? 'float32', 'linspace'));
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  return writeValues(out, (data) => {
    for (let i = 0; i < num; i++) data[i] = start + i * step;
    if (endpoint && num > 1) data[num - 1] = stop;
  });
}, 3);

/** An (n, m) matrix with ones on diagonal k. */
export const eye = publicOp('eye', function eye(n: number, m = n, k = 0, options: DTypeOption = {}): NDArray {
  if (!Number.isInteger(k)) throw new ValueError(`eye: the diagonal offset k must be an integer, got ${String(k)}`);
  const out = NDArray.empty(checkShape([n, m], 'eye'), checkDType(options.dtype ?? 'float32', 'eye'));
  return writeValues(out, (data) => {
    // Rows past the last column hold no diagonal: (2^40, 0) costs nothing.
    const rows = Math.min(n, Math.max(0, m - k));
    for (let i = Math.max(0, -k); i < rows; i++) {
      const j = i + k;
      if (j >= 0 && j < m) data[i * m + j] = 1;
    }
  });
}, 3);
