/**
 * Typed errors. Every message says what went wrong, where (op, layer or parameter), the shapes
 * involved, and how to fix it; the class lets callers catch one kind without parsing text.
 */
export class TsGluonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op: broadcasting, matmul inner dimensions, reshape sizes. */
export class ShapeError extends TsGluonError {}

/** A dtype that an op does not accept. */
export class DTypeError extends TsGluonError {}

/** An axis outside the array's dimensions, or repeated. */
export class AxisError extends TsGluonError {}

/** A value argument outside its domain (negative size, bad option). */
export class ValueError extends TsGluonError {}

/** Autograd misuse: backward without a graph, gradient of an array that was never attached. */
export class AutogradError extends TsGluonError {}

/**
 * Data was asked of an array that carries only a shape (used for data-free shape inference and
 * for tracing a hybridized forward). `call` names what asked: 'toArray()', 'item()' or 'storage'.
 */
export class ShapeOnlyError extends TsGluonError {
  constructor(
    message: string,
    readonly call = 'storage',
  ) {
    super(message);
  }
}

/**
 * A hybridized forward did what a traced graph cannot record: it read an array's values while
 * its graph was traced (`toArray`, `item`, JavaScript control flow on data).
 */
export class TraceError extends TsGluonError {}

/** A parameter whose shape is not yet known was asked for its data. */
export class DeferredInitializationError extends TsGluonError {}

/** A parameter that was never initialized was asked for its data. */
export class UninitializedParameterError extends TsGluonError {}

/** A backend could not be loaded or lacks what was asked. */
export class BackendError extends TsGluonError {}

/** A file could not be read, or its content is malformed. */
export class FormatError extends TsGluonError {}

/** A feature needs an optional package that is not installed; the message names what to install. */
export class MissingDependencyError extends TsGluonError {}

/** A block's child Block or Parameter field overwritten by a value of another kind (Gluon's TypeError). */
export class ChildTypeError extends TsGluonError {}

/** Distributed training: MPI missing or not initialized, or ranks that disagree on a collective. */
export class DistributedError extends TsGluonError {}

/** Formats a shape the way Gluon prints it: (256, 20). */
export function fmtShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}
