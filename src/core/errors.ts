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

/**
 * An allocation sized by the caller's input is over the limit (`setMaxAllocation`), or the system
 * refused the memory.
 */
export class AllocationError extends TsGluonError {}

/** A feature needs an optional package that is not installed; the message names what to install. */
export class MissingDependencyError extends TsGluonError {}

/** A feature needs Node (files, downloads, the native addon) and runs elsewhere, such as a browser. */
export class PlatformError extends TsGluonError {}

/** A block's child Block or Parameter field overwritten by a value of another kind (Gluon's TypeError). */
export class ChildTypeError extends TsGluonError {}

/** Distributed training: MPI missing or not initialized, or ranks that disagree on a collective. */
export class DistributedError extends TsGluonError {}

/**
 * Formats a shape the way Gluon prints it: (256, 20). Shapes in messages often come straight from
 * the caller, so any element prints (a symbol or an object without prototype would make a
 * template string throw).
 */
export function fmtShape(shape: readonly number[]): string {
  const dims = Array.from(shape, (d: unknown) => (typeof d === 'number' ? String(d) : fmtValue(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/**
 * Any value as short text for a message, never throwing (symbols, objects without prototype,
 * lists nested thousands deep): as JSON.stringify writes them, lists showing their first 8
 * elements, 3 levels deep.
 */
export function fmtValue(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    if (depth >= 3) return '[...]';
    const items = Array.from(v.length > 8 ? v.slice(0, 8) : v, (e: unknown) => fmtValue(e, depth + 1));
    return `[${items.join(',')}${v.length > 8 ? ',...' : ''}]`;
  }
  return `an object (${(Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'no prototype'})`;
}
