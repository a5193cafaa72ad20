/**
 * Kullback-Leibler divergence, Gluon's KLDivLoss: the prediction is a log-distribution (or logits
 * with `fromLogits: false`), the label a distribution.
 */
import { normalizeAxis } from '../../core/shape.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { add, mul, sub } from '../../ops/binary.js';
import { log } from '../../ops/unary.js';
import { logSoftmax } from '../../ops/softmax.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `KLDivLoss`: the common loss options and its own. */
export interface KLDivLossOptions extends LossOptions {
  /** The prediction already holds log-probabilities (default true); false: logits, log-softmaxed on `axis`. */
  fromLogits?: boolean;
  /** The distribution axis for the log-softmax (default -1). */
  axis?: number;
}

/**
 * `label * (log(label) - pred)`, averaged over the non-batch axes (as Gluon does, a mean, not a
 * sum over classes).
 * @example new gluon.loss.KLDivLoss().forward(nd.log(q), p)
 */
export class KLDivLoss extends Loss {
  readonly fromLogits: boolean;
  readonly axis: number;

  constructor(options: KLDivLossOptions = {}) {
    super(options);
    this.fromLogits = options.fromLogits ?? true;
    this.axis = options.axis ?? -1;
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const logp = this.fromLogits ? pred : logSoftmax(pred, { axis: normalizeAxis(this.axis, pred.ndim, this.where) });
    const p = this.labelLike(label, pred);
    const loss = mul(p, sub(log(add(p, 1e-12)), logp));
    return this.finish(loss, sampleWeight);
  }
}
