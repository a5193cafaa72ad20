/**
 * MNIST and Fashion-MNIST from their IDX files, as Gluon's `gluon.data.vision.MNIST` and
 * `FashionMNIST`: samples are `[image, label]` with image (28, 28, 1) uint8 and label a 0-d int32.
 *
 * Files are looked up, gzipped or not, in `root` (default `~/.tsgluon/datasets/<name>`, or
 * `$TSGLUON_DATASETS/<name>`), then in system folders (Debian's `dataset-fashion-mnist` package
 * installs to /usr/share/datasets/fashion-mnist). `new MNIST(...)` reads what is there, synchronously;
 * `await MNIST.load(...)` also downloads missing files from the dataset's canonical address,
 * checking each file's MD5 checksum.
 */
import { FormatError, ShapeError, TsGluonError, ValueError, fmtShape, fmtValue } from '../../../core/errors.js';
import { env, nodeModule } from '../../../core/platform.js';
import { checkOptions } from '../../../core/public.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { readIdx, readIdxSync } from '../../../io/idx.js';
import { Dataset, gatherRows, type TransformLike } from '../dataset.js';
import type { Batched } from '../batchify.js';
import { stack } from '../batchify.js';
import { downloadFile } from '../download.js';

/** A dataset's files were not found anywhere it looks (and were not downloaded). */
export class DatasetNotFoundError extends TsGluonError {}

/** Where a dataset's files come from: file names with their MD5, and the mirrors to try. */
export interface IdxResources {
  /** Folder name under the datasets root, e.g. 'mnist'. */
  name: string;
  /** Base URLs, tried in order; the file name is appended. */
  mirrors: readonly string[];
  /** Folders searched after `root` (e.g. where a system package installs the files). */
  systemDirs: readonly string[];
  train: { images: IdxFile; labels: IdxFile };
  test: { images: IdxFile; labels: IdxFile };
}

/** One file: its canonical (gzipped) name and the MD5 of those bytes. */
export interface IdxFile {
  file: string;
  md5: string;
}

/** Options of `MNIST` and `FashionMNIST`. */
export interface MNISTOptions {
  /** The folder holding the files (default `$TSGLUON_DATASETS/<name>` or `~/.tsgluon/datasets/<name>`). */
  root?: string;
  /** The training set (60,000 images, default) or the test set (10,000). */
  train?: boolean;
  /** Applied to each image (not the label); batch-capable transforms apply to whole batches. */
  transform?: TransformLike<NDArray, NDArray>;
}

/** Options of `MNIST.load`. */
export interface MNISTLoadOptions extends MNISTOptions {
  /** Download missing files (default true, unless the environment sets TSGLUON_OFFLINE=1). */
  download?: boolean;
  /** Draw download progress bars (default: when stderr is a terminal). */
  progress?: boolean;
  /** Mirrors to try instead of the dataset's own. */
  mirrors?: readonly string[];
}

// Datasets on disk are a Node matter (node:fs, node:path load on first use).
const FILES_INSTEAD = 'in a browser, build the dataset from arrays (gluon.data.ArrayDataset, or ImageLabelDataset over decoded IDX bytes) or use `await vision.Digits.load()`';
const join = (...parts: string[]) => nodeModule<typeof import('node:path')>('node:path', 'dataset paths', FILES_INSTEAD).join(...parts);
const existsSync = (path: string) => nodeModule<typeof import('node:fs')>('node:fs', `looking for ${path}`, FILES_INSTEAD).existsSync(path);

/** The default folder for a dataset: `$TSGLUON_DATASETS/<name>`, else `~/.tsgluon/datasets/<name>`. */
export function defaultRoot(name: string): string {
  const { homedir } = nodeModule<typeof import('node:os')>('node:os', `finding the ${name} files`, FILES_INSTEAD);
  return join(env('TSGLUON_DATASETS') ?? join(homedir(), '.tsgluon', 'datasets'), name);
}

function candidates(dir: string, file: string): string[] {
  const raw = file.replace(/\.gz$/, '');
  return [join(dir, file), join(dir, raw)];
}

/**
 * A dataset of images (N, H, W, C) with integer labels (N,): the common base of `MNIST`,
 * `FashionMNIST` and `Digits`. Samples are `[image, label]`; `images` and `labels` expose the
 * whole arrays (for evaluating on a full test set at once).
 * @example const ds = new gluon.data.vision.ImageLabelDataset(images, labels);
 */
export class ImageLabelDataset extends Dataset<[NDArray, NDArray]> {
  /** All images, (N, H, W, C). */
  readonly images: NDArray;
  /** All labels, (N,) int32. */
  readonly labels: NDArray;
  readonly #transform: TransformLike<NDArray, NDArray> | undefined;

