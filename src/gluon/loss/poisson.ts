/**
 * Poisson negative log-likelihood, Gluon's PoissonNLLLoss: the prediction is the log of the rate
 * (`fromLogits`, default) or the rate itself, the target a count.
 */
import type { NDArray } from '../../ndarray/ndarray.js';
import { add, greater, maximum, mul, sub } from '../../ops/binary.js';
import { exp, log } from '../../ops/unary.js';
import { where } from '../../ops/indexing.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `PoissonNLLLoss`. */
export interface PoissonNLLLossOptions extends LossOptions {
  /** The prediction is log(rate) (default true); false: the rate itself. */
  fromLogits?: boolean;
  /** Add Stirling's approximation of log(target!) where the target exceeds 1 (default false). */
  computeFull?: boolean;
  /** Added to the rate inside the log when `fromLogits` is false (default 1e-8). */
  epsilon?: number;
}

/**
 * `exp(pred) - target * pred` (`fromLogits`) or `pred - target * log(pred + epsilon)`, plus
 * `target log(target) - target + log(2 pi target) / 2` where target > 1 with `computeFull`,
 * averaged per sample.
 * @example new gluon.loss.PoissonNLLLoss().forward(nd.log(rate), counts) // shape (N,)
 */
export class PoissonNLLLoss extends Loss {
  readonly fromLogits: boolean;
  readonly computeFull: boolean;
  readonly epsilon: number;

  constructor(options: PoissonNLLLossOptions = {}) {
    super(options);
    this.fromLogits = options.fromLogits ?? true;
    this.computeFull = options.computeFull ?? false;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  override forward(pred: NDArray, target: NDArray, sampleWeight?: NDArray | null): NDArray {
    const y = this.labelLike(target, pred);
    let loss = this.fromLogits ? sub(exp(pred), mul(y, pred)) : sub(pred, mul(y, log(add(pred, this.epsilon))));
    if (this.computeFull) {
      // Evaluated on max(target, 1), so targets of 0 give 0 instead of 0 * log(0) = NaN.
      const t = maximum(y, 1);
      const stirling = add(sub(mul(t, log(t)), t), mul(log(mul(t, 2 * Math.PI)), 0.5));
      loss = add(loss, where(greater(y, 1), stirling, 0));
    }
    return this.finish(loss, sampleWeight);
  }
}
