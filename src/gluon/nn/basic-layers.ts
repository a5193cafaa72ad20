/**
 * Basic layers: Dense (fully connected, with deferred input size), Flatten, Dropout and Lambda.
 * Dense is also the reference example of a layer with a deferred parameter: it declares
 * `weight` as (units, 0) and returns its full shape from `paramShapes(x)`.
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { mul } from '../../ops/binary.js';
import { fullyConnected } from '../../ops/matmul.js';
import { reshape } from '../../ops/shape.js';
import { dropoutMask } from '../../ops/random.js';
import * as unary from '../../ops/unary.js';
import { isTraining } from '../../autograd/state.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import { Block, type BlockOptions, type ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { Activation, activationOf, type ActivationType } from './activations.js';

/** Options of `new nn.Dense(units, options)`. */
export interface DenseOptions extends BlockOptions {
  /** Activation applied to the output, e.g. 'relu'; none (linear) by default. */
  activation?: ActivationType | null;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Treat input (N, d1, ..., dk) as (N, d1*...*dk) (default true); false applies to the last axis. */
  flatten?: boolean;
  /** Input size; 0 (default) infers it from the first input. */
  inUnits?: number;
  /** Parameter dtype (default float32). */
  dtype?: DType;
  /** The weight's own initializer; default: the one given to initialize(). */
  weightInitializer?: InitLike | null;
  /** The bias's own initializer (default 'zeros'). */
  biasInitializer?: InitLike | null;
}

/**
 * Fully connected layer: y = act(x Wᵀ + b), weight (units, inUnits), bias (units).
 * @example
 * const layer = new nn.Dense(256, { activation: 'relu' });   // input size inferred later
 * const fixed = new nn.Dense(10, { inUnits: 256 });          // initialized at initialize()
 */
export class Dense extends HybridBlock {
  static override readonly floatInput = true;
  readonly units: number;
  readonly flatten: boolean;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly act: Activation | null;

