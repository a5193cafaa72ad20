/**
 * Reference kernels of the fused optimizer updates (SGD, Adam/AdamW, RMSProp, AdaGrad): one loop
 * over the weight, its gradient and its state per update, the rule's branches chosen once outside
 * the loop, and no call per element. Arithmetic is JavaScript's double precision with one rounding
 * per store, which the native kernels reproduce bit for bit. The rules are documented with their
 * parameter types in src/backend/kernels.ts.
 */
import type { TypedArray } from '../../core/dtype.js';
import { ValueError } from '../../core/errors.js';
import type { AdagradUpdateParams, AdamUpdateParams, RmspropUpdateParams, SgdUpdateParams } from '../kernels.js';

/**
 * SGD with optional momentum or Nesterov momentum (MXNet's form). As in PyTorch, the weight decay
 * term is skipped when wd is 0 (so an infinite weight does not turn into NaN through 0 * w).
 */
export function sgdUpdate(w: TypedArray, grad: TypedArray, mom: TypedArray | null, p: SgdUpdateParams): void {
  const { lr, wd, rescale, clip, momentum: mu } = p;
  const lo = -clip;
  const decay = wd !== 0;
  const n = w.length;
  if (mom === null && !decay && clip === Infinity) {
    for (let i = 0; i < n; i++) w[i] = w[i]! - lr * (grad[i]! * rescale);
  } else if (mom === null) {
    for (let i = 0; i < n; i++) {
      let g = grad[i]! * rescale;
      const wi = w[i]!;
      g = g > clip ? clip : g < lo ? lo : g;
      if (decay) g += wd * wi;
      w[i] = wi - lr * g;
    }
  } else if (p.nesterov) {
    for (let i = 0; i < n; i++) {
      let g = grad[i]! * rescale;
      const wi = w[i]!;
      g = g > clip ? clip : g < lo ? lo : g;
      if (decay) g += wd * wi;
      const m = mu * mom[i]! + g;
      mom[i] = m;
      w[i] = wi - lr * (g + mu * m);
    }
  } else {
    for (let i = 0; i < n; i++) {
      let g = grad[i]! * rescale;
      const wi = w[i]!;
      g = g > clip ? clip : g < lo ? lo : g;
      if (decay) g += wd * wi;
      const m = mu * mom[i]! - lr * g;
      mom[i] = m;
      w[i] = wi + m;
    }
  }
}

/** Adam (weight decay in the gradient, MXNet) or AdamW (decoupled weight decay). */
export function adamUpdate(w: TypedArray, grad: TypedArray, mean: TypedArray, variance: TypedArray, p: AdamUpdateParams): void {
  const { lr, wd, rescale, clip, beta1, beta2, epsilon, decay } = p;
  const lo = -clip;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = w.length;
  if (p.decoupled) {
    for (let i = 0; i < n; i++) {
      let g = grad[i]! * rescale;
      g = g > clip ? clip : g < lo ? lo : g;
      const m = beta1 * mean[i]! + c1 * g;
      const v = beta2 * variance[i]! + c2 * g * g;
      mean[i] = m;
      variance[i] = v;
      const wi = w[i]!;
      w[i] = wi - lr * (m / (Math.sqrt(v) + epsilon)) - decay * wi;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    let g = grad[i]! * rescale + wd * wi;
    g = g > clip ? clip : g < lo ? lo : g;
    const m = beta1 * mean[i]! + c1 * g;
    const v = beta2 * variance[i]! + c2 * g * g;
    mean[i] = m;
    variance[i] = v;
    w[i] = wi - lr * (m / (Math.sqrt(v) + epsilon));
  }
}

/** RMSProp, plain (Tieleman & Hinton) or centered (Graves), with optional weight clipping. */
export function rmspropUpdate(
  w: TypedArray,
  grad: TypedArray,
  nState: TypedArray,
  gState: TypedArray | null,
  delta: TypedArray | null,
  p: RmspropUpdateParams,
): void {
  const { lr, wd, rescale, clip, gamma1, gamma2, epsilon, clipWeights: cw } = p;
  const lo = -clip;
  const wlo = -cw;
  const c1 = 1 - gamma1;
  const n = w.length;
  if (!p.centered) {
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      let g = grad[i]! * rescale + wd * wi;
      g = g > clip ? clip : g < lo ? lo : g;
      const s = gamma1 * nState[i]! + c1 * g * g;
      nState[i] = s;
      const u = wi - (lr * g) / Math.sqrt(s + epsilon);
      w[i] = u > cw ? cw : u < wlo ? wlo : u;
    }
    return;
  }
  if (gState === null || delta === null) throw new ValueError('rmspropUpdate: the centered variant needs the gbar and delta state arrays');
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    let g = grad[i]! * rescale + wd * wi;
    g = g > clip ? clip : g < lo ? lo : g;
    const s = gamma1 * nState[i]! + c1 * g * g;
    const gb = gamma1 * gState[i]! + c1 * g;
    const d = gamma2 * delta[i]! - (lr * g) / Math.sqrt(s - gb * gb + epsilon);
    nState[i] = s;
    gState[i] = gb;
    delta[i] = d;
    const u = wi + d;
    w[i] = u > cw ? cw : u < wlo ? wlo : u;
  }
}

/** AdaGrad (MXNet's form: weight decay outside the ratio). */
export function adagradUpdate(w: TypedArray, grad: TypedArray, history: TypedArray, p: AdagradUpdateParams): void {
  const { lr, wd, rescale, clip, epsilon } = p;
  const lo = -clip;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    let g = grad[i]! * rescale;
    g = g > clip ? clip : g < lo ? lo : g;
    const h = history[i]! + g * g;
    history[i] = h;
    const wi = w[i]!;
    w[i] = wi - lr * (g / Math.sqrt(h + epsilon) + wd * wi);
  }
}
