/**
 * Child fields of a block, with Gluon's `__setattr__` rules on a JavaScript object.
 *
 * A field holding a Block or a Parameter is a child of the tree. Overwriting it with a value of
 * another kind (`net.fc = 3`, a Parameter replaced by an array) would silently drop the child from
 * the tree, so it is a ChildTypeError, as Gluon raises TypeError; replacing a Block by another
 * Block, or a Parameter by another Parameter, is allowed (that is how a head is swapped), and
 * `delete net.fc` removes a child on purpose.
 *
 * JavaScript cannot intercept a write to an existing data property without turning it into an
 * accessor, which would put every block's properties in V8's slow dictionary mode (measured: +15%
 * CPU per step of a small MLP). So the kind each child field held is recorded, and a change is
 * reported at the next walk of the block (collectParams, initialize, saving, a Sequential's
 * forward...), before anything could miss the child. Fields are recorded at every walk, and also
 * the moment they are created by assignment (`b.child = new gluon.Block()`): a trap at the end of
 * Block.prototype's chain, which only assignments of new properties reach (reading fields and
 * calling methods never touch it), so an overwrite before the first walk is caught too. Class
 * fields (`fc = new nn.Dense(8)`), which JavaScript defines without assigning, are recorded at the
 * first walk.
 *
 * Blocks hidden inside other containers (an object or Map of blocks, an array of arrays, an array
 * mixing blocks and other values) are not children; `collectParams` warns about them once per
 * field, as Gluon warns about "unregistered containers with Blocks".
 */
import { ChildTypeError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Block } from './block.js';
import { Parameter } from './parameter.js';
import { warn } from './warnings.js';

type IsBlock = (v: unknown) => boolean;
type Kind = 'Block' | 'Parameter';

function kind(v: unknown, isBlock: IsBlock): Kind | null {
  if (v instanceof Parameter) return 'Parameter';
  return isBlock(v) ? 'Block' : null;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') {
    const ctor = (v as object).constructor?.name;
    return ctor === undefined || ctor === 'Object' ? 'an object' : `an instance of ${ctor}`;
  }
  return `the ${typeof v} ${JSON.stringify(v) ?? String(v)}`;
}

function nameOf(block: object): string {
  return (block as { name?: string }).name ?? 'block';
}

/** The kind of child each field of a block held when last seen, with that child's display name. */
const recorded = new WeakMap<object, Map<string, { kind: Kind; name: string }>>();

function record(block: object, key: string, k: Kind, value: unknown): void {
  let fields = recorded.get(block);
  if (fields === undefined) recorded.set(block, (fields = new Map()));
  fields.set(key, { kind: k, name: (value as { name: string }).name });
}

/**
 * @internal Installs the assignment trap at the end of `proto`'s prototype chain (once, for
 * Block.prototype): a new property assigned to a block instance is defined as usual, and recorded
 * when it holds a Block or Parameter.
 */
export function installFieldGuard(proto: object, isBlock: IsBlock): void {
  const base = Object.getPrototypeOf(proto) as object;
  const trap = new Proxy(base, {
    set(target, key, value, receiver: object) {
      if (receiver === target) return Reflect.set(target, key, value);
      const ok = Reflect.defineProperty(receiver, key, { value, writable: true, enumerable: true, configurable: true });
      // A class prototype owns 'constructor'; only instances have child fields.
      if (ok && typeof key === 'string' && receiver !== proto && isBlock(receiver) && !Object.prototype.hasOwnProperty.call(receiver, 'constructor')) {
        const k = kind(value, isBlock);
        if (k !== null) record(receiver, key, k, value);
      }
      return ok;
    },
  });
  Object.setPrototypeOf(proto, trap);
}

/**
 * @internal Checks `block`'s fields against the kinds recorded for them (throwing ChildTypeError
 * for a child field now holding something else) and records the current ones. A deleted field is
 * forgotten.
 */