  constructor(images: NDArray, labels: NDArray, transform?: TransformLike<NDArray, NDArray>) {
    super();
    const who = new.target.name;
    if (!NDArray.isInstance(images) || !NDArray.isInstance(labels)) {
      throw new ValueError(`${who}: images and labels must be NDArrays, got ${fmtValue(images)} and ${fmtValue(labels)}`);
    }
    if (images.isShapeOnly || labels.isShapeOnly) {
      throw new ValueError(`${who}: images and labels must hold values; got a shape-only array (from shape inference) for ${images.isShapeOnly ? 'images' : 'labels'}`);
    }
    if (transform !== undefined && typeof transform !== 'function' && !(transform !== null && typeof transform === 'object' && typeof (transform as { forward?: unknown }).forward === 'function')) {
      throw new ValueError(`${who}: transform must be a function or a transform with forward(), got ${fmtValue(transform)}`);
    }
    if (images.ndim < 2 || labels.ndim !== 1 || images.shape[0] !== labels.shape[0]) {
      throw new ShapeError(`ImageLabelDataset: need images (N, ...) and labels (N,), got ${fmtShape(images.shape)} and ${fmtShape(labels.shape)}`);
    }
    this.images = images;
    this.labels = labels;
    this.#transform = transform;
  }

  get length(): number {
    return this.labels.shape[0]!;
  }

