/**
 * Parametrized and newer activation layers with Gluon's defaults: LeakyReLU, PReLU (a learned
 * slope), ELU, SELU, GELU and Swish (SiLU). All are compositions of nd ops, so their gradients
 * come from autograd and they pass shape-only arrays through for shape inference.
 */
import type { DType } from '../../core/dtype.js';
import { ValueError, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { add, greater, minimum, mul } from '../../ops/binary.js';
import { where } from '../../ops/indexing.js';
import { reshape } from '../../ops/shape.js';
import { erf, expm1, sigmoid, tanh } from '../../ops/unary.js';
import { Constant, type InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import { type BlockOptions, type ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { refuseAbstract } from '../../core/public.js';

function checkInput(name: string, x: unknown): asserts x is NDArray {
  if (!NDArray.isInstance(x)) throw new ValueError(`${name}: forward expects an NDArray, got ${fmtValue(x)}`);
}

/** x where x > 0, else `negative`. */
function positiveOr(x: NDArray, negative: NDArray): NDArray {
  return where(greater(x, 0), x, negative);
}

/** Leaky ReLU as nd ops (the layer and imported graphs compute it this one way). */
export function leakyRelu(x: NDArray, alpha: number | NDArray): NDArray {
  return positiveOr(x, mul(x, alpha));
}

/** ELU as nd ops; minimum(x, 0) keeps expm1 from overflowing on the branch `where` discards. */
export function elu(x: NDArray, alpha: number): NDArray {
  return positiveOr(x, mul(expm1(minimum(x, 0)), alpha));
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** SELU as nd ops, with the paper's constants. */
export function selu(x: NDArray): NDArray {
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/** GELU as nd ops: the exact x Φ(x) ('erf') or the tanh approximation. */
export function gelu(x: NDArray, approximation: 'erf' | 'tanh' = 'erf'): NDArray {
  if (approximation === 'erf') return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** Swish as nd ops: x * sigmoid(beta x). */
export function swish(x: NDArray, beta: number): NDArray {
  return mul(x, sigmoid(beta === 1 ? x : mul(x, beta)));
}

/**
 * An element-wise activation written with nd ops: `forward` checks the input once, then applies
 * `activate`. LeakyReLU, ELU, SELU, GELU and Swish are these.
 */
export abstract class ElementwiseActivation extends HybridBlock {
  constructor(options: BlockOptions = {}) {
    refuseAbstract(new.target, ElementwiseActivation, 'use LeakyReLU, ELU, SELU, GELU or Swish, or extend it and implement activate');
    super(options);
  }
  override forward(x: NDArray): NDArray {
    checkInput(this.name, x);
    return this.activate(x);
  }

  /** The activation of an input already checked to be an NDArray. */
  protected abstract activate(x: NDArray): NDArray;
}

/**
 * Leaky ReLU: x for x > 0, alpha * x otherwise.
 * @example new nn.LeakyReLU(0.1).forward(nd.array([-2, 3])) // [-0.2, 3]
 */
export class LeakyReLU extends ElementwiseActivation {
  readonly alpha: number;

  constructor(alpha: number, options: BlockOptions = {}) {
    super(options);
    if (!(typeof alpha === 'number' && alpha >= 0)) throw new ValueError(`LeakyReLU: alpha must be a non-negative number, got ${String(alpha)}`);
    this.alpha = alpha;
  }

  protected override activate(x: NDArray): NDArray {
    return leakyRelu(x, this.alpha);
  }

  override toString(): string {
    return `LeakyReLU(${this.alpha})`;
  }
}

export interface PReLUOptions extends BlockOptions {
  /** Initializer of the learned slope (default Constant(0.25)). */
  alphaInitializer?: InitLike | null;
  /** 1 (default): one slope shared by all channels; C: one per channel of axis 1. */
  inChannels?: number;
  dtype?: DType;
}

/**
 * Parametric ReLU (He et al., 2015): x for x > 0, alpha * x otherwise, alpha learned.
 * @example new nn.PReLU({ inChannels: 16 }) // one slope per channel, each starting at 0.25
 */
export class PReLU extends HybridBlock {
  static override readonly floatInput = true;
  readonly inChannels: number;
  readonly alpha: Parameter;

  constructor(options: PReLUOptions = {}) {
    super(options);
    this.inChannels = options.inChannels ?? 1;
    if (!Number.isInteger(this.inChannels) || this.inChannels < 1) throw new ValueError(`PReLU: inChannels must be a positive integer, got ${fmtValue(this.inChannels)}`);
    this.alpha = this.params.get('alpha', { shape: [this.inChannels], dtype: options.dtype ?? 'float32', init: options.alphaInitializer ?? new Constant(0.25) });
  }

  protected override paramShapes(x: NDArray): ParamShapes | undefined {
    checkInput(this.name, x);
    // One shared slope broadcasts over anything; per-channel slopes must match axis 1.
    return this.inChannels === 1 ? undefined : { alpha: [x.ndim > 1 ? x.shape[1]! : 0] };
  }

  override forward(x: NDArray): NDArray {
    let a = this.alpha.data();
    if (this.inChannels > 1) a = reshape(a, [this.inChannels, ...new Array<number>(Math.max(0, x.ndim - 2)).fill(1)]);
    return leakyRelu(x, a);
  }

  override toString(): string {
    return `PReLU(in_channels=${this.inChannels})`;
  }
}

/**
 * Exponential linear unit (Clevert et al., 2016): x for x > 0, alpha (e^x - 1) otherwise.
 * @example new nn.ELU().forward(nd.array([-1, 1])) // [-0.632, 1]
 */
export class ELU extends ElementwiseActivation {
  readonly alpha: number;

  constructor(alpha = 1, options: BlockOptions = {}) {
    super(options);
    this.alpha = alpha;
  }

  protected override activate(x: NDArray): NDArray {
    return elu(x, this.alpha);
  }

  override toString(): string {
    return `ELU(alpha=${this.alpha})`;
  }
}

/**
 * Scaled ELU (Klambauer et al., 2017), self-normalizing: scale * ELU(x, alpha) with the paper's
 * constants alpha ≈ 1.6733 and scale ≈ 1.0507.
 */
export class SELU extends ElementwiseActivation {
  protected override activate(x: NDArray): NDArray {
    return selu(x);
  }

  override toString(): string {
    return 'SELU()';
  }
}

export interface GELUOptions extends BlockOptions {
  /** 'erf' (default): the exact x Φ(x); 'tanh': the tanh approximation of the BERT/GPT code. */
  approximation?: 'erf' | 'tanh';
}

/**
 * Gaussian error linear unit (Hendrycks and Gimpel, 2016): x Φ(x).
 * @example new nn.GELU().forward(nd.array([0, 1])) // [0, 0.8413]
 */
export class GELU extends ElementwiseActivation {
  readonly approximation: 'erf' | 'tanh';

  constructor(options: GELUOptions = {}) {
    super(options);
    this.approximation = options.approximation ?? 'erf';
    if (this.approximation !== 'erf' && this.approximation !== 'tanh') {
      throw new ValueError(`GELU: approximation must be 'erf' or 'tanh', got ${fmtValue(this.approximation)}`);
    }
  }

  protected override activate(x: NDArray): NDArray {
    return gelu(x, this.approximation);
  }

  override toString(): string {
    return `GELU(approximation=${this.approximation})`;
  }
}

/**
 * Swish (Ramachandran et al., 2017): x * sigmoid(beta x); with beta = 1 it is SiLU.
 * @example new nn.Swish().forward(nd.array([0, 2])) // [0, 1.7616]
 */
export class Swish extends ElementwiseActivation {
  readonly beta: number;

  constructor(beta = 1, options: BlockOptions = {}) {
    super(options);
    this.beta = beta;
  }

  protected override activate(x: NDArray): NDArray {
    return swish(x, this.beta);
  }

  override toString(): string {
    return `Swish(beta=${this.beta})`;
  }
}

/** SiLU: x * sigmoid(x), Swish with beta 1. */
export class SiLU extends Swish {
  constructor(options: BlockOptions = {}) {
    super(1, options);
  }
}
