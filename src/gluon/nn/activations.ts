/**
 * `nn.Activation`: element-wise activation functions as a layer ('relu', 'sigmoid', 'tanh',
 * 'softrelu', 'softsign'), also used by Dense's `activation` option.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { abs, relu, sigmoid, softrelu, tanh } from '../../ops/unary.js';
import { add, div } from '../../ops/binary.js';
import { relabel } from '../../core/public.js';
import { type BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';

/** The activations `nn.Activation` and Dense's `activation` option accept (Gluon's names). */
export type ActivationType = 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign';

const FUNCTIONS: Record<ActivationType, (x: NDArray) => NDArray> = {
  relu,
  sigmoid,
  tanh,
  softrelu,
  softsign: (x) => div(x, add(abs(x), 1)),
};

/** Applies the named activation with nd ops (the layer and imported graphs share this). */
export function activate(type: ActivationType, x: NDArray): NDArray {
  return FUNCTIONS[type](x);
}

/** True for the names `activate` accepts. */
export function isActivationType(s: string): s is ActivationType {
  return Object.hasOwn(FUNCTIONS, s);
}

/**
 * Applies an activation function.
 * @example new nn.Activation('relu').forward(nd.array([-1, 2])) // [0, 2]
 */
export class Activation extends HybridBlock {
  readonly activation: ActivationType;

  constructor(activation: ActivationType, options: BlockOptions = {}) {
    super(options);
    if (!Object.hasOwn(FUNCTIONS, activation)) {
      throw new ValueError(`Activation: unknown activation ${typeof activation === 'string' ? `'${activation}'` : fmtValue(activation)}; use one of ${Object.keys(FUNCTIONS).join(', ')}`);
    }
    this.activation = activation;
  }

  override forward(x: NDArray): NDArray {
    return FUNCTIONS[this.activation](x);
  }

  override toString(): string {
    return `Activation(${this.activation})`;
  }
}

/**
 * @internal The activation a layer's `activation` option asks for (null when none), named after
 * the layer `cls` in errors: `new nn.Dense(4, { activation: 'nope' })` is Dense's mistake.
 */
export function activationOf(cls: string, activation: unknown, layerPrefix: string): Activation | null {
  if (activation === undefined || activation === null || activation === false || activation === '') return null;
  try {
    if (typeof activation !== 'string') throw new ValueError(`activation must be the name of one, e.g. 'relu', got ${fmtValue(activation)}`);
    return new Activation(activation as ActivationType, { prefix: `${layerPrefix}${activation}_` });
  } catch (e) {
    throw relabel(e, cls);
  }
}
