/**
 * Datasets, as in Gluon: anything with a `length` and `get(i)`. `ArrayDataset` wraps arrays whose
 * first axis indexes samples; `SimpleDataset` wraps a JavaScript list; `transform` and
 * `transformFirst` return lazily transformed views.
 *
 * Besides `get(i)`, a dataset may answer `_batch(indices)` with a whole batch at once. Array-backed
 * datasets do, copying contiguous rows with `TypedArray.set` instead of building one NDArray per
 * sample, and transforms that work on batches (`ToTensor`, `Normalize`...) pass that fast path
 * through; the `DataLoader` uses it whenever it can and falls back to `get(i)` + batchify.
 */
import { allocate, type TypedArray } from '../../core/dtype.js';
import { AllocationError, ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { array } from '../../ndarray/creation.js';
import { defaultBatchify, type Batched } from './batchify.js';
import { refuseAbstract } from '../../core/public.js';

/**
 * A function applied to samples, or an object with `forward` (Gluon's transforms are blocks).
 * Transforms that set `batchable` also accept a batch (a leading sample axis) and give the same
 * result as applying them to each sample, which lets the DataLoader transform whole batches.
 */
export type TransformLike<I, O> = ((x: I) => O) | { forward(x: I): O; readonly batchable?: boolean };

function callTransform<I, O>(t: TransformLike<I, O>, x: I): O {
  return typeof t === 'function' ? t(x) : t.forward(x);
}

function isBatchable(t: TransformLike<unknown, unknown>): boolean {
  return typeof t !== 'function' && t.batchable === true;
}

/** The first element of a tuple sample, or the whole sample. */
export type FirstOf<T> = T extends readonly [infer F, ...unknown[]] ? F : T;

/** The sample type after `transformFirst`: the first element of a tuple replaced, or the whole sample. */
export type FirstTransformed<T, O> = T extends readonly [unknown, ...infer Rest] ? [O, ...Rest] : O;

/**
 * The base class of datasets: subclasses implement `length` and `get(i)`.
 * @example
 * class Squares extends gluon.data.Dataset<[number, number]> {
 *   get length() { return 10; }
 *   get(i: number): [number, number] { return [i, i * i]; }
 * }
 */
export abstract class Dataset<T> implements Iterable<T> {
  constructor() {
    refuseAbstract(new.target, Dataset, 'use ArrayDataset or SimpleDataset, or extend it and implement length and get');
  }

  /** The number of samples. */
  abstract get length(): number;

  /** The sample at index `i` (0 <= i < length). */
  abstract get(i: number): T;

  /**
   * @internal The samples at `indices` already batched, or null when this dataset cannot batch
   * faster than `get(i)` + batchify. The DataLoader calls it when no custom batchify is given.
   */
  _batch(indices: Int32Array): Batched<T> | null {
    void indices;
    return null;
  }

  /** Throws a clear error for an index outside [0, length). */
  protected checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new ValueError(`${this.constructor.name}.get: index ${i} is out of range for a dataset of ${this.length} samples`);
    }
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  /**
   * A dataset whose samples are `fn(sample)`. Lazy by default (applied at each `get`);
   * `{ lazy: false }` applies it to every sample now.
   * @example const scaled = ds.transform(([x, y]) => [x.div(255), y]);
   */
  transform<O>(fn: TransformLike<T, O>, options: { lazy?: boolean } = {}): Dataset<O> {
    const lazy = new TransformedDataset<T, O>(this, fn, false);
    return options.lazy === false ? new SimpleDataset(Array.from(lazy)) : lazy;
  }

  /**
   * A dataset whose samples have `fn` applied to their first element only (usually the image,
   * leaving the label alone), as Gluon's `transform_first`.
   * @example const train = mnistTrain.transformFirst(new transforms.ToTensor());
   */
  transformFirst<O>(fn: TransformLike<FirstOf<T>, O>, options: { lazy?: boolean } = {}): Dataset<FirstTransformed<T, O>> {
    const lazy = new TransformedDataset<T, FirstTransformed<T, O>>(this, fn as TransformLike<unknown, unknown>, true);
    return options.lazy === false ? new SimpleDataset(Array.from(lazy)) : lazy;
  }

  /** The first `count` samples (all of them when there are fewer). */
  take(count: number): Dataset<T> {
    const n = Math.max(0, Math.min(Math.floor(count), this.length));
    return new SubsetDataset(this, Int32Array.from({ length: n }, (_, i) => i));
  }

  /** The samples for which `predicate(sample, index)` holds (evaluated once, now). */
  filter(predicate: (sample: T, index: number) => boolean): Dataset<T> {
    const keep: number[] = [];
    for (let i = 0; i < this.length; i++) if (predicate(this.get(i), i)) keep.push(i);
    return new SubsetDataset(this, Int32Array.from(keep));
  }

  /** The samples at `indices`, in that order (a view: nothing is copied). */
  subset(indices: ArrayLike<number>): Dataset<T> {
    const idx = Int32Array.from(indices);
    for (const i of idx) this.checkIndex(i);
    return new SubsetDataset(this, idx);
  }

  /**
   * Part `index` of `numShards` contiguous, near-equal parts (the first parts get one extra sample
   * when the length does not divide), as Gluon's `shard` for data-parallel training.
   */
  shard(numShards: number, index: number): Dataset<T> {
    if (!Number.isInteger(numShards) || numShards < 1 || !Number.isInteger(index) || index < 0 || index >= numShards) {
      throw new ValueError(`shard: need an integer numShards >= 1 and 0 <= index < numShards, got numShards=${numShards}, index=${index}`);
    }
    const base = Math.floor(this.length / numShards);
    const extra = this.length % numShards;
    const start = index * base + Math.min(index, extra);
    const len = base + (index < extra ? 1 : 0);
    return new SubsetDataset(this, Int32Array.from({ length: len }, (_, i) => start + i));
  }
}

