/**
 * The Optimizer base class and the registry that turns 'sgd', 'adam'... into optimizers.
 *
 * An optimizer updates one weight array at a time, in place, from its gradient and a per-weight
 * state (momentum, moment estimates...) that it creates with `createState`. Parameters are known
 * by an integer index, as in MXNet; the Trainer fills `paramDict` so that each parameter's
 * `lrMult`/`wdMult` scale its learning rate and weight decay. The base class does the shared
 * work (validation, update counting, the learning-rate schedule); subclasses only write the
 * update rule, as one call to the backend's fused update kernel (`sgdUpdate`, `adamUpdate`... in
 * src/backend/kernels.ts), which sweeps the weight, gradient and state once.
 */
import { isFloat, type TypedArray } from '../core/dtype.js';
import { decodeHalf, encodeHalf, isHalf } from '../core/half.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { zerosLike } from '../ndarray/creation.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOptions, refuseAbstract } from '../core/public.js';

/** Options every optimizer accepts: Gluon's names in camelCase (a snake_case key is refused, naming the camelCase one). */
export interface OptimizerOptions {
  /** The learning rate (default 0.01, or the optimizer's own default). */
  learningRate?: number;
  /** L2 weight decay coefficient (default 0). */
  wd?: number;
  /** Every gradient is multiplied by this first; the Trainer sets it to 1 / batchSize. */
  rescaleGrad?: number;
  /** Clip each (rescaled) gradient element to [-clipGradient, clipGradient]; null for none. */
  clipGradient?: number | null;
  /** A schedule giving the learning rate from the update count. */
  lrScheduler?: LRScheduler | null;
  /** The update count to start from (to resume a schedule), default 0. */
  beginNumUpdate?: number;
}

/** The per-parameter state, a few named arrays shaped like the weight (empty for plain SGD). */
export type OptimizerState = Record<string, NDArray>;

/** What the optimizer reads from a parameter: its multipliers and, for messages, its name. */
export interface ParamInfo {
  readonly name?: string;
  readonly lrMult?: number;
  readonly wdMult?: number;
}

/** The hyper-parameters of one update, resolved for one parameter. */
export interface StepContext {
  /** Learning rate, including the schedule and the parameter's lrMult. */
  readonly lr: number;
  /** Weight decay, including the parameter's wdMult. */
  readonly wd: number;
  /** How many times this parameter has been updated, including this update (1 on the first). */
  readonly t: number;
  /** The factor applied to the raw gradient first (rescaleGrad, 1 / batchSize from the Trainer). */
  readonly rescale: number;
  /** The clipping bound, or Infinity for none. */
  readonly clip: number;
}

/** @internal The option keys every optimizer accepts; subclasses add their own to reject typos. */
export const BASE_OPTION_KEYS = ['learningRate', 'wd', 'rescaleGrad', 'clipGradient', 'lrScheduler', 'beginNumUpdate'] as const;

function snakeToCamel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Rejects options the optimizer does not know, suggesting the camelCase spelling of snake_case ones. */
function checkOptionKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = snakeToCamel(key);
    const hint = camel !== key && known.includes(camel) ? `; did you mean ${camel}?` : `; ${where} accepts ${known.join(', ')}`;
    throw new ValueError(`${where}: unknown option ${JSON.stringify(key)}${hint}`);
  }
}

function checkNumber(v: unknown, what: string, where: string, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ValueError(`${where}: ${what} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${String(v)}`);
  }
  return v;
}

/**
 * Base class of every optimizer.
 * @example
 * const opt = optimizer.create('sgd', { learningRate: 0.1, momentum: 0.9 });
 * const state = opt.createState(0, w);
 * opt.update(0, w, w.grad!, state);
 */
export abstract class Optimizer {
  /** The option names this optimizer accepts; subclasses extend the list. */
  static readonly optionKeys: readonly string[] = BASE_OPTION_KEYS;

  wd: number;
  rescaleGrad: number;
  clipGradient: number | null;
  lrScheduler: LRScheduler | null;
  /** The largest update count over all parameters; the schedule reads it. */
  numUpdate: number;
  /** Per-parameter multipliers by index, filled by the Trainer. */
  paramDict: Map<number, ParamInfo> = new Map();
  #lr: number;
  readonly #beginNumUpdate: number;
  readonly #counts = new Map<number, number>();

