/**
 * Parameter sharing (tied weights). Two ways, as Gluon 1 and Gluon 2 offer them:
 * - at construction, `new nn.Dense(8, { params: shared.params })`: when the new block declares a
 *   parameter, its ParameterDict finds one of the same key in `shared.params` and uses that
 *   Parameter object instead of creating one (ParameterDict.get checks that it fits). For a
 *   composite, `new Net({ params: net1.collectParams() })`, the children do not exist yet when
 *   the constructor of Block runs, so the tree is tied on its first use (a forward, collectParams,
 *   initialize): every parameter whose structural path is a key of the dict becomes that one, as
 *   `shareParameters` does;
 * - afterwards, `block.shareParameters(other.collectParams())`: every parameter of the block's
 *   tree whose structural path is a key of the given dict is replaced by that Parameter.
 *
 * Either way both blocks hold the same Parameter object, hence the same array: a forward through
 * either reads it, backward sums the gradients of both uses, deferred inference happens once
 * (the first forward that reaches it), `collectParams()` lists it once under its first path in
 * tree order, the Trainer updates it once, and `saveParameters` writes it once.
 *
 * This file also remembers which blocks hold a parameter and which block inferred its shape, so
 * that a shape mismatch on a shared parameter names both layers.
 */
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import type { Block } from './block.js';
import { Parameter } from './parameter.js';

const holders = new WeakMap<Parameter, string[]>();
const inferrers = new WeakMap<Parameter, string>();

/** Display name of the block owning a ParameterDict with this prefix (`dense1_` -> `dense1`). */
export function ownerName(prefix: string): string {
  return prefix.endsWith('_') ? prefix.slice(0, -1) : prefix || '(unnamed block)';
}

/** @internal Records that the block called `block` holds `p` (declares it or shares it). */
export function noteHolder(p: Parameter, block: string): void {
  const list = holders.get(p);
  if (list === undefined) holders.set(p, [block]);
  else if (!list.includes(block)) list.push(block);
}

/** Display names of the blocks known to hold `p`, the declaring block first. */
export function holdersOf(p: Parameter): readonly string[] {
  return holders.get(p) ?? [];
}

/** @internal Records that `block`'s input determined the unknown dimensions of `p`. */
export function noteInferred(p: Parameter, block: string): void {
  inferrers.set(p, block);
}

/** The block whose input last completed the shape of `p`, if it was inferred. */
export function inferredBy(p: Parameter): string | undefined {
  return inferrers.get(p);
}

/**
 * @internal For a block's shape-mismatch error: when `p` is shared with other blocks, a sentence
 * naming them and the block whose input fixed the shape; otherwise undefined.
 */
export function sharedOrigin(p: Parameter, block: string): string | undefined {
  const others = holdersOf(p).filter((b) => b !== block);
  if (others.length === 0) return undefined;
  const by = inferredBy(p);
  const how =
    by !== undefined && by !== block
      ? `its shape was inferred from the first input of ${by}`
      : by === block
        ? `its shape was inferred from an earlier input of ${block}`
        : 'its shape was fixed when it was built (inUnits) or by setData';
  return (
    `Parameter ${p.name} is shared by ${[block, ...others].join(' and ')}, and ${how}. ` +
    `Layers that share a parameter must receive inputs of the same size: feed ${block} inputs that match, or do not share this parameter.`
  );
}

/** What `shareParameters` accepts: `net.collectParams()` or a record of Parameters by path. */
export type SharedParams = Iterable<[string, Parameter]> | Readonly<Record<string, Parameter>>;

function pairsOf(shared: SharedParams): [string, Parameter][] {
  if (shared === null || typeof shared !== 'object') {
    throw new ValueError(`shareParameters: expected a ParameterDict (other.collectParams()) or a record of Parameters, got ${String(shared)}`);
  }
  const pairs = Symbol.iterator in shared ? [...(shared as Iterable<[string, Parameter]>)] : Object.entries(shared);
  for (const [key, p] of pairs) {
    if (!(p instanceof Parameter)) throw new ValueError(`shareParameters: '${key}' is not a Parameter but ${p === null ? 'null' : typeof p}`);
  }
  return pairs;
}

/**
 * @internal `Block.shareParameters`: replaces, in `root`'s tree, every parameter whose structural
 * path (relative to `root`) is a key of `shared` by that Parameter. Everything is checked before
 * anything changes. Returns the paths replaced.
 */
export function shareInto(root: Block, shared: SharedParams, how = 'shareParameters'): string[] {
  const wanted = new Map(pairsOf(shared));
  const plan: { block: Block; key: string; path: string; old: Parameter; p: Parameter }[] = [];
  const seen = new Set<Block>();
  let matched = 0;
  const visit = (b: Block, path: string): void => {
    if (seen.has(b)) return;
    seen.add(b);
    for (const [key, old] of b.params) {
      const full = path === '' ? key : `${path}.${key}`;
      const p = wanted.get(full);
      if (p === undefined) continue;
      matched++;
      if (p === old) continue;
      if (p.dtype !== old.dtype) {
        throw new DTypeError(`${b.name}.${how}: '${full}' is ${old.dtype} (${old.name}) but the shared ${p.name} is ${p.dtype}; nothing was shared`);
      }
      const oldRankUnknown = old.shape.length === 0 && !old.shapeKnown;
      if (!oldRankUnknown && !p.fits(old.shape)) {
        throw new ShapeError(
          `${b.name}.${how}: '${full}' (${old.name}) has shape ${fmtShape(old.shape)}, the shared ${p.name} has shape ${fmtShape(p.shape)}; ` +
            `nothing was shared. Share only between layers of the same sizes.`,
        );
      }
      plan.push({ block: b, key, path: full, old, p });
    }
    for (const [key, child] of b.namedChildren()) visit(child, path === '' ? key : `${path}.${key}`);
  };
  visit(root, '');
  if (matched === 0 && wanted.size > 0) {
    throw new ValueError(
      `${root.name}.${how}: no key of the given parameters matches a parameter path of ${root.name}. ` +
        `Given: ${[...wanted.keys()].slice(0, 8).join(', ')}; ${root.name} has: ${root.collectParams().keys().slice(0, 8).join(', ') || '(none)'}. ` +
        `Keys are structural paths relative to each network (collectParams() keys).`,
    );
  }
  for (const { block, key, old, p } of plan) {
    // The dict entry first: the params getter would otherwise re-register the old field value.
    block.params.set(key, p);
    const fields = block as unknown as Record<string, unknown>;
    for (const field of Object.keys(fields)) if (fields[field] === old) fields[field] = p;
    if (old.shapeKnown && !p.shapeKnown) p.shape = old.shape;
    noteHolder(p, block.name);
  }
  return plan.map((x) => x.path);
}

/**
 * @internal Ties `root`'s tree to the dict given as its `params` option (see the file comment).
 * Parameters its own ParameterDict already took from the dict count as matched; a dict none of
 * whose keys matches a parameter path is an error rather than silently ignored.
 */
export function shareOnFirstUse(root: Block, shared: SharedParams): void {
  shareInto(root, shared, 'params (the params option given at construction)');
}
