/**
 * `Embedding`: a lookup table mapping integer indices to dense vectors, the first layer of most
 * language models. Its weight (inputDim, outputDim) has a fully known shape, so it needs no
 * deferred initialization; the gradient scatters back into the looked-up rows. Indices are checked
 * by the lookup primitive when it computes, so a hybridized embedding checks every batch.
 */
import type { DType } from '../../core/dtype.js';
import { ValueError, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { embeddingLookup } from '../../ops/embedding.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import { type BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';

export interface EmbeddingOptions extends BlockOptions {
  /** Parameter dtype (default float32). */
  dtype?: DType;
  /** The weight's own initializer; default: the one given to initialize(). */
  weightInitializer?: InitLike | null;
}

/**
 * Maps each index of the input (any shape, integer values in [0, inputDim)) to a row of the
 * weight: output shape = input shape + (outputDim,).
 * @example
 * const emb = new nn.Embedding(1000, 16);
 * emb.initialize();
 * emb.forward(nd.array([[1, 2], [3, 999]])).shape // [2, 2, 16]
 */
export class Embedding extends HybridBlock {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly weight: Parameter;

  constructor(inputDim: number, outputDim: number, options: EmbeddingOptions = {}) {
    super(options);
    for (const [what, v] of [['inputDim', inputDim], ['outputDim', outputDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ValueError(`Embedding: ${what} must be a positive integer, got ${fmtValue(v)}`);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.weight = this.params.get('weight', { shape: [inputDim, outputDim], dtype: options.dtype ?? 'float32', init: options.weightInitializer ?? null });
  }

  override forward(x: NDArray): NDArray {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray of indices, got ${fmtValue(x)}`);
    return embeddingLookup(this.weight.data(), x, this.name);
  }

  /** Gluon's form: `Embedding(1000 -> 16, float32)`. */
  override toString(): string {
    return `Embedding(${this.inputDim} -> ${this.outputDim}, ${this.weight.dtype})`;
  }
}
