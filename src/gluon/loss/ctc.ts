/**
 * Connectionist Temporal Classification (Graves et al., 2006), Gluon's CTCLoss: the negative log
 * probability of a label sequence summed over every alignment of it to the prediction's time
 * steps, with the blank as the last class (`alphabetSize - 1`), labels zero-based and padded with
 * -1 (or cut by `labelLengths`).
 *
 * The loss is a log-softmax and the `ctcLoss` primitive (src/ops/ctc.ts): the alpha recursion
 * and its alpha-beta gradient run in a kernel that reads the labels and lengths itself, so they
 * are ordinary inputs and a hybridized CTCLoss is one graph. A label sequence no alignment fits
 * (longer than the prediction allows) gives +Infinity, as PyTorch's `ctc_loss` does, with a zero
 * gradient.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { ctcLoss } from '../../ops/ctc.js';
import { logSoftmax } from '../../ops/softmax.js';
import { swapAxes } from '../../ops/shape.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `CTCLoss`. */
export interface CTCLossOptions extends Omit<LossOptions, 'batchAxis'> {
  /** Prediction layout: 'NTC' (default) or 'TNC'. */
  layout?: 'NTC' | 'TNC';
  /** Label layout: 'NT' (default) or 'TN'. */
  labelLayout?: 'NT' | 'TN';
}

/**
 * CTC loss per sample, shape (N,).
 * @example
 * const ctc = new gluon.loss.CTCLoss();
 * ctc.forward(nd.ones([2, 20, 4]), nd.array([[1, 0, -1, -1], [2, 1, 1, -1]])) // ≈ [18.8282, 16.5058]
 */
export class CTCLoss extends Loss {
  readonly layout: 'NTC' | 'TNC';
  readonly labelLayout: 'NT' | 'TN';

  constructor(options: CTCLossOptions = {}) {
    super(options);
    this.layout = options.layout ?? 'NTC';
    this.labelLayout = options.labelLayout ?? 'NT';
    if (this.layout !== 'NTC' && this.layout !== 'TNC') throw new ValueError(`CTCLoss: layout must be 'NTC' or 'TNC', got ${JSON.stringify(this.layout)}`);
    if (this.labelLayout !== 'NT' && this.labelLayout !== 'TN') throw new ValueError(`CTCLoss: labelLayout must be 'NT' or 'TN', got ${JSON.stringify(this.labelLayout)}`);
  }

  /**
   * `pred`: unnormalized scores (softmax is applied here); `label`: zero-based class indices below
   * `alphabetSize - 1`, padded with -1; `predLengths` / `labelLengths`: per-sample lengths (N,)
   * when samples differ; `sampleWeight`: one weight per sample.
   */
  override forward(pred: NDArray, label: NDArray, predLengths?: NDArray | null, labelLengths?: NDArray | null, sampleWeight?: NDArray | null): NDArray {
    for (const [what, a] of [['pred', pred], ['label', label]] as const) {
      if (!NDArray.isInstance(a)) throw new ValueError(`${this.name}: ${what} must be an NDArray, got ${fmtValue(a)}`);
    }
    if (pred.ndim !== 3) throw new ShapeError(`${this.name}: pred of shape ${fmtShape(pred.shape)} must have 3 axes (${this.layout})`);
    if (label.ndim !== 2) throw new ShapeError(`${this.name}: label of shape ${fmtShape(label.shape)} must have 2 axes (${this.labelLayout})`);
    const x = this.layout === 'NTC' ? swapAxes(pred, 0, 1) : pred;
    const lab = this.labelLayout === 'TN' ? swapAxes(label, 0, 1) : label;
    const [t, n, c] = x.shape as [number, number, number];
    if (lab.shape[0] !== n) throw new ShapeError(`${this.name}: pred of shape ${fmtShape(pred.shape)} (${this.layout}) and label of shape ${fmtShape(label.shape)} (${this.labelLayout}) disagree on the batch size`);
    if (c < 2) throw new ShapeError(`${this.name}: pred of shape ${fmtShape(pred.shape)} has ${c} classes; it needs at least one label class and the blank (the last class)`);
    if (t === 0) throw new ShapeError(`${this.name}: pred of shape ${fmtShape(pred.shape)} has no time steps`);
    const loss = ctcLoss(logSoftmax(x, { axis: -1 }), lab, { predLengths: predLengths ?? null, labelLengths: labelLengths ?? null });
    return this.finish(loss, sampleWeight);
  }
}
