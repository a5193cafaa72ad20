/**
 * Child fields of a block, with Gluon's `__setattr__` rules on a JavaScript object.
 *
 * A field holding a Block or a Parameter is a child of the tree. Overwriting it with a value of
 * another kind (`net.fc = 3`, a Parameter replaced by an array) would silently drop the child from
 * the tree, so it throws ChildTypeError, as Gluon raises TypeError; replacing a Block by another
 * Block, or a Parameter by another Parameter, is allowed (that is how a head is swapped), and
 * `delete net.fc` removes a child on purpose.
 *
 * The check lives in a setter: a child field becomes an accessor property (still enumerable, in
 * the same position). Fields created by assignment (`this.fc = new nn.Dense(8)`, `net.extra =
 * ...`) become accessors at once, through a trap at the end of Block.prototype's chain that only
 * assignments of new properties reach (so reading fields and calling methods never touch it).
 * Class fields (`fc = new nn.Dense(8)`), which JavaScript defines without assigning, become
 * accessors when the block is first walked (collectParams, initialize, a Sequential forward) or
 * when its `nameScope` callback returns.
 *
 * Blocks hidden inside other containers (an object or Map of blocks, an array of arrays, an array
 * mixing blocks and other values) are not children; `collectParams` warns about them once per
 * field, as Gluon warns about "unregistered containers with Blocks".
 */
import { ChildTypeError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Parameter } from './parameter.js';
import { warn } from './warnings.js';

type IsBlock = (v: unknown) => boolean;

function kind(v: unknown, isBlock: IsBlock): 'Block' | 'Parameter' | null {
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

function defineGuarded(block: object, key: PropertyKey, initial: unknown, isBlock: IsBlock): void {
  let value = initial;
  Object.defineProperty(block, key, {
    enumerable: true,
    configurable: true,
    get: () => value,
    set: (next: unknown) => {
      const was = kind(value, isBlock);
      if (was !== null && kind(next, isBlock) !== was) {
        throw new ChildTypeError(
          `${nameOf(block)}.${String(key)} holds a ${was} (${(value as { name: string }).name}); assigning ${describe(next)} to it would drop that child ` +
            `from the network. Assign another ${was} to replace it, or \`delete ${nameOf(block)}.${String(key)}\` first to remove the child on purpose.`,
        );
      }
      value = next;
    },
  });
}

/**
 * @internal Installs the assignment trap at the end of `proto`'s prototype chain (once, for
 * Block.prototype): new properties assigned to a block instance that hold a Block or Parameter
 * become guarded accessors; any other new property is an ordinary data property.
 */
export function installFieldGuard(proto: object, isBlock: IsBlock): void {
  const base = Object.getPrototypeOf(proto) as object;
  const trap = new Proxy(base, {
    set(target, key, value, receiver: object) {
      // A class prototype owns 'constructor'; only instances get guarded child fields.
      const instance = receiver !== proto && isBlock(receiver) && !Object.prototype.hasOwnProperty.call(receiver, 'constructor');
      if (instance && kind(value, isBlock) !== null) {
        defineGuarded(receiver, key, value, isBlock);
        return true;
      }
      if (receiver === target) return Reflect.set(target, key, value);
      return Reflect.defineProperty(receiver, key, { value, writable: true, enumerable: true, configurable: true });
    },
  });
  Object.setPrototypeOf(proto, trap);
}

/** @internal Turns `block`'s own data fields holding a Block or Parameter into guarded accessors. */
export function guardFields(block: object, isBlock: IsBlock): void {
  for (const key of Object.keys(block)) {
    const d = Object.getOwnPropertyDescriptor(block, key);
    if (d === undefined || !('value' in d) || !d.configurable || kind(d.value, isBlock) === null) continue;
    defineGuarded(block, key, d.value, isBlock);
  }
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
