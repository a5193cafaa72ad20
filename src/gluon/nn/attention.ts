/**
 * Attention as D2L builds it (chapter 10, MXNet edition): `DotProductAttention` (scaled
 * dot-product scores), `AdditiveAttention` (a one-hidden-layer scorer), `MultiHeadAttention`
 * (heads as one batched product after a reshape, every projection a Dense layer whose input size
 * is inferred at the first forward) and `PositionalEncoding` (fixed sines and cosines added to the
 * input). Scores are normalized by `nd.maskedSoftmax`, so padded keys get no weight.
 */
import { allocate, type TypedArray } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { relabel } from '../../core/public.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { add, div } from '../../ops/binary.js';
import { batchDot } from '../../ops/matmul.js';
import { maskedSoftmax } from '../../ops/masked-softmax.js';
import { repeat } from '../../ops/movement.js';
import { expandDims, reshape, squeeze, transpose } from '../../ops/shape.js';
import { sliceAxis } from '../../ops/slice.js';
import { tanh } from '../../ops/unary.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { Dense, Dropout } from './basic-layers.js';

function check3d(who: string, x: unknown, what: string): asserts x is NDArray {
  if (!NDArray.isInstance(x) || x.ndim !== 3) {
    throw new ShapeError(`${who}: ${what} must be (batch, positions, features), got ${NDArray.isInstance(x) ? fmtShape(x.shape) : fmtValue(x)}`);
  }
}

/**
 * The attention weights a forward keeps for plotting: those of an imperative forward. A traced
 * (hybridized) forward has only shape-only stand-ins, so it keeps null.
 */
function keptWeights(w: NDArray): NDArray | null {
  return w.isShapeOnly ? null : w;
}

/**
 * @internal A dropout rate given to a composite layer, checked in the layer's name (the Dropout
 * inside would name itself).
 */
export function dropoutRate(who: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ValueError(`${who}: dropout must be a rate in [0, 1], got ${fmtValue(v)}`);
  return v;
}

/** @internal A size given to a composite layer: a positive integer, checked in the layer's name. */
export function positiveSize(who: string, what: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ValueError(`${who}: ${what} must be a positive integer, got ${fmtValue(v)}`);
  return v as number;
}

/** @internal numHiddens and numHeads of multi-head attention, checked in the name of `who`. */
export function headSizes(who: string, numHiddens: unknown, numHeads: unknown): void {
  positiveSize(who, 'numHiddens', numHiddens);
  positiveSize(who, 'numHeads', numHeads);
  if ((numHiddens as number) % (numHeads as number) !== 0) {
    throw new ValueError(`${who}: numHiddens (${numHiddens as number}) must split into numHeads (${numHeads as number}) equal heads`);
  }
}

/**
 * softmax(Q Kᵀ / sqrt(d), masked by validLens) V, for queries (B, n, d), keys (B, m, d), values (B, m, v).
 * @example
 * const att = new nn.DotProductAttention(0.5);
 * att.forward(nd.ones([2, 1, 2]), nd.ones([2, 10, 2]), nd.ones([2, 10, 4]), nd.array([2, 6])).shape // [2, 1, 4]
 */
export class DotProductAttention extends HybridBlock {
  readonly dropout: Dropout;
  /** The weights of the last imperative forward, (B, n, m), for plotting as D2L does (null when hybridized). */
  attentionWeights: NDArray | null = null;

  constructor(dropout = 0, options: BlockOptions = {}) {
    super(options);
    this.dropout = new Dropout(dropoutRate('DotProductAttention', dropout));
  }

  override forward(queries: NDArray, keys: NDArray, values: NDArray, validLens: NDArray | null = null): NDArray {
    for (const [x, what] of [[queries, 'queries'], [keys, 'keys'], [values, 'values']] as const) check3d(this.name, x, what);
    if (queries.shape[2] !== keys.shape[2] || keys.shape[1] !== values.shape[1]) {
      throw new ShapeError(
        `${this.name}: queries ${fmtShape(queries.shape)} and keys ${fmtShape(keys.shape)} need the same feature size, and keys and values ${fmtShape(values.shape)} the same number of positions`,
      );
    }
    const scores = div(batchDot(queries, keys, { transposeB: true }), Math.sqrt(queries.shape[2]!));
    const weights = maskedSoftmax(scores, validLens);
    this.attentionWeights = keptWeights(weights);
    return batchDot(this.dropout.forward(weights), values);
  }
}

