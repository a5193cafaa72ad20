/**
 * tsgluon for browsers (the package's `browser` export condition): everything `index.ts`
 * exports except `plot`, whose optional vega packages a bundler would have to resolve, and
 * `dist`, which runs in Node processes started by mpirun (the Trainer's modules reach it, and
 * `dist.init` raises a PlatformError outside Node). No module reachable from here imports a Node
 * built-in (tests/browser-entry.test.ts walks the graph); the Node-only functions (files,
 * downloads) load Node's modules on first use and otherwise raise a PlatformError. The WebAssembly backend arrives with `await backend.loadWasm()`. This file only
 * re-exports.
 */
export * as backend from './backend/index.js';
export * as nd from './nd.js';
export * as autograd from './autograd/index.js';
export * as graph from './graph/index.js';
export * from './core/errors.js';
export { getMaxAllocation, setMaxAllocation, DEFAULT_MAX_ALLOCATION } from './core/limits.js';
export * as safetensors from './io/safetensors.js';
export { SafetensorsError } from './io/safetensors-error.js';
export { ModelFormatError, UnsupportedOperatorError, type ModelFormat } from './io/model-format-error.js';
export * as mxnetParams from './io/mxnet-params.js';
export * as symbolJson from './io/symbol-json.js';
export * as init from './init/index.js';
export * as gluon from './gluon/index.js';
export * as nn from './gluon/nn/index.js';
export * as optimizer from './optim/index.js';
export * as lrScheduler from './optim/lr-scheduler.js';
export * as metric from './gluon/metric.js';
export * as idx from './io/idx.js';
export { Generator } from './core/rng.js';
export type { DType, TypedArray } from './core/dtype.js';
export type { Shape } from './core/shape.js';
