/**
 * `Constant`: a parameter whose value never changes, Gluon's `gluon.Constant`. A block declares
 * one with `this.params.getConstant('key', value)` (or assigns a `new gluon.Constant(...)` to a
 * field) when its forward needs a fixed array that should travel with the model: it is listed by
 * `collectParams()`, saved by `saveParameters`, converted by `cast`, but it has no gradient, the
 * Trainer never updates it, and no initializer touches it.
 *
 * Its value exists from construction (no `initialize()` needed, no deferred shape); it is a
 * private copy of the value given. `setData` refuses another value (the same value is accepted,
 * so that loading a saved network works); `gradReq` stays 'null' (setting another value warns
 * and is ignored, as in Gluon, so `setAttr('gradReq', 'write')` on a whole network works).
 * Writing into `data()` in place is not prevented (that would cost a copy per read); don't: use a
 * Parameter with `gradReq: 'null'` for values meant to change without training.
 */
import type { DType } from '../core/dtype.js';
import { AutogradError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { NDArray, type GradReq, type NestedArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { Initializer, fillFrom } from '../init/initializer.js';
import { Parameter, type InitOutcome, type ParameterInitOptions } from './parameter.js';
import { warn } from './warnings.js';
import { checkOptions, relabel } from '../core/public.js';

/** A constant's value: an NDArray, a nested list, or a number (a scalar). */
/** The value of a Constant: an array, nested lists or a number. */
export type ConstantValue = NDArray | NestedArray | number;

/** Options of `new gluon.Constant(value, options)`. */
export interface ConstantOptions {
  /** The dtype (default: the NDArray's dtype, float32 for lists and numbers). */
  dtype?: DType;
}

/** Writes the constant's value whatever the initializer request. */
class ValueInit extends Initializer {
  constructor(readonly value: NDArray) {
    super();
  }
  override initialize(_name: string, data: NDArray): void {
    fillFrom(data, this.value);
  }
  protected initWeight(_name: string, data: NDArray): void {
    fillFrom(data, this.value);
  }
  override toString(): string {
    return `Constant(${fmtShape(this.value.shape)})`;
  }
}

function toValue(value: ConstantValue, dtype: DType | undefined, name: string): NDArray {
  if (NDArray.isInstance(value)) {
    if (value.isShapeOnly) throw new ValueError(`Constant ${name}: needs an array with values, got a shape-only ${fmtShape(value.shape)} array`);
    return array(value, dtype === undefined ? {} : { dtype });
  }
  if (typeof value === 'number' || Array.isArray(value)) return array(value, { dtype: dtype ?? 'float32' });
  throw new ValueError(`Constant ${name}: the value must be an NDArray, a nested list of numbers or a number, got ${value === null ? 'null' : typeof value}`);
}

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * A parameter with a fixed value.
 * @example
 * class Scale extends gluon.Block {
 *   factor = this.params.getConstant('factor', [1, 2, 3]);
 *   override forward(x: nd.NDArray): nd.NDArray {
 *     return x.mul(this.factor.data());
 *   }
 * }
 */
export class Constant extends Parameter {
  readonly #init: ValueInit;

  constructor(name: string, value: ConstantValue, options: ConstantOptions = {}) {
    if (typeof name !== 'string') throw new ValueError(`Constant: the name must be a string such as 'scale', got ${fmtValue(name)}`);
    checkOptions(`Constant ${name}`, options);
    let v: NDArray;
    try {
      v = toValue(value, options.dtype, name);
    } catch (e) {
      throw relabel(e, `Constant ${name}`);
    }
    const own = new ValueInit(v);
    super(name, { shape: v.shape, dtype: v.dtype, gradReq: 'null', init: own, allowDeferredInit: false });
    this.#init = own;
    // Ready at once: the value is pinned, so initialize() keeps it.
    Parameter.prototype.setData.call(this, v);
  }

  /** A copy of the value (the array `data()` returns is the one forwards read). */
  get value(): NDArray {
    return array(this.#init.value, { dtype: this.dtype });
  }

  /** Always 'null': a constant has no gradient. */
  override get gradReq(): GradReq {
    return 'null';
  }

  /** Ignored with a warning unless 'null' (Gluon does the same). */
  override set gradReq(req: GradReq) {
    if (req !== 'null') warn(`Constant ${this.name} cannot have gradients; gradReq '${String(req)}' is ignored (it stays 'null').`);
  }

  /** @internal Re-initializing (forceReinit) writes the constant's value again; no initializer overrides it. */
  override initializeQuiet(options: ParameterInitOptions = {}): InitOutcome {
    return super.initializeQuiet({ ...options, init: this.#init });
  }

  /** A constant has no gradient: always an error. */
  override grad(): NDArray {
    const data = this.data();
    if (data.isShapeOnly) return data;
    throw new AutogradError(`Constant ${this.name} has no gradient: constants are never trained. Use a Parameter if it should learn.`);
  }

  /**
   * Refused: a constant keeps its value. Setting the value it already holds is accepted (loading a
   * saved network does that).
   */
  override setData(value: NDArray): void {
    if (NDArray.isInstance(value) && this.holds(value)) return;
    throw new ValueError(
      `Constant ${this.name} ${fmtShape(this.shape)} cannot be changed: a constant keeps the value it was created with. ` +
        `Create a new Constant for another value, or use a Parameter with gradReq: 'null' for an untrained value that may change.`,
    );
  }

  /** True when `value` has this constant's shape and, converted to its dtype, its values. */
  holds(value: NDArray): boolean {
    if (value.isShapeOnly || value.ndim !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) return false;
    const mine = this.data().storage;
    const theirs = value.dtype === this.dtype ? value.storage : array(value, { dtype: this.dtype }).storage;
    for (let i = 0; i < mine.length; i++) if (!sameValue(mine[i]!, theirs[i]!)) return false;
    return true;
  }

  /** `Constant name (shape=(3,), dtype=float32)`. */
  override toString(): string {
    return super.toString().replace(/^Parameter /, 'Constant ');
  }
}
