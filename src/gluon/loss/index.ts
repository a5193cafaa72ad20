/**
 * The `gluon.loss` namespace: every loss returns one value per sample (shape (batchSize,)).
 */
export { Loss, type LossOptions } from './loss.js';
export { L2Loss, L1Loss, HuberLoss, type HuberLossOptions } from './regression.js';
export {
  SoftmaxCrossEntropyLoss,
  SoftmaxCELoss,
  SigmoidBinaryCrossEntropyLoss,
  SigmoidBCELoss,
  type SoftmaxCrossEntropyLossOptions,
  type SigmoidBinaryCrossEntropyLossOptions,
} from './classification.js';
export { KLDivLoss, type KLDivLossOptions } from './divergence.js';
export { HingeLoss, SquaredHingeLoss, LogisticLoss, type HingeLossOptions, type LogisticLossOptions } from './margin.js';
export { CTCLoss, type CTCLossOptions } from './ctc.js';
export { TripletLoss, CosineEmbeddingLoss, SDMLLoss, type MarginLossOptions, type SDMLLossOptions } from './embedding.js';
export { PoissonNLLLoss, type PoissonNLLLossOptions } from './poisson.js';
