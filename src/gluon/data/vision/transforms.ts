/**
 * Image transforms, as Gluon's `gluon.data.vision.transforms`: `ToTensor` (HWC uint8 in [0, 255]
 * to CHW float32 in [0, 1]), `Normalize` (per-channel mean and standard deviation), `Cast`, and
 * `Compose`; the geometric ones (`Resize`, `CenterCrop`, random flips) live in geometry.ts and are
 * re-exported here. Each has `forward(x)` like a block and accepts one image or a batch with a leading
 * sample axis (`batchable`), so the DataLoader can transform a whole batch in one pass instead of
 * building one array per image. They prepare data and are not recorded by autograd.
 */
import { allocate, isFloat, type DType } from '../../../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../../../core/errors.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { checkDType } from '../../../ndarray/creation.js';

/** A transform of images: `forward` maps an image (or a batch of them) to a new array. */
export interface Transform {
  forward(x: NDArray): NDArray;
  /** True when `forward` also accepts a batch and treats each sample as it would alone. */
  readonly batchable: boolean;
}

/**
 * (H, W, C) or (N, H, W, C) values in [0, 255] (any dtype) to float32 (C, H, W) or (N, C, H, W)
 * in [0, 1].
 * @example const x = new transforms.ToTensor().forward(image);  // (28, 28, 1) uint8 -> (1, 28, 28)
 */
export class ToTensor implements Transform {
  readonly batchable = true;

  forward(x: NDArray): NDArray {
    if (x.ndim !== 3 && x.ndim !== 4) {
      throw new ShapeError(
        `ToTensor: expected an image (H, W, C) or a batch (N, H, W, C), got shape ${fmtShape(x.shape)}; ` +
          `a grayscale (H, W) image needs a channel axis: x.reshape([H, W, 1])`,
      );
    }
    const [n, h, w, c] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
    const src = x.storage;
    const out = new Float32Array(x.size);
    const plane = h! * w!;
    const image = plane * c!;
    const scale = 1 / 255;
    for (let s = 0; s < n!; s++) {
      const base = s * image;
      if (c === 1) {
        for (let p = 0; p < plane; p++) out[base + p] = src[base + p]! * scale;
        continue;
      }
      for (let p = 0; p < plane; p++) {
        for (let ch = 0; ch < c!; ch++) out[base + ch * plane + p] = src[base + p * c! + ch]! * scale;
      }
    }
    const shape = x.ndim === 3 ? [c!, h!, w!] : [n!, c!, h!, w!];
    return new NDArray(out, shape, 'float32');
  }

  toString(): string {
    return 'ToTensor()';
  }
}

function channelValues(v: number | readonly number[], what: string): number[] {
  const values = typeof v === 'number' ? [v] : [...v];
  if (values.length === 0 || values.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ValueError(`Normalize: ${what} must be a finite number or a non-empty list of them, got ${fmtValue(v)}`);
  }
  return values;
}

/**
 * Subtracts `mean` and divides by `std` per channel of a float (C, H, W) image or (N, C, H, W)
 * batch: `out[c] = (x[c] - mean[c]) / std[c]`. A single number applies to every channel.
 * @example new transforms.Normalize(0.1307, 0.3081)   // MNIST's statistics
 */
export class Normalize implements Transform {
  readonly batchable = true;
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: number | readonly number[] = 0, std: number | readonly number[] = 1) {
    this.mean = channelValues(mean, 'mean');
    this.std = channelValues(std, 'std');
    if (this.std.some((s) => s === 0)) throw new ValueError(`Normalize: std must not contain 0, got [${this.std.join(', ')}]`);
  }

  forward(x: NDArray): NDArray {
    if (!isFloat(x.dtype)) {
      throw new DTypeError(`Normalize: expects a float image, got ${x.dtype}; apply ToTensor first (Compose([new ToTensor(), new Normalize(...)]))`);
    }
    if (x.ndim !== 3 && x.ndim !== 4) {
      throw new ShapeError(`Normalize: expected an image (C, H, W) or a batch (N, C, H, W), got shape ${fmtShape(x.shape)}`);
    }
    const [n, c, h, w] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
    for (const [name, v] of [['mean', this.mean], ['std', this.std]] as const) {
      if (v.length !== 1 && v.length !== c) {
        throw new ShapeError(`Normalize: ${name} has ${v.length} values but the image has ${c} channels (shape ${fmtShape(x.shape)}); give 1 or ${c}`);
      }
    }
    const src = x.storage;
    const out = allocate(x.dtype, x.size);
    const plane = h! * w!;
    for (let s = 0; s < n!; s++) {
      for (let ch = 0; ch < c!; ch++) {
        const m = this.mean.length === 1 ? this.mean[0]! : this.mean[ch]!;
        const inv = 1 / (this.std.length === 1 ? this.std[0]! : this.std[ch]!);
        const base = (s * c! + ch) * plane;
        for (let p = 0; p < plane; p++) out[base + p] = (src[base + p]! - m) * inv;
      }
    }
    return new NDArray(out, x.shape, x.dtype);
  }

  toString(): string {
    return `Normalize(mean=[${this.mean.join(', ')}], std=[${this.std.join(', ')}])`;
  }
}

/**
 * Converts to another dtype (values are kept; integer targets truncate toward zero).
 * @example new transforms.Cast('float32')
 */
export class Cast implements Transform {
  readonly batchable = true;
  readonly dtype: DType;

  constructor(dtype: DType = 'float32') {
    this.dtype = checkDType(dtype, 'Cast');
  }

  forward(x: NDArray): NDArray {
    const out = allocate(this.dtype, x.size);
    out.set(x.storage);
    return new NDArray(out, x.shape, this.dtype);
  }

  toString(): string {
    return `Cast(${this.dtype})`;
  }
}

/** A step of `Compose`: a transform, or a plain function of one image (not batchable). */
export type TransformStep = Transform | ((x: NDArray) => NDArray);

/**
 * Applies transforms in order. Batchable when every step is.
 * @example const t = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize(0.5, 0.5)]);
 */
export class Compose implements Transform {
  readonly steps: readonly TransformStep[];
  readonly batchable: boolean;

  constructor(steps: readonly TransformStep[]) {
    this.steps = [...steps];
    this.steps.forEach((t, i) => {
      if (typeof t !== 'function' && (t === null || typeof t !== 'object' || typeof t.forward !== 'function')) {
        throw new ValueError(`Compose: step ${i} is neither a transform (with forward) nor a function`);
      }
    });
    this.batchable = this.steps.every((t) => typeof t !== 'function' && t.batchable);
  }

  forward(x: NDArray): NDArray {
    let y = x;
    for (const t of this.steps) y = typeof t === 'function' ? t(y) : t.forward(y);
    return y;
  }

  toString(): string {
    return `Compose(\n${this.steps.map((t) => `  ${typeof t === 'function' ? t.name || 'function' : String(t)}`).join('\n')}\n)`;
  }
}

export { Resize, CenterCrop, RandomFlipLeftRight, RandomFlipTopBottom } from './geometry.js';
