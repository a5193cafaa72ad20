/**
 * The Loss base class shared by every Gluon loss, and the helpers that give all of them the same
 * semantics: a label reshaped like the prediction, optional per-sample weights and a global
 * `weight`, and a per-sample result (the mean over every axis except `batchAxis`).
 *
 * A loss returns one value per sample, not a scalar, as in Gluon: `loss.forward(out, y)` has shape
 * (batchSize,), `backward()` on it seeds every sample with 1, and `Trainer.step(batchSize)` divides
 * by the batch size.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../../core/shape.js';
import { expectArray, type NDArray } from '../../ndarray/ndarray.js';
import { mul } from '../../ops/binary.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { HybridBlock } from '../hybrid-block.js';
import { checkOptions, refuseAbstract } from '../../core/public.js';

/** Options every loss accepts. */
export interface LossOptions {
  /** Prefix of the display name (default: lowercase class name and a counter, e.g. l2loss0_). */
  prefix?: string;
  /** A global scalar multiplied into the loss (default none; L2Loss defaults to 1 and halves it). */
  weight?: number | null;
  /** The axis that indexes samples (default 0); the loss is averaged over every other axis. */
  batchAxis?: number;
}

/**
 * Base class of the losses: a Block (Gluon's Loss is a HybridBlock) without parameters.
 * Subclasses implement `forward(pred, label, sampleWeight?)` and call `finish` on the
 * element-wise loss.
 * @example
 * const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
 * const l = autograd.record(() => loss.forward(net.forward(x), y)); // shape (batchSize,)
 * l.backward();
 */
export abstract class Loss extends HybridBlock {
  readonly weight: number | null;
  readonly batchAxis: number;

  constructor(options: LossOptions = {}) {
    refuseAbstract(new.target, Loss, 'use a loss such as L2Loss or SoftmaxCrossEntropyLoss, or extend it and implement forward');
    checkOptions(new.target.name, options);
    super(options.prefix === undefined ? {} : { prefix: options.prefix });
    const where = new.target.name;
    this.weight = options.weight ?? null;
    this.batchAxis = options.batchAxis ?? 0;
    if (this.weight !== null && !Number.isFinite(this.weight)) throw new ValueError(`${where}: weight must be a finite number or null, got ${fmtValue(this.weight)}`);
    if (!Number.isInteger(this.batchAxis)) throw new ValueError(`${where}: batchAxis must be an integer, got ${fmtValue(this.batchAxis)}`);
  }

  /** The per-sample loss, shape (batchSize,). `sampleWeight` broadcasts against the element-wise loss. */
  abstract override forward(pred: NDArray, label: NDArray, sampleWeight?: NDArray | null): NDArray;

  /** The class name, used in messages. */
  protected get where(): string {
    return this.constructor.name;
  }

  /** The label reshaped to the prediction's shape (they must hold the same number of elements). */
  protected labelLike(label: NDArray, pred: NDArray): NDArray {
    expectArray(`${this.where}.forward`, pred, 'the prediction');
    expectArray(`${this.where}.forward`, label, 'the label');
    if (shapesEqual(label.shape, pred.shape)) return label;
    if (label.size !== pred.size) {
      throw new ShapeError(
        `${this.where}: label of shape ${fmtShape(label.shape)} does not match prediction of shape ${fmtShape(pred.shape)}; ` +
          `they must have the same number of elements (the label is reshaped like the prediction)`,
      );
    }
    return reshape(label, pred.shape);
  }

  /** Applies sample and global weights, then averages over every axis but the batch axis. */
  protected finish(loss: NDArray, sampleWeight: NDArray | null | undefined, weight: number | null = this.weight): NDArray {
    let out = loss;
    if (sampleWeight !== null && sampleWeight !== undefined) out = mul(out, this.alignSampleWeight(sampleWeight, out));
    if (weight !== null && weight !== 1) out = mul(out, weight);
    if (out.ndim === 0) {
      throw new ShapeError(`${this.where}: the loss is a scalar (shape ()); predictions need at least a batch axis`);
    }
    const batch = normalizeAxis(this.batchAxis, out.ndim, this.where);
    const axes = out.shape.map((_, i) => i).filter((i) => i !== batch);
    return axes.length === 0 ? out : mean(out, axes);
  }

  /**
   * A 1-d sample weight of one value per sample is laid along the batch axis (so a (N,) weight
   * scales a (N, 1) loss row-wise instead of broadcasting to (N, N)); anything else must broadcast
   * to the loss's shape.
   */
  private alignSampleWeight(sw: NDArray, loss: NDArray): NDArray {
    const batch = normalizeAxis(this.batchAxis, loss.ndim, this.where);
    if (sw.ndim === 1 && loss.ndim > 1 && sw.shape[0] === loss.shape[batch] && sw.shape[0] !== 1) {
      return reshape(sw, loss.shape.map((d, i) => (i === batch ? d : 1)));
    }
    let shape: number[] | null = null;
    try {
      shape = broadcastShapes(sw.shape, loss.shape, this.where);
    } catch {
      shape = null;
    }
    if (shape === null || !shapesEqual(shape, loss.shape)) {
      throw new ShapeError(
        `${this.where}: sampleWeight of shape ${fmtShape(sw.shape)} does not broadcast to the element-wise loss of shape ${fmtShape(loss.shape)}; ` +
          `give one weight per sample, shape (${loss.shape[batch]},), or a shape that broadcasts to ${fmtShape(loss.shape)}`,
      );
    }
    return sw;
  }
}
