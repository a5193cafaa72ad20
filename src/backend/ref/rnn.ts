/**
 * Reference recurrences (`rnnForward`, `rnnBackward`): one direction of an RNN, LSTM or GRU layer
 * over a whole sequence, written as plain loops over the time steps. Each step is one h2h product
 * (the blocked reference matmul) and one sweep over the gates; activations are computed in double
 * and stored in the arrays' dtype, and the recurrence reads back the stored values, as the native
 * kernels do, so both round the same way. The weight gradients are one product over all steps
 * after the loop. src/backend/kernels.ts (RnnPlan) gives the layouts, src/ops/rnn.ts the equations.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { MatmulPlan, RnnMode, RnnPlan } from '../kernels.js';
import { matmul } from './matmul.js';

/** Gates per mode, the width S of an output row and W of a workspace row. */
export function rnnLayout(plan: RnnPlan): { gates: number; outWidth: number; wsWidth: number } {
  const { mode, hidden: h, proj: p } = plan;
  const gates = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
  return { gates, outWidth: mode === 'lstm' ? p + h : h, wsWidth: mode === 'lstm' ? 5 * h : mode === 'gru' ? 4 * h : 0 };
}

/** Offsets of the packed gradients `rnnBackward` writes, and their total length. */
export function rnnGradLayout(plan: RnnPlan): { dwhh: number; dbhh: number; dh0: number; dc0: number; dwhr: number; total: number } {
  const { steps: t, batch: n, hidden: h, proj: p, mode } = plan;
  const gh = rnnLayout(plan).gates * h;
  const dwhh = t * n * gh;
  const dbhh = dwhh + gh * p;
  const dh0 = dbhh + gh;
  const dc0 = dh0 + n * p;
  const dwhr = dc0 + (mode === 'lstm' ? n * h : 0);
  return { dwhh, dbhh, dh0, dc0, dwhr, total: dwhr + (p !== h ? p * h : 0) };
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function gemm(out: TypedArray, a: TypedArray, b: TypedArray, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
  const plan: MatmulPlan = { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 };
  matmul(out, a, b, plan);
}

function like(x: TypedArray, n: number): TypedArray {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Copies the h part (or the c part, `col` = P) of output row block t into dst (N x width). */
function takeState(dst: TypedArray, out: TypedArray, t: number, n: number, width: number, stride: number, col: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) dst[i * width + j] = out[(t * n + i) * stride + col + j]!;
}

function activate(mode: RnnMode, x: number): number {
  return mode === 'rnn_relu' ? (x > 0 || Number.isNaN(x) ? x : 0) : Math.tanh(x);
}

export function rnnForward(out: TypedArray, ws: TypedArray, xproj: TypedArray, whh: TypedArray, bhh: TypedArray, h0: TypedArray, c0: TypedArray, whr: TypedArray, plan: RnnPlan): void {
  const { mode, steps: T, batch: N, hidden: H, proj: P, reverse } = plan;
  const { gates, outWidth: S, wsWidth: W } = rnnLayout(plan);
  const GH = gates * H;
  const hp = like(out, N * P);
  hp.set(h0);
  const hh = like(out, N * GH);
  const r = P !== H ? like(out, N * H) : null;
  const hproj = P !== H ? like(out, N * P) : null;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    gemm(hh, hp, whh, N, GH, P, false, true);
    for (let i = 0; i < N; i++) {
      const x = (t * N + i) * GH;
      const g = i * GH;
      const o = (t * N + i) * S;
      const w = (t * N + i) * W;
      for (let j = 0; j < H; j++) {
        if (mode === 'lstm') {
          const ig = sigmoid(xproj[x + j]! + bhh[j]! + hh[g + j]!);
          const fg = sigmoid(xproj[x + H + j]! + bhh[H + j]! + hh[g + H + j]!);
          const gg = Math.tanh(xproj[x + 2 * H + j]! + bhh[2 * H + j]! + hh[g + 2 * H + j]!);
          const og = sigmoid(xproj[x + 3 * H + j]! + bhh[3 * H + j]! + hh[g + 3 * H + j]!);
          ws[w + j] = ig;
          ws[w + H + j] = fg;
          ws[w + 2 * H + j] = gg;
          ws[w + 3 * H + j] = og;
          const cprev = s === 0 ? c0[i * H + j]! : out[(tp * N + i) * S + P + j]!;
          out[o + P + j] = ws[w + H + j]! * cprev + ws[w + j]! * ws[w + 2 * H + j]!;
          ws[w + 4 * H + j] = Math.tanh(out[o + P + j]!);
          const hv = ws[w + 3 * H + j]! * ws[w + 4 * H + j]!;
          if (r) r[i * H + j] = hv;
          else out[o + j] = hv;
        } else if (mode === 'gru') {
          const rg = sigmoid(xproj[x + j]! + bhh[j]! + hh[g + j]!);
          const zg = sigmoid(xproj[x + H + j]! + bhh[H + j]! + hh[g + H + j]!);
          ws[w + j] = rg;
          ws[w + H + j] = zg;
          ws[w + 3 * H + j] = bhh[2 * H + j]! + hh[g + 2 * H + j]!;
          ws[w + 2 * H + j] = Math.tanh(xproj[x + 2 * H + j]! + ws[w + j]! * ws[w + 3 * H + j]!);
          const z = ws[w + H + j]!;
          out[o + j] = (1 - z) * ws[w + 2 * H + j]! + z * hp[i * P + j]!;
        } else {
          out[o + j] = activate(mode, xproj[x + j]! + bhh[j]! + hh[g + j]!);
        }
      }
    }
    if (r && hproj) {
      gemm(hproj, r, whr, N, P, H, false, true);
      for (let i = 0; i < N; i++) for (let j = 0; j < P; j++) out[(t * N + i) * S + j] = hproj[i * P + j]!;
    }
    takeState(hp, out, t, N, P, S, 0);
  }
}

