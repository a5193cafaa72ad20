/**
 * Stochastic gradient descent with optional momentum (MXNet's rule: the learning rate lives inside
 * the momentum), and Nesterov's accelerated gradient (NAG).
 *
 * Weight decay is L2 regularization added to the clipped gradient: `g = clip(rescale * grad) + wd * w`
 * (skipped when wd is 0, as in PyTorch). The update runs as one fused backend kernel (`sgdUpdate`).
 */
import type { TypedArray } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { getBackend } from '../backend/registry.js';
import { BASE_OPTION_KEYS, Optimizer, register, type OptimizerOptions, type OptimizerState, type StepContext } from './optimizer.js';

/** Options of `SGD`: the common optimizer options and momentum. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum coefficient in [0, 1) (default 0: plain SGD, no state). */
  momentum?: number;
  /** Use Nesterov's look-ahead momentum, as NAG does (default false). */
  nesterov?: boolean;
}

function checkMomentum(m: number, where: string): number {
  if (!(typeof m === 'number' && m >= 0 && m < 1)) throw new ValueError(`${where}: momentum must be in [0, 1), got ${String(m)}`);
  return m;
}

/**
 * SGD. Without momentum: `w -= lr * g`. With momentum (MXNet's form):
 * `mom = momentum * mom - lr * g; w += mom`. With `nesterov: true` it is NAG's rule.
 * @example new optimizer.SGD({ learningRate: 0.1, momentum: 0.9, wd: 1e-4 })
 */
export class SGD extends Optimizer {
  static override readonly optionKeys: readonly string[] = [...BASE_OPTION_KEYS, 'momentum', 'nesterov'];
  momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super(options);
    this.momentum = checkMomentum(options.momentum ?? 0, this.constructor.name);
    this.nesterov = options.nesterov ?? false;
  }

  createState(_index: number, weight: NDArray): OptimizerState {
    return this.momentum > 0 ? this.zerosState(weight, 'mom') : {};
  }

  protected step(w: TypedArray, grad: TypedArray, state: Record<string, TypedArray>, ctx: StepContext): void {
    const mom = state['mom'] ?? null;
    if (mom === null && this.momentum > 0) {
      throw new ValueError(`${this.constructor.name}: momentum is ${this.momentum} but the state has no 'mom' array; create the state after setting momentum`);
    }
    const { lr, wd, rescale, clip } = ctx;
    getBackend().kernels.sgdUpdate(w, grad, mom, { lr, wd, rescale, clip, momentum: this.momentum, nesterov: this.nesterov });
  }
}

/**
 * Nesterov accelerated gradient (MXNet's NAG):
 * `mom = momentum * mom + g; w -= lr * (g + momentum * mom)`.
 * @example new optimizer.NAG({ learningRate: 0.1, momentum: 0.9 })
 */
export class NAG extends SGD {
  constructor(options: Omit<SGDOptions, 'nesterov'> = {}) {
    super({ ...options, nesterov: true } as SGDOptions);
  }
}

register('sgd', SGD);
register('nag', NAG);
