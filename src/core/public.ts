/**
 * Every typed error names the function the user called. Op functions are written once and call
 * each other freely (`norm` calls `sum`, `globalAvgPool` calls `pooling`, every op allocates), so
 * an error raised inside names the inner op, or nothing at all (the allocation limit knows only a
 * size). `publicOp` wraps each public function once, where it is defined: a `TsGluonError` that
 * leaves it and does not already start with its name gets the name prefixed, so the message reads
 * as a path from what the user called down to what failed (`norm: sum: axis 3 is out of range`).
 * Inner public functions prefix their own name first, and the outermost one last.
 *
 * The wrapper also checks the function's options argument, when it has one: omitted, or a plain
 * object. `null`, a string or an array there would otherwise be read as "no options" or fail with
 * a TypeError deep inside (`pad(x, 2, 'edge')` would silently pad with zeros).
 *
 * The wrapper costs one call and a try block that V8 keeps on the fast path when nothing throws.
 */
import { TsGluonError, ValueError } from './errors.js';

/**
 * True when `message` already starts with `name` as its subject: `name:`, `name.` (a method) or
 * `name (` (a qualified subject, `Trainer (kvstore 'dist_sync'): ...`).
 */
function namedBy(message: string, name: string): boolean {
  if (!message.startsWith(name)) return false;
  const next = message.charCodeAt(name.length);
  return next === 58 /* : */ || next === 46 /* . */ || (next === 32 /* space */ && message.charCodeAt(name.length + 1) === 40 /* ( */);
}

/**
 * Prefixes `error`'s message with `name` when it is a TsGluonError that does not start with it;
 * returns the error for rethrowing. Other errors pass unchanged.
 * @example try { ... } catch (e) { throw relabel(e, 'DataLoader'); }
 */
export function relabel(error: unknown, name: string): unknown {
  if (error instanceof TsGluonError && !namedBy(error.message, name)) error.message = `${name}: ${error.message}`;
  return error;
}

/** A short description of a value that is not a plain object, for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v !== 'object') return typeof v === 'string' ? `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}` : typeof v;
  return `an instance of ${(v as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}`;
}

/**
 * Throws a ValueError naming `op` unless `options` is undefined or a plain object (an object
 * literal, or one without prototype).
 * @example checkOptions('pad', options);
 */
export function checkOptions(op: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options === 'object' && options !== null) {
    const proto = Object.getPrototypeOf(options) as unknown;
    if (proto === Object.prototype || proto === null) return;
  }
  throw new ValueError(`${op}: the options argument must be an object such as { axis: 1 }, got ${describe(options)}`);
}

/**
 * `fn` under its public name: typed errors leaving it name `name`, and its argument at
 * `optionsAt` (when given) must be omitted or a plain object. The wrapper keeps `fn`'s `length`
 * and source text (`toString`), so tools that read a function's parameters still can.
 * @example export const norm = publicOp('norm', function norm(x: NDArray, axis?: AxisArg, options?: NormOptions): NDArray { ... }, 2);
 */
export function publicOp<F extends (...args: never[]) => unknown>(name: string, fn: F, optionsAt = -1): F {
  const call = fn as unknown as (...args: unknown[]) => unknown;
  const op = function (this: unknown, ...args: unknown[]): unknown {
    try {
      if (optionsAt >= 0) checkOptions(name, args[optionsAt]);
      return call.apply(this, args);
    } catch (e) {
      throw relabel(e, name);
    }
  };
  Object.defineProperties(op, {
    name: { value: name },
    length: { value: fn.length },
    toString: { value: () => Function.prototype.toString.call(fn), writable: true, configurable: true },
  });
  return op as unknown as F;
}

/**
 * Throws a ValueError when a class declared abstract in TypeScript is constructed directly, as
 * JavaScript allows; `target` is the constructor's `new.target`.
 * @example refuseAbstract(new.target, Optimizer, 'use optimizer.SGD or another subclass');
 */
export function refuseAbstract(target: unknown, base: { readonly name: string }, hint: string): void {
  if (target === base) throw new ValueError(`${base.name} is abstract and cannot be constructed itself; ${hint}`);
}