/**
 * A dataset over a JavaScript list of samples.
 * @example const ds = new gluon.data.SimpleDataset([[x0, 0], [x1, 1]]);
 */
export class SimpleDataset<T> extends Dataset<T> {
  readonly #items: readonly T[];

  constructor(items: readonly T[]) {
    super();
    if (!Array.isArray(items)) throw new ValueError(`SimpleDataset: items must be a list of samples, got ${fmtValue(items)}`);
    this.#items = items;
  }

  get length(): number {
    return this.#items.length;
  }

  get(i: number): T {
    this.checkIndex(i);
    return this.#items[i]!;
  }
}

class TransformedDataset<T, O> extends Dataset<O> {
  constructor(
    private readonly base: Dataset<T>,
    private readonly fn: TransformLike<never, unknown>,
    private readonly firstOnly: boolean,
  ) {
    super();
  }

  get length(): number {
    return this.base.length;
  }

  get(i: number): O {
    const s = this.base.get(i);
    const fn = this.fn as TransformLike<unknown, unknown>;
    if (this.firstOnly && Array.isArray(s)) return [callTransform(fn, s[0]), ...s.slice(1)] as O;
    return callTransform(fn, s) as O;
  }

  override _batch(indices: Int32Array): Batched<O> | null {
    const fn = this.fn as TransformLike<unknown, unknown>;
    if (!isBatchable(fn)) return null;
    const b = this.base._batch(indices);
    if (b === null) return null;
    if (this.firstOnly && Array.isArray(b)) return [callTransform(fn, b[0]), ...b.slice(1)] as unknown as Batched<O>;
    if (Array.isArray(b)) return null;
    return callTransform(fn, b) as Batched<O>;
  }
}

class SubsetDataset<T> extends Dataset<T> {
  constructor(
    private readonly base: Dataset<T>,
    private readonly indices: Int32Array,
  ) {
    super();
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    this.checkIndex(i);
    return this.base.get(this.indices[i]!);
  }

  override _batch(indices: Int32Array): Batched<T> | null {
    const mapped = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) mapped[k] = this.indices[indices[k]!]!;
    return this.base._batch(mapped);
  }
}

/** What `ArrayDataset` accepts as one column: samples along the first axis. */
export type ArrayInput = NDArray | TypedArray | readonly unknown[];

/** The sample type of one column: an NDArray for numeric data, the element itself otherwise. */
export type ItemOf<A> = A extends NDArray | TypedArray
  ? NDArray
  : A extends readonly (infer E)[]
    ? E extends number | readonly unknown[]
      ? NDArray
      : E
    : never;

/** One array: its items; several: tuples of items (Gluon's rule). */
export type ArraySample<A extends readonly unknown[]> = A extends readonly [infer Only] ? ItemOf<Only> : { -readonly [K in keyof A]: ItemOf<A[K]> };

function isNumeric(v: unknown): boolean {
  // A loop, not recursion: a hostile list nested thousands deep must not exhaust the stack.
  while (Array.isArray(v) && v.length > 0) v = v[0];
  return typeof v === 'number';
}