export function checkFields(block: object, isBlock: IsBlock): void {
  const fields = recorded.get(block);
  let present: Set<string> | null = null;
  for (const [key, value] of Object.entries(block)) {
    const now = kind(value, isBlock);
    const was = fields?.get(key);
    if (was !== undefined && now !== was.kind) {
      throw new ChildTypeError(
        `${nameOf(block)}.${key} held a ${was.kind} (${was.name}) and now holds ${describe(value)}, which drops that child from the network ` +
          `(Gluon refuses such an assignment). Assign another ${was.kind} to replace it, or \`delete ${nameOf(block)}.${key}\` to remove the child on purpose.`,
      );
    }
    if (now !== null) {
      record(block, key, now, value);
      if (fields !== undefined) (present ??= new Set()).add(key);
    }
  }
  if (fields !== undefined) for (const key of fields.keys()) if (present === null || !present.has(key)) fields.delete(key);
}

/** True when `v` holds a Block somewhere inside arrays, plain objects, Maps or Sets. */
function holdsBlock(v: unknown, isBlock: IsBlock, seen: Set<object>, depth: number): boolean {
  if (v === null || typeof v !== 'object' || depth > 6 || seen.has(v)) return false;
  if (isBlock(v)) return true;
  if (v instanceof NDArray || v instanceof Parameter) return false;
  seen.add(v);
  let items: Iterable<unknown>;
  if (Array.isArray(v) || v instanceof Set) items = v;
  else if (v instanceof Map) items = v.values();
  else {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    items = Object.values(v);
  }
  for (const item of items) if (holdsBlock(item, isBlock, seen, depth + 1)) return true;
  return false;
}

const warned = new WeakMap<object, Set<string>>();

/**
 * @internal Warns (once per block and field) about fields that hide Blocks inside containers the
 * tree does not walk. An array whose every element is a Block is a registered list, not a warning.
 */
export function warnUnregisteredContainers(block: object, isBlock: IsBlock): void {
  for (const [key, value] of Object.entries(block)) {
    if (value === null || typeof value !== 'object' || isBlock(value)) continue;
    if (Array.isArray(value) && value.length > 0 && value.every(isBlock)) continue;
    if (!holdsBlock(value, isBlock, new Set(), 0)) continue;
    let done = warned.get(block);
    if (done === undefined) warned.set(block, (done = new Set()));
    if (done.has(key)) continue;
    done.add(key);
    warn(
      `${nameOf(block)}.${key} is ${describe(value)} holding Blocks that are not registered as children: their parameters are not ` +
        `collected, initialized, saved or trained. Assign each block to a field, use an array whose every element is a Block ` +
        `(this.${key} = [a, b]), a Sequential, or registerChild(block, key).`,
    );
  }
}

/** What field `field` of `block` holds, or element `index` of it when it is a list of blocks. */
function held(block: Block, field: string, index: number): unknown {
  const v = (block as unknown as Record<string, unknown>)[field];
  return index < 0 ? v : Array.isArray(v) ? v[index] : undefined;
}

/**
 * @internal A check that every child Block of `root`'s tree held by a field (or a list field)
 * is still there: a hybridized block's graph is traced again once one was replaced or deleted, as
 * Gluon's `__setattr__` clears the cached graph. One property read per field child per call.
 */
export function fieldChildrenCheck(root: Block): () => boolean {
  const checks: { block: Block; field: string; index: number; child: Block }[] = [];
  const seen = new Set<Block>();
  const visit = (block: Block): void => {
    if (seen.has(block)) return;
    seen.add(block);
    for (const [key, child] of block.namedChildren()) {
      const dot = key.indexOf('.');
      const field = dot < 0 ? key : key.slice(0, dot);
      const index = dot < 0 ? -1 : Number(key.slice(dot + 1));
      if (held(block, field, index) === child) checks.push({ block, field, index, child });
      visit(child);
    }
  };
  visit(root);
  return () => checks.every((c) => held(c.block, c.field, c.index) === c.child);
}
