/**
 * `ctcLoss`: Connectionist Temporal Classification (Graves et al., 2006) as one primitive, the
 * negative log-likelihood of each sample's label sequence summed over all its alignments to the
 * time steps of (T, N, C) log-probabilities. The labels and the per-sample lengths are inputs
 * the kernel reads (src/backend/ref/ctc.ts), not values JavaScript reads to build indices, so a
 * hybridized CTCLoss traces into one graph node whose labels and lengths are graph inputs. The
 * gradient is a second primitive (the alpha-beta gradient), with respect to the log-probabilities.
 */
import { isFloat } from '../core/dtype.js';
import { DTypeError, ShapeError, fmtShape, fmtValue } from '../core/errors.js';
import type { CtcPlan } from '../backend/kernels.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { apply, primitive } from './define.js';
import { ensureDType } from './cast.js';
import { publicOp } from '../core/public.js';

/** What the primitives carry: the blank class and whether lengths are given. */
interface CtcAttrs {
  readonly blank: number;
  readonly hasPredLengths: boolean;
  readonly hasLabelLengths: boolean;
}

function plan([logp, label]: readonly NDArray[], a: CtcAttrs): CtcPlan {
  const [steps, batch, classes] = logp!.shape as [number, number, number];
  return { steps, batch, classes, maxLabel: label!.shape[1]!, blank: a.blank, hasPredLengths: a.hasPredLengths, hasLabelLengths: a.hasLabelLengths };
}

const ctcPrim = primitive<CtcAttrs, CtcPlan>({
  name: 'ctcLoss',
  outputInit: 'none',
  infer: (inputs, attrs) => ({ shape: [inputs[0]!.shape[1]!], dtype: inputs[0]!.dtype, plan: plan(inputs, attrs) }),
  compute: (k, loss, [logp, label, predLengths, labelLengths], p) => k.ctcForward(loss, logp!, label!, predLengths!, labelLengths!, p),
  grad: (g, { inputs, attrs }) => [apply(ctcGradPrim, [ensureDType(g, inputs[0]!.dtype), ...inputs], attrs), null, null, null],
});

/** The gradient with respect to the log-probabilities, (T, N, C); not itself differentiable. */
const ctcGradPrim = primitive<CtcAttrs, CtcPlan>({
  name: 'ctcLossGrad',
  outputInit: 'none',
  infer: ([, logp, label], attrs) => ({ shape: logp!.shape, dtype: logp!.dtype, plan: plan([logp!, label!], attrs) }),
  compute: (k, grad, [g, logp, label, predLengths, labelLengths], p) => k.ctcBackward(grad, g!, logp!, label!, predLengths!, labelLengths!, p),
});

/** Options of `ctcLoss`. */
export interface CtcLossOptions {
  /** (N,) time steps per sample (default: all T). */
  predLengths?: NDArray | null;
  /** (N,) labels per sample (default: up to the first -1 of each row). */
  labelLengths?: NDArray | null;
}

function lengths(what: string, a: NDArray | null | undefined, n: number): NDArray | null {
  if (a === null || a === undefined) return null;
  if (!NDArray.isInstance(a) || a.ndim !== 1 || a.shape[0] !== n) {
    throw new ShapeError(`ctcLoss: ${what} must be an NDArray of shape (${n},), one length per sample, got ${NDArray.isInstance(a) ? fmtShape(a.shape) : fmtValue(a)}`);
  }
  return a;
}

/**
 * CTC negative log-likelihood per sample, (N,), of `label` (N, L) (zero-based classes, padded
 * with -1) under the log-probabilities `logp` (T, N, C) (a log-softmax over C), the blank being
 * the last class, as Gluon's CTCLoss has it. A label sequence
 * no alignment fits gives +Infinity (and a zero gradient).
 * @example nd.ctcLoss(nd.logSoftmax(nd.zeros([4, 1, 3]), { axis: -1 }), nd.array([[0, 1]])) // [-log(15/81)] ≈ [1.6864]
 */
export const ctcLoss = publicOp('ctcLoss', function ctcLoss(logp: NDArray, label: NDArray, options: CtcLossOptions = {}): NDArray {
  expectArray('ctcLoss', logp, 'logp');
  expectArray('ctcLoss', label, 'label');
  if (logp.ndim !== 3) throw new ShapeError(`ctcLoss: logp of shape ${fmtShape(logp.shape)} must be (steps, batch, classes)`);
  if (!isFloat(logp.dtype)) throw new DTypeError(`ctcLoss: logp must be float32 or float64 log-probabilities, got ${logp.dtype}`);
  const [t, n, c] = logp.shape as [number, number, number];
  if (label.ndim !== 2 || label.shape[0] !== n) throw new ShapeError(`ctcLoss: label of shape ${fmtShape(label.shape)} must be (${n}, maxLabelLength) for logp of shape ${fmtShape(logp.shape)}`);
  if (c < 2) throw new ShapeError(`ctcLoss: logp of shape ${fmtShape(logp.shape)} has ${c} classes; it needs at least one label class and the blank`);
  if (t === 0) throw new ShapeError(`ctcLoss: logp of shape ${fmtShape(logp.shape)} has no time steps`);
  const blank = c - 1;
  const pred = lengths('predLengths', options.predLengths, n);
  const lab = lengths('labelLengths', options.labelLengths, n);
  const none = NDArray.empty([0], 'int32');
  return apply(ctcPrim, [logp, label, pred ?? none, lab ?? none], { blank, hasPredLengths: pred !== null, hasLabelLengths: lab !== null });
}, 2);
