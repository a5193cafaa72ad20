/**
 * Per-leaf "gradient ready" callbacks: backward calls them the moment a leaf's gradient is final
 * (every op that consumed the leaf has run its gradient rule, and the gradient is written into the
 * leaf's buffer), while the rest of the graph is still being differentiated. Distributed training
 * uses this to start reducing gradients across processes during backward (src/dist/).
 */
import type { NDArray } from '../ndarray/ndarray.js';

type GradReadyHook = (leaf: NDArray) => void;

const hooks = new WeakMap<NDArray, Set<GradReadyHook>>();

/**
 * Calls `fn(leaf)` each time a backward has finished writing `leaf`'s gradient (leaves with an
 * attached gradient only). Returns a function that removes the callback.
 */
export function onGradReady(leaf: NDArray, fn: GradReadyHook): () => void {
  let set = hooks.get(leaf);
  if (set === undefined) hooks.set(leaf, (set = new Set()));
  set.add(fn);
  return () => {
    set.delete(fn);
  };
}

/** @internal Called by backward once `leaf`'s gradient is written. */
export function gradReady(leaf: NDArray): void {
  const set = hooks.get(leaf);
  if (set !== undefined) for (const fn of [...set]) fn(leaf);
}