export function rnnBackward(grads: TypedArray, dout: TypedArray, out: TypedArray, ws: TypedArray, whh: TypedArray, h0: TypedArray, c0: TypedArray, whr: TypedArray, plan: RnnPlan): void {
  const { mode, steps: T, batch: N, hidden: H, proj: P, reverse } = plan;
  const { gates, outWidth: S, wsWidth: W } = rnnLayout(plan);
  const L = rnnGradLayout(plan);
  const GH = gates * H;
  const projected = P !== H;
  // GRU's h2h gradient differs from the input projection's in the n block, so it gets its own.
  const dhhAll = mode === 'gru' ? like(out, T * N * GH) : grads.subarray(0, T * N * GH);
  const dh = like(out, N * P);
  const dc = like(out, N * H);
  const dht = like(out, N * P);
  const dr = projected ? like(out, N * H) : dht;
  const dhDirect = like(out, N * P);
  const hpAll = like(out, T * N * P);
  const dhAll = projected ? like(out, T * N * P) : null;
  const rAll = projected ? like(out, T * N * H) : null;
  const next = like(out, N * P);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const hpOff = t * N * P;
    if (s === 0) hpAll.set(h0, hpOff);
    else takeState(hpAll.subarray(hpOff, hpOff + N * P), out, tp, N, P, S, 0);
    for (let k = 0; k < N * P; k++) {
      const i = Math.floor(k / P);
      dht[k] = dout[(t * N + i) * S + (k % P)]! + dh[k]!;
    }
    if (projected) {
      dhAll!.set(dht, t * N * P);
      gemm(dr, dht, whr, N, H, P, false, false);
    }
    for (let i = 0; i < N; i++) {
      const x = (t * N + i) * GH;
      const o = (t * N + i) * S;
      const w = (t * N + i) * W;
      for (let j = 0; j < H; j++) {
        if (mode === 'lstm') {
          const ig = ws[w + j]!;
          const fg = ws[w + H + j]!;
          const gg = ws[w + 2 * H + j]!;
          const og = ws[w + 3 * H + j]!;
          const tc = ws[w + 4 * H + j]!;
          const d = dr[i * H + j]!;
          if (rAll) rAll[(t * N + i) * H + j] = og * tc;
          const cprev = s === 0 ? c0[i * H + j]! : out[(tp * N + i) * S + P + j]!;
          const dct = dout[o + P + j]! + dc[i * H + j]! + d * og * (1 - tc * tc);
          grads[x + j] = dct * gg * ig * (1 - ig);
          grads[x + H + j] = dct * cprev * fg * (1 - fg);
          grads[x + 2 * H + j] = dct * ig * (1 - gg * gg);
          grads[x + 3 * H + j] = d * tc * og * (1 - og);
          dc[i * H + j] = dct * fg;
        } else if (mode === 'gru') {
          const rg = ws[w + j]!;
          const zg = ws[w + H + j]!;
          const ng = ws[w + 2 * H + j]!;
          const hhn = ws[w + 3 * H + j]!;
          const d = dht[i * P + j]!;
          const hpv = hpAll[hpOff + i * P + j]!;
          const dnp = d * (1 - zg) * (1 - ng * ng);
          const drp = dnp * hhn * rg * (1 - rg);
          const dzp = d * (hpv - ng) * zg * (1 - zg);
          grads[x + j] = drp;
          grads[x + H + j] = dzp;
          grads[x + 2 * H + j] = dnp;
          dhhAll[x + j] = drp;
          dhhAll[x + H + j] = dzp;
          dhhAll[x + 2 * H + j] = dnp * rg;
          dhDirect[i * P + j] = d * zg;
        } else {
          const hv = out[o + j]!;
          const d = dht[i * P + j]!;
          grads[x + j] = mode === 'rnn_relu' ? (hv > 0 ? d : 0) : d * (1 - hv * hv);
        }
      }
    }
    gemm(next, dhhAll.subarray(t * N * GH, (t + 1) * N * GH), whh, N, P, GH, false, false);
    for (let k = 0; k < N * P; k++) dh[k] = mode === 'gru' ? next[k]! + dhDirect[k]! : next[k]!;
  }
  grads.set(dh, L.dh0);
  if (mode === 'lstm') grads.set(dc, L.dc0);
  gemm(grads.subarray(L.dwhh, L.dbhh), dhhAll, hpAll, GH, P, T * N, true, false);
  for (let g = 0; g < GH; g++) {
    let sum = 0;
    for (let k = 0; k < T * N; k++) sum += dhhAll[k * GH + g]!;
    grads[L.dbhh + g] = sum;
  }
  if (projected) gemm(grads.subarray(L.dwhr, L.total), dhAll!, rAll!, P, H, T * N, true, false);
}
