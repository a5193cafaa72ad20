/**
 * Reverse-mode differentiation over the graph that `apply` records.
 *
 * `backward` walks the arrays reachable from the heads in reverse topological order, calls each
 * node's gradient rule, sums gradients that were broadcast back to their input's shape (the one
 * central place where broadcasting is undone), and writes each leaf's gradient according to its
 * `gradReq` as soon as it is final, then runs the leaf's gradient-ready hooks (hooks.ts). Unless
 * `retainGraph` is set, each node is released as soon as its rule has run, so the step's arrays
 * become garbage during backward and a training loop holds no memory across iterations.
 */
import { isFloat, type TypedArray } from '../core/dtype.js';
import { isHalf } from '../core/half.js';
import { AutogradError, DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { publicOp } from '../core/public.js';
import { shapesEqual } from '../core/shape.js';
import { NDArray, expectArray, type GradReq, type TapeNode } from '../ndarray/ndarray.js';
import { onesLike, zerosLike } from '../ndarray/creation.js';
import { needsGrad } from '../ops/define.js';
import { add } from '../ops/binary.js';
import { ensureDType } from '../ops/cast.js';
import { sumTo } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { gradReady } from './hooks.js';
import { remember, replay } from './replay.js';
import { pause } from './state.js';

/** Options of `y.backward()`. */
export interface BackwardOptions {
  /** Keep the recorded graph so backward can run again through it. */
  retainGraph?: boolean;
  /** Compute gradients in training mode (the default) or prediction mode. */
  trainMode?: boolean;
}

/**
 * What a recorded array's node becomes once backward has run through it without `retainGraph`:
 * it holds no inputs (so the graph can be collected) and raises if gradient must flow through it
 * again, instead of silently cutting the gradient off.
 */
const FREED: TapeNode = {
  op: 'freed',
  inputs: [],
  backward: () => {
    throw new AutogradError(
      'backward: part of this graph was already freed by an earlier backward(); ' +
        'pass { retainGraph: true } to the first backward to differentiate through it again, recompute it inside autograd.record(), ' +
        'or call .detach() on values carried over from an earlier step (such as an RNN state)',
    );
  },
};

function topoOrder(heads: readonly NDArray[]): NDArray[] {
  const order: NDArray[] = [];
  const seen = new Set<NDArray>();
  const stack: [NDArray, number][] = heads.map((h) => [h, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [arr, i] = top;
    if (i === 0) {
      if (seen.has(arr)) {
        stack.pop();
        continue;
      }
      seen.add(arr);
    }
    const inputs = arr._node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const next = inputs[i]!;
      if (!seen.has(next) && needsGrad(next)) stack.push([next, 0]);
    } else {
      stack.pop();
      order.push(arr);
    }
  }
  return order.reverse();
}

/** `v` as a list (an array alone is a list of one), each element checked; made once, not per backward call. */
function list<T>(v: unknown, what: string, each: (e: unknown) => boolean): T[] {
  const out = v instanceof NDArray ? [v] : Array.isArray(v) ? Array.from(v as unknown[]) : null;
  if (out === null || !out.every(each)) throw new AutogradError(`backward: ${what}, got ${fmtValue(v)}`);
  return out as T[];
}

/**
 * Differentiates `heads` with respect to every array with an attached gradient. A non-scalar head
 * is seeded with ones unless `headGrads` gives its gradient.
 */
export const backward = publicOp('backward', function backward(
  heads: NDArray | readonly NDArray[],
  headGrads?: NDArray | readonly (NDArray | null)[] | null,
  options: BackwardOptions = {},
): void {
  const hs = heads instanceof NDArray ? [heads] : list<NDArray>(heads, 'the heads must be an NDArray or a list of NDArrays', (e) => e instanceof NDArray);
  const hg = headGrads === undefined || headGrads === null ? [] : list<NDArray | null>(headGrads, 'head gradients must be an NDArray or a list of NDArrays (or null for ones)', (e) => e === null || e instanceof NDArray);
  for (const h of hs) {
    if (h._node === FREED) {
      throw new AutogradError(
        `backward: the graph of this ${fmtShape(h.shape)} array was already freed by an earlier backward(); ` +
          `pass { retainGraph: true } to the first backward() to call it twice, or recompute it inside autograd.record()`,
      );
    }
    if (!needsGrad(h)) {
      throw new AutogradError(
        `backward: this ${fmtShape(h.shape)} array was not computed inside autograd.record() from an array with an attached gradient; ` +
          `call x.attachGrad() and compute it inside autograd.record(() => ...)`,
      );
    }
  }
  if (hg.length > hs.length) {
    throw new AutogradError(`backward: got ${hg.length} head gradients for ${hs.length} heads; give one per head (or null for ones)`);
  }
  pause(() => run(hs, hg, options), { trainMode: options.trainMode ?? true });
}, 2);

function run(heads: NDArray[], headGrads: (NDArray | null)[], options: BackwardOptions): void {
  const retain = options.retainGraph ?? false;
  // A tape of compiled graphs (a hybridized training step) replays the plan of the last such
  // backward when it has the same shape (replay.ts); otherwise the generic pass runs.
  const plain = !retain && heads.length === 1 && headGrads.length === 0;
  if (plain && replay(heads[0]!, FREED, finishLeaf)) return;
  const { order, targets } = propagate(heads, headGrads, retain, true);
  if (plain) remember(order, targets);
  if (!retain) for (const arr of order) if (arr._node !== null) arr._node = FREED;
}

/**
 * Walks the graph from the heads in reverse topological order, calling each node's gradient rule
 * and accumulating what flows into each array (summed back to its shape and cast to its dtype).
 * Returns the order and the gradients: a leaf's is its total gradient. With `live`, rules are
 * offered the leaves' gradient buffers to write into (GradContext.into) and leaf gradients are
 * written as they become final; without it nothing reads or writes storage.
 */
function propagate(
  heads: NDArray[],
  headGrads: (NDArray | null)[],
  retain: boolean,
  live: boolean,
): { order: NDArray[]; grads: Map<NDArray, NDArray>; targets: Map<NDArray, NDArray> } {
  const grads = new Map<NDArray, NDArray>();
  const accumulate = (x: NDArray, g: NDArray): void => {
    const prev = grads.get(x);
    grads.set(x, prev === undefined ? g : add(prev, g));
  };
  heads.forEach((h, i) => {
    const g = headGrads[i] ?? onesLike(h);
    if (!shapesEqual(g.shape, h.shape)) {
      throw new ShapeError(`backward: head gradient has shape ${fmtShape(g.shape)} but the head has shape ${fmtShape(h.shape)}; they must match`);
    }
    accumulate(h, ensureDType(g, h.dtype));
  });
  const order = topoOrder(heads);
  const { targets, leaves } = live ? plan(order, heads, headGrads, grads) : { targets: new Map<NDArray, NDArray>(), leaves: null };
  const early = live && !retain;
  for (let p = 0; p < order.length; p++) {
    const arr = order[p]!;
    const node = arr._node;
    if (node === null) {
      leaves?.reached(arr);
      continue;
    }
    const g = grads.get(arr);
    if (g !== undefined) {
      let into: (NDArray | null)[] | undefined;
      if (targets.size > 0) {
        node.inputs.forEach((x, i) => {
          const t = targets.get(x);
          if (t === undefined) return;
          into ??= new Array<NDArray | null>(node.inputs.length).fill(null);
          into[i] = t;
        });
      }
      const inputGrads = node.backward(g, into, retain);
      node.inputs.forEach((x, i) => {
        const gi = inputGrads[i];
        if (gi === null || gi === undefined || !needsGrad(x) || !isFloat(x.dtype)) return;
        accumulate(x, ensureDType(shapesEqual(gi.shape, x.shape) ? gi : sumTo(gi, x.shape), x.dtype));
      });
      if (!retain) grads.delete(arr);
    }
    leaves?.consumed(node);
    if (early && !isCompiledNode(node)) release(order, p);
  }
  leaves?.finish();
  return { order, grads, targets };
}

/**
 * Drops backward's references to the array at `order[p]` once its node has run: the node (its
 * saved inputs and closure) becomes FREED and the order keeps a placeholder, so the step's
 * activations and gradients become garbage as soon as nothing later needs them, instead of at
 * the end of backward. An eager step's arrays are tens of MB of external memory: a scavenge that
 * lands in backward keeps whatever is still reachable, and those bytes, counted against the old
 * generation's limit, brought on a full collection every 2-3 steps of the eager LeNet step
 * (src/backend/native/gc-tuning.ts); with the release, about one in 10-20. A compiled graph's node is kept for replay.ts,
 * which makes no plan for a tape that has any other node, as it did before (it sees a placeholder
 * whose node is not compiled).
 */
function release(order: NDArray[], p: number): void {
  order[p]!._node = FREED;
  order[p] = RELEASED;
}

/** What `release` leaves in the order: a freed node over no storage. */
const RELEASED = NDArray.shapeOnly([0], 'float32');
RELEASED._node = FREED;

const isCompiledNode = (node: TapeNode): boolean => (node as { compiledGraph?: boolean }).compiledGraph === true;

/**
 * The gradient targets and the leaf writer for a live pass. A function of its own so that the set
 * of storages the graph reads (which holds every activation) is garbage once they are built.
 */
function plan(
  order: readonly NDArray[],
  heads: readonly NDArray[],
  headGrads: readonly (NDArray | null)[],
  grads: ReadonlyMap<NDArray, NDArray>,
): { targets: Map<NDArray, NDArray>; leaves: LeafWriter } {
  const { targets, read } = gradTargets(order, heads, headGrads);
  return { targets, leaves: new LeafWriter(order, read, grads) };
}

/**
 * @internal The gradients a backward from `heads` (seeded with `headGrads`) would give each
 * array of `leaves`, or undefined where none flows, computed with exactly backward's order of
 * rules and accumulations but without reading or writing any storage. The graph layer runs it
 * while tracing, over shape-only stand-ins, to build a backward graph once.
 */
export function traceGradients(heads: readonly NDArray[], headGrads: readonly NDArray[], leaves: readonly NDArray[]): (NDArray | undefined)[] {
  const { grads } = propagate([...heads], [...headGrads], false, false);
  return leaves.map((x) => grads.get(x));
}

/**
 * Writes leaf gradients as early as they are final: once the last node that consumes a leaf has
 * run its gradient rule, the leaf's gradient is written and its gradient-ready hooks run while
 * backward goes on with the rest of the graph. A gradient buffer the graph also reads as a value
 * (and any array with a gradient that is not a plain leaf) is written at the end instead.
 */
class LeafWriter {
  /** Early leaves not written yet, with how many of their consumers have not run. */
  readonly #remaining = new Map<NDArray, number>();
  readonly #late: NDArray[] = [];
  readonly #grads: ReadonlyMap<NDArray, NDArray>;

  constructor(order: readonly NDArray[], read: ReadonlySet<TypedArray>, grads: ReadonlyMap<NDArray, NDArray>) {
    this.#grads = grads;
    for (const arr of order) {
      if (arr._gradReq === 'null' || arr._grad === null) continue;
      if (arr._node === null && !read.has(arr._grad._raw)) this.#remaining.set(arr, 0);
      else this.#late.push(arr);
    }
    for (const arr of order) {
      for (const x of arr._node?.inputs ?? []) {
        const n = this.#remaining.get(x);
        if (n !== undefined) this.#remaining.set(x, n + 1);
      }
    }
  }

  /** `node` has run (or had no gradient to pass on): its inputs have one consumer fewer left. */
  consumed(node: TapeNode): void {
    for (const x of node.inputs) {
      const n = this.#remaining.get(x);
      if (n === undefined) continue;
      if (n > 1) this.#remaining.set(x, n - 1);
      else this.#write(x);
    }
  }

  /** Backward reached leaf `arr`: every consumer has run (a head may have none). */
  reached(arr: NDArray): void {
    if (this.#remaining.has(arr)) this.#write(arr);
  }

  /** Writes the gradients left for the end. */
  finish(): void {
    for (const arr of this.#late) finishLeaf(arr, this.#grads.get(arr));
  }

  #write(leaf: NDArray): void {
    this.#remaining.delete(leaf);
    finishLeaf(leaf, this.#grads.get(leaf));
  }
}

/** Writes a leaf's gradient `g` into its buffer as its gradReq says, then runs its hooks. */
function finishLeaf(leaf: NDArray, g: NDArray | undefined): void {
  // A leaf in the graph that received no gradient (every path to it has zero derivative, as
  // through sign or a comparison) has gradient zero: 'write' must not leave a stale one.
  if (g !== undefined) writeGrad(leaf, g);
  else if (leaf._gradReq === 'write') leaf._grad!._raw.fill(0);
  leaf._gradFresh = true;
  gradReady(leaf);
}

function writeGrad(leaf: NDArray, g: NDArray): void {
  const buf = leaf._grad!;
  if (isHalf(leaf.dtype)) {
    // 16-bit gradients are summed in float32 and rounded once, like every op on them.
    const total = leaf._gradReq === 'add' ? add(buf, g) : g;
    buf._raw.set(ensureDType(total, leaf.dtype)._raw);
    return;
  }
  const dst = buf.storage;
  if (leaf._gradReq === 'add') {
    const src = g.storage;
    for (let i = 0; i < dst.length; i++) dst[i]! += src[i]!;
  } else if (g.storage !== dst) dst.set(g.storage);
}

/**
 * The buffers gradient rules may write into directly (`GradContext.into`), so a weight's
 * gradient is computed in place instead of allocated and copied: the gradient buffer of each leaf
 * with gradReq 'write' that receives exactly one gradient (one edge of the graph, not a head),
 * and, through a chain of views (reshape) each with one consumer, a view of that buffer shaped
 * like the view. A buffer that the graph or a head gradient also reads as a value is never
 * offered, so writing it early changes nothing another rule sees.
 */
function gradTargets(
  order: readonly NDArray[],
  heads: readonly NDArray[],
  headGrads: readonly (NDArray | null)[],
): { targets: Map<NDArray, NDArray>; read: Set<TypedArray> } {
  const uses = new Map<NDArray, number>();
  const read = new Set<TypedArray>();
  for (const h of heads) uses.set(h, 2);
  for (const g of headGrads) if (g !== null) read.add(g._raw);
  for (const arr of order) {
    const node = arr._node;
    if (node === null) continue;
    for (const x of node.inputs) {
      read.add(x._raw);
      if (needsGrad(x) && isFloat(x.dtype)) uses.set(x, (uses.get(x) ?? 0) + 1);
    }
  }
  const targets = new Map<NDArray, NDArray>();
  // Inputs come before their consumers in the reversed order.
  for (let i = order.length - 1; i >= 0; i--) {
    const arr = order[i]!;
    if (uses.get(arr) !== 1) continue;
    const node = arr._node;
    if (node === null) {
      const buf = arr._grad;
      if (arr._gradReq === 'write' && buf !== null && !read.has(buf._raw)) targets.set(arr, buf);
    } else if (node.inputs.length === 1 && node.inputs[0]!._raw === arr._raw) {
      const base = targets.get(node.inputs[0]!);
      if (base !== undefined) targets.set(arr, reshape(base, arr.shape));
    }
  }
  return { targets, read };
}

/**
 * Marks `x` as a leaf whose gradient backward computes, allocating its gradient buffer (zeros).
 * `gradReq`: 'write' (default) overwrites the gradient on each backward, 'add' accumulates,
 * 'null' detaches.
 */
export const attachGrad = publicOp('attachGrad', function attachGrad(x: NDArray, options: { gradReq?: GradReq } = {}): void {
  expectArray('attachGrad', x);
  const req = options.gradReq ?? 'write';
  if (req !== 'write' && req !== 'add' && req !== 'null') throw new ValueError(`attachGrad: gradReq must be 'write', 'add' or 'null', got ${fmtValue(req)}`);
  if (req !== 'null' && !isFloat(x.dtype)) {
    throw new DTypeError(`attachGrad: gradients need a float32 or float64 array, this one is ${x.dtype}; convert with .astype('float32')`);
  }
  x._node = null;
  x._gradReq = req;
  x._grad = req === 'null' ? null : zerosLike(x);
}, 1);

/** A new array with the same values that is cut off from the recorded graph. */
export const detach = publicOp('detach', function detach(x: NDArray): NDArray {
  expectArray('detach', x);
  return x.isShapeOnly ? NDArray.shapeOnly(x.shape, x.dtype) : new NDArray(x._raw, x.shape, x.dtype);
});

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    /** Allocates a gradient buffer; backward fills it. */
    attachGrad(options?: { gradReq?: GradReq }): void;
    /** The gradient buffer (null until `attachGrad`). */
    readonly grad: NDArray | null;
    /** Backpropagates from this array (seeded with ones unless `headGrad` is given). */
    backward(headGrad?: NDArray | null, options?: BackwardOptions): void;
    /** The same values, cut off from the recorded graph. */
    detach(): NDArray;
  }
}

Object.defineProperties(NDArray.prototype, {
  attachGrad: { value(this: NDArray, options?: { gradReq?: GradReq }) { attachGrad(this, options); }, configurable: true, writable: true },
  grad: { get(this: NDArray) { return this._grad; }, configurable: true },
  backward: {
    value(this: NDArray, headGrad?: NDArray | null, options?: BackwardOptions) {
      backward(this, headGrad ?? null, options);
    },
    configurable: true,
    writable: true,
  },
  detach: { value(this: NDArray) { return detach(this); }, configurable: true, writable: true },
});