/** Options of `AdditiveAttention`. */
export interface AdditiveAttentionOptions extends BlockOptions {
  dropout?: number;
}

/**
 * Scores w_vᵀ tanh(W_q q + W_k k) (queries and keys may differ in size), then masked softmax and
 * a weighted sum of the values.
 * @example
 * const att = new nn.AdditiveAttention(8, { dropout: 0.1 });
 * att.initialize();
 * att.forward(nd.ones([2, 1, 20]), nd.ones([2, 10, 2]), nd.ones([2, 10, 4]), nd.array([2, 6])).shape // [2, 1, 4]
 */
export class AdditiveAttention extends HybridBlock {
  readonly wK: Dense;
  readonly wQ: Dense;
  readonly wV: Dense;
  readonly dropout: Dropout;
  attentionWeights: NDArray | null = null;

  constructor(numHiddens: number, options: AdditiveAttentionOptions = {}) {
    super(options);
    positiveSize('AdditiveAttention', 'numHiddens', numHiddens);
    dropoutRate('AdditiveAttention', options.dropout ?? 0);
    this.wK = new Dense(numHiddens, { useBias: false, flatten: false });
    this.wQ = new Dense(numHiddens, { useBias: false, flatten: false });
    this.wV = new Dense(1, { useBias: false, flatten: false });
    this.dropout = new Dropout(options.dropout ?? 0);
  }

  override forward(queries: NDArray, keys: NDArray, values: NDArray, validLens: NDArray | null = null): NDArray {
    for (const [x, what] of [[queries, 'queries'], [keys, 'keys'], [values, 'values']] as const) check3d(this.name, x, what);
    // (B, n, 1, h) + (B, 1, m, h): every query against every key.
    const features = tanh(add(expandDims(this.wQ.forward(queries), 2), expandDims(this.wK.forward(keys), 1)));
    const scores = squeeze(this.wV.forward(features), -1);
    const weights = maskedSoftmax(scores, validLens);
    this.attentionWeights = keptWeights(weights);
    return batchDot(this.dropout.forward(weights), values);
  }
}

/** (B, n, h * d) -> (B * h, n, d): each head becomes its own batch entry. */
export function transposeQKV(x: NDArray, numHeads: number): NDArray {
  const [b, n, f] = x.shape as [number, number, number];
  if (f % numHeads !== 0) throw new ShapeError(`transposeQKV: ${f} features do not split into ${numHeads} heads`);
  return reshape(transpose(reshape(x, [b, n, numHeads, f / numHeads]), [0, 2, 1, 3]), [b * numHeads, n, f / numHeads]);
}

/** The inverse of transposeQKV: (B * h, n, d) -> (B, n, h * d). */
export function transposeOutput(x: NDArray, numHeads: number): NDArray {
  const [bh, n, d] = x.shape as [number, number, number];
  return reshape(transpose(reshape(x, [bh / numHeads, numHeads, n, d]), [0, 2, 1, 3]), [bh / numHeads, n, numHeads * d]);
}

/** Options of `MultiHeadAttention`. */
export interface MultiHeadAttentionOptions extends BlockOptions {
  dropout?: number;
  /** Biases in the four projections (default false, as D2L). */
  useBias?: boolean;
}

/**
 * D2L's multi-head attention: queries, keys and values projected to numHiddens by Dense layers
 * (input sizes inferred at the first forward), split into numHeads heads of scaled dot-product
 * attention computed as one batch, concatenated and projected by W_o.
 * @example
 * const att = new nn.MultiHeadAttention(100, 5, { dropout: 0.5 });
 * att.initialize();
 * att.forward(nd.ones([2, 4, 100]), nd.ones([2, 6, 100]), nd.ones([2, 6, 100]), nd.array([3, 2])).shape // [2, 4, 100]
 */
