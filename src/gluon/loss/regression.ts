/**
 * Regression losses: L2 (half the squared error, as Gluon defines it), L1 and Huber.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { greater, mul, sub } from '../../ops/binary.js';
import { abs, square } from '../../ops/unary.js';
import { where } from '../../ops/indexing.js';
import { Loss, type LossOptions } from './loss.js';
import { checkOptions } from '../../core/public.js';

/**
 * `0.5 * weight * (pred - label)^2`, averaged per sample (weight defaults to 1).
 * @example new gluon.loss.L2Loss().forward(nd.array([[1, 2]]), nd.array([[0, 0]])) // [1.25]
 */
export class L2Loss extends Loss {
  constructor(options: LossOptions = {}) {
    checkOptions(new.target.name, options);
    super({ ...options, weight: options.weight === undefined ? 1 : options.weight });
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const loss = square(sub(this.labelLike(label, pred), pred));
    return this.finish(loss, sampleWeight, (this.weight ?? 1) / 2);
  }
}

/**
 * `weight * |pred - label|`, averaged per sample.
 * @example new gluon.loss.L1Loss().forward(nd.array([[1, -2]]), nd.array([[0, 0]])) // [1.5]
 */
export class L1Loss extends Loss {
  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    return this.finish(abs(sub(this.labelLike(label, pred), pred)), sampleWeight);
  }
}

/** Options of `HuberLoss`: the common loss options and its own. */
export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  rho?: number;
}

/**
 * Smooth L1: `0.5 / rho * e^2` where `|e| <= rho`, `|e| - 0.5 * rho` beyond, with `e = pred - label`.
 * @example new gluon.loss.HuberLoss({ rho: 1 }).forward(nd.array([[0.5, 3]]), nd.array([[0, 0]])) // [(0.125 + 2.5) / 2]
 */
export class HuberLoss extends Loss {
  readonly rho: number;

  constructor(options: HuberLossOptions = {}) {
    super(options);
    this.rho = options.rho ?? 1;
    if (typeof this.rho !== 'number' || !(this.rho > 0) || !Number.isFinite(this.rho)) throw new ValueError(`HuberLoss: rho must be a finite positive number, got ${fmtValue(this.rho)}`);
  }

  override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray {
    const err = abs(sub(this.labelLike(label, pred), pred));
    const loss = where(greater(err, this.rho), sub(err, 0.5 * this.rho), mul(square(err), 0.5 / this.rho));
    return this.finish(loss, sampleWeight);
  }
}
