/**
 * RMSProp in MXNet's two variants: the plain one (Tieleman & Hinton), and the centered one
 * (Graves 2013), which also tracks the mean gradient and a momentum-like delta. The gradient is
 * `clip(rescale * grad + wd * w)`; epsilon sits inside the square root, as in MXNet.
 */
import type { TypedArray } from '../core/dtype.js';
import { ValueError, fmtValue } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { getBackend } from '../backend/registry.js';
import { BASE_OPTION_KEYS, Optimizer, register, type OptimizerOptions, type OptimizerState, type StepContext } from './optimizer.js';

/** Options of `RMSProp`: the common optimizer options, the decays, epsilon and centering. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the running mean of squared (and, centered, plain) gradients (default 0.9). */
  gamma1?: number;
  /** Momentum of the centered variant's delta (default 0.9). */
  gamma2?: number;
  /** Added inside the square root (default 1e-8). */
  epsilon?: number;
  /** Use the centered variant (default false). */
  centered?: boolean;
  /** Clip weights to [-clipWeights, clipWeights] after each update; null for none. */
  clipWeights?: number | null;
}

function check01(v: number, what: string): number {
  if (!(typeof v === 'number' && v >= 0 && v < 1)) throw new ValueError(`RMSProp: ${what} must be in [0, 1), got ${String(v)}`);
  return v;
}

/**
 * RMSProp, learning rate 0.001 by default. Plain:
 * `n = gamma1 n + (1 - gamma1) g^2; w -= lr g / sqrt(n + epsilon)`. Centered:
 * `n` as before, `gbar = gamma1 gbar + (1 - gamma1) g`,
 * `delta = gamma2 delta - lr g / sqrt(n - gbar^2 + epsilon); w += delta`.
 * @example new optimizer.RMSProp({ learningRate: 1e-3, centered: true })
 */
export class RMSProp extends Optimizer {
  static override readonly optionKeys: readonly string[] = [...BASE_OPTION_KEYS, 'gamma1', 'gamma2', 'epsilon', 'centered', 'clipWeights'];
  readonly gamma1: number;
  readonly gamma2: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly clipWeights: number | null;

  constructor(options: RMSPropOptions = {}) {
    super(options, { learningRate: 0.001 });
    this.gamma1 = check01(options.gamma1 ?? 0.9, 'gamma1');
    this.gamma2 = check01(options.gamma2 ?? 0.9, 'gamma2');
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(typeof this.epsilon === 'number' && this.epsilon > 0 && Number.isFinite(this.epsilon))) {
      throw new ValueError(`RMSProp: epsilon must be a positive finite number (with 0, a weight whose gradient and statistics are 0 becomes 0 / 0 = NaN), got ${String(this.epsilon)}`);
    }
    this.centered = options.centered ?? false;
    const cw = options.clipWeights ?? null;
    if (cw !== null && !(cw > 0)) throw new ValueError(`RMSProp: clipWeights must be a positive number or null, got ${fmtValue(cw)}`);
    this.clipWeights = cw;
  }

  createState(_index: number, weight: NDArray): OptimizerState {
    return this.centered ? this.zerosState(weight, 'n', 'g', 'delta') : this.zerosState(weight, 'n');
  }

  protected step(w: TypedArray, grad: TypedArray, state: Record<string, TypedArray>, ctx: StepContext): void {
    const { lr, wd, rescale, clip } = ctx;
    const { gamma1, gamma2, epsilon, centered } = this;
    const gbar = centered ? (state['g'] ?? null) : null;
    const delta = centered ? (state['delta'] ?? null) : null;
    getBackend().kernels.rmspropUpdate(w, grad, state['n']!, gbar, delta, {
      lr,
      wd,
      rescale,
      clip,
      gamma1,
      gamma2,
      epsilon,
      clipWeights: this.clipWeights ?? Infinity,
      centered,
    });
  }
}

register('rmsprop', RMSProp);
