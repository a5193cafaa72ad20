/**
 * Geometric image transforms, as Gluon's: `Resize` (bilinear or nearest), `CenterCrop`, and the
 * random flips used for augmentation. They work on (H, W, C) images or (N, H, W, C) batches
 * before `ToTensor`, in any dtype (uint8 results are rounded). Random transforms draw one number
 * per image from tsgluon's current generator, in sample order, so a whole batch and the same
 * images one at a time get the same flips, and `nd.random.seed` reproduces them.
 */
import { allocate } from '../../../core/dtype.js';
import { currentGenerator } from '../../../core/rng.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../../core/errors.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import type { Transform } from './transforms.js';

/** (n, h, w, c) of an image or a batch, and whether it was a single image. */
function dims(x: NDArray, name: string): { n: number; h: number; w: number; c: number; single: boolean } {
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new ShapeError(`${name}: expected an image (H, W, C) or a batch (N, H, W, C) before ToTensor, got shape ${fmtShape(x.shape)}`);
  }
  const [n, h, w, c] = (x.ndim === 3 ? [1, ...x.shape] : x.shape) as [number, number, number, number];
  return { n, h, w, c, single: x.ndim === 3 };
}

function outArray(x: NDArray, n: number, h: number, w: number, c: number, single: boolean): NDArray {
  const shape = single ? [h, w, c] : [n, h, w, c];
  return new NDArray(allocate(x.dtype, n * h * w * c), shape, x.dtype);
}

/** A size given as one number (square) or Gluon's `[width, height]`. */
function parseSize(size: number | readonly [number, number], name: string): [number, number] {
  const [w, h] = typeof size === 'number' ? [size, size] : size;
  if (![w, h].every((v) => Number.isInteger(v) && v! > 0)) {
    throw new ValueError(`${name}: size must be a positive integer or [width, height] of them, got ${fmtValue(size)}`);
  }
  return [w!, h!];
}

/**
 * Resizes to `size` (one number: a square; or `[width, height]`, Gluon's order). `keepRatio`
 * with one number scales the shorter side to it. Bilinear interpolation samples pixel centers
 * (OpenCV's convention, which MXNet uses); `interpolation: 'nearest'` copies the nearest pixel.
 * @example new transforms.Resize(224)   // D2L's load_data_fashion_mnist(batch, resize=224)
 */
export class Resize implements Transform {
  readonly batchable = true;
  readonly size: number | readonly [number, number];
  readonly keepRatio: boolean;
  readonly interpolation: 'bilinear' | 'nearest';

  constructor(size: number | readonly [number, number], options: { keepRatio?: boolean; interpolation?: 'bilinear' | 'nearest' } = {}) {
    parseSize(size, 'Resize');
    this.size = size;
    this.keepRatio = options.keepRatio ?? false;
    this.interpolation = options.interpolation ?? 'bilinear';
    if (this.interpolation !== 'bilinear' && this.interpolation !== 'nearest') {
      throw new ValueError(`Resize: interpolation must be 'bilinear' or 'nearest', got ${fmtValue(this.interpolation)}`);
    }
  }

  /** The output (height, width) for an input of (h, w). */
  outputSize(h: number, w: number): [number, number] {
    if (typeof this.size === 'number' && this.keepRatio) {
      const s = this.size;
      return h <= w ? [s, Math.max(1, Math.round((w * s) / h))] : [Math.max(1, Math.round((h * s) / w)), s];
    }
    const [ow, oh] = parseSize(this.size, 'Resize');
    return [oh, ow];
  }

  forward(x: NDArray): NDArray {
    const { n, h, w, c, single } = dims(x, 'Resize');
    const [oh, ow] = this.outputSize(h, w);
    const out = outArray(x, n, oh, ow, c, single);
    const src = x.storage;
    const dst = out.storage;
    const round = x.dtype === 'uint8' || x.dtype === 'int32';
    const sy = h / oh;
    const sx = w / ow;
    // Source coordinates and weights per output column and row, computed once for the batch.
    const x0 = new Int32Array(ow);
    const x1 = new Int32Array(ow);
    const fx = new Float64Array(ow);
    for (let j = 0; j < ow; j++) {
      const pos = this.interpolation === 'nearest' ? Math.min(w - 1, Math.floor(j * sx)) : Math.min(Math.max((j + 0.5) * sx - 0.5, 0), w - 1);
      x0[j] = Math.floor(pos);
      x1[j] = Math.min(x0[j]! + 1, w - 1);
      fx[j] = pos - x0[j]!;
    }
    for (let s = 0; s < n; s++) {
      const base = s * h * w * c;
      const obase = s * oh * ow * c;
      for (let i = 0; i < oh; i++) {
        const pos = this.interpolation === 'nearest' ? Math.min(h - 1, Math.floor(i * sy)) : Math.min(Math.max((i + 0.5) * sy - 0.5, 0), h - 1);
        const y0 = Math.floor(pos);
        const y1 = Math.min(y0 + 1, h - 1);
        const fy = pos - y0;
        for (let j = 0; j < ow; j++) {
          const a = base + (y0 * w + x0[j]!) * c;
          const b = base + (y0 * w + x1[j]!) * c;
          const d = base + (y1 * w + x0[j]!) * c;
          const e = base + (y1 * w + x1[j]!) * c;
          const o = obase + (i * ow + j) * c;
          const wx = fx[j]!;
          for (let ch = 0; ch < c; ch++) {
            const top = src[a + ch]! + (src[b + ch]! - src[a + ch]!) * wx;
            const bottom = src[d + ch]! + (src[e + ch]! - src[d + ch]!) * wx;
            const v = top + (bottom - top) * fy;
            dst[o + ch] = round ? Math.round(v) : v;
          }
        }
      }
    }
    return out;
  }

