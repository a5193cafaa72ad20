/**
 * `tsgluon predict --model <file> <input.idx>`: runs an ONNX model (`.onnx`) or an MXNet symbol
 * + params pair (`name-symbol.json`, with `--params` or the `name-0000.params` beside it) on the
 * samples of an IDX file (MNIST's format, gzipped or not) and prints, per sample, the top classes
 * and their scores. Byte images are scaled to [0, 1]; `--shape` reshapes the batch to what the
 * model takes (e.g. `-1,784` for an MLP, `-1,1,28,28` for a convnet).
 */
import { existsSync } from 'node:fs';
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
  input: string;
  /** The batch's shape for the model, -1 for the sample count (default: as the file has it). */
  shape?: readonly number[];
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
  let x: NDArray = readIdxSync(o.input);
  x = x.dtype === 'uint8' ? div(astype(x, 'float32'), 255) : astype(x, 'float32');
  if (o.shape !== undefined) x = reshape(x, [...o.shape]);
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

/** The lines `tsgluon predict` prints. */
export function formatPredictions(ps: readonly Prediction[]): string {
  return ps.map((p) => `${p.sample}\t${p.classes.map((c, k) => `${c} (${p.scores[k]!.toPrecision(4)})`).join('\t')}`).join('\n') + '\n';
}
