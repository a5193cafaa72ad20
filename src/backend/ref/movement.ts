/**
 * Reference data-movement kernels: strided copies (behind transpose, slice, concat, pad,
 * broadcastTo), gathers and scatters along an axis, and softmax along an axis.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { AxisPlan, View } from '../kernels.js';

export function copyStrided(dst: TypedArray, dv: View, src: TypedArray, sv: View, shape: readonly number[]): void {
  const nd = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  if (nd === 0) {
    dst[dv.offset] = src[sv.offset]!;
    return;
  }
  const last = shape[nd - 1]!;
  const ds = dv.strides[nd - 1]!;
  const ss = sv.strides[nd - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let di = dv.offset;
  let si = sv.offset;
  const rows = total / last;
  for (let r = 0; r < rows; r++) {
    if (ds === 1 && ss === 1) dst.set(src.subarray(si, si + last), di);
    else for (let j = 0; j < last; j++) dst[di + j * ds] = src[si + j * ss]!;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      di += dv.strides[d]!;
      si += sv.strides[d]!;
      if (idx[d]! < shape[d]!) break;
      di -= dv.strides[d]! * shape[d]!;
      si -= sv.strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function take(out: TypedArray, x: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  const nIdx = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const from = (o * axisLen + idx[j]!) * inner;
      out.set(x.subarray(from, from + inner), (o * nIdx + j) * inner);
    }
  }
}

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

export function pick(out: TypedArray, x: TypedArray, idx: Int32Array, { outer, axisLen, inner }: AxisPlan): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out[o * inner + i] = x[(o * axisLen + idx[o * inner + i]!) * inner + i]!;
  }
}

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

export function softmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let dot = 0;
    for (let r = 0; r < len; r++) dot += g[base + r * st]! * y[base + r * st]!;
    for (let r = 0; r < len; r++) gx[base + r * st] = y[base + r * st]! * (g[base + r * st]! - dot);
  });
}

export function logSoftmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void {
  forEachLine(plan, (base, st, len) => {
    let s = 0;
    for (let r = 0; r < len; r++) s += g[base + r * st]!;
    for (let r = 0; r < len; r++) gx[base + r * st] = g[base + r * st]! - Math.exp(y[base + r * st]!) * s;
  });
}