  constructor(options: OptimizerOptions = {}, defaults: { learningRate?: number } = {}) {
    refuseAbstract(new.target, Optimizer, 'use a subclass such as optimizer.SGD or optimizer.Adam, or extend it and implement createState and step');
    const where = new.target.name;
    checkOptions(where, options);
    if (options.lrScheduler != null && !(options.lrScheduler instanceof LRScheduler)) {
      throw new ValueError(`${where}: lrScheduler must be an lrScheduler.LRScheduler (e.g. new lrScheduler.FactorScheduler({ step: 100 })), got ${fmtValue(options.lrScheduler)}`);
    }
    checkOptionKeys(options, (new.target as unknown as typeof Optimizer).optionKeys, where);
    this.#lr = checkNumber(options.learningRate ?? defaults.learningRate ?? 0.01, 'learningRate', where, 0);
    this.wd = checkNumber(options.wd ?? 0, 'wd', where);
    this.rescaleGrad = checkNumber(options.rescaleGrad ?? 1, 'rescaleGrad', where);
    const clip = options.clipGradient ?? null;
    if (clip !== null && !(typeof clip === 'number' && clip > 0)) {
      throw new ValueError(`${where}: clipGradient must be a positive number or null, got ${String(clip)}`);
    }
    this.clipGradient = clip;
    this.lrScheduler = options.lrScheduler ?? null;
    // As in MXNet, an explicit learning rate becomes the schedule's base rate.
    if (this.lrScheduler !== null && options.learningRate !== undefined) this.lrScheduler.baseLr = options.learningRate;
    this.#beginNumUpdate = checkNumber(options.beginNumUpdate ?? 0, 'beginNumUpdate', where, 0);
    this.numUpdate = this.#beginNumUpdate;
  }

  /** The current learning rate: the schedule's value at `numUpdate`, or the fixed rate. */
  get learningRate(): number {
    return this.lrScheduler !== null ? this.lrScheduler.getLr(this.numUpdate) : this.#lr;
  }

  set learningRate(lr: number) {
    this.setLearningRate(lr);
  }

  /** Sets a fixed learning rate; not allowed while a schedule drives it. */
  setLearningRate(lr: number): void {
    if (this.lrScheduler !== null) {
      throw new ValueError(
        `${this.constructor.name}: the learning rate is driven by a ${this.lrScheduler.constructor.name}; ` +
          `set its baseLr instead, or build the optimizer without lrScheduler to set the rate by hand`,
      );
    }
    this.#lr = checkNumber(lr, 'learningRate', this.constructor.name, 0);
  }

  /** Creates the state of parameter `index` (arrays of zeros shaped like `weight`). */
  abstract createState(index: number, weight: NDArray): OptimizerState;

  /** The update rule on raw storage: `weight` is written in place. */
  protected abstract step(weight: TypedArray, grad: TypedArray, state: Record<string, TypedArray>, ctx: StepContext): void;

  /** The learning rate of parameter `index` (schedule times lrMult). */
  lrFor(index: number): number {
    return this.learningRate * (this.paramDict.get(index)?.lrMult ?? 1);
  }

  /** The weight decay of parameter `index` (wd times wdMult). */
  wdFor(index: number): number {
    return this.wd * (this.paramDict.get(index)?.wdMult ?? 1);
  }

  /** How many times parameter `index` has been updated. */
  updateCount(index: number): number {
    return this.#counts.get(index) ?? this.#beginNumUpdate;
  }

  /** Restores parameter `index`'s update count (when resuming from saved states). */
  setUpdateCount(index: number, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new ValueError(`${this.constructor.name}: an update count must be a non-negative integer, got ${fmtValue(count)}`);
    this.#counts.set(index, count);
    this.numUpdate = Math.max(this.numUpdate, count);
  }

