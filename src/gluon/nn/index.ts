/**
 * The `nn` namespace: layers and containers. Each layer family lives in its own file; append
 * one export line per new file.
 */
export { Sequential, Sequential as HybridSequential } from '../sequential.js';
export { Block, Block as HybridBlock, type BlockOptions, type ParamShapes } from '../block.js';
export { Activation, type ActivationType } from './activations.js';
export { Dense, Flatten, Dropout, Lambda, Lambda as HybridLambda, type DenseOptions, type DropoutOptions } from './basic-layers.js';