  toString(): string {
    return `Resize(size=${JSON.stringify(this.size)}, keepRatio=${this.keepRatio}, interpolation=${this.interpolation})`;
  }
}

/**
 * Crops the center `size` (one number: a square; or `[width, height]`); an image smaller than
 * the crop is an error (resize it first).
 * @example new transforms.CenterCrop(24)
 */
export class CenterCrop implements Transform {
  readonly batchable = true;
  readonly size: readonly [number, number];

  constructor(size: number | readonly [number, number]) {
    this.size = parseSize(size, 'CenterCrop');
  }

  forward(x: NDArray): NDArray {
    const { n, h, w, c, single } = dims(x, 'CenterCrop');
    const [cw, chh] = this.size;
    if (cw > w || chh > h) {
      throw new ShapeError(`CenterCrop: a ${cw}x${chh} crop does not fit an image of ${w}x${h} (shape ${fmtShape(x.shape)}); resize it first`);
    }
    const top = Math.floor((h - chh) / 2);
    const left = Math.floor((w - cw) / 2);
    const out = outArray(x, n, chh, cw, c, single);
    const src = x.storage;
    const dst = out.storage;
    const rowLen = cw * c;
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < chh; i++) {
        const from = ((s * h + top + i) * w + left) * c;
        dst.set(src.subarray(from, from + rowLen), (s * chh + i) * rowLen);
      }
    }
    return out;
  }

  toString(): string {
    return `CenterCrop(${this.size[0]}x${this.size[1]})`;
  }
}

/** Mirrors each image left-right (`horizontal`) or top-bottom with probability `p`, one draw per image. */
function randomFlip(x: NDArray, p: number, horizontal: boolean, name: string): NDArray {
  const { n, h, w, c, single } = dims(x, name);
  const g = currentGenerator();
  const out = outArray(x, n, h, w, c, single);
  const src = x.storage;
  const dst = out.storage;
  const image = h * w * c;
  const rowLen = w * c;
  for (let s = 0; s < n; s++) {
    const flip = g.nextFloat() < p;
    const base = s * image;
    if (!flip) {
      dst.set(src.subarray(base, base + image), base);
      continue;
    }
    for (let i = 0; i < h; i++) {
      if (!horizontal) {
        const from = base + (h - 1 - i) * rowLen;
        dst.set(src.subarray(from, from + rowLen), base + i * rowLen);
        continue;
      }
      for (let j = 0; j < w; j++) {
        const from = base + i * rowLen + (w - 1 - j) * c;
        dst.set(src.subarray(from, from + c), base + i * rowLen + j * c);
      }
    }
  }
  return out;
}

function checkP(p: number, name: string): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError(`${name}: p must be a probability in [0, 1], got ${fmtValue(p)}`);
  return p;
}

/**
 * Mirrors each image left-right with probability `p` (default 0.5).
 * @example new transforms.RandomFlipLeftRight()
 */
export class RandomFlipLeftRight implements Transform {
  readonly batchable = true;
  readonly p: number;

  constructor(p = 0.5) {
    this.p = checkP(p, 'RandomFlipLeftRight');
  }

  forward(x: NDArray): NDArray {
    return randomFlip(x, this.p, true, 'RandomFlipLeftRight');
  }

  toString(): string {
    return `RandomFlipLeftRight(p=${this.p})`;
  }
}

/**
 * Mirrors each image top-bottom with probability `p` (default 0.5).
 * @example new transforms.RandomFlipTopBottom()
 */
export class RandomFlipTopBottom implements Transform {
  readonly batchable = true;
  readonly p: number;

  constructor(p = 0.5) {
    this.p = checkP(p, 'RandomFlipTopBottom');
  }

  forward(x: NDArray): NDArray {
    return randomFlip(x, this.p, false, 'RandomFlipTopBottom');
  }

  toString(): string {
    return `RandomFlipTopBottom(p=${this.p})`;
  }
}
