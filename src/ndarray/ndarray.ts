/**
 * NDArray: an n-dimensional array backed by one contiguous, row-major typed array that JavaScript
 * owns (so the garbage collector frees it; nobody calls dispose).
 *
 * An array may also be *shape-only*: it carries a shape and dtype but no storage. Ops accept such
 * arrays and return shape-only results without computing anything, which is how tsgluon infers
 * every parameter shape of a network without data (see `Block.inferShape`).
 *
 * Operator methods (`x.add(y)`, `x.sum()`...) are attached by the op families in `src/ops`, and
 * the autograd methods (`attachGrad`, `backward`) by `src/autograd`.
 *
 * A float16 or bfloat16 array keeps 16-bit patterns, not numbers, so its `storage` throws (a
 * numeric loop over it would read bit patterns as values); `toArray`, `item` and printing decode
 * the values, ops widen the array to float32 first, and code that only moves bits uses `_raw`.
 */
import { allocate, type DType, type TypedArray } from '../core/dtype.js';
import { decodeHalf, isHalf } from '../core/half.js';
import { DTypeError, ShapeOnlyError, ValueError, fmtShape } from '../core/errors.js';
import { MAX_NDIM, sizeOf, type Shape } from '../core/shape.js';
import { checkJsArray } from '../core/limits.js';
import { publicOp } from '../core/public.js';
import { formatArray } from './format.js';

/** How backward treats an array's gradient: overwrite it, add to it, or keep none. */
export type GradReq = 'write' | 'add' | 'null';

/** The recorded operation that produced an array; owned by autograd. */
export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly NDArray[];
  /**
   * Gradients for each input given the output's gradient; null where none flows. `into`, when
   * given, offers a buffer per input that the rule may write that input's gradient into.
   * `retain` is backward's retainGraph: when false the node is never run again, so it may drop
   * what it kept for this call as it goes.
   */
  readonly backward: (grad: NDArray, into?: readonly (NDArray | null)[], retain?: boolean) => readonly (NDArray | null)[];
}

/**
 * An n-dimensional array of one dtype. Create one with `nd.array`, `nd.zeros`, `nd.random.*`...;
 * ops are functions in `nd` and methods on the array.
 * @example
 * const x = nd.array([[1, 2], [3, 4]]);
 * x.mul(2).sum(1).toArray() // [6, 14]
 */
export class NDArray {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  #storage: TypedArray | null;
  /** @internal The op that produced this array while recording, or null. */
  _node: TapeNode | null = null;
  /** @internal Gradient buffer once `attachGrad` was called. */
  _grad: NDArray | null = null;
  /** @internal How backward writes into `_grad`. */
  _gradReq: GradReq = 'null';
  /** @internal Set when a backward wrote `_grad`; the Trainer clears it after updating. */
  _gradFresh = false;
  /** @internal For a view (a reshape sharing storage), the array that owns the memory; else null. */
  _viewOf: NDArray | null = null;