  /**
   * Updates `weight` in place from `grad` (multiplied by `rescaleGrad`, then clipped) and the
   * parameter's `state`, which is updated in place too.
   */
  update(index: number, weight: NDArray, grad: NDArray, state: OptimizerState): void {
    // Runs once per parameter per step: messages are built only for an error (no closure per
    // call), and the state is walked without an entries array.
    if (!isFloat(weight.dtype)) throw new DTypeError(`${this.#where(index)}: weights must be float32, float64, float16 or bfloat16, got ${weight.dtype}`);
    if (!shapesEqual(weight.shape, grad.shape)) {
      throw new ShapeError(`${this.#where(index)}: gradient shape ${fmtShape(grad.shape)} does not match weight shape ${fmtShape(weight.shape)}`);
    }
    const raw: Record<string, TypedArray> = {};
    for (const k in state) {
      if (!Object.hasOwn(state, k)) continue;
      const v = state[k]!;
      if (!shapesEqual(v.shape, weight.shape)) {
        throw new ShapeError(`${this.#where(index)}: state '${k}' has shape ${fmtShape(v.shape)} but the weight has ${fmtShape(weight.shape)}; recreate it with createState`);
      }
      raw[k] = v.storage;
    }
    const t = this.updateCount(index) + 1;
    this.#counts.set(index, t);
    this.numUpdate = Math.max(this.numUpdate, t);
    const ctx = { lr: this.lrFor(index), wd: this.wdFor(index), t, rescale: this.rescaleGrad, clip: this.clipGradient ?? Infinity };
    if (!isHalf(weight.dtype)) {
      this.step(weight.storage, grad.storage, raw, ctx);
      return;
    }
    // A 16-bit weight is updated in float32 (its state is float32 too) and rounded back once.
    const w = new Float32Array(weight.size);
    decodeHalf(w, weight._raw as Uint16Array, weight.dtype);
    let g: TypedArray = grad._raw;
    if (isHalf(grad.dtype)) {
      g = new Float32Array(grad.size);
      decodeHalf(g, grad._raw as Uint16Array, grad.dtype);
    }
    this.step(w, g, raw, ctx);
    encodeHalf(weight._raw as Uint16Array, w, weight.dtype);
  }

  /** The subject of update's messages: the optimizer and the parameter's name. */
  #where(index: number): string {
    return `${this.constructor.name}.update (${this.paramDict.get(index)?.name ?? `parameter ${index}`})`;
  }

  /** Zeroed state arrays shaped like `weight`, one per name (float32 for a float16 / bfloat16 weight). */
  protected zerosState(weight: NDArray, ...names: string[]): OptimizerState {
    const state: OptimizerState = {};
    for (const n of names) state[n] = zerosLike(weight, isHalf(weight.dtype) ? { dtype: 'float32' } : {});
    return state;
  }
}

/** `rescale * g`, clipped to [-clip, clip]. */
export function prepGrad(g: number, rescale: number, clip: number): number {
  const v = g * rescale;
  return v > clip ? clip : v < -clip ? -clip : v;
}

type OptimizerCtor = new (options?: OptimizerOptions & Record<string, unknown>) => Optimizer;

const REGISTRY = new Map<string, OptimizerCtor>();

/** Makes `create(name)` (and the Trainer's string argument) build `ctor`; names are case-insensitive. */
export function register(name: string, ctor: OptimizerCtor): void {
  REGISTRY.set(name.toLowerCase(), ctor);
}

/** The registered optimizer names. */
export function registered(): string[] {
  return [...REGISTRY.keys()].sort();
}

/**
 * An optimizer from its registered name.
 * @example optimizer.create('adam', { learningRate: 1e-3 })
 */
export function create(name: string, options: OptimizerOptions & Record<string, unknown> = {}): Optimizer {
  const ctor = REGISTRY.get(String(name).toLowerCase());
  if (ctor === undefined) {
    throw new ValueError(`unknown optimizer ${fmtValue(name)}; registered optimizers: ${registered().join(', ')}`);
  }
  return new ctor(options);
}

/** Returns `opt` itself, or builds the named one. */
export function resolve(opt: Optimizer | string, options: OptimizerOptions & Record<string, unknown> = {}): Optimizer {
  if (opt instanceof Optimizer) {
    if (Object.keys(options).length > 0) {
      throw new ValueError(
        `optimizer options were given along with an Optimizer instance; pass the options to its constructor, or pass its name (e.g. 'sgd') with the options`,
      );
    }
    return opt;
  }
  return create(opt, options);
}

