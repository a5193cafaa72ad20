/**
 * The backward graph of a forward graph, built once by tracing the primitives' gradient rules.
 *
 * Every forward value gets a shape-only stand-in; the ones a recorded forward would have taped
 * get the same tape node `apply` records (PrimNode: the primitive's rule bound to its inputs,
 * output and attributes). Then autograd's own propagation (`traceGradients`: the same order of
 * rules and the same accumulations as `y.backward()`) runs over the stand-ins while a Tracer
 * captures every op the rules apply. So the backward graph computes exactly what eager backward
 * computes, in the same order: bitwise the same gradients.
 *
 * Its inputs are the head gradients (one per forward output), then the forward values the rules
 * read (the "saved" values, in order of first use); its outputs are the gradients of the forward
 * inputs and parameters that need one.
 */
import { PrimNode } from '../ops/define.js';
import { NDArray } from '../ndarray/ndarray.js';
import { traceGradients } from '../autograd/backward.js';
import { pause } from '../autograd/state.js';
import { withCapture } from '../ops/define.js';
import type { Graph } from './graph.js';
import { Tracer } from './trace.js';

/** A backward graph and how it connects to its forward graph. */
export interface BackwardGraph {
  readonly graph: Graph;
  /** Forward value ids read by the backward graph: its inputs after the head gradients. */
  readonly saved: readonly number[];
  /**
   * For each forward input, then each parameter: the index of its gradient among the backward
   * graph's outputs, or -1 when it gets none.
   */
  readonly gradOf: readonly number[];
}

/**
 * Traces the backward of `fwd` for leaves (forward inputs, then parameters) of which `needs` says
 * which take part in the gradient.
 */
export function traceBackward(fwd: Graph, needs: readonly boolean[]): BackwardGraph {
  const standIn = fwd.values.map((v) => NDArray.shapeOnly(v.shape, v.dtype));
  const leaves = [...fwd.inputs, ...fwd.paramValues];
  leaves.forEach((v, i) => {
    if (needs[i]) standIn[v]!._gradReq = 'write';
  });
  fwd.nodes.forEach((n, i) => {
    const prim = fwd.prims[i]!;
    if (n.output === null || !n.differentiable || prim.grad === undefined) return;
    const inputs = n.inputs.map((v) => standIn[v]!);
    const needsGrad = inputs.map((x) => x._node !== null || x._gradReq !== 'null');
    if (!needsGrad.some(Boolean)) return;
    const out = standIn[n.output]!;
    out._node = new PrimNode(prim, { inputs, out, attrs: n.attrs, needsGrad });
  });

  const savedIds = new Map<NDArray, number>(standIn.map((x, id) => [x, id]));
  const saved: number[] = [];
  const tracer = new Tracer(`${fwd.name} backward`, (x) => {
    const id = savedIds.get(x);
    if (id === undefined) return false;
    saved.push(id);
    return true;
  });
  const heads = fwd.outputs.map((v) => standIn[v]!);
  const headGrads = heads.map((h) => tracer.input(h.shape, h.dtype));
  const wanted = leaves.map((v, i) => (needs[i] ? standIn[v]! : null));
  const grads = withCapture(tracer, () =>
    pause(() => traceGradients(heads, headGrads, wanted.filter((x): x is NDArray => x !== null)), { trainMode: true }),
  );
  const outputs: NDArray[] = [];
  let k = 0;
  const gradOf = wanted.map((x) => {
    if (x === null) return -1;
    const g = grads[k++];
    if (g === undefined) return -1;
    outputs.push(g);
    return outputs.length - 1;
  });
  const graph = tracer.finish(`${fwd.name} backward`, outputs, () => ({ path: '', name: '' }));
  return { graph, saved, gradOf };
}
