/**
 * Runs a symbol graph with nd ops: nodes in their (topological) order, each through its
 * operator's definition in `ops.ts`. Variables come from a `VariableSource` (the SymbolBlock's
 * inputs and parameters); a parameter whose shape is still unknown gets it from its consumer's
 * `paramShapes`, which is how an imported symbol without a params file infers its parameter
 * shapes at the first forward (or from shape-only arrays in `inferShape`). Intermediate arrays
 * are dropped after their last use, so a forward holds no more than the live values.
 */
import { ModelFormatError, UnsupportedOperatorError } from '../../io/model-format-error.js';
import type { SymbolEntry, SymbolGraph, SymbolNode } from '../../io/symbol-json.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { Attrs } from './attrs.js';
import { opDef, type OpDef } from './ops.js';

/** What a variable node is to a SymbolBlock. */
export type VariableKind = 'input' | 'param' | 'aux' | 'unused';

/** Where a graph's variables come from. */
export interface VariableSource {
  /** The array of variable node `node`, or null for a parameter whose shape is still unknown. */
  value(node: number): NDArray | null;
  /** Completes a pending parameter's shape (as `consumer` needs it) and returns its array. */
  infer(node: number, shape: readonly number[], consumer: SymbolNode): NDArray;
}

/** The operator definition of a node, or an UnsupportedOperatorError naming it. */
export function defOf(node: SymbolNode): OpDef {
  const def = opDef(node.op);
  if (def === undefined) {
    throw new UnsupportedOperatorError('mxnet-symbol', node.op, node.name, 'tsgluon has no implementation of this MXNet operator');
  }
  return def;
}

/**
 * Classifies every variable node: an input (named in `inputNames`), a parameter, an aux state
 * (an input slot the consuming operator mutates), or unused (only read by ignored slots, such as
 * SoftmaxOutput's label). Also checks that every operator is supported, before anything runs.
 */
export function classifyVariables(graph: SymbolGraph, inputNames: readonly string[]): Map<number, VariableKind> {
  const kinds = new Map<number, VariableKind>();
  const used = new Set<number>();
  for (const [i, n] of graph.nodes.entries()) {
    if (n.op === 'null') {
      kinds.set(i, inputNames.includes(n.name) ? 'input' : 'param');
      continue;
    }
    const def = defOf(n);
    n.inputs.forEach((e, slot) => {
      if (def.ignored?.includes(slot)) return;
      used.add(e.node);
      if (def.aux?.includes(slot) && graph.nodes[e.node]!.op === 'null' && kinds.get(e.node) === 'param') kinds.set(e.node, 'aux');
    });
  }
  for (const h of graph.heads) used.add(h.node);
  for (const [i, k] of kinds) if (k === 'param' && !used.has(i)) kinds.set(i, 'unused');
  return kinds;
}

/** Evaluates the graph's heads; `onNode` sees each operator node's outputs (exporters read shapes). */
export function runGraph(graph: SymbolGraph, source: VariableSource, onNode?: (index: number, outputs: readonly NDArray[]) => void): NDArray[] {
  const lastUse = new Map<number, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((e) => lastUse.set(e.node, i)));
  for (const h of graph.heads) lastUse.set(h.node, Infinity);
  const values = new Map<number, NDArray[]>();
  const read = (e: SymbolEntry, consumer: SymbolNode): NDArray => {
    const outs = values.get(e.node)!;
    const v = outs[e.index];
    if (v === undefined) {
      throw new ModelFormatError('mxnet-symbol', `an input reads output ${e.index} of node ${JSON.stringify(graph.nodes[e.node]!.name)}, which has ${outs.length}`, { item: consumer.name });
    }
    return v;
  };
  for (const [i, node] of graph.nodes.entries()) {
    if (node.op === 'null') continue;
    const def = defOf(node);
    const attrs = new Attrs(node.attrs, node.op, node.name);
    const inputs: (NDArray | null)[] = node.inputs.map((e, slot) => {
      if (def.ignored?.includes(slot)) return null;
      const src = graph.nodes[e.node]!;
      return src.op === 'null' ? source.value(e.node) : read(e, node);
    });
    const pending = inputs.map((v, slot) => (v === null && !def.ignored?.includes(slot) ? slot : -1)).filter((s) => s >= 0);
    if (pending.length > 0) {
      const data = inputs[0];
      const shapes = data == null || def.paramShapes === undefined ? [] : def.paramShapes(data.shape, attrs);
      for (const slot of pending) {
        const shape = shapes[slot];
        const v = node.inputs[slot]!;
        if (shape == null) {
          throw new ModelFormatError('mxnet-symbol', `the shape of ${JSON.stringify(graph.nodes[v.node]!.name)} (input ${slot} of ${node.op}) cannot be inferred; load a params file`, { item: node.name });
        }
        inputs[slot] = source.infer(v.node, shape, node);
      }
    }
    const outputs = def.run(inputs as NDArray[], attrs);
    onNode?.(i, outputs);
    values.set(i, outputs);
    for (const e of node.inputs) if (lastUse.get(e.node) === i) values.delete(e.node);
  }
  return graph.heads.map((h) => {
    const n = graph.nodes[h.node]!;
    if (n.op === 'null') {
      const v = source.value(h.node);
      if (v === null) throw new ModelFormatError('mxnet-symbol', `output ${JSON.stringify(n.name)} is a parameter with unknown shape`, { item: n.name });
      return v;
    }
    return read(h, n);
  });
}