  get(i: number): [NDArray, NDArray] {
    this.checkIndex(i);
    const x = gatherRows(this.images, [i]);
    const image = new NDArray(x.storage, x.shape.slice(1), x.dtype);
    const label = new NDArray(gatherRows(this.labels, [i]).storage, [], this.labels.dtype);
    return [this.#transform ? applyTransform(this.#transform, image) : image, label];
  }

  override _batch(indices: Int32Array): Batched<[NDArray, NDArray]> {
    for (const i of indices) this.checkIndex(i);
    const labels = gatherRows(this.labels, indices);
    const t = this.#transform;
    if (t === undefined) return [gatherRows(this.images, indices), labels];
    if (typeof t !== 'function' && t.batchable) return [t.forward(gatherRows(this.images, indices)), labels];
    return [stack(Array.from(indices, (i) => this.get(i)[0])), labels];
  }
}

/**
 * The MNIST handwritten digits (60,000 training and 10,000 test images of 28x28 pixels).
 * @example
 * const train = await gluon.data.vision.MNIST.load({ train: true });
 * const loader = new gluon.data.DataLoader(train.transformFirst(new transforms.ToTensor()), { batchSize: 128, shuffle: true });
 */
export class MNIST extends ImageLabelDataset {
  static resources: IdxResources = {
    name: 'mnist',
    mirrors: [
      'https://ossci-datasets.s3.amazonaws.com/mnist/',
      'http://yann.lecun.com/exdb/mnist/',
      'https://storage.googleapis.com/cvdf-datasets/mnist/',
    ],
    systemDirs: ['/usr/share/datasets/mnist'],
    train: {
      images: { file: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      labels: { file: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
    },
    test: {
      images: { file: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
      labels: { file: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    },
  };

  readonly train: boolean;

  /**
   * Reads the files found locally; throws `DatasetNotFoundError` (saying where it looked) if there
   * are none. (`loaded` is internal: `load` passes the arrays it read.)
   */
  constructor(options: MNISTOptions = {}, loaded?: { images: NDArray; labels: NDArray }) {
    const ctor = new.target as unknown as typeof MNIST;
    checkOptions(ctor.name, options);
    if (options.root !== undefined && typeof options.root !== 'string') throw new ValueError(`${ctor.name}: root must be a folder path, got ${fmtValue(options.root)}`);
    if (loaded !== undefined && (loaded === null || typeof loaded !== 'object' || !(loaded.images instanceof NDArray) || !(loaded.labels instanceof NDArray))) {
      throw new ValueError(`${ctor.name}: the second argument is internal (the arrays load() read); construct with options only`);
    }
    let arrays = loaded;
    if (arrays === undefined) {
      const paths = ctor.locate(options);
      if (paths === null) throw ctor.notFound(options);
      const [images, labels] = ctor.check(readIdxSync(paths.images), readIdxSync(paths.labels), paths);
      arrays = { images, labels };
    }
    super(arrays.images, arrays.labels, options.transform);
    this.train = options.train ?? true;
  }

  /**
   * Finds the files (in `root`, then system folders), downloading them into `root` when none are
   * found and `download` is not false, and returns the dataset.
   * @example const test = await gluon.data.vision.FashionMNIST.load({ train: false });
   */
  static async load<C extends typeof MNIST>(this: C, options: MNISTLoadOptions = {}): Promise<InstanceType<C>> {
    let paths = this.locate(options);
    if (paths === null) {
      if (options.download === false || (options.download === undefined && env('TSGLUON_OFFLINE') === '1')) throw this.notFound(options);
      const root = options.root ?? defaultRoot(this.resources.name);
      const files = this.resources[options.train ?? true ? 'train' : 'test'];
      for (const f of [files.images, files.labels]) {
        const dest = join(root, f.file);
        if (existsSync(dest)) continue;
        const mirrors = options.mirrors ?? this.resources.mirrors;
        await downloadFile(mirrors.map((m) => m + f.file), dest, {
          checksum: { md5: f.md5 },
          label: f.file,
          ...(options.progress === undefined ? {} : { progress: options.progress }),
        });
      }
      paths = { images: join(root, files.images.file), labels: join(root, files.labels.file) };
    }
    const [images, labels] = this.check(await readIdx(paths.images), await readIdx(paths.labels), paths);
    return new this(options, { images, labels }) as InstanceType<C>;
  }

  /** The image and label files to read, or null when they are not found anywhere. */
  static locate(options: MNISTOptions = {}): { images: string; labels: string } | null {
    const r = this.resources;
    const files = r[options.train ?? true ? 'train' : 'test'];
    const dirs = [options.root ?? defaultRoot(r.name), ...(options.root ? [] : r.systemDirs)];
    for (const dir of dirs) {
      const images = candidates(dir, files.images.file).find((p) => existsSync(p));
      const labels = candidates(dir, files.labels.file).find((p) => existsSync(p));
      if (images && labels) return { images, labels };
    }
    return null;
  }

  /** @internal */
  static notFound(options: MNISTOptions): DatasetNotFoundError {
    const r = this.resources;
    const files = r[options.train ?? true ? 'train' : 'test'];
    const dirs = [options.root ?? defaultRoot(r.name), ...(options.root ? [] : r.systemDirs)];
    const hint = r.name === 'fashion-mnist' ? '; on Debian or Ubuntu, `apt-get install dataset-fashion-mnist` installs them' : '';
    return new DatasetNotFoundError(
      `${this.name}: ${files.images.file} and ${files.labels.file} were not found in ${dirs.join(', ')}. ` +
        `Download them with \`await ${this.name}.load()\` (from ${r.mirrors[0]}) or copy them into ${dirs[0]}${hint}`,
    );
  }

  /** @internal Validates the decoded arrays: shapes, dtypes, matching counts, labels in 0..9. */
  static check(images: NDArray, labels: NDArray, paths: { images: string; labels: string }): [NDArray, NDArray] {
    if (images.dtype !== 'uint8' || images.ndim !== 3) {
      throw new FormatError(`${paths.images}: expected an IDX file of unsigned bytes with 3 dimensions (magic 0x00000803), got ${images.dtype} ${fmtShape(images.shape)}`);
    }
    if (labels.dtype !== 'uint8' || labels.ndim !== 1) {
      throw new FormatError(`${paths.labels}: expected an IDX file of unsigned bytes with 1 dimension (magic 0x00000801), got ${labels.dtype} ${fmtShape(labels.shape)}`);
    }
    if (images.shape[0] !== labels.shape[0]) {
      throw new FormatError(`${paths.images} holds ${images.shape[0]} images but ${paths.labels} holds ${labels.shape[0]} labels; the files do not belong together`);
    }
    const lab = labels.storage;
    for (let i = 0; i < lab.length; i++) {
      if (lab[i]! > 9) throw new FormatError(`${paths.labels}: label ${i} is ${lab[i]}, outside the classes 0..9`);
    }
    const [n, h, w] = images.shape as [number, number, number];
    return [new NDArray(images.storage, [n, h, w, 1], 'uint8'), new NDArray(Int32Array.from(lab), [n], 'int32')];
  }

  /** Class names, index = label. */
  static readonly classes: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
}

function applyTransform(t: TransformLike<NDArray, NDArray>, x: NDArray): NDArray {
  return typeof t === 'function' ? t(x) : t.forward(x);
}

/**
 * Zalando's Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing, a drop-in replacement
 * for MNIST (the dataset of Dive into Deep Learning's chapters 3 to 7).
 * @example const train = await gluon.data.vision.FashionMNIST.load({ train: true });
 */
export class FashionMNIST extends MNIST {
  static override resources: IdxResources = {
    name: 'fashion-mnist',
    mirrors: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/',
    ],
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    train: {
      images: { file: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      labels: { file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
    },
    test: {
      images: { file: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      labels: { file: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    },
  };

  /** Class names, index = label (as in D2L's `get_fashion_mnist_labels`). */
  static override readonly classes: readonly string[] = [
    't-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot',
  ];
}
