/**
 * Display names of blocks, with Gluon 1.x's name scopes.
 *
 * Outside any scope a block is named by a global counter per layer family: `dense0`, `dense1`,
 * `conv0` (so the children of a top-level Sequential are `dense0`, `dense1`...). Inside
 * `parent.nameScope(() => ...)` a block created there is named after its parent, with a counter
 * per parent and family: `mlp0_dense0`, `mlp0_dense1`, and an explicit prefix is appended to the
 * parent's (`mlp0_encoder_`). Scopes nest: a child that opens its own scope in its constructor
 * names its children `mlp0_dense0_...`. The counters of a block's scope persist across calls, as
 * Gluon's `with self.name_scope()` blocks do.
 *
 * Names are for display (initializers, messages, printing); parameters are saved and collected
 * by structural path, which no name scope changes.
 */
import { ValueError } from '../core/errors.js';

interface Scope {
  readonly prefix: string;
  readonly counters: Map<string, number>;
}

const globalCounters = new Map<string, number>();
const stack: Scope[] = [];
const scopes = new WeakMap<object, Scope>();

/** Resets the per-family counters behind top-level display names (`dense0`, `dense1`...), e.g. between tests. */
export function resetNameCounters(): void {
  globalCounters.clear();
}

function next(counters: Map<string, number>, base: string): string {
  const n = counters.get(base) ?? 0;
  counters.set(base, n + 1);
  return `${base}${n}_`;
}

/**
 * @internal The prefix of a block being constructed now: `explicit`, or the family name `hint`
 * with the next counter, both under the innermost open scope's prefix when there is one.
 */
export function blockPrefix(hint: string, explicit: string | undefined): string {
  const scope = stack[stack.length - 1];
  if (scope === undefined) return explicit ?? next(globalCounters, hint);
  return scope.prefix + (explicit ?? next(scope.counters, hint));
}

/**
 * @internal Runs `fn` with `owner`'s scope open (created on first use with `prefix`), so blocks
 * created inside are named under `prefix`. `fn` must be synchronous.
 */
export function withScope<T>(owner: object, prefix: string, fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`nameScope: expected a function to run inside the scope, got ${fn === null ? 'null' : typeof fn}`);
  let scope = scopes.get(owner);
  if (scope === undefined) {
    scope = { prefix, counters: new Map() };
    scopes.set(owner, scope);
  }
  stack.push(scope);
  try {
    const out = fn();
    if (out instanceof Promise) {
      throw new ValueError('nameScope: the function returned a Promise; create the child blocks synchronously (a constructor does)');
    }
    return out;
  } finally {
    stack.pop();
  }
}
