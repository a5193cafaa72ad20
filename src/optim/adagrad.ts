/**
 * AdaGrad (Duchi et al.), as MXNet defines it: the squared clipped gradients accumulate in a
 * history, each element's step is divided by the root of its history, and weight decay is added
 * to the scaled step rather than to the accumulated gradient.
 */
import type { TypedArray } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { getBackend } from '../backend/registry.js';
import { BASE_OPTION_KEYS, Optimizer, register, type OptimizerOptions, type OptimizerState, type StepContext } from './optimizer.js';

/** Options of `AdaGrad`: the common optimizer options and epsilon. */
export interface AdaGradOptions extends OptimizerOptions {
  /** Added to the history inside the square root (default 1e-7). */
  epsilon?: number;
}

/**
 * AdaGrad: `g = clip(rescale * grad); h += g^2; w -= lr * (g / sqrt(h + epsilon) + wd * w)`.
 * @example new optimizer.AdaGrad({ learningRate: 0.1 })
 */
export class AdaGrad extends Optimizer {
  static override readonly optionKeys: readonly string[] = [...BASE_OPTION_KEYS, 'epsilon'];
  readonly epsilon: number;

  constructor(options: AdaGradOptions = {}) {
    super(options);
    this.epsilon = options.epsilon ?? 1e-7;
    if (!(typeof this.epsilon === 'number' && this.epsilon > 0 && Number.isFinite(this.epsilon))) {
      throw new ValueError(`AdaGrad: epsilon must be a positive finite number (with 0, a weight whose gradient and statistics are 0 becomes 0 / 0 = NaN), got ${String(this.epsilon)}`);
    }
  }

  createState(_index: number, weight: NDArray): OptimizerState {
    return this.zerosState(weight, 'history');
  }

  protected step(w: TypedArray, grad: TypedArray, state: Record<string, TypedArray>, ctx: StepContext): void {
    const { lr, wd, rescale, clip } = ctx;
    getBackend().kernels.adagradUpdate(w, grad, state['history']!, { lr, wd, rescale, clip, epsilon: this.epsilon });
  }
}

register('adagrad', AdaGrad);
