/**
 * The `nn` namespace: layers and containers. Each layer family lives in its own file; append
 * one export line per new file.
 */
export { Sequential } from '../sequential.js';
export { Block, type BlockOptions, type ParamShapes, type HybridizeOptions } from '../block.js';
export { HybridBlock, HybridSequential } from '../hybrid-block.js';
export { Activation, type ActivationType } from './activations.js';
export { Dense, Flatten, Dropout, Lambda, HybridLambda, type DenseOptions, type DropoutOptions } from './basic-layers.js';
export { Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, ConvBase, ConvND, ConvTransposeND, type ConvOptions, type ConvTransposeOptions } from './conv-layers.js';
export {
  MaxPool1D, MaxPool2D, MaxPool3D, AvgPool1D, AvgPool2D, AvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
  GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, PoolBase, MaxPoolND, AvgPoolND, GlobalPoolBase, GlobalMaxPoolND, GlobalAvgPoolND, type PoolOptions, type AvgPoolOptions,
} from './pooling.js';
export {
  BatchNorm, LayerNorm, InstanceNorm, GroupNorm,
  type NormOptions, type BatchNormOptions, type LayerNormOptions, type InstanceNormOptions, type GroupNormOptions,
} from './normalization.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LeakyReLU, PReLU, ELU, SELU, GELU, Swish, SiLU, ElementwiseActivation, type PReLUOptions, type GELUOptions } from './activations-advanced.js';
export {
  DotProductAttention, AdditiveAttention, MultiHeadAttention, PositionalEncoding, transposeQKV, transposeOutput,
  type AdditiveAttentionOptions, type MultiHeadAttentionOptions, type PositionalEncodingOptions,
} from './attention.js';
export { PositionWiseFFN, AddNorm, TransformerEncoderBlock, type TransformerEncoderBlockOptions } from './transformer.js';
export { ReflectionPad2D, type Padding2D } from './padding.js';
