/**
 * The `init` namespace: the Initializer base class and Gluon's built-in initializers.
 */
export { Initializer, fillValue, fillFrom, type InitializeOptions } from './initializer.js';
export {
  Uniform, Normal, Constant, Zero, One, Xavier, MSRAPrelu, Orthogonal, Mixed, create,
  type InitLike, type InitName, type XavierOptions,
} from './builtins.js';
