/**
 * tsgluon: deep learning for TypeScript with the Gluon API, for Node (src/browser.ts is the
 * browser entry). This file only re-exports.
 */
// node-modules.ts hands Node's built-ins to the library before anything else loads (Node < 20.16).
import './node-modules.js';
export * as backend from './backend/index.js';
export * as nd from './nd.js';
export * as autograd from './autograd/index.js';
export * from './core/errors.js';
export { getMaxAllocation, setMaxAllocation, DEFAULT_MAX_ALLOCATION } from './core/limits.js';
export * as safetensors from './io/safetensors.js';
export { SafetensorsError } from './io/safetensors-error.js';
export { ModelFormatError, UnsupportedOperatorError, type ModelFormat } from './io/model-format-error.js';
export * as mxnetParams from './io/mxnet-params.js';
export * as symbolJson from './io/symbol-json.js';
export * as init from './init/index.js';
export * as gluon from './gluon/index.js';
export * as graph from './graph/index.js';
export * as nn from './gluon/nn/index.js';
export * as optimizer from './optim/index.js';
export * as lrScheduler from './optim/lr-scheduler.js';
export * as metric from './gluon/metric.js';
export * as plot from './plot/index.js';
export * as dist from './dist/index.js';
export * as idx from './io/idx.js';
export { Generator } from './core/rng.js';
export type { DType, TypedArray } from './core/dtype.js';
export type { Shape } from './core/shape.js';
