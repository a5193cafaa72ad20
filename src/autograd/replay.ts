/**
 * Backward without a walk: a plan for tapes made of compiled-graph nodes (a hybridized net and
 * a hybridized loss), replayed on each training step instead of backward.ts's generic pass.
 *
 * A hybridized step records the same few nodes every time (one per compiled graph), over the same
 * leaves (the parameters), so the generic pass's order, gradient targets and leaf-writing schedule
 * come out the same on every step; building them allocated sets and maps and touched every node
 * twice, on caches the step's big GEMMs had just flushed. After a generic backward over such a
 * tape, `remember` keeps what it decided, by position in its order. The next backward from a
 * single head (no head gradient, no retainGraph) checks, in one pass over the new tape, that it
 * has exactly that shape (the same leaves by identity with the same gradient buffers and
 * gradReq, the same links between nodes, no gradient buffer read as a value), then runs the same
 * gradient rules, accumulations and leaf writes in the same order: results are bitwise those of
 * the generic pass. Anything else (eager tapes, other structures) takes the generic pass.
 */
import { allocate, isFloat, type TypedArray } from '../core/dtype.js';
import { shapesEqual } from '../core/shape.js';
import { NDArray, type GradReq, type TapeNode } from '../ndarray/ndarray.js';
import { onesLike } from '../ndarray/creation.js';
import { needsGrad } from '../ops/define.js';
import { add } from '../ops/binary.js';
import { ensureDType } from '../ops/cast.js';
import { sumTo } from '../ops/reduce.js';

/** A tape node that runs a compiled graph's backward program (src/graph/executor.ts brands it). */
export interface CompiledTapeNode extends TapeNode {
  /** The node only reads the gradient it is given, and runs the same program on every step. */
  readonly compiledGraph: true;
  /**
   * The plan of the last backward from a head this graph computed, kept with the compiled graph
   * (not globally) so that it lives only as long as the block that holds it.
   */
  replayPlan: unknown;
}

const isCompiled = (node: TapeNode | null): boolean => node !== null && (node as Partial<CompiledTapeNode>).compiledGraph === true;

/** Plans over more nodes than this are not kept: the check that they are distinct is quadratic. */
const MAX_NODES = 16;

interface Plan {
  /** Per position of the order: the leaf array (identity checked), or null for a node's output. */
  readonly leaf: readonly (NDArray | null)[];
  readonly gradReq: readonly GradReq[];
  readonly gradBuf: readonly (NDArray | null)[];
  /** Per position: whether its dtype is floating point (gradients flow into it). */
  readonly float: readonly boolean[];
  /** Per node position: per input, its position, or -1 for an input that needs no gradient. */
  readonly inputs: readonly (Int32Array | null)[];
  /**
   * Per node position: the buffers offered to its rule (GradContext.into): the generic pass's
   * leaf gradient buffers, and the plan's own buffers for gradients passed between nodes.
   */
  readonly into: readonly ((NDArray | null)[] | undefined)[];
  /** Per position: leaves whose gradient is final once this position's node has run, in the generic pass's order. */
  readonly writeAfter: readonly (readonly number[])[];
  /** Per position: a leaf with no consumer, written when reached. */
  readonly writeAtReach: readonly boolean[];
  /**
   * Raw storage of every leaf gradient buffer: none may be read as a value by a node. Leaves
   * (fixed arrays over fixed storage) are checked when the plan is made, other inputs each step.
   */
  readonly gradRaws: readonly TypedArray[];
  /** The head gradient: ones of the head's shape and dtype, only ever read. */
  readonly ones: NDArray;
  /** Scratch, reused by each replay: the arrays and the gradients by position. */
  readonly arrs: (NDArray | null)[];
  readonly grads: (NDArray | undefined)[];
}

let busy = false;
let replayed = 0;

/** @internal How many backward passes took the plan so far (for tests). */
export function replayCount(): number {
  return replayed;
}

