/**
 * `tsgluon predict --model <file> <inputs...>`: runs an ONNX model (`.onnx`) or an MXNet symbol
 * + params pair (`name-symbol.json`, with `--params` or the `name-0000.params` beside it) on the
 * samples of an IDX file (MNIST's format, gzipped or not), or on PNG / JPEG images (one sample
 * each), and prints, per sample, the top classes and their scores.
 *
 * IDX: byte images are scaled to [0, 1]; `--shape` reshapes the batch to what the model takes
 * (e.g. `-1,784` for an MLP, `-1,1,28,28` for a convnet). Images: converted to the model's input
 * (N, C, H, W), C 1 (grayscale) or 3 (RGB), read from the ONNX model's input or from `--shape`,
 * then resized, scaled to [0, 1] and normalized with `--mean` / `--std` (images.ts).
 */
import { existsSync } from 'node:fs';
import { decodeOnnx } from '../io/onnx/codec.js';
import { readFileBytes } from '../io/file.js';
import { concat } from '../ops/movement.js';
import { imageTensor, isImageFile, readImage } from './images.js';
import { ValueError } from '../core/errors.js';
import { readIdxSync } from '../io/idx.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { astype } from '../ops/cast.js';
import { div } from '../ops/binary.js';
import { reshape } from '../ops/shape.js';
import { SymbolBlock } from '../gluon/symbol/symbol-block.js';

export interface PredictOptions {
  model: string;
  params?: string;
  /** An IDX file, or PNG / JPEG images (one or more). */
  input: string | readonly string[];
  /**
   * The batch's shape for the model, -1 for the sample count (IDX default: as the file has it;
   * images: (N, C, H, W), default the ONNX model's input shape).
   */
  shape?: readonly number[];
  /** Images: per-channel means subtracted after scaling to [0, 1] (default 0). */
  mean?: readonly number[];
  /** Images: per-channel standard deviations (default 1). */
  std?: readonly number[];
  /** How many classes to report per sample (default 1). */
  top?: number;
  /** Name of the model's input (symbol files only; default 'data'). */
  inputName?: string;
}

export interface Prediction {
  readonly sample: number;
  readonly classes: readonly number[];
  readonly scores: readonly number[];
}

/** Loads the model a `--model` path names. */
export function loadModel(model: string, params?: string, inputName = 'data'): SymbolBlock {
  if (model.endsWith('.onnx')) return SymbolBlock.importsOnnx(model);
  if (model.endsWith('-symbol.json')) {
    const guess = `${model.slice(0, -'-symbol.json'.length)}-0000.params`;
    const file = params ?? (existsSync(guess) ? guess : null);
    if (file === null) throw new ValueError(`predict: no parameters for ${model}; pass --params FILE (looked for ${guess})`);
    return SymbolBlock.imports(model, [inputName], file);
  }
  throw new ValueError(`predict: --model must be an .onnx file or an MXNet name-symbol.json file, got ${model}`);
}

/** Runs the model on every sample of the input file and returns each one's top classes. */
export function predict(o: PredictOptions): Prediction[] {
  const top = o.top ?? 1;
  if (!Number.isInteger(top) || top < 1) throw new ValueError(`predict: --top must be a positive integer, got ${top}`);
  const net = loadModel(o.model, o.params, o.inputName);
  const files = typeof o.input === 'string' ? [o.input] : [...o.input];
  let x: NDArray;
  if (files.some(isImageFile)) {
    const notImage = files.find((f) => !isImageFile(f));
    if (notImage !== undefined) throw new ValueError(`predict: ${notImage} is not a .png/.jpg/.jpeg image; give either images or one IDX file`);
    const [, channels, height, width] = imageShape(o);
    const samples = files.map((f) => imageTensor(readImage(f), { channels, height, width, ...(o.mean ? { mean: o.mean } : {}), ...(o.std ? { std: o.std } : {}) }));
    x = samples.length === 1 ? samples[0]! : concat(samples, { axis: 0 });
  } else {
    if (files.length !== 1) throw new ValueError(`predict: give one IDX file (or PNG / JPEG images), got ${files.length} files`);
    x = readIdxSync(files[0]!);
    x = x.dtype === 'uint8' ? div(astype(x, 'float32'), 255) : astype(x, 'float32');
    if (o.shape !== undefined) x = reshape(x, [...o.shape]);
  }
  const y = net.forward(x);
  const rows = y.ndim === 1 ? 1 : y.shape[0]!;
  const flat = Array.from(y.storage, Number);
  const width = flat.length / rows;
  return Array.from({ length: rows }, (_, i) => {
    const row = flat.slice(i * width, (i + 1) * width);
    const order = row.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]).slice(0, top);
    return { sample: i, classes: order.map(([, c]) => c), scores: order.map(([v]) => v) };
  });
}

/** The (N, C, H, W) an image batch takes: `--shape`, else the ONNX model's first input. */
function imageShape(o: PredictOptions): number[] {
  let shape: readonly (number | string | null)[] | null = o.shape ?? null;
  if (shape === null && o.model.endsWith('.onnx')) {
    const g = decodeOnnx(readFileBytes(o.model, 'predict')).graph;
    shape = g.inputs.find((i) => !g.initializers.has(i.name))?.shape ?? null;
  }
  const dims = shape?.slice(1) ?? [];
  if (shape === null || shape.length !== 4 || !dims.every((d) => typeof d === 'number' && d > 0)) {
    const seen = shape === null ? 'no input shape' : `input shape (${shape.join(', ')})`;
    throw new ValueError(`predict: images need the model's input as (N, C, H, W) with known C, H and W; ${o.model} has ${seen}; pass --shape 1,3,224,224 (or 1,1,28,28)`);
  }
  return [1, ...(dims as number[])];
}

/** The lines `tsgluon predict` prints. */
export function formatPredictions(ps: readonly Prediction[]): string {
  return ps.map((p) => `${p.sample}\t${p.classes.map((c, k) => `${c} (${p.scores[k]!.toPrecision(4)})`).join('\t')}`).join('\n') + '\n';
}