  /** @internal Use `nd.array`, `nd.zeros`... to create arrays. */
  constructor(storage: TypedArray | null, shape: Shape, dtype: DType) {
    if (shape.length > MAX_NDIM) throw new ValueError(`NDArray: an array has at most ${MAX_NDIM} dimensions, this one would have ${shape.length}`);
    // A frozen shape cannot change under the array, so it is shared (compiled graphs hand out
    // outputs of one frozen shape every step) instead of copied and frozen again.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    if (storage !== null && storage.length !== this.size) {
      throw new ValueError(`NDArray: storage of length ${storage.length} does not match shape ${fmtShape(shape)}`);
    }
    this.#storage = storage;
  }

  /**
   * @internal True only for arrays this class constructed. `instanceof` also accepts an object
   * made with `Object.create(NDArray.prototype)`, which has the methods but no storage slot and
   * would fail deep inside an op with a TypeError; the checks at op entry (`expectArray`, binary
   * operands) use this instead. (A `Symbol.hasInstance` doing the same would cost every
   * `instanceof` in the library about 15 ns.)
   */
  static isInstance(x: unknown): x is NDArray {
    return typeof x === 'object' && x !== null && #storage in x;
  }

  /** A new array of this shape and dtype, filled with zeros. */
  static empty(shape: Shape, dtype: DType): NDArray {
    return new NDArray(allocate(dtype, sizeOf(shape), shape), shape, dtype);
  }

  /** A shape-only array: no storage, used for data-free shape inference. */
  static shapeOnly(shape: Shape, dtype: DType): NDArray {
    return new NDArray(null, shape, dtype);
  }

  /** Number of dimensions (0 for a scalar array). */
  get ndim(): number {
    return this.shape.length;
  }

  /** True when this array carries a shape but no data. */
  get isShapeOnly(): boolean {
    return this.#storage === null;
  }

  /**
   * The contiguous row-major storage, shared, not copied. Writing to it changes the array. A
   * float16 / bfloat16 array has no numeric storage: convert it with `astype('float32')`.
   */
  get storage(): TypedArray {
    if (isHalf(this.dtype)) {
      throw new DTypeError(
        `this ${fmtShape(this.shape)} ${this.dtype} array stores 16-bit patterns that a typed array cannot hold as numbers; ` +
          `read its values with toArray() or item(), or convert it with astype('float32') first`,
      );
    }
    return this.#bits('storage');
  }

  /** @internal The typed array behind the array whatever its dtype (bit patterns for float16 / bfloat16). */
  get _raw(): TypedArray {
    return this.#bits('storage');
  }

  #bits(call: string): TypedArray {
    if (this.#storage === null) {
      throw new ShapeOnlyError(
        `this ${fmtShape(this.shape)} ${this.dtype} array carries a shape but no data ` +
          `(it comes from shape inference); run a real forward with data to get values`,
        call,
      );
    }
    return this.#storage;
  }

  /** The values as numbers: the storage, or for float16 / bfloat16 a decoded Float32Array. */
  #values(call: string): TypedArray {
    const raw = this.#bits(call);
    if (!isHalf(this.dtype)) return raw;
    const out = new Float32Array(raw.length);
    decodeHalf(out, raw as Uint16Array, this.dtype);
    return out;
  }

  /** The values as nested JavaScript arrays (a number for a 0-d array). */
  toArray(): NestedArray {
    const data = this.#values('toArray()');
    if (this.ndim === 0) return data[0]!;
    // The nested lists live on V8's heap: count them with the values, so that a huge array,
    // or an empty one of shape (2^31, 0), is refused instead of exhausting the heap.
    let lists = 0;
    for (let i = 0, rows = 1; i < this.ndim; i++) {
      lists += rows;
      rows *= this.shape[i]!;
    }
    checkJsArray(lists + this.size, () => `toArray: nested lists of shape ${fmtShape(this.shape)}`);
    const build = (dim: number, offset: number, stride: number): NestedArray[] | number[] => {
      const n = this.shape[dim]!;
      const inner = stride / n;
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.ndim - 1 ? data[offset + i]! : build(dim + 1, offset + i * inner, inner));
      }
      return out;
    };
    return build(0, 0, this.size);
  }

  /** The value of a one-element array as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ValueError(
        `item: the array has shape ${fmtShape(this.shape)} (${this.size} elements); item() needs exactly one; ` +
          `reduce it first, for example x.sum().item()`,
      );
    }
    return this.#values('item()')[0]!;
  }

  /** Gluon's printed form: the values, then `<NDArray 2x2 @cpu>`. */
  toString(): string {
    // An object made from the prototype alone (no storage slot) must still print, for messages.
    if (!(#storage in this)) return '<NDArray prototype object, not an array>';
    const dims = this.ndim === 0 ? '0-d' : this.shape.join('x');
    if (this.isShapeOnly) return `<NDArray ${dims} ${this.dtype} @shape-only>`;
    const dtypeTag = this.dtype === 'float32' ? '' : ` ${this.dtype}`;
    return `${formatArray(this.#values('toString()'), this.shape, this.dtype)}\n<NDArray ${dims}${dtypeTag} @cpu>`;
  }

  /** How Node's console.log and util.inspect print it (the symbol needs no import of node:util). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// The methods of the class itself name themselves in errors too, as the op methods do.
for (const name of ['toArray', 'item'] as const) {
  Object.defineProperty(NDArray.prototype, name, { value: publicOp(name, NDArray.prototype[name]), writable: true, configurable: true });
}

/** @internal A short description of a value that is not an NDArray, for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a JavaScript array (wrap it with nd.array)';
  if (v instanceof NDArray) return 'an object with the NDArray prototype but no storage (create arrays with nd.array)';
  return typeof v === 'object' ? `an object (${v.constructor?.name ?? 'no prototype'})` : typeof v;
}

/**
 * @internal Throws a DTypeError naming the op when `x` is not an NDArray, so a JavaScript caller
 * (or an `undefined` from a typo) gets a message instead of a TypeError from deep inside the op.
 * @example expectArray('sum', x); // x is an NDArray from here on
 */
export function expectArray(op: string, x: unknown, what = 'its input'): asserts x is NDArray {
  if (!NDArray.isInstance(x)) throw new DTypeError(`${op}: ${what} must be an NDArray, got ${describeValue(x)}; create arrays with nd.array()`);
}

/** Nested JavaScript arrays of numbers, as `toArray()` returns and `nd.array` accepts. */
export type NestedArray = number | NestedArray[];
