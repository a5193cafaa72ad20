/**
 * Forward hooks (Gluon's `register_forward_pre_hook` / `register_forward_hook`): functions a
 * block calls before its forward with the inputs, and after it with the inputs and the output.
 * Registering returns a `HookHandle` whose `detach()` removes the hook again.
 *
 * Hooks run in registration order on every `forward` call of the block that holds them (not of
 * its children), including nested calls from a parent's forward. They do not run during
 * data-free shape inference (`inferShape`, `initialize({ inputShape })`, `summary`), whose arrays
 * carry no values. As in Gluon 1.x, what a hook returns is ignored: it observes, it does not
 * replace the inputs or the output.
 */
import { ValueError } from '../core/errors.js';

/** Called before a block's forward with the block and its inputs. */
export type ForwardPreHook<B = unknown> = (block: B, inputs: readonly unknown[]) => void;
/** Called after a block's forward with the block, its inputs and its output. */
export type ForwardHook<B = unknown> = (block: B, inputs: readonly unknown[], output: unknown) => void;

interface Hooks {
  readonly pre: Map<number, ForwardPreHook>;
  readonly post: Map<number, ForwardHook>;
}

const registry = new WeakMap<object, Hooks>();
let nextId = 0;

/** Removes the hook it was returned for; `detach()` twice is harmless. */
export class HookHandle {
  readonly #hooks: Map<number, unknown>;
  readonly #id: number;

  /** @internal */
  constructor(hooks: Map<number, unknown>, id: number) {
    this.#hooks = hooks;
    this.#id = id;
  }

  /** Removes the hook: the block no longer calls it. */
  detach(): void {
    this.#hooks.delete(this.#id);
  }

  /** True while the hook is still registered. */
  get attached(): boolean {
    return this.#hooks.has(this.#id);
  }
}

function hooksOf(block: object): Hooks {
  let h = registry.get(block);
  if (h === undefined) {
    h = { pre: new Map(), post: new Map() };
    registry.set(block, h);
  }
  return h;
}

/** @internal Registers `hook` in `block`'s pre- or post-forward list. */
export function addHook(block: object, kind: 'pre' | 'post', hook: unknown, blockName: string): HookHandle {
  const method = kind === 'pre' ? 'registerForwardPreHook' : 'registerForwardHook';
  if (typeof hook !== 'function') throw new ValueError(`${blockName}.${method}: expected a function, got ${hook === null ? 'null' : typeof hook}`);
  const map = hooksOf(block)[kind] as Map<number, unknown>;
  const id = nextId++;
  map.set(id, hook);
  return new HookHandle(map, id);
}

/** @internal Calls `block`'s pre-forward hooks. */
export function runPreHooks(block: object, inputs: readonly unknown[]): void {
  const h = registry.get(block);
  if (h === undefined || h.pre.size === 0) return;
  for (const hook of [...h.pre.values()]) hook(block, inputs);
}

/** @internal Calls `block`'s post-forward hooks. */
export function runPostHooks(block: object, inputs: readonly unknown[], output: unknown): void {
  const h = registry.get(block);
  if (h === undefined || h.post.size === 0) return;
  for (const hook of [...h.post.values()]) hook(block, inputs, output);
}

/** @internal True when `block` has a forward hook of either kind (a layer then calls it rather than fusing it away). */
export function hasForwardHooks(block: object): boolean {
  const h = registry.get(block);
  return h !== undefined && (h.pre.size > 0 || h.post.size > 0);
}
