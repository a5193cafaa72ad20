/**
 * Reference kernels for sliding-window ops: im2col / col2im (convolution becomes one GEMM, and
 * its gradients the adjoint copy) and max / average pooling with their gradients.
 *
 * Every kernel works on three spatial axes (D, H, W); 1-D and 2-D ops arrive with leading
 * extents of 1. For each kernel offset the range of output positions whose input cell lies
 * inside the array is computed once, so the innermost loops carry no bounds checks.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { AvgPoolPlan, WindowPlan } from '../kernels.js';

/** Output positions o in [lo, hi) with 0 <= o * stride - pad + offset < size. */
function validRange(outLen: number, size: number, stride: number, pad: number, offset: number): [number, number] {
  const shift = pad - offset;
  const lo = shift > 0 ? Math.ceil(shift / stride) : 0;
  const hi = Math.min(outLen, Math.floor((size - 1 + shift) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Walks every in-bounds (column entry, input cell) pair of the im2col layout: with `toCols`,
 * cols[(n, c, kd, kh, kw), (od, oh, ow)] = x[n, c, id, ih, iw]; otherwise the adjoint,
 * x[n, c, id, ih, iw] += cols[...]. The direction is chosen once per row, outside the inner loop.
 */
function columnTransfer(x: TypedArray, cols: TypedArray, plan: WindowPlan, toCols: boolean): void {
  const { batch, channels, in: [D, H, W], out: [OD, OH, OW], kernel: [KD, KH, KW], stride: [SD, SH, SW], pad: [PD, PH, PW], dilation: [DD, DH, DW] } = plan;
  const L = OD * OH * OW;
  const K = KD * KH * KW;
  const inSize = D * H * W;
  for (let nc = 0; nc < batch * channels; nc++) {
    const xBase = nc * inSize;
    for (let kd = 0; kd < KD; kd++) {
      const [d0, d1] = validRange(OD, D, SD, PD, kd * DD);
      for (let kh = 0; kh < KH; kh++) {
        const [h0, h1] = validRange(OH, H, SH, PH, kh * DH);
        for (let kw = 0; kw < KW; kw++) {
          const [w0, w1] = validRange(OW, W, SW, PW, kw * DW);
          const row = (nc * K + (kd * KH + kh) * KW + kw) * L;
          for (let od = d0; od < d1; od++) {
            const id = od * SD - PD + kd * DD;
            for (let oh = h0; oh < h1; oh++) {
              const ih = oh * SH - PH + kh * DH;
              const xRow = xBase + (id * H + ih) * W - PW + kw * DW;
              const cRow = row + (od * OH + oh) * OW;
              if (toCols) for (let ow = w0; ow < w1; ow++) cols[cRow + ow] = x[xRow + ow * SW]!;
              else for (let ow = w0; ow < w1; ow++) x[xRow + ow * SW]! += cols[cRow + ow]!;
            }
          }
        }
      }
    }
  }
}

/**
 * cols[(n, c, kd, kh, kw), (od, oh, ow)] = x[n, c, id, ih, iw] for every in-bounds cell; the
 * caller passes cols zeroed, so out-of-bounds (padding) entries stay 0.
 */
export function im2col(cols: TypedArray, x: TypedArray, plan: WindowPlan): void {
  columnTransfer(x, cols, plan, true);
}

/** The adjoint of im2col: each column entry is added back to the input cell it was read from. */
export function col2im(gx: TypedArray, cols: TypedArray, plan: WindowPlan): void {
  columnTransfer(gx, cols, plan, false);
}

/** The clipped window [start, end) along one axis for output position o. */
function windowBounds(o: number, stride: number, pad: number, size: number, k: number, dil: number): [number, number] {
  const start = o * stride - pad;
  const lo = start < 0 ? start + Math.ceil(-start / dil) * dil : start;
  let hi = start + (k - 1) * dil + 1;
  if (hi > size) hi = size;
  return [lo, hi];
}

/**
 * Index (within one (n, c) plane) of the first maximum of the window at (od, oh, ow), or -1 when
 * the window holds no input cell.
 */
function argmaxWindow(x: TypedArray, base: number, plan: WindowPlan, od: number, oh: number, ow: number): number {
  const { in: [D, H, W], kernel: [KD, KH, KW], stride: [SD, SH, SW], pad: [PD, PH, PW], dilation: [DD, DH, DW] } = plan;
  const [d0, d1] = windowBounds(od, SD, PD, D, KD, DD);
  const [h0, h1] = windowBounds(oh, SH, PH, H, KH, DH);
  const [w0, w1] = windowBounds(ow, SW, PW, W, KW, DW);
  let best = -Infinity;
  let at = -1;
  for (let d = d0; d < d1; d += DD) {
    for (let h = h0; h < h1; h += DH) {
      const r = (d * H + h) * W;
      for (let w = w0; w < w1; w += DW) {
        const v = x[base + r + w]!;
        // NaN propagates: it is taken as the maximum, as NumPy's max does.
        if (v > best || at < 0 || v !== v) {
          best = v;
          at = r + w;
          if (v !== v) return at;
        }
      }
    }
  }
  return at;
}

export function maxPool(out: TypedArray, x: TypedArray, plan: WindowPlan): void {
  const { batch, channels, in: [D, H, W], out: [OD, OH, OW] } = plan;
  const inSize = D * H * W;
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const base = nc * inSize;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const at = argmaxWindow(x, base, plan, od, oh, ow);
          out[o++] = at < 0 ? -Infinity : x[base + at]!;
        }
      }
    }
  }
}