/** A JavaScript list of numbers (or nested lists) as an NDArray: int32 when all are integers. */
function numericColumn(values: readonly unknown[], column: number): NDArray {
  // float64 holds every JavaScript number exactly, so converting afterwards rounds only once.
  let exact: NDArray;
  try {
    exact = array(values as number[], { dtype: 'float64' });
  } catch (e) {
    if (e instanceof AllocationError) throw e;
    throw new ValueError(`ArrayDataset: column ${column} is a list of numbers that is not rectangular (${(e as Error).message})`);
  }
  const allInt = exact.storage.every((v) => Number.isInteger(v));
  return exact.astype(allInt ? 'int32' : 'float32');
}

/**
 * A dataset of one or more arrays of equal length whose first axis indexes samples. NDArrays,
 * typed arrays and lists of numbers are stored as NDArrays, so a sample's item is an NDArray
 * (0-d for a 1-D column: `y.item()` gives the number); other lists (of NDArrays of varying
 * shapes, strings...) return their elements. With one array, samples are its items; with several,
 * tuples.
 * @example
 * const ds = new gluon.data.ArrayDataset(nd.random.uniform({ shape: [100, 3] }), nd.arange(100));
 * const [x, y] = ds.get(0);   // x: (3,), y: 0-d
 */
export class ArrayDataset<A extends ArrayInput[]> extends Dataset<ArraySample<A>> {
  readonly #columns: (NDArray | readonly unknown[])[];
  readonly #length: number;

  constructor(...arrays: A) {
    super();
    if (arrays.length === 0) throw new ValueError('ArrayDataset: needs at least one array');
    this.#columns = arrays.map((a, c) => {
      if (!(a instanceof NDArray) && !ArrayBuffer.isView(a) && !Array.isArray(a)) {
        throw new ValueError(`ArrayDataset: column ${c} must be an NDArray, a typed array or a list of samples, got ${fmtValue(a)}`);
      }
      if (a instanceof NDArray) {
        if (a.ndim === 0) throw new ShapeError(`ArrayDataset: column ${c} is a 0-d array; the first axis must index samples`);
        return a;
      }
      if (ArrayBuffer.isView(a)) return array(a as TypedArray);
      return a.length > 0 && isNumeric(a[0]) ? numericColumn(a, c) : a;
    });
    const lengths = this.#columns.map((c) => (c instanceof NDArray ? c.shape[0]! : c.length));
    this.#length = lengths[0]!;
    if (lengths.some((n) => n !== this.#length)) {
      throw new ShapeError(`ArrayDataset: all arrays must have the same number of samples (first axis), got ${lengths.join(', ')}`);
    }
  }

  get length(): number {
    return this.#length;
  }

  get(i: number): ArraySample<A> {
    this.checkIndex(i);
    const items = this.#columns.map((c) => (c instanceof NDArray ? row(c, i) : c[i]));
    return (items.length === 1 ? items[0] : items) as ArraySample<A>;
  }

  override _batch(indices: Int32Array): Batched<ArraySample<A>> | null {
    for (const i of indices) this.checkIndex(i);
    const out = this.#columns.map((c) => (c instanceof NDArray ? gatherRows(c, indices) : defaultBatchify(Array.from(indices, (i) => c[i]))));
    return (out.length === 1 ? out[0] : out) as Batched<ArraySample<A>>;
  }
}

/** Row `i` of `x` (its first axis), copied. */
function row(x: NDArray, i: number): NDArray {
  const rest = x.shape.slice(1);
  const n = x.size / x.shape[0]!;
  return new NDArray(x.storage.slice(i * n, (i + 1) * n), rest, x.dtype);
}

/**
 * Rows `indices` of `x` stacked into a new array of shape (indices.length, ...x.shape[1:]),
 * copied row by row with `TypedArray.set`.
 */
export function gatherRows(x: NDArray, indices: ArrayLike<number>): NDArray {
  const rows = x.shape[0]!;
  const n = rows === 0 ? 0 : x.size / rows;
  const src = x.storage;
  const out = allocate(x.dtype, indices.length * n);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < rows)) throw new ValueError(`gatherRows: row ${i} is out of range for shape ${fmtShape(x.shape)}`);
    if (n === 1) out[k] = src[i]!;
    else out.set(src.subarray(i * n, (i + 1) * n), k * n);
  }
  return new NDArray(out, [indices.length, ...x.shape.slice(1)], x.dtype);
}
