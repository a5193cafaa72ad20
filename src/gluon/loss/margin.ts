/**
 * Margin losses for labels in {-1, 1}: hinge (SVM), squared hinge, and the logistic loss (which
 * also accepts {0, 1} labels).
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { mul, sub } from '../../ops/binary.js';
import { neg, relu, softrelu, square } from '../../ops/unary.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `HingeLoss`: the common loss options and its own. */
export interface HingeLossOptions extends LossOptions {
  /** The margin (default 1). */
  margin?: number;
}

/**
 * `max(0, margin - pred * label)` with labels in {-1, 1}.
 * @example new gluon.loss.HingeLoss().forward(nd.array([[0.5]]), nd.array([[1]])) // [0.5]
 */
export class HingeLoss extends Loss {
  readonly margin: number;

  constructor(options: HingeLossOptions = {}) {
    super(options);
    this.margin = options.margin ?? 1;
    if (!Number.isFinite(this.margin)) throw new ValueError(`${this.where}: margin must be a finite number, got ${fmtValue(this.margin)}`);
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    return this.finish(this.hinge(pred, label), sampleWeight);
  }

  /** The element-wise `max(0, margin - pred * label)`, shared with the squared variant. */
  protected hinge(pred: NDArray, label: NDArray): NDArray {
    return relu(sub(this.margin, mul(pred, this.labelLike(label, pred))));
  }
}

/**
 * `max(0, margin - pred * label)^2` with labels in {-1, 1}.
 * @example new gluon.loss.SquaredHingeLoss().forward(nd.array([[0.5]]), nd.array([[1]])) // [0.25]
 */
export class SquaredHingeLoss extends HingeLoss {
  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    return this.finish(square(this.hinge(pred, label)), sampleWeight);
  }
}

/** Options of `LogisticLoss`: the common loss options and its own. */
export interface LogisticLossOptions extends LossOptions {
  /** 'signed' labels in {-1, 1} (default) or 'binary' labels in {0, 1}. */
  labelFormat?: 'signed' | 'binary';
}

/**
 * `log(1 + exp(-pred * label))`, computed without overflow.
 * @example new gluon.loss.LogisticLoss({ labelFormat: 'binary' }).forward(nd.array([[0]]), nd.array([[1]])) // [0.6931]
 */
export class LogisticLoss extends Loss {
  readonly labelFormat: 'signed' | 'binary';

  constructor(options: LogisticLossOptions = {}) {
    super(options);
    this.labelFormat = options.labelFormat ?? 'signed';
    if (this.labelFormat !== 'signed' && this.labelFormat !== 'binary') {
      throw new ValueError(`LogisticLoss: labelFormat must be 'signed' or 'binary', got ${JSON.stringify(this.labelFormat)}`);
    }
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    let z = this.labelLike(label, pred);
    if (this.labelFormat === 'binary') z = sub(mul(z, 2), 1);
    return this.finish(softrelu(neg(mul(pred, z))), sampleWeight);
  }
}
