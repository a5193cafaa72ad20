/**
 * The arguments and results of a hybridized forward as a graph sees them: flat lists of arrays.
 * A forward may take arrays nested in lists (a recurrent layer's `forward(x, [h, c])`) and return
 * them nested (`[output, [h, c]]`); the graph's inputs are the arrays of the arguments in order,
 * depth first, and its outputs those of the result. The signature a graph is cached under holds
 * the nesting, each array's shape and dtype, and the value of every other argument (numbers,
 * strings, booleans, null, undefined); an argument of any other kind, or nested deeper than 32
 * lists, cannot be traced (the block then runs imperatively).
 */
import { NDArray } from '../ndarray/ndarray.js';

/** An argument or result: an array, a plain value, or a list of them. */
type Tree = unknown;

/** Deepest nesting a traced argument may have; deeper ones run imperatively. */
const MAX_DEPTH = 32;

/** The arrays of `tree`, depth first (without recursion, so any nesting depth is fine). */
export function leaves(tree: Tree): NDArray[] {
  // The common call, forward(x) or forward(x, y) with arrays only: one array, no stack.
  if (Array.isArray(tree)) {
    let flat = true;
    for (let i = 0; i < tree.length && flat; i++) flat = tree[i] instanceof NDArray;
    if (flat) return (tree as NDArray[]).slice();
  }
  const out: NDArray[] = [];
  const stack: Tree[] = [tree];
  while (stack.length > 0) {
    const t = stack.pop();
    if (t instanceof NDArray) out.push(t);
    else if (Array.isArray(t)) for (let i = t.length - 1; i >= 0; i--) stack.push(t[i]);
  }
  return out;
}

/** `tree` with its arrays replaced, in order, by `xs` (which it consumes from `at.i`). */
export function rebuild(tree: Tree, xs: readonly NDArray[], at = { i: 0 }): Tree {
  if (tree instanceof NDArray) return xs[at.i++];
  if (Array.isArray(tree)) return tree.map((t) => rebuild(t, xs, at));
  return tree;
}

/** The cache key of `args`, or null when an argument cannot be traced (an object, a function). */
export function signatureKey(args: readonly Tree[], training: boolean): string | null {
  const parts: string[] = [training ? 'train' : 'predict'];
  const walk = (a: Tree, depth: number): boolean => {
    if (a instanceof NDArray) parts.push(`${a.dtype}(${a.shape.join(',')})`);
    else if (Array.isArray(a)) {
      if (depth >= MAX_DEPTH) return false;
      parts.push('[');
      if (!a.every((t) => walk(t, depth + 1))) return false;
      parts.push(']');
    } else if (a === undefined) parts.push('undefined');
    else if (a === null || typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean') parts.push(JSON.stringify(a));
    else return false;
    return true;
  };
  return args.every((a) => walk(a, 0)) ? parts.join('|') : null;
}

/** True when `a` has the structure, shapes, dtypes and plain values of `traced` (shape-only stand-ins). */
export function sameTree(a: Tree, traced: Tree): boolean {
  if (a instanceof NDArray) {
    if (!(traced instanceof NDArray) || a.dtype !== traced.dtype || a.ndim !== traced.ndim) return false;
    for (let d = 0; d < a.ndim; d++) if (a.shape[d] !== traced.shape[d]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(traced) || a.length !== traced.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], traced[i])) return false;
    return true;
  }
  return Object.is(a, traced);
}

/** `tree` with every array replaced by a shape-only array of its shape and dtype. */
export function shapesOf(tree: Tree): Tree {
  if (tree instanceof NDArray) return NDArray.shapeOnly(tree.shape, tree.dtype);
  if (Array.isArray(tree)) return tree.map(shapesOf);
  return tree;
}

/** True when `tree` is an array or a non-empty list whose leaves are all arrays (a forward's result). */
export function isArrayTree(tree: Tree): boolean {
  if (tree instanceof NDArray) return true;
  return Array.isArray(tree) && tree.length > 0 && tree.every((t) => isArrayTree(t) || (Array.isArray(t) && t.length === 0));
}