export class MultiHeadAttention extends HybridBlock {
  readonly numHeads: number;
  readonly attention: DotProductAttention;
  readonly wQ: Dense;
  readonly wK: Dense;
  readonly wV: Dense;
  readonly wO: Dense;

  constructor(numHiddens: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super(options);
    headSizes('MultiHeadAttention', numHiddens, numHeads);
    dropoutRate('MultiHeadAttention', options.dropout ?? 0);
    this.numHeads = numHeads;
    this.attention = new DotProductAttention(options.dropout ?? 0);
    const useBias = options.useBias ?? false;
    this.wQ = new Dense(numHiddens, { useBias, flatten: false });
    this.wK = new Dense(numHiddens, { useBias, flatten: false });
    this.wV = new Dense(numHiddens, { useBias, flatten: false });
    this.wO = new Dense(numHiddens, { useBias, flatten: false });
  }

  override forward(queries: NDArray, keys: NDArray, values: NDArray, validLens: NDArray | null = null): NDArray {
    for (const [x, what] of [[queries, 'queries'], [keys, 'keys'], [values, 'values']] as const) check3d(this.name, x, what);
    const h = this.numHeads;
    const q = transposeQKV(this.wQ.forward(queries), h);
    const k = transposeQKV(this.wK.forward(keys), h);
    const v = transposeQKV(this.wV.forward(values), h);
    // Each length, once per head, in the batch order transposeQKV gives.
    const lens = validLens === null ? null : repeat(validLens, h, { axis: 0 });
    return this.wO.forward(transposeOutput(this.attention.forward(q, k, v, lens), h));
  }
}

/** Options of `PositionalEncoding`. */
export interface PositionalEncodingOptions extends BlockOptions {
  dropout?: number;
  /** Longest sequence supported (default 1000). */
  maxLen?: number;
}

/**
 * Adds P[i, 2j] = sin(i / 10000^(2j/d)), P[i, 2j+1] = cos(i / 10000^(2j/d)) to (B, n, d) inputs,
 * then dropout.
 * @example new nn.PositionalEncoding(32, { dropout: 0 }).forward(nd.zeros([1, 60, 32])).shape // [1, 60, 32]
 */
export class PositionalEncoding extends HybridBlock {
  readonly numHiddens: number;
  readonly dropout: Dropout;
  /** (1, maxLen, numHiddens), float32. */
  readonly P: NDArray;

  constructor(numHiddens: number, options: PositionalEncodingOptions = {}) {
    super(options);
    const maxLen = positiveSize('PositionalEncoding', 'maxLen', options.maxLen ?? 1000);
    positiveSize('PositionalEncoding', 'numHiddens', numHiddens);
    this.numHiddens = numHiddens;
    this.dropout = new Dropout(dropoutRate('PositionalEncoding', options.dropout ?? 0));
    let p: TypedArray;
    try {
      p = allocate('float32', maxLen * numHiddens, [1, maxLen, numHiddens]);
    } catch (e) {
      throw relabel(e, 'PositionalEncoding');
    }
    for (let i = 0; i < maxLen; i++) {
      for (let j = 0; j < numHiddens; j += 2) {
        const angle = i / Math.pow(10000, j / numHiddens);
        p[i * numHiddens + j] = Math.sin(angle);
        if (j + 1 < numHiddens) p[i * numHiddens + j + 1] = Math.cos(angle);
      }
    }
    this.P = new NDArray(p, [1, maxLen, numHiddens], 'float32');
  }

  override forward(x: NDArray): NDArray {
    check3d(this.name, x, 'the input');
    if (x.shape[2] !== this.numHiddens || x.shape[1]! > this.P.shape[1]!) {
      throw new ShapeError(`${this.name}: the input ${fmtShape(x.shape)} needs ${this.numHiddens} features and at most ${this.P.shape[1]} positions (maxLen)`);
    }
    return this.dropout.forward(add(x, sliceAxis(this.P, 1, 0, x.shape[1]!)));
  }
}
