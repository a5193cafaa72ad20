/**
 * The Transformer encoder block of D2L section 11.7 (MXNet edition): multi-head self-attention
 * and a position-wise feed-forward network, each followed by a residual connection and layer
 * normalization (`AddNorm`). Every Dense layer infers its input size at the first forward.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { add } from '../../ops/binary.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { Dense, Dropout } from './basic-layers.js';
import { LayerNorm } from './normalization.js';
import { MultiHeadAttention, dropoutRate, headSizes, positiveSize } from './attention.js';

/**
 * Two Dense layers applied at every position: relu(x W1 + b1) W2 + b2.
 * @example new nn.PositionWiseFFN(4, 8).forward(nd.ones([2, 3, 4])).shape // [2, 3, 8] (after initialize)
 */
export class PositionWiseFFN extends HybridBlock {
  readonly dense1: Dense;
  readonly dense2: Dense;

  constructor(ffnNumHiddens: number, ffnNumOutputs: number, options: BlockOptions = {}) {
    super(options);
    positiveSize('PositionWiseFFN', 'ffnNumHiddens', ffnNumHiddens);
    positiveSize('PositionWiseFFN', 'ffnNumOutputs', ffnNumOutputs);
    this.dense1 = new Dense(ffnNumHiddens, { flatten: false, activation: 'relu' });
    this.dense2 = new Dense(ffnNumOutputs, { flatten: false });
  }

  override forward(x: NDArray): NDArray {
    return this.dense2.forward(this.dense1.forward(x));
  }
}

/**
 * LayerNorm(dropout(y) + x): the residual connection and normalization after each sublayer.
 * @example new nn.AddNorm(0.5).forward(nd.ones([2, 3, 4]), nd.ones([2, 3, 4])) // after initialize
 */
export class AddNorm extends HybridBlock {
  readonly dropout: Dropout;
  readonly ln: LayerNorm;

  constructor(dropout = 0, options: BlockOptions = {}) {
    super(options);
    this.dropout = new Dropout(dropoutRate('AddNorm', dropout));
    this.ln = new LayerNorm();
  }

  override forward(x: NDArray, y: NDArray): NDArray {
    if (!NDArray.isInstance(x) || !NDArray.isInstance(y)) throw new ValueError(`${this.name}: forward(x, y) needs two NDArrays (the input and the sublayer's output), got ${fmtValue(x)} and ${fmtValue(y)}`);
    if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) {
      throw new ShapeError(`${this.name}: the residual connection adds ${fmtShape(y.shape)} to ${fmtShape(x.shape)}; the shapes must match`);
    }
    return this.ln.forward(add(this.dropout.forward(y), x));
  }
}

/** Options of `TransformerEncoderBlock`. */
export interface TransformerEncoderBlockOptions extends BlockOptions {
  dropout?: number;
  /** Biases in the attention projections (default false, as D2L). */
  useBias?: boolean;
}

/**
 * Self-attention then the feed-forward network, each with AddNorm; keeps the input's shape
 * (B, n, numHiddens). `validLens` masks padded positions as keys.
 * @example
 * const block = new nn.TransformerEncoderBlock(24, 48, 8, { dropout: 0.5 });
 * block.initialize();
 * block.forward(nd.ones([2, 100, 24]), nd.array([3, 2])).shape // [2, 100, 24]
 */
export class TransformerEncoderBlock extends HybridBlock {
  readonly attention: MultiHeadAttention;
  readonly addnorm1: AddNorm;
  readonly ffn: PositionWiseFFN;
  readonly addnorm2: AddNorm;

  constructor(numHiddens: number, ffnNumHiddens: number, numHeads: number, options: TransformerEncoderBlockOptions = {}) {
    super(options);
    headSizes('TransformerEncoderBlock', numHiddens, numHeads);
    positiveSize('TransformerEncoderBlock', 'ffnNumHiddens', ffnNumHiddens);
    const dropout = dropoutRate('TransformerEncoderBlock', options.dropout ?? 0);
    this.attention = new MultiHeadAttention(numHiddens, numHeads, { dropout, useBias: options.useBias ?? false });
    this.addnorm1 = new AddNorm(dropout);
    this.ffn = new PositionWiseFFN(ffnNumHiddens, numHiddens);
    this.addnorm2 = new AddNorm(dropout);
  }

  override forward(x: NDArray, validLens: NDArray | null = null): NDArray {
    const y = this.addnorm1.forward(x, this.attention.forward(x, x, x, validLens));
    return this.addnorm2.forward(y, this.ffn.forward(y));
  }
}
