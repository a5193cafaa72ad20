/**
 * Connectionist Temporal Classification (Graves et al., 2006), Gluon's CTCLoss: the negative log
 * probability of a label sequence summed over every alignment of it to the prediction's time
 * steps, with the blank as the last class (`alphabetSize - 1`), labels zero-based and padded with
 * -1 (or cut by `labelLengths`).
 *
 * The forward (alpha) recursion runs in log space with nd ops, one time step at a time over the
 * extended label (a blank between and around the labels), so autograd gives the gradient. States
 * no alignment reaches hold -1e30 instead of -Infinity: log-sum-exp over them stays finite and its
 * gradient is 0 instead of NaN. A label sequence no alignment fits (longer than the prediction
 * allows) gives +Infinity, as PyTorch's `ctc_loss` does.
 *
 * The labels and lengths are read on the host to build the gather indices, so they cannot be
 * shape-only arrays; with a shape-only prediction the loss is a shape-only (N,) array.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { array, full } from '../../ndarray/creation.js';
import { add, greater, maximum, sub } from '../../ops/binary.js';
import { exp, log, neg } from '../../ops/unary.js';
import { pick, take, where } from '../../ops/indexing.js';
import { concat } from '../../ops/movement.js';
import { sliceAxis } from '../../ops/slice.js';
import { logSoftmax } from '../../ops/softmax.js';
import { reshape, swapAxes } from '../../ops/shape.js';
import { detach } from '../../autograd/backward.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of `CTCLoss`. */
export interface CTCLossOptions extends Omit<LossOptions, 'batchAxis'> {
  /** Prediction layout: 'NTC' (default) or 'TNC'. */
  layout?: 'NTC' | 'TNC';
  /** Label layout: 'NT' (default) or 'TN'. */
  labelLayout?: 'NT' | 'TN';
}

/** Log-probability of states no path reaches: finite, so exp and its gradient stay 0. */
const NEG = -1e30;

function logSumExp(terms: readonly NDArray[]): NDArray {
  let m = terms[0]!;
  for (const t of terms.slice(1)) m = maximum(m, t);
  // The maximum only keeps exp in range; the result does not depend on it, so no gradient flows through it.
  const c = detach(m);
  let s = exp(sub(terms[0]!, c));
  for (const t of terms.slice(1)) s = add(s, exp(sub(t, c)));
  return add(c, log(s));
}

