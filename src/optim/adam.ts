/**
 * Adam and AdamW. Adam follows MXNet exactly: weight decay is added to the gradient before
 * clipping, and bias correction is folded into the step size,
 * `lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, so epsilon is not bias-corrected.
 * AdamW decouples the weight decay from the gradient (Loshchilov & Hutter): the moments see only
 * the clipped gradient, and the weight shrinks by `lr * wd * w` directly, as PyTorch's AdamW does.
 */
import type { TypedArray } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { getBackend } from '../backend/registry.js';
import { BASE_OPTION_KEYS, Optimizer, register, type OptimizerOptions, type OptimizerState, type StepContext } from './optimizer.js';
import { checkOptions } from '../core/public.js';

/** Options of `Adam`: the common optimizer options, the moment decays and epsilon. */
export interface AdamOptions extends OptimizerOptions {
  /** Decay of the first-moment estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  epsilon?: number;
}

const ADAM_KEYS = [...BASE_OPTION_KEYS, 'beta1', 'beta2', 'epsilon'];

function checkBeta(b: number, what: string, where: string): number {
  if (!(typeof b === 'number' && b >= 0 && b < 1)) throw new ValueError(`${where}: ${what} must be in [0, 1), got ${String(b)}`);
  return b;
}

/**
 * Adam (Kingma & Ba), learning rate 0.001 by default:
 * `g = clip(rescale * grad + wd * w); m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
 * w -= lr_t * m / (sqrt(v) + epsilon)`.
 * @example new optimizer.Adam({ learningRate: 1e-3 })
 */
export class Adam extends Optimizer {
  static override readonly optionKeys: readonly string[] = ADAM_KEYS;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** True for AdamW: weight decay bypasses the moments. */
  protected readonly decoupled: boolean = false;

  constructor(options: AdamOptions = {}) {
    super(options, { learningRate: 0.001 });
    const where = this.constructor.name;
    this.beta1 = checkBeta(options.beta1 ?? 0.9, 'beta1', where);
    this.beta2 = checkBeta(options.beta2 ?? 0.999, 'beta2', where);
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(typeof this.epsilon === 'number' && this.epsilon > 0 && Number.isFinite(this.epsilon))) {
      throw new ValueError(`${where}: epsilon must be a positive finite number (with 0, a weight whose gradient and statistics are 0 becomes 0 / 0 = NaN), got ${String(this.epsilon)}`);
    }
  }

  createState(_index: number, weight: NDArray): OptimizerState {
    return this.zerosState(weight, 'mean', 'var');
  }

  protected step(w: TypedArray, grad: TypedArray, state: Record<string, TypedArray>, ctx: StepContext): void {
    const { lr, wd, rescale, clip, t } = ctx;
    const { beta1, beta2, epsilon, decoupled } = this;
    const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    getBackend().kernels.adamUpdate(w, grad, state['mean']!, state['var']!, {
      lr: lrT,
      wd: decoupled ? 0 : wd,
      rescale,
      clip,
      beta1,
      beta2,
      epsilon,
      decoupled,
      decay: decoupled ? lr * wd : 0,
    });
  }
}

/**
 * AdamW: Adam with decoupled weight decay (default wd 0.01, as in PyTorch):
 * `g = clip(rescale * grad)`; the moments as in Adam; `w -= lr_t * m / (sqrt(v) + epsilon) + lr * wd * w`.
 * @example new optimizer.AdamW({ learningRate: 1e-3, wd: 0.05 })
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(options: AdamOptions = {}) {
    checkOptions(new.target.name, options);
    super({ ...options, wd: options.wd ?? 0.01 });
  }
}

register('adam', Adam);
register('adamw', AdamW);
