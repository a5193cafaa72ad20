/**
 * Reference CTC kernels (`ctcForward`, `ctcBackward`): the negative log-likelihood of each
 * sample's label sequence under (T, N, C) log-probabilities, by the alpha (forward) recursion of
 * Graves et al. (2006) over the extended label (a blank before, between and after the labels),
 * in log space and in double; and its gradient with respect to the log-probabilities from the
 * alpha and beta (backward) recursions. Labels and lengths are read here, in the kernel, so they
 * are ordinary inputs of a traced graph rather than values JavaScript looks at while tracing.
 *
 * Per sample n: T_n steps (predLengths, or T), L_n labels (labelLengths, or the labels before the
 * first -1). loss_n = -log p(l | x) = -logsumexp(alpha_{T_n-1}(S-1), alpha_{T_n-1}(S-2)), with
 * S = 2 L_n + 1; a sequence no alignment fits has loss +Infinity and gradient 0. The gradient is
 * d loss_n / d logp[t, n, k] = -exp(logsumexp_{s: ext_s = k}(alpha_t(s) + beta_t(s)) - logp[t, n, k] + loss_n)
 * for t < T_n, and 0 elsewhere (alpha and beta both include the emission at t).
 */
import type { TypedArray } from '../../core/dtype.js';
import { ValueError } from '../../core/errors.js';
import type { CtcPlan } from '../kernels.js';

function lse2(a: number, b: number): number {
  const m = a > b ? a : b;
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function lse3(a: number, b: number, c: number): number {
  const m = Math.max(a, b, c);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m));
}

/** One sample's validated lengths and extended label. */
interface Sample {
  readonly steps: number;
  readonly ext: Int32Array;
}

function sample(n: number, labels: TypedArray, predLengths: TypedArray, labelLengths: TypedArray, plan: CtcPlan): Sample {
  const { steps: t, maxLabel: l, blank } = plan;
  const int = (what: string, v: number, low: number, high: number): number => {
    if (!Number.isInteger(v) || v < low || v > high) throw new ValueError(`ctcLoss: ${what} of sample ${n} is ${v}; it must be an integer in [${low}, ${high}]`);
    return v;
  };
  const steps = plan.hasPredLengths ? int('predLengths', Number(predLengths[n]), 1, t) : t;
  let len = l;
  if (plan.hasLabelLengths) len = int('labelLengths', Number(labelLengths[n]), 0, l);
  else for (let j = 0; j < l; j++) if (Number(labels[n * l + j]) === -1) { len = j; break; }
  const ext = new Int32Array(2 * len + 1).fill(blank);
  for (let j = 0; j < len; j++) {
    const v = Number(labels[n * l + j]);
    if (!Number.isInteger(v) || v < 0 || v >= blank) {
      throw new ValueError(
        `ctcLoss: label ${v} at position ${j} of sample ${n} is ${v === blank ? 'the blank (the last class)' : v === -1 ? 'padding' : 'not an integer class'} inside the label's length ${len}; ` +
          `labels are zero-based classes below ${blank} (the last of the ${blank + 1} classes is the blank), padded with -1`,
      );
    }
    ext[2 * j + 1] = v;
  }
  return { steps, ext };
}

/** True when state s may be entered from s - 2 (a label differing from the previous label). */
function canSkip(ext: Int32Array, s: number, blank: number): boolean {
  return s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2];
}

/** alpha (steps x S), row-major, in log space. */
function alphas(logp: TypedArray, n: number, { steps, ext }: Sample, plan: CtcPlan): Float64Array {
  const { batch: nb, classes: c, blank } = plan;
  const s = ext.length;
  const lp = (t: number, k: number): number => logp[(t * nb + n) * c + k]!;
  const a = new Float64Array(steps * s).fill(-Infinity);
  a[0] = lp(0, blank);
  if (s > 1) a[1] = lp(0, ext[1]!);
  for (let t = 1; t < steps; t++) {
    const prev = (t - 1) * s;
    for (let j = 0; j < s; j++) {
      const stay = a[prev + j]!;
      const step = j >= 1 ? a[prev + j - 1]! : -Infinity;
      const skip = canSkip(ext, j, blank) ? a[prev + j - 2]! : -Infinity;
      const sum = lse3(stay, step, skip);
      a[t * s + j] = sum === -Infinity ? -Infinity : sum + lp(t, ext[j]!);
    }
  }
  return a;
}

function nll(a: Float64Array, { steps, ext }: Sample): number {
  const s = ext.length;
  const last = (steps - 1) * s;
  return -lse2(a[last + s - 1]!, s > 1 ? a[last + s - 2]! : -Infinity);
}

/** Fills `loss` (N) with each sample's negative log-likelihood. */
export function ctcForward(loss: TypedArray, logp: TypedArray, labels: TypedArray, predLengths: TypedArray, labelLengths: TypedArray, plan: CtcPlan): void {
  for (let n = 0; n < plan.batch; n++) {
    const smp = sample(n, labels, predLengths, labelLengths, plan);
    loss[n] = nll(alphas(logp, n, smp, plan), smp);
  }
}

/** Fills `grad` (T, N, C) with g[n] times the gradient of loss_n with respect to logp. */
export function ctcBackward(grad: TypedArray, g: TypedArray, logp: TypedArray, labels: TypedArray, predLengths: TypedArray, labelLengths: TypedArray, plan: CtcPlan): void {
  const { batch: nb, classes: c, blank } = plan;
  grad.fill(0);
  const lcab = new Float64Array(c);
  for (let n = 0; n < nb; n++) {
    const smp = sample(n, labels, predLengths, labelLengths, plan);
    const { steps, ext } = smp;
    const s = ext.length;
    const a = alphas(logp, n, smp, plan);
    const loss = nll(a, smp);
    const gn = Number(g[n]);
    if (loss === Infinity || gn === 0) continue;
    const lp = (t: number, k: number): number => logp[(t * nb + n) * c + k]!;
    // beta of steps t + 1 (next) and t (cur), in log space.
    let next = new Float64Array(s).fill(-Infinity);
    let cur = new Float64Array(s);
    for (let t = steps - 1; t >= 0; t--) {
      for (let j = 0; j < s; j++) {
        let sum: number;
        if (t === steps - 1) sum = j >= s - 2 ? 0 : -Infinity;
        else {
          const skip = j + 2 < s && canSkip(ext, j + 2, blank) ? next[j + 2]! : -Infinity;
          sum = lse3(next[j]!, j + 1 < s ? next[j + 1]! : -Infinity, skip);
        }
        cur[j] = sum === -Infinity ? -Infinity : sum + lp(t, ext[j]!);
      }
      lcab.fill(-Infinity);
      for (let j = 0; j < s; j++) lcab[ext[j]!] = lse2(lcab[ext[j]!]!, a[t * s + j]! + cur[j]!);
      for (let k = 0; k < c; k++) {
        if (lcab[k] !== -Infinity) grad[(t * nb + n) * c + k] = -gn * Math.exp(lcab[k]! - lp(t, k) + loss);
      }
      [next, cur] = [cur, next];
    }
  }
}