/**
 * @internal After the generic pass over `order` (heads first, as backward.ts walks it) from the
 * single head `order[0]`: keeps its decisions as the plan for the next steps when every node is a
 * compiled graph's and no leaf's gradient is left for the end (none read as a value). `targets`
 * are the buffers the generic pass offered. Call it before the graph is freed.
 */
export function remember(order: readonly NDArray[], targets: ReadonlyMap<NDArray, NDArray>): void {
  const n = order.length;
  const headNode = n === 0 ? null : order[0]!._node;
  if (!isCompiled(headNode)) return;
  (headNode as CompiledTapeNode).replayPlan = null;
  if (order.filter((a) => a._node !== null).length > MAX_NODES) return;
  // A view's gradient written into a leaf's buffer (backward.ts gradTargets) hangs on storage identity: not planned.
  for (const t of targets.keys()) if (t._node !== null) return;
  const pos = new Map<NDArray, number>(order.map((a, i) => [a, i]));
  const leaf: (NDArray | null)[] = [];
  const gradReq: GradReq[] = [];
  const gradBuf: (NDArray | null)[] = [];
  const inputs: (Int32Array | null)[] = [];
  const into: ((NDArray | null)[] | undefined)[] = [];
  const consumers = new Array<number>(n).fill(0);
  const gradRaws: TypedArray[] = [];
  for (const arr of order) {
    const node = arr._node;
    if (node !== null && !isCompiled(node)) return;
    if (arr._grad !== null && node !== null) return;
    leaf.push(node === null ? arr : null);
    gradReq.push(arr._gradReq);
    gradBuf.push(arr._grad);
    if (node === null && arr._grad !== null) gradRaws.push(arr._grad._raw);
    if (node === null) {
      inputs.push(null);
      into.push(undefined);
      continue;
    }
    const ins = new Int32Array(node.inputs.length);
    let offered: (NDArray | null)[] | undefined;
    node.inputs.forEach((x, j) => {
      const p = needsGrad(x) ? pos.get(x) : undefined;
      ins[j] = p ?? -1;
      if (p !== undefined) consumers[p]!++;
      // A gradient that only flows on to another compiled node gets a buffer of its own, kept
      // across steps: nothing outside this backward ever sees it (leaves get copies).
      const t = targets.get(x) ?? (p !== undefined && x._node !== null && isFloat(x.dtype) ? new NDArray(allocate(x.dtype, x.size), x.shape, x.dtype) : undefined);
      if (t === undefined) return;
      offered ??= new Array<NDArray | null>(node.inputs.length).fill(null);
      offered[j] = t;
    });
    inputs.push(ins);
    into.push(offered);
  }
  // The generic LeafWriter: a leaf is written once its last consumer has run.
  const writeAfter: number[][] = order.map(() => []);
  const left = [...consumers];
  const writeAtReach = order.map((a, i) => a._node === null && a._grad !== null && consumers[i] === 0);
  order.forEach((_, p) => {
    const ins = inputs[p];
    if (ins === null || ins === undefined) return;
    for (const q of ins) if (q >= 0 && leaf[q] !== null && gradBuf[q] !== null && --left[q]! === 0) writeAfter[p]!.push(q);
  });
  const head = order[0]!;
  const candidate: Plan = {
    leaf,
    gradReq,
    gradBuf,
    float: order.map((a) => isFloat(a.dtype)),
    inputs,
    into,
    writeAfter,
    writeAtReach,
    gradRaws,
    ones: onesLike(head),
    arrs: new Array<NDArray | null>(n).fill(null),
    grads: new Array<NDArray | undefined>(n).fill(undefined),
  };
  // Also rules out a gradient buffer that a node reads (the generic pass writes those at the end).
  const ok = matches(candidate, head, true);
  candidate.arrs.fill(null);
  if (ok) (headNode as CompiledTapeNode).replayPlan = candidate;
}

