/**
 * The `gluon` namespace: Parameter, ParameterDict, Block and the `nn` layers. Each area lives in
 * its own file; append one export line per new file.
 */
export {
  Parameter, type ParameterOptions, type ParameterInitOptions, type ParameterState, type InitOutcome,
} from './parameter.js';
export { ParameterDict, type PendingParam, type PendingReport, type DictInitOptions } from './parameter-dict.js';
export {
  Block, resetNameCounters,
  type BlockOptions, type BlockInitOptions, type HybridizeOptions, type ParamShapes, type ShapeSpec,
} from './block.js';
export { HybridBlock, HybridSequential } from './hybrid-block.js';
export { setWarningHandler, type WarningHandler } from './warnings.js';
export { Constant, type ConstantValue, type ConstantOptions } from './constant.js';
export { holdersOf, inferredBy, type SharedParams } from './sharing.js';
export * as nn from './nn/index.js';
export * as rnn from './rnn/index.js';
export * as data from './data/index.js';
export { ParameterKeyError, type SaveParametersOptions, type LoadParametersOptions, type LoadReport } from './serialization.js';
// parameter-dict-io.ts installs ParameterDict.prototype.save / load, so it is imported for its effect.
import './parameter-dict-io.js';
export { HookHandle, type ForwardHook, type ForwardPreHook } from './hooks.js';
export * as loss from './loss/index.js';
export { Trainer, StaleGradientError, type TrainerParams, type StepOptions } from './trainer.js';
export type { TrainerOptions, KVStore } from './trainer-dist.js';
export * as metric from './metric.js';
export * as utils from './utils.js';
export * as modelZoo from './model-zoo/index.js';
// summary.ts installs Block.prototype.summary, so it is imported for its effect too.
import './summary.js';
export type { SummaryOptions } from './summary.js';
export { SymbolBlock, decodeParamFile, type SymbolBlockOptions, type ExportOptions, type ExportedFiles } from './symbol/symbol-block.js';
export { ONNX_OPSET, type OnnxExportOptions } from './symbol/onnx-export.js';
export { toSymbol } from './symbol/export-block.js';
export type { ExportedGraph } from './symbol/graph-export.js';
export type { HybridExportOptions, HybridOnnxExportOptions } from './hybrid-block.js';
