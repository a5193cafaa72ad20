/**
 * The pure TypeScript reference backend: readable loops over typed arrays, the oracle against
 * which every faster backend is checked.
 */
import type { KernelTable } from '../kernels.js';
import type { Backend } from '../registry.js';
import { binaryKernels, cast, unaryKernels, where } from './elementwise.js';
import { matmul } from './matmul.js';
import { avgPool, avgPoolGrad, col2im, im2col, maxPool, maxPoolGrad } from './conv.js';
import { copyStrided, logSoftmax, logSoftmaxGrad, pick, pickGrad, softmax, softmaxGrad, take, takeGrad } from './movement.js';
import { argReduceKernels, reduceKernels } from './reduce.js';
import { adagradUpdate, adamUpdate, rmspropUpdate, sgdUpdate } from './optim.js';
import { rnnBackward, rnnForward } from './rnn.js';
import { batchNormForward, batchNormGradData, batchNormGradStats, batchNormMean, batchNormVariance, movingAverage } from './norm.js';

export const refKernels: KernelTable = {
  unary: unaryKernels,
  binary: binaryKernels,
  reduce: reduceKernels,
  argReduce: argReduceKernels,
  where,
  cast,
  copyStrided,
  matmul,
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
  sgdUpdate,
  adamUpdate,
  rmspropUpdate,
  adagradUpdate,
  rnnForward,
  rnnBackward,
};

export const refBackend: Backend = {
  name: 'ref',
  kernels: refKernels,
  numThreads: () => 1,
};
