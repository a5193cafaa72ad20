/**
 * `Parameter`: a named array of a model, with Gluon's deferred initialization.
 *
 * A parameter is in one of three states:
 * - declared: created, `initialize()` not yet called;
 * - pending: `initialize()` recorded an initializer (and drew the parameter's random seed), but
 *   the shape still has unknown dimensions (0), so the array cannot exist yet;
 * - initialized: the array exists.
 *
 * The seed is drawn from the current generator at `initialize()`, one draw per parameter, and
 * the initializer later runs with a generator built from it: the values a parameter receives do
 * not depend on whether its shape was known at `initialize()` or only at the first forward.
 *
 * A float16 / bfloat16 parameter stores 16-bit values: initializers fill a float32 array that is
 * then rounded, and values given to `setData` or kept by `cast` are converted as `astype` does.
 */
import { isFloat, type DType } from '../core/dtype.js';
import { DeferredInitializationError, ShapeError, UninitializedParameterError, ValueError, AutogradError, fmtShape, fmtValue } from '../core/errors.js';
import { checkOptions, relabel } from '../core/public.js';
import { shapesEqual } from '../core/shape.js';
import { Generator, currentGenerator, withGenerator } from '../core/rng.js';
import { NDArray, type GradReq } from '../ndarray/ndarray.js';
import { array, checkDType } from '../ndarray/creation.js';
import { isHalf } from '../core/half.js';
import { attachGrad } from '../autograd/backward.js';
import { pause } from '../autograd/state.js';
import { withCapture } from '../ops/define.js';
import { activeTracer } from '../graph/trace.js';
import { Uniform, create, type InitLike } from '../init/builtins.js';
import type { Initializer } from '../init/initializer.js';
import { warn } from './warnings.js';

/**
 * A parameter's life cycle: 'declared' (never initialized), 'pending' (initialize() recorded an
 * initializer, the shape is still unknown) and 'initialized' (it holds data).
 */
export type ParameterState = 'declared' | 'pending' | 'initialized';

/** Options of `new gluon.Parameter(name, options)` and `params.get(key, options)`. */
export interface ParameterOptions {
  /** The shape; 0 marks a dimension that is inferred later. Omitted: unknown rank. */
  shape?: readonly number[];
  /** Default float32. */
  dtype?: DType;
  /** This parameter's own initializer; wins over the one given to `Block.initialize`. */
  init?: InitLike | null;
  /** 'write' (default for float dtypes), 'add' (accumulate) or 'null' (no gradient, a constant). */
  gradReq?: GradReq;
  /** Whether `initialize()` may defer while the shape is unknown (default true). */
  allowDeferredInit?: boolean;
  /** Learning-rate multiplier the Trainer applies (default 1). */
  lrMult?: number;
  /** Weight-decay multiplier the Trainer applies (default 1). */
  wdMult?: number;
}

/** Options of `Parameter.initialize`. */
export interface ParameterInitOptions {
  /** Initializer for this call; wins over the parameter's own and over `defaultInit`. */
  init?: InitLike | null;
  /** Used when neither `init` nor the parameter's own initializer is set (default Uniform(0.07)). */
  defaultInit?: InitLike | null;
  /** Re-initialize even if already initialized (or pending). */
  forceReinit?: boolean;
}

/** What `initialize` did: materialized the array, recorded it as pending, or ignored the call. */
export type InitOutcome = 'initialized' | 'pending' | 'ignored';

interface InitSpec {
  readonly init: Initializer;
  readonly byName: boolean;
  readonly seed: number;
}

let shapeOnlyDepth = 0;

/**
 * @internal Runs `fn` with every `Parameter.data()` returning a shape-only array, so a forward
 * inside computes nothing (Block.inferShape).
 */
export function withShapeOnlyParams<T>(fn: () => T): T {
  shapeOnlyDepth++;
  try {
    return fn();
  } finally {
    shapeOnlyDepth--;
  }
}

/** True inside `withShapeOnlyParams`. */
export function inShapeOnlyMode(): boolean {
  return shapeOnlyDepth > 0;
}

/**
 * A named model array with its gradient, initializer and training multipliers.
 * @example
 * const w = new gluon.Parameter('w', { shape: [3, 0] });  // second dimension inferred later
 * w.initialize();                  // pending: shape unknown
 * w.shape = [3, 4];                // now known; data() materializes it
 * w.data().shape                   // [3, 4]
 */
