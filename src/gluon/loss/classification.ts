/**
 * Classification losses: softmax cross-entropy (sparse or dense labels) and sigmoid binary
 * cross-entropy, both computed from logits by default in their numerically stable forms.
 */
import { isFloat } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { normalizeAxis } from '../../core/shape.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { add, mul, sub } from '../../ops/binary.js';
import { abs, log, neg, relu, softrelu } from '../../ops/unary.js';
import { sum } from '../../ops/reduce.js';
import { pick } from '../../ops/indexing.js';
import { logSoftmax } from '../../ops/softmax.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `SoftmaxCrossEntropyLoss`: the common loss options and its own. */
export interface SoftmaxCrossEntropyLossOptions extends LossOptions {
  /** The class axis of the prediction (default -1). */
  axis?: number;
  /** Labels are class indices (default true); false: labels are distributions shaped like pred. */
  sparseLabel?: boolean;
  /** The prediction already holds log-probabilities (default false: logits). */
  fromLogits?: boolean;
}

/**
 * Softmax cross-entropy, `-log softmax(pred)[label]` per sample, via a fused log-softmax so large
 * logits never overflow. With `sparseLabel: false`, `-sum(label * log softmax(pred))`.
 * @example
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * loss.forward(nd.array([[0, 0]]), nd.array([1])) // [0.6931]
 */
export class SoftmaxCrossEntropyLoss extends Loss {
  readonly axis: number;
  readonly sparseLabel: boolean;
  readonly fromLogits: boolean;

  constructor(options: SoftmaxCrossEntropyLossOptions = {}) {
    super(options);
    this.axis = options.axis ?? -1;
    this.sparseLabel = options.sparseLabel ?? true;
    this.fromLogits = options.fromLogits ?? false;
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const axis = normalizeAxis(this.axis, pred.ndim, this.name);
    const logp = this.fromLogits ? pred : logSoftmax(pred, { axis });
    let loss: NDArray;
    if (this.sparseLabel) {
      this.checkNotDense(label, pred, axis);
      this.checkLabels(label, pred, axis);
      loss = neg(pick(logp, label, { axis, keepdims: true }));
    } else {
      loss = neg(sum(mul(logp, this.labelLike(label, pred)), axis, { keepdims: true }));
    }
    return this.finish(loss, sampleWeight);
  }

  /** Labels shaped like the prediction are one-hot or distributions, not the indices expected. */
  private checkNotDense(label: NDArray, pred: NDArray, axis: number): void {
    const classes = pred.shape[axis]!;
    if (classes < 2 || label.ndim !== pred.ndim || label.shape[axis] !== classes) return;
    throw new ShapeError(
      `${this.where}: label of shape ${fmtShape(label.shape)} has the prediction's ${classes} classes along axis ${axis}: ` +
        `it looks one-hot (or like probabilities), but the loss expects class indices, shape ${fmtShape(pred.shape.filter((_, i) => i !== axis))}, by default. ` +
        `Pass { sparseLabel: false } for one-hot or probability labels, or give the indices (label.argmax(${axis}))`,
    );
  }

  /** Class indices must be integers in [0, classes); a wrong label is a bug, never clipped. */
  private checkLabels(label: NDArray, pred: NDArray, axis: number): void {
    if (label.isShapeOnly) return;
    const classes = pred.shape[axis]!;
    const data = label.storage;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
        throw new ValueError(
          `${this.where}: label ${v} at position ${i} is not a class index in [0, ${classes - 1}] ` +
            `(prediction shape ${fmtShape(pred.shape)}, class axis ${axis}); ` +
            (isFloat(label.dtype) && !Number.isInteger(v) ? 'for probability labels pass { sparseLabel: false }' : 'check the labels or the output size of the last layer'),
        );
      }
    }
  }
}

/** Gluon's short alias. */
export const SoftmaxCELoss = SoftmaxCrossEntropyLoss;

/** Options of `SigmoidBinaryCrossEntropyLoss`: the common loss options and its own. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** The prediction is already a probability in (0, 1) (default false: logits). */
  fromSigmoid?: boolean;
}

/**
 * Binary cross-entropy on logits, in the stable form `max(x, 0) - x * z + log(1 + exp(-|x|))`
 * (labels z in [0, 1]). `posWeight` multiplies the positive term, to trade recall for precision.
 * @example new gluon.loss.SigmoidBinaryCrossEntropyLoss().forward(nd.array([[0]]), nd.array([[1]])) // [0.6931]
 */
export class SigmoidBinaryCrossEntropyLoss extends Loss {
  readonly fromSigmoid: boolean;

  constructor(options: SigmoidBinaryCrossEntropyLossOptions = {}) {
    super(options);
    this.fromSigmoid = options.fromSigmoid ?? false;
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null, posWeight?: NDArray | number | null): NDArray {
    const z = this.labelLike(label, pred);
    let loss: NDArray;
    if (!this.fromSigmoid) {
      // log(1 + exp(-|x|)) + max(-x, 0) is -log(sigmoid(x)) without overflow.
      const logTerm = softrelu(neg(abs(pred)));
      if (posWeight === undefined || posWeight === null) {
        loss = add(sub(relu(pred), mul(pred, z)), logTerm);
      } else {
        const logWeight = add(mul(sub(posWeight, 1), z), 1);
        loss = add(sub(pred, mul(pred, z)), mul(logWeight, add(logTerm, relu(neg(pred)))));
      }
    } else {
      const eps = 1e-12;
      const pos = mul(log(add(pred, eps)), z);
      const neg_ = mul(log(add(sub(1, pred), eps)), sub(1, z));
      loss = neg(add(posWeight === undefined || posWeight === null ? pos : mul(pos, posWeight), neg_));
    }
    return this.finish(loss, sampleWeight);
  }
}

/** Gluon's short alias. */
export const SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss;
