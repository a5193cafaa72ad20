/**
 * The `optimizer` namespace: the Optimizer base class, the built-in optimizers and the registry
 * (`optimizer.create('adam', {...})`). Importing this file registers every built-in name.
 */
export {
  Optimizer,
  create,
  register,
  registered,
  resolve,
  prepGrad,
  type OptimizerOptions,
  type OptimizerState,
  type ParamInfo,
  type StepContext,
} from './optimizer.js';
export { SGD, NAG, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSProp, type RMSPropOptions } from './rmsprop.js';
export { AdaGrad, type AdaGradOptions } from './adagrad.js';