/** True when the tape from `head` has exactly the plan's shape; fills plan.arrs. `all`: check leaves' storage too. */
function matches(p: Plan, head: NDArray, all: boolean): boolean {
  const { arrs, leaf, inputs, gradRaws } = p;
  const n = arrs.length;
  if (head.dtype !== p.ones.dtype || !shapesEqual(head.shape, p.ones.shape)) return false;
  arrs[0] = head;
  for (let i = 1; i < n; i++) arrs[i] = null;
  for (let i = 0; i < n; i++) {
    const a = arrs[i];
    if (a === null || a === undefined || isFloat(a.dtype) !== p.float[i] || a._gradReq !== p.gradReq[i] || a._grad !== p.gradBuf[i]) return false;
    const ins = inputs[i]!;
    if (ins === null) {
      if (a !== leaf[i] || a._node !== null) return false;
      continue;
    }
    const node = a._node;
    if (!isCompiled(node) || node!.inputs.length !== ins.length) return false;
    // Distinct nodes: the generic pass visits an array once, so one array at two positions would differ.
    for (let k = 0; k < i; k++) if (inputs[k] !== null && arrs[k]!._node === node) return false;
    const xs = node!.inputs;
    for (let j = 0; j < xs.length; j++) {
      const x = xs[j]!;
      const q = ins[j]!;
      if (all || q < 0 || leaf[q] === null) for (let r = 0; r < gradRaws.length; r++) if (x._raw === gradRaws[r]) return false;
      if (q < 0) {
        if (needsGrad(x)) return false;
      } else if (arrs[q] === null) arrs[q] = x;
      else if (arrs[q] !== x) return false;
    }
  }
  return true;
}

/**
 * @internal Runs backward from `head` by the plan when the tape matches it (then returns true):
 * the same rules, accumulations and leaf writes as the generic pass, with `freed` set on every
 * node afterwards as it does without retainGraph. `finishLeaf` writes a leaf's gradient and runs
 * its hooks.
 */
export function replay(head: NDArray, freed: TapeNode, finishLeaf: (leaf: NDArray, g: NDArray | undefined) => void): boolean {
  const headNode = head._node;
  const p = isCompiled(headNode) ? ((headNode as CompiledTapeNode).replayPlan as Plan | null) : null;
  // A gradient-ready hook that runs a backward of its own takes the generic pass.
  if (p === null || busy) return false;
  if (!matches(p, head, false)) {
    // Holds no array of this step past the call.
    p.arrs.fill(null);
    return false;
  }
  busy = true;
  replayed++;
  const { arrs, grads, inputs, leaf } = p;
  try {
    grads[0] = p.ones;
    for (let i = 0; i < arrs.length; i++) {
      const ins = inputs[i]!;
      if (ins === null) {
        if (p.writeAtReach[i]) finishLeaf(leaf[i]!, grads[i]);
        continue;
      }
      const node = arrs[i]!._node!;
      const g = grads[i];
      if (g !== undefined) {
        const inputGrads = node.backward(g, p.into[i], false);
        for (let j = 0; j < ins.length; j++) {
          const gi = inputGrads[j];
          const q = ins[j]!;
          if (gi === null || gi === undefined || q < 0 || !p.float[q]) continue;
          const x = arrs[q]!;
          const v = ensureDType(shapesEqual(gi.shape, x.shape) ? gi : sumTo(gi, x.shape), x.dtype);
          const prev = grads[q];
          grads[q] = prev === undefined ? v : add(prev, v);
        }
        grads[i] = undefined;
      }
      const w = p.writeAfter[i]!;
      for (let k = 0; k < w.length; k++) finishLeaf(leaf[w[k]!]!, grads[w[k]!]);
    }
    for (let i = 0; i < arrs.length; i++) if (inputs[i] !== null) arrs[i]!._node = freed;
  } finally {
    arrs.fill(null);
    grads.fill(undefined);
    busy = false;
  }
  return true;
}