  constructor(units: number, options: DenseOptions = {}) {
    super(options);
    const inUnits = options.inUnits ?? 0;
    if (!Number.isInteger(units) || units <= 0) throw new ValueError(`Dense: units must be a positive integer, got ${fmtValue(units)}`);
    if (!Number.isInteger(inUnits) || inUnits < 0) throw new ValueError(`Dense: inUnits must be a non-negative integer (0 = infer), got ${fmtValue(inUnits)}`);
    this.units = units;
    this.flatten = options.flatten ?? true;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.params.get('weight', { shape: [units, inUnits], dtype, init: options.weightInitializer ?? null, allowDeferredInit: true });
    this.bias = options.useBias === false ? null : this.params.get('bias', { shape: [units], dtype, init: options.biasInitializer === undefined ? 'zeros' : options.biasInitializer });
    this.act = activationOf('Dense', options.activation, this.prefix);
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray, got ${fmtValue(x)}`);
    if (this.flatten && x.ndim < 2) {
      throw new ShapeError(
        `${this.name}: input of shape ${fmtShape(x.shape)} has no batch axis; Dense with flatten expects (batch, features...), ` +
          `e.g. x.reshape([1, -1]) for a single sample`,
      );
    }
    if (x.ndim === 0) throw new ShapeError(`${this.name}: input must have at least one dimension, got a scalar`);
    const inUnits = this.flatten ? sizeOf(x.shape.slice(1)) : x.shape[x.ndim - 1]!;
    return { weight: [this.units, inUnits] };
  }

  override forward(x: NDArray): NDArray {
    const y = fullyConnected(x, this.weight.data(), this.bias === null ? null : this.bias.data(), { flatten: this.flatten });
    return this.act === null ? y : this.act.forward(y);
  }

  /** Gluon's form: `Dense(None -> 256, Activation(relu))`, `Dense(256 -> 10, linear)`. */
  override toString(): string {
    const inUnits = this.weight.shape[1] || 'None';
    return `Dense(${inUnits} -> ${this.units}, ${this.act === null ? 'linear' : this.act.toString()})`;
  }
}

/**
 * Flattens (N, d1, ..., dk) to (N, d1*...*dk).
 * @example new nn.Flatten().forward(nd.zeros([2, 3, 4])).shape // [2, 12]
 */
export class Flatten extends HybridBlock {
  override forward(x: NDArray): NDArray {
    if (x.ndim === 0) throw new ShapeError(`${this.name}: cannot flatten a scalar; give an array with a batch axis`);
    return reshape(x, [x.shape[0]!, sizeOf(x.shape.slice(1))]);
  }

  override toString(): string {
    return 'Flatten';
  }
}

/** Options of `new nn.Dropout(rate, options)`. */
export interface DropoutOptions extends BlockOptions {
  /** Axes along which one mask value is shared (e.g. [1] drops whole features across time). */
  axes?: readonly number[];
}

/**
 * Inverted dropout: in training mode (inside `autograd.record()`), zeroes each element with
 * probability `rate` and scales the rest by 1 / (1 - rate); in prediction mode the identity.
 * @example net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dropout(0.5));
 */
export class Dropout extends HybridBlock {
  readonly rate: number;
  readonly axes: readonly number[];

  constructor(rate = 0.5, options: DropoutOptions = {}) {
    super(options);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new ValueError(`Dropout: rate must be in [0, 1], got ${fmtValue(rate)}`);
    this.rate = rate;
    const axes = options.axes ?? [];
    if (!Array.isArray(axes) || !axes.every((a) => Number.isInteger(a))) {
      throw new ValueError(`Dropout: axes must be a list of axes along which one mask value is shared, such as [1], got ${fmtValue(axes)}`);
    }
    this.axes = [...axes];
  }

  override forward(x: NDArray): NDArray {
    if (this.rate === 0 || !isTraining()) return x;
    if (this.rate === 1) return mul(x, 0);
    const maskShape = x.shape.map((d, i) => (this.axes.some((a) => (a < 0 ? a + x.ndim : a) === i) ? 1 : d));
    // The mask is drawn inside a primitive, so a hybridized Dropout draws a new one on every run
    // (and shape inference, on shape-only arrays, draws none).
    return mul(x, dropoutMask(x, this.rate, maskShape));
  }

  override toString(): string {
    return `Dropout(p = ${this.rate}, axes=(${this.axes.join(', ')}${this.axes.length === 1 ? ',' : ''}))`;
  }
}

type UnaryName = { [K in keyof typeof unary]: (typeof unary)[K] extends (x: NDArray) => NDArray ? K : never }[keyof typeof unary];

type LambdaFn = (...inputs: NDArray[]) => NDArray;

/** The function a Lambda wraps and its label, from a function or an element-wise op's name. */
function lambdaOf(cls: string, fn: LambdaFn | UnaryName): [LambdaFn, string] {
  if (typeof fn === 'string') {
    const op = (unary as Record<string, unknown>)[fn];
    if (typeof op !== 'function') throw new ValueError(`${cls}: '${fn}' is not an element-wise nd function; pass a function (x) => ... instead`);
    return [op as LambdaFn, fn];
  }
  if (typeof fn === 'function') return [fn, fn.name || '<function>'];
  throw new ValueError(`${cls}: expected a function or the name of an nd op, got ${fmtValue(fn)}`);
}

/**
 * Wraps a function as a block: a function of NDArrays, or the name of an element-wise nd op. A
 * plain Block, as in Gluon: it always runs imperatively (use HybridLambda inside hybridized nets).
 * @example net.add(new nn.Lambda((x) => x.mul(2)), new nn.Lambda('tanh'));
 */
export class Lambda extends Block {
  readonly fn: LambdaFn;
  readonly #label: string;

  constructor(fn: LambdaFn | UnaryName, options: BlockOptions = {}) {
    super(options);
    [this.fn, this.#label] = lambdaOf('Lambda', fn);
  }

  override forward(...inputs: NDArray[]): NDArray {
    return this.fn(...inputs);
  }

  override toString(): string {
    return `Lambda(${this.#label})`;
  }
}

/**
 * Lambda as a HybridBlock: the function becomes part of a hybridized graph, so it must only use
 * nd ops (no reading values).
 * @example net.add(new nn.HybridLambda((x) => x.relu().mul(2)));
 */
export class HybridLambda extends HybridBlock {
  readonly fn: LambdaFn;
  readonly #label: string;

  constructor(fn: LambdaFn | UnaryName, options: BlockOptions = {}) {
    super(options);
    [this.fn, this.#label] = lambdaOf('HybridLambda', fn);
  }

  override forward(...inputs: NDArray[]): NDArray {
    return this.fn(...inputs);
  }

  override toString(): string {
    return `HybridLambda(${this.#label})`;
  }
}