export class Parameter {
  /** Display name, e.g. `dense0_weight`; initializers and error messages use it. */
  readonly name: string;
  /** The parameter's own initializer (e.g. a Dense bias has 'zeros'), or null. */
  init: InitLike | null;
  lrMult: number;
  wdMult: number;
  allowDeferredInit: boolean;
  #dtype: DType;
  #gradReq: GradReq;
  #shape: number[] | null;
  /** The shape as declared, restored by `resetShape`. */
  readonly #declared: number[] | null;
  #data: NDArray | null = null;
  #spec: InitSpec | null = null;
  #initCalled = false;
  #pinned = false;
  readonly #onMaterialize = new Set<(data: NDArray) => void>();

  constructor(name: string, options: ParameterOptions = {}) {
    if (typeof name !== 'string') throw new ValueError(`Parameter: the name must be a string such as 'weight', got ${fmtValue(name)}`);
    checkOptions(`Parameter ${name}`, options);
    this.name = name;
    this.#dtype = checkDType(options.dtype ?? 'float32', `Parameter ${name}`);
    this.#gradReq = options.gradReq ?? (isFloat(this.#dtype) ? 'write' : 'null');
    checkGradReq(this.#gradReq, name, this.#dtype);
    if (options.shape !== undefined) checkDims(options.shape, name);
    this.#shape = options.shape === undefined ? null : [...options.shape];
    this.#declared = this.#shape === null ? null : [...this.#shape];
    this.init = options.init ?? null;
    if (this.init !== null) {
      try {
        create(this.init);
      } catch (e) {
        throw relabel(e, `Parameter ${name}`);
      }
    }
    this.allowDeferredInit = options.allowDeferredInit ?? true;
    this.lrMult = options.lrMult ?? 1;
    this.wdMult = options.wdMult ?? 1;
  }

  /** 'declared', 'pending' or 'initialized'. */
  get state(): ParameterState {
    if (this.#data !== null) return 'initialized';
    return this.#spec !== null ? 'pending' : 'declared';
  }

  /** The shape, 0 where still unknown (empty with unknown rank: see `shapeKnown`). */
  get shape(): readonly number[] {
    return this.#shape ?? [];
  }

  /**
   * Completes unknown dimensions. Known dimensions must agree; once the array exists the shape
   * cannot change (use `Block.resetShapes()` or `setData`).
   */
  set shape(shape: readonly number[]) {
    checkDims(shape, this.name);
    if (!this.fits(shape)) {
      throw new ShapeError(
        `Parameter ${this.name}: cannot set shape ${fmtShape(shape)}, it conflicts with its shape ${this.#fmt()}` +
          (this.#data !== null ? ' (already initialized; call resetShapes() on its block to re-infer it)' : ''),
      );
    }
    this.#shape = this.#merged(shape);
  }

  /** True when every dimension is known. */
  get shapeKnown(): boolean {
    return this.#shape !== null && this.#shape.every((d) => d > 0);
  }

  get dtype(): DType {
    return this.#dtype;
  }

  /** How backward writes the gradient: 'write', 'add', or 'null' for none (a constant). */
  get gradReq(): GradReq {
    return this.#gradReq;
  }

  set gradReq(req: GradReq) {
    checkGradReq(req, this.name, this.#dtype);
    this.#gradReq = req;
    if (this.#data !== null) attachGrad(this.#data, { gradReq: req });
  }

  /** True when `shape` could be this parameter's shape: same rank, equal where both are known. */
  fits(shape: readonly number[]): boolean {
    const cur = this.#shape;
    if (cur === null) return true;
    if (cur.length !== shape.length) return false;
    return cur.every((d, i) => d === 0 || shape[i] === 0 || d === shape[i]);
  }

  /**
   * Initializes the array, or records the initializer until the shape is known. Precedence:
   * `init` here > the parameter's own `init` > `defaultInit` > Uniform(0.07). Calling it again
   * without `forceReinit` warns and changes nothing.
   */
  initialize(options: ParameterInitOptions = {}): void {
    if (this.initializeQuiet(options) === 'ignored') {
      warn(`Parameter ${this.name} is already initialized, ignoring. Set forceReinit: true to re-initialize.`);
    }
  }

  /** @internal `initialize` without the warning; `ParameterDict` warns once for all. */
  initializeQuiet(options: ParameterInitOptions = {}): InitOutcome {
    const { forceReinit = false } = options;
    if (this.#initCalled && !forceReinit && (this.#data !== null || this.#spec !== null)) return 'ignored';
    const pinned = this.#data !== null && this.#pinned && !this.#initCalled && !forceReinit;
    if (!pinned && !this.shapeKnown && !this.allowDeferredInit) {
      throw new DeferredInitializationError(
        `Parameter ${this.name} has unknown shape ${this.#fmt()} and allowDeferredInit is false, so it cannot be initialized; ` +
          `give its full shape, or allow deferred initialization`,
      );
    }
    const explicit = options.init ?? this.init;
    const spec: InitSpec = {
      init: explicit !== null && explicit !== undefined ? create(explicit) : create(options.defaultInit ?? new Uniform()),
      byName: explicit === null || explicit === undefined,
      // One draw per parameter, in tree order: the same seed gives the same values whenever
      // the shape becomes known.
      seed: currentGenerator().nextUint32(),
    };
    this.#initCalled = true;
    this.#spec = spec;
    // A value pinned by setData before initialize() is kept instead of the initializer.
    if (pinned) return 'initialized';
    if (this.shapeKnown) {
      this.#materialize();
      return 'initialized';
    }
    this.#data = null;
    return 'pending';
  }

  /**
   * The array. While pending this throws DeferredInitializationError (the shape is inferred at
   * the first forward); before `initialize()` UninitializedParameterError.
   */
  data(): NDArray {
    if (this.#data === null && this.#spec !== null && this.shapeKnown) this.#materialize();
    // While a hybridized forward is traced, the graph reads this parameter through a stand-in.
    const tracer = activeTracer();
    if (tracer !== null && this.#data !== null) return tracer.param(this, this.#data.shape, this.#dtype);
    if (shapeOnlyDepth > 0 && this.shapeKnown) return NDArray.shapeOnly(this.#shape!, this.#dtype);
    if (this.#data !== null) return this.#data;
    if (this.#spec !== null || shapeOnlyDepth > 0) throw this.#deferredError('data');
    throw this.#uninitializedError('data');
  }

  /** @internal The array when there is one, else null; no initialization, no error (hybridize's check). */
  dataIfReady(): NDArray | null {
    return this.#data;
  }

  /** The gradient array (backward writes it); errors like `data()`, and when gradReq is 'null'. */
  grad(): NDArray {
    const data = this.data();
    if (data.isShapeOnly) return data;
    if (this.#gradReq === 'null' || data._grad === null) {
      throw new AutogradError(`Parameter ${this.name} has no gradient because its gradReq is 'null'; set gradReq to 'write' to compute one`);
    }
    return data._grad;
  }

  /**
   * Sets the value (copied, converted to this dtype). On a declared or pending parameter it pins
   * the shape and the value; the value is then used instead of the initializer.
   */
  setData(value: NDArray): void {
    if (value.isShapeOnly) throw new ValueError(`Parameter ${this.name}: setData needs an array with values, got a shape-only ${fmtShape(value.shape)} array`);
    if (!this.fits(value.shape)) {
      throw new ShapeError(
        `Parameter ${this.name}: setData got shape ${fmtShape(value.shape)}, which does not fit its shape ${this.#fmt()}` +
          (this.#data !== null ? '; to change the shape of an initialized parameter call resetShapes() on its block first' : ''),
      );
    }
    if (this.#data === null) {
      this.#shape = [...value.shape];
      this.#pinned = true;
      this.#data = NDArray.empty(this.#shape, this.#dtype);
      attachGrad(this.#data, { gradReq: this.#gradReq });
    }
    this.#data._raw.set(value.dtype === this.#dtype ? value._raw : array(value, { dtype: this.#dtype })._raw);
  }

  /** Sets the gradient to zero (nothing to do before initialization or with gradReq 'null'). */
  zeroGrad(): void {
    this.#data?._grad?._raw.fill(0);
  }

  /** Converts the parameter (and its value, if any) to another dtype. */
  cast(dtype: DType): void {
    this.#dtype = checkDType(dtype, `Parameter ${this.name}`);
    if (this.#data !== null) {
      this.#data = array(this.#data, { dtype: this.#dtype });
      attachGrad(this.#data, { gradReq: this.#gradReq });
    }
  }

  /** @internal True when some dimension was declared unknown and a value was not pinned by the user. */
  get shapeInferable(): boolean {
    return !this.#pinned && (this.#declared === null || this.#declared.some((d) => d === 0));
  }

  /**
   * @internal Returns the shape to its declared form (unknown dimensions back to 0), dropping the
   * array and keeping the recorded initializer and seed, so the next forward re-infers it.
   * Returns false when there was nothing inferred to reset.
   */
  resetShape(): boolean {
    if (!this.shapeInferable || this.shapeKnown === false) return false;
    this.#shape = this.#declared === null ? null : [...this.#declared];
    this.#data = null;
    return true;
  }

  /**
   * @internal Calls `fn(array)` each time the initializer fills this parameter's array (at
   * `initialize()`, or at the first forward when deferred); returns a function that removes it.
   */
  onMaterialize(fn: (data: NDArray) => void): () => void {
    this.#onMaterialize.add(fn);
    return () => {
      this.#onMaterialize.delete(fn);
    };
  }

  /** Gluon's form: `Parameter dense0_weight (shape=(256, 20), dtype=float32)`. */
  toString(): string {
    return `Parameter ${this.name} (shape=${this.#fmt()}, dtype=${this.#dtype})`;
  }

  #materialize(): void {
    const spec = this.#spec!;
    // Initializers write numbers: a 16-bit parameter is initialized in float32, then rounded.
    // Both compute eagerly even while a hybridized forward is traced around them.
    let data: NDArray;
    try {
      data = withCapture(null, () => {
        const values = NDArray.empty(this.#shape!, isHalf(this.#dtype) ? 'float32' : this.#dtype);
        pause(() => withGenerator(new Generator(spec.seed), () => spec.init.initialize(this.name, values, { byName: spec.byName })));
        return values.dtype === this.#dtype ? values : pause(() => array(values, { dtype: this.#dtype }));
      });
    } catch (e) {
      throw relabel(e, `Parameter ${this.name}`);
    }
    const old = this.#data;
    // Re-initializing keeps the same array object, so references to data() stay valid.
    if (old !== null && shapesEqual(old.shape, data.shape) && old.dtype === data.dtype) old._raw.set(data._raw);
    else {
      attachGrad(data, { gradReq: this.#gradReq });
      this.#data = data;
    }
    for (const fn of this.#onMaterialize) fn(this.#data!);
  }

  #merged(shape: readonly number[]): number[] {
    const cur = this.#shape;
    return cur === null ? [...shape] : cur.map((d, i) => (d === 0 ? shape[i]! : d));
  }

  #fmt(): string {
    return this.#shape === null ? 'None' : fmtShape(this.#shape);
  }

  #deferredError(what: string): DeferredInitializationError {
    return new DeferredInitializationError(
      `Parameter ${this.name} has shape ${this.#fmt()} with unknown dimensions, so its ${what} does not exist yet: ` +
        `its initialization was deferred until the first forward, where the shape is inferred from the input. ` +
        `Ways out: run one forward (net.forward(x)); give the input size when building the layer (inUnits for Dense, ` +
        `inChannels for convolutions); or give the input shape without computing anything: ` +
        `net.initialize({ inputShape: [batch, features] }) or net.inferShape([batch, features]).`,
    );
  }

  #uninitializedError(what: string): UninitializedParameterError {
    return new UninitializedParameterError(
      `Parameter ${this.name} has not been initialized, so its ${what} does not exist; ` +
        `call net.initialize() (or param.initialize()) before using it`,
    );
  }
}

function checkDims(shape: readonly number[], name: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(`Parameter ${name}: shape must be a list of non-negative integers (0 = unknown), got ${String(shape)}`);
  }
}

function checkGradReq(req: GradReq, name: string, dtype: DType): void {
  if (req !== 'write' && req !== 'add' && req !== 'null') {
    throw new ValueError(`Parameter ${name}: gradReq must be 'write', 'add' or 'null', got '${String(req)}'`);
  }
  if (req !== 'null' && !isFloat(dtype)) {
    throw new ValueError(`Parameter ${name}: a ${dtype} parameter cannot have gradients; use gradReq: 'null' or a float dtype`);
  }
}
