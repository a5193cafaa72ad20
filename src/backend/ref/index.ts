/**
 * The pure TypeScript reference backend: readable loops over typed arrays, the oracle against
 * which every faster backend is checked.
 */
import type { KernelTable } from '../kernels.js';
import type { Backend } from '../registry.js';
import { binaryKernels, cast, unaryKernels, where } from './elementwise.js';
import { matmul, matmulBias } from './matmul.js';
import { avgPool, avgPoolGrad, col2im, im2col, maxPool, maxPoolGrad } from './conv.js';
import { conv, convDataGrad, convFused, convWeightGrad } from './convolution.js';
import { copyStrided, logSoftmax, logSoftmaxGrad, pick, pickGrad, softmax, softmaxGrad, take, takeGrad } from './movement.js';
import { argReduceKernels, reduceKernels } from './reduce.js';
import { adagradUpdate, adamUpdate, rmspropUpdate, sgdUpdate } from './optim.js';
import { fused } from './fused.js';
import { rnnBackward, rnnForward } from './rnn.js';
import { clipGlobalNorm } from './clip.js';
import { ctcBackward, ctcForward } from './ctc.js';
import { batchNormForward, batchNormGradData, batchNormGradStats, batchNormMean, batchNormVariance, movingAverage } from './norm.js';
import { castHalf } from './half.js';

export const refKernels: KernelTable = {
  unary: unaryKernels,
  binary: binaryKernels,
  reduce: reduceKernels,
  argReduce: argReduceKernels,
  where,
  cast,
  castHalf,
  copyStrided,
  matmul,
  matmulBias,
  take,
  takeGrad,
  pick,
  pickGrad,
  softmax,
  logSoftmax,
  softmaxGrad,
  logSoftmaxGrad,
  im2col,
  col2im,
  conv,
  convFused,
  convDataGrad,
  convWeightGrad,
  maxPool,
  maxPoolGrad,
  avgPool,
  avgPoolGrad,
  batchNormMean,
  batchNormVariance,
  batchNormForward,
  batchNormGradStats,
  batchNormGradData,
  movingAverage,
  fused,
  sgdUpdate,
  adamUpdate,
  rmspropUpdate,
  adagradUpdate,
  rnnForward,
  rnnBackward,
  clipGlobalNorm,
  ctcForward,
  ctcBackward,
};

export const refBackend: Backend = {
  name: 'ref',
  kernels: refKernels,
  numThreads: () => 1,
};