export function maxPoolGrad(gx: TypedArray, g: TypedArray, x: TypedArray, plan: WindowPlan): void {
  const { batch, channels, in: [D, H, W], out: [OD, OH, OW] } = plan;
  gx.fill(0);
  const inSize = D * H * W;
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const base = nc * inSize;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          const at = argmaxWindow(x, base, plan, od, oh, ow);
          if (at >= 0) gx[base + at]! += g[o]!;
        }
      }
    }
  }
}

/** Cells of one window along one axis; padding counts up to the padded edge, never beyond. */
function extent(o: number, s: number, p: number, size: number, k: number, includePad: boolean): number {
  const start = o * s - p;
  const end = Math.min(start + k, size + p);
  return includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
}

/** The divisor of the window at (od, oh, ow): its cell count, with or without padding. */
function avgDivisor(plan: AvgPoolPlan, od: number, oh: number, ow: number): number {
  const { in: [D, H, W], kernel: [KD, KH, KW], stride: [SD, SH, SW], pad: [PD, PH, PW], countIncludePad } = plan;
  return (
    extent(od, SD, PD, D, KD, countIncludePad) * extent(oh, SH, PH, H, KH, countIncludePad) * extent(ow, SW, PW, W, KW, countIncludePad)
  );
}

/**
 * Average pooling in either direction, one traversal: forward sums each window of `src` into
 * `dst[o]` and divides; backward spreads `src[o] / divisor` over the window in `dst`. The
 * direction is chosen per window row, outside the innermost loop.
 */
function avgPoolTraverse(dst: TypedArray, src: TypedArray, plan: AvgPoolPlan, backward: boolean): void {
  const { batch, channels, in: [D, H, W], out: [OD, OH, OW], kernel: [KD, KH, KW], stride: [SD, SH, SW], pad: [PD, PH, PW] } = plan;
  const inSize = D * H * W;
  let o = 0;
  for (let nc = 0; nc < batch * channels; nc++) {
    const base = nc * inSize;
    for (let od = 0; od < OD; od++) {
      const [d0, d1] = windowBounds(od, SD, PD, D, KD, 1);
      for (let oh = 0; oh < OH; oh++) {
        const [h0, h1] = windowBounds(oh, SH, PH, H, KH, 1);
        for (let ow = 0; ow < OW; ow++, o++) {
          const [w0, w1] = windowBounds(ow, SW, PW, W, KW, 1);
          const div = avgDivisor(plan, od, oh, ow);
          if (div <= 0) {
            if (!backward) dst[o] = 0;
            continue;
          }
          const v = backward ? src[o]! / div : 0;
          let sum = 0;
          for (let d = d0; d < d1; d++) {
            for (let h = h0; h < h1; h++) {
              const r = base + (d * H + h) * W;
              if (backward) for (let w = w0; w < w1; w++) dst[r + w]! += v;
              else for (let w = w0; w < w1; w++) sum += src[r + w]!;
            }
          }
          if (!backward) dst[o] = sum / div;
        }
      }
    }
  }
}

export function avgPool(out: TypedArray, x: TypedArray, plan: AvgPoolPlan): void {
  avgPoolTraverse(out, x, plan, false);
}

export function avgPoolGrad(gx: TypedArray, g: TypedArray, plan: AvgPoolPlan): void {
  gx.fill(0);
  avgPoolTraverse(gx, g, plan, true);
}
