/**
 * The `nd` namespace: the NDArray class, creation and random functions, and every op.
 * Each op family lives in its own file under src/ops; this file only re-exports.
 */
export { NDArray, type GradReq, type NestedArray } from './ndarray/ndarray.js';
export { array, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, type ShapeLike, type DTypeOption } from './ndarray/creation.js';
export * as random from './ops/random.js';
export { astype } from './ops/cast.js';
export * from './ops/unary.js';
export * from './ops/binary.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/matmul.js';
export * from './ops/movement.js';
export { slice, sliceAxis, flip, type SliceBound } from './ops/slice.js';
export * from './ops/indexing.js';
export * from './ops/inplace.js';
export * from './ops/softmax.js';
export { maskedSoftmax, type MaskedSoftmaxOptions } from './ops/masked-softmax.js';
export { ctcLoss, type CtcLossOptions } from './ops/ctc.js';
export { batchNorm, type BatchNormOptions } from './ops/batch-norm.js';
export { convolution, deconvolution, type ConvolutionOptions, type DeconvolutionOptions, type SpatialArg } from './ops/conv.js';
export { pooling, globalMaxPool, globalAvgPool, adaptiveAvgPool, type PoolingOptions, type PoolType } from './ops/pool.js';
export { rnnRecurrence, type RnnRecurrenceOptions, type RnnRecurrenceResult, type RnnMode } from './ops/rnn.js';
export { save, load } from './io/file.js';
export { saveBytes, loadBytes, type SaveArraysOptions } from './io/nd-bytes.js';
export type { DType } from './core/dtype.js';