function integers(what: string, a: NDArray, low: number, high: number): number[] {
  const out = Array.from(a.storage, Number);
  out.forEach((v, i) => {
    if (!Number.isInteger(v) || v < low || v > high) {
      throw new ValueError(`CTCLoss: ${what} element ${i} is ${v}; it must be an integer in [${low}, ${high}]`);
    }
  });
  return out;
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
      if (!NDArray.isInstance(a)) throw new ValueError(`CTCLoss: ${what} must be an NDArray, got ${fmtValue(a)}`);
    }
    if (pred.ndim !== 3) throw new ShapeError(`CTCLoss: pred of shape ${fmtShape(pred.shape)} must have 3 axes (${this.layout})`);
    if (label.ndim !== 2) throw new ShapeError(`CTCLoss: label of shape ${fmtShape(label.shape)} must have 2 axes (${this.labelLayout})`);
    const x = this.layout === 'TNC' ? swapAxes(pred, 0, 1) : pred;
    const lab = this.labelLayout === 'TN' ? swapAxes(label, 0, 1) : label;
    const [n, t, c] = x.shape as [number, number, number];
    if (lab.shape[0] !== n) throw new ShapeError(`CTCLoss: pred of shape ${fmtShape(pred.shape)} (${this.layout}) and label of shape ${fmtShape(label.shape)} (${this.labelLayout}) disagree on the batch size`);
    if (c < 2) throw new ShapeError(`CTCLoss: pred of shape ${fmtShape(pred.shape)} has ${c} classes; it needs at least one label class and the blank (the last class)`);
    if (t === 0) throw new ShapeError(`CTCLoss: pred of shape ${fmtShape(pred.shape)} has no time steps`);
    if (x.isShapeOnly) return NDArray.shapeOnly([n], x.dtype);
    const loss = this.#nll(x, lab, n, t, c, predLengths ?? null, labelLengths ?? null);
    return this.finish(loss, sampleWeight);
  }

  #nll(x: NDArray, lab: NDArray, n: number, t: number, c: number, predLengths: NDArray | null, labelLengths: NDArray | null): NDArray {
    const blank = c - 1;
    const maxL = lab.shape[1]!;
    const flat = integers('label', lab, -1, blank);
    const labels = Array.from({ length: n }, (_, i) => flat.slice(i * maxL, (i + 1) * maxL));
    const lens = labelLengths === null
      ? labels.map((row) => (row.includes(-1) ? row.indexOf(-1) : maxL))
      : integers('labelLengths', this.#perSample('labelLengths', labelLengths, n), 0, maxL);
    const steps = predLengths === null ? new Array<number>(n).fill(t) : integers('predLengths', this.#perSample('predLengths', predLengths, n), 1, t);
    labels.forEach((row, i) => {
      const bad = row.slice(0, lens[i]).findIndex((v) => v < 0 || v === blank);
      if (bad >= 0) {
        throw new ValueError(
          `CTCLoss: label ${row[bad]} at position ${bad} of sample ${i} is ${row[bad] === blank ? 'the blank (the last class)' : 'padding'} inside the label's length ${lens[i]}; ` +
            `labels are zero-based classes below ${blank} (the last of the ${c} classes is the blank), padded with -1`,
        );
      }
    });
    // The extended label of each sample: blank, l1, blank, l2, ..., blank (blanks past its end).
    const s = 2 * Math.max(0, ...lens) + 1;
    const ext = labels.map((row, i) => Array.from({ length: s }, (_, j) => (j % 2 === 1 && (j - 1) / 2 < lens[i]! ? row[(j - 1) / 2]! : blank)));
    const logp = reshape(logSoftmax(x, { axis: -1 }), [n * t * c]);
    const gather: number[] = [];
    for (let i = 0; i < n; i++) for (let k = 0; k < t; k++) for (const e of ext[i]!) gather.push((i * t + k) * c + e);
    const emit = reshape(take(logp, array(gather, { dtype: 'int32' })), [n, t, s]);
    const skip = array(ext.map((row) => row.map((e, j) => (j >= 2 && e !== blank && e !== row[j - 2] ? 1 : 0))), { dtype: x.dtype });
    const start = array(ext.map((row) => row.map((_, j) => (j < 2 ? 1 : 0))), { dtype: x.dtype });
    const at = (k: number): NDArray => reshape(sliceAxis(emit, 1, k, k + 1), [n, s]);
    const negCols = (k: number): NDArray => full([n, k], NEG, { dtype: x.dtype });
    let alpha = where(start, at(0), NEG);
    let last = alpha;
    for (let k = 1; k < t; k++) {
      const terms = [alpha, concat([negCols(1), sliceAxis(alpha, 1, 0, s - 1)], { axis: 1 })];
      if (s > 2) terms.push(where(skip, concat([negCols(2), sliceAxis(alpha, 1, 0, s - 2)], { axis: 1 }), NEG));
      alpha = add(logSumExp(terms), at(k));
      if (steps.some((v) => v - 1 === k)) {
        last = k === t - 1 && steps.every((v) => v === t) ? alpha : where(array(steps.map((v) => [v - 1 === k ? 1 : 0]), { dtype: x.dtype }), alpha, last);
      }
    }
    const end = pick(last, array(lens.map((l) => 2 * l), { dtype: 'int32' }), { axis: 1 });
    const before = where(
      array(lens.map((l) => (l > 0 ? 1 : 0)), { dtype: x.dtype }),
      pick(last, array(lens.map((l) => Math.max(2 * l - 1, 0)), { dtype: 'int32' }), { axis: 1 }),
      NEG,
    );
    const nll = neg(logSumExp([end, before]));
    // Unreachable label sequences end near 1e30: report them as infinite.
    return where(greater(nll, 1e29), Infinity, nll);
  }

  #perSample(what: string, a: NDArray, n: number): NDArray {
    if (!(a instanceof NDArray) || a.ndim !== 1 || a.shape[0] !== n) {
      throw new ShapeError(`CTCLoss: ${what} must be an NDArray of shape (${n},), one length per sample, got ${a instanceof NDArray ? fmtShape(a.shape) : fmtValue(a)}`);
    }
    return a;
  }
}
