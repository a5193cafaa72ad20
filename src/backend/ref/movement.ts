/**
 * Reference data-movement kernels: strided copies (behind transpose, slice, concat, pad,
 * broadcastTo), gathers and scatters along an axis, and softmax along an axis.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { AxisPlan, View } from '../kernels.js';

/** Rows shorter than this are copied element by element: `subarray` allocates a view object. */
const SET_MIN = 32;

/**
 * Drops axes of length 1 and merges neighbouring axes that are contiguous in both views, so a
 * slab copy (concat along axis 0, a reshape) becomes one long row.
 */
function coalesce(shape: readonly number[], ds: readonly number[], ss: readonly number[]): [number[], number[], number[]] {
  const sh: number[] = [];
  const d: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const k = sh.length - 1;
    if (k >= 0 && d[k] === ds[i]! * shape[i]! && s[k] === ss[i]! * shape[i]!) {
      sh[k]! *= shape[i]!;
      d[k] = ds[i]!;
      s[k] = ss[i]!;
    } else {
      sh.push(shape[i]!);
      d.push(ds[i]!);
      s.push(ss[i]!);
    }
  }
  return [sh, d, s];
}

/** Copies `fullShape` elements from `src` (read through view `sv`) into `dst` (written through `dv`). */
export function copyStrided(dst: TypedArray, dv: View, src: TypedArray, sv: View, fullShape: readonly number[]): void {
  let total = 1;
  for (const d of fullShape) total *= d;
  if (total === 0) return;
  const [shape, dStrides, sStrides] = coalesce(fullShape, dv.strides, sv.strides);
  const nd = shape.length;
  if (nd === 0) {
    dst[dv.offset] = src[sv.offset]!;
    return;
  }
  const last = shape[nd - 1]!;
  const ds = dStrides[nd - 1]!;
  const ss = sStrides[nd - 1]!;
  const bulk = ds === 1 && ss === 1 && last >= SET_MIN;
  const idx = new Array<number>(nd).fill(0);
  let di = dv.offset;
  let si = sv.offset;
  const rows = total / last;
  for (let r = 0; r < rows; r++) {
    if (bulk) dst.set(src.subarray(si, si + last), di);
    else for (let j = 0; j < last; j++) dst[di + j * ds] = src[si + j * ss]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      di += dStrides[d]!;
      si += sStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      di -= dStrides[d]! * shape[d]!;
      si -= sStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Gathers `inner`-long rows at `idx` along the axis: `out[o, j] = x[o, idx[j]]`. */
export function take(out: TypedArray, x: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  const nIdx = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const from = (o * axisLen + idx[j]!) * inner;
      const to = (o * nIdx + j) * inner;
      if (inner >= SET_MIN) out.set(x.subarray(from, from + inner), to);
      else for (let i = 0; i < inner; i++) out[to + i] = x[from + i]!;
    }
  }
}

/** Scatter-adds the rows of `g` back to `idx` (repeated indices accumulate): the gradient of take. */
export function takeGrad(gx: TypedArray, g: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  const nIdx = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const to = (o * axisLen + idx[j]!) * inner;
      const from = (o * nIdx + j) * inner;
      for (let i = 0; i < inner; i++) gx[to + i]! += g[from + i]!;
    }
  }
}

/** `out[o, i] = x[o, idx[o, i], i]`: one element along the axis per position. */
export function pick(out: TypedArray, x: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out[o * inner + i] = x[(o * axisLen + idx[o * inner + i]!) * inner + i]!;
  }
}

/** Scatter-adds `g` into the picked positions: the gradient of pick. */
export function pickGrad(gx: TypedArray, g: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) gx[(o * axisLen + idx[o * inner + i]!) * inner + i]! += g[o * inner + i]!;
  }
}

/** Shared loop for the four softmax kernels: visits each (outer, inner) line of the axis. */
function forEachLine(plan: AxisPlan, visit: (base: number, stride: number, len: number) => void): void {
  const { outer, axisLen, inner } = plan;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) visit(o * axisLen * inner + i, inner, axisLen);
}

/** Softmax along the plan's axis, the maximum subtracted first so exp never overflows. */
export function softmax(out: TypedArray, x: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let mx = -Infinity;
    for (let r = 0; r < len; r++) mx = Math.max(mx, x[base + r * st]!);
    let s = 0;
    for (let r = 0; r < len; r++) {
      const e = Math.exp(x[base + r * st]! - mx);
      out[base + r * st] = e;
      s += e;
    }
    for (let r = 0; r < len; r++) out[base + r * st]! /= s;
  });
}

/** `x - max - log(sum(exp(x - max)))` along the plan's axis. */
export function logSoftmax(out: TypedArray, x: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let mx = -Infinity;
    for (let r = 0; r < len; r++) mx = Math.max(mx, x[base + r * st]!);
    let s = 0;
    for (let r = 0; r < len; r++) s += Math.exp(x[base + r * st]! - mx);
    const lse = mx + Math.log(s);
    for (let r = 0; r < len; r++) out[base + r * st] = x[base + r * st]! - lse;
  });
}

/** `y * (g - sum(g * y))` along the axis, from the softmax output y. */
export function softmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let dot = 0;
    for (let r = 0; r < len; r++) dot += g[base + r * st]! * y[base + r * st]!;
    for (let r = 0; r < len; r++) gx[base + r * st] = y[base + r * st]! * (g[base + r * st]! - dot);
  });
}

/** `g - exp(y) * sum(g)` along the axis, from the logSoftmax output y. */
export function logSoftmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let s = 0;
    for (let r = 0; r < len; r++) s += g[base + r * st]!;
    for (let r = 0; r < len; r++) gx[base + r * st] = g[base + r * st]! - Math.exp(y[base + r * st]!) * s;
  });
}
