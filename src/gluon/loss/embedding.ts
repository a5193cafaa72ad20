/**
 * Losses on embeddings (metric learning): TripletLoss (an anchor closer to its positive than to
 * its negative by a margin), CosineEmbeddingLoss (cosine similarity pulled to 1 for similar pairs,
 * pushed below a margin for dissimilar ones) and SDMLLoss (smoothed deep metric learning: each
 * row of one batch should be nearest to the same row of the other batch).
 */
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { normalizeAxis } from '../../core/shape.js';
import { expectArray, type NDArray } from '../../ndarray/ndarray.js';
import { eye } from '../../ndarray/creation.js';
import { add, div, equal, maximum, mul, sub } from '../../ops/binary.js';
import { log, neg, relu, square } from '../../ops/unary.js';
import { norm, sum } from '../../ops/reduce.js';
import { expandDims, reshape } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `TripletLoss` and `CosineEmbeddingLoss`: the common ones and a margin. */
export interface MarginLossOptions extends LossOptions {
  /** The margin (default 1 for TripletLoss, 0 for CosineEmbeddingLoss). */
  margin?: number;
}

/** A loss with a finite `margin` option: the base of TripletLoss and CosineEmbeddingLoss. */
export abstract class MarginLoss extends Loss {
  readonly margin: number;

  constructor(options: MarginLossOptions, defaultMargin: number) {
    super(options);
    this.margin = options.margin ?? defaultMargin;
    if (!Number.isFinite(this.margin)) throw new ValueError(`${this.where}: margin must be a finite number, got ${this.margin}`);
  }
}

/**
 * `max(0, |pred - positive|^2 - |pred - negative|^2 + margin)` per sample, the squared distances
 * summed over every axis but the batch axis.
 * @example new gluon.loss.TripletLoss().forward(anchor, positive, negative) // shape (N,)
 */
export class TripletLoss extends MarginLoss {
  constructor(options: MarginLossOptions = {}) {
    super(options, 1);
  }

  override forward(pred: NDArray, positive: NDArray, negative: NDArray, sampleWeight?: NDArray | null): NDArray {
    const d = sub(square(sub(this.labelLike(positive, pred), pred)), square(sub(this.labelLike(negative, pred), pred)));
    const batch = normalizeAxis(this.batchAxis, Math.max(d.ndim, 1), this.where);
    const axes = d.shape.map((_, i) => i).filter((i) => i !== batch);
    const perSample = axes.length === 0 ? d : sum(d, axes);
    return this.finish(relu(add(perSample, this.margin)), sampleWeight);
  }
}

/**
 * `1 - cos(input1, input2)` where the label is 1 and `max(0, cos(input1, input2) - margin)` where
 * it is -1 (0 for other labels), the cosine taken over the last axis; one value per sample.
 * @example new gluon.loss.CosineEmbeddingLoss().forward(a, b, nd.array([1, -1])) // shape (2,)
 */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(options: MarginLossOptions = {}) {
    super(options, 0);
  }

  override forward(input1: NDArray, input2: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const x = this.labelLike(input1, input2);
    expectArray(`${this.where}.forward`, label, 'the label');
    if (x.ndim < 1) throw new ShapeError(`${this.where}: inputs of shape ${fmtShape(x.shape)} need a vector axis`);
    const rows = x.size / Math.max(x.shape[x.ndim - 1]!, 1);
    if (label.size !== rows) throw new ShapeError(`${this.where}: label of shape ${fmtShape(label.shape)} must hold one value (1 or -1) per vector; the inputs of shape ${fmtShape(x.shape)} hold ${rows}`);
    const dot = sum(mul(x, input2), -1);
    const cos = div(dot, maximum(mul(norm(x, -1), norm(input2, -1)), 1e-12));
    const y = reshape(label, cos.shape);
    const similar = mul(sub(1, cos), equal(y, 1));
    const dissimilar = relu(mul(equal(y, -1), sub(cos, this.margin)));
    return this.finish(add(similar, dissimilar), sampleWeight);
  }
}

/** Options of `SDMLLoss`. */
export interface SDMLLossOptions extends Omit<LossOptions, 'batchAxis'> {
  /** Probability mass spread over the other rows of the label matrix (default 0.3). */
  smoothingParameter?: number;
}

/**
 * Smoothed deep metric learning (Bonadiman et al., 2019) on two aligned batches (N, D): the
 * softmax over each row of minus the squared distances between `x1[i]` and every `x2[j]` is
 * compared by KL divergence with a smoothed identity (1 - s on the diagonal, s / (N - 1) off it),
 * averaged over the N columns as Gluon's KLDivLoss does.
 * @example new gluon.loss.SDMLLoss().forward(model.forward(a), model.forward(b)) // shape (N,)
 */
export class SDMLLoss extends Loss {
  readonly smoothingParameter: number;

  constructor(options: SDMLLossOptions = {}) {
    super(options);
    this.smoothingParameter = options.smoothingParameter ?? 0.3;
    if (!(this.smoothingParameter >= 0 && this.smoothingParameter < 1)) {
      throw new ValueError(`SDMLLoss: smoothingParameter must be in [0, 1), got ${this.smoothingParameter}`);
    }
  }

  override forward(x1: NDArray, x2: NDArray, sampleWeight?: NDArray | null): NDArray {
    if (x1.ndim !== 2 || x2.ndim !== 2 || x1.shape[0] !== x2.shape[0] || x1.shape[1] !== x2.shape[1]) {
      throw new ShapeError(`${this.where}: x1 ${fmtShape(x1.shape)} and x2 ${fmtShape(x2.shape)} must be two batches of the same shape (N, D)`);
    }
    const n = x1.shape[0]!;
    if (n < 2) throw new ShapeError(`${this.where}: needs a batch of at least 2 pairs, got ${fmtShape(x1.shape)}`);
    const distances = sum(square(sub(expandDims(x1, 1), expandDims(x2, 0))), 2);
    const logp = logSoftmax(neg(distances), { axis: 1 });
    const s = this.smoothingParameter;
    const gold = eye(n, n, 0, { dtype: x1.dtype });
    const labels = add(mul(gold, 1 - s), mul(sub(1, gold), s / (n - 1)));
    // 0 * log(0) is 0: the label's own entropy term is computed where the label is positive only.
    const entropy = mul(labels, log(add(labels, 1e-12)));
    return this.finish(sub(entropy, mul(labels, logp)), sampleWeight);
  }
}
