/**
 * The graph a hybridized forward is traced into: a list of primitive calls over numbered values,
 * in execution order (each node's inputs come before it), as plain data.
 *
 * - A value has a shape, a dtype and a source: an input of the forward (`input`), a parameter
 *   (`param`, named by structural path and display name), a constant captured while tracing
 *   (`const`: a scalar operand such as the 2 of `x.mul(2)`, an array made inside the forward), or
 *   the output of a node (`node`).
 * - A node names its primitive (`op`, a name `primitiveByName` resolves), carries that
 *   primitive's attributes (JSON-able: numbers, strings, booleans, arrays, objects of them), lists
 *   its input values, and has one output value, or none for a step that writes its first input in
 *   place (BatchNorm's running statistics: `effect: 'inPlace'`).
 *
 * `describe()` (also `toJSON()`) gives the graph as plain data and `Graph.fromDescription` builds
 * one back, re-inferring every shape, so a graph can be stored, imported, inspected or built by
 * hand, and run by `compile` (src/graph/executor.ts) like a traced one. `toString()` prints one
 * line per node with its op, inputs, attributes and output shape.
 */
import type { DType } from '../core/dtype.js';
import { isDType } from '../core/dtype.js';
import { ValueError, fmtShape } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { primitiveByName, type Primitive } from '../ops/define.js';

/** Where a value comes from. */
export type ValueSource =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'const'; readonly index: number }
  | { readonly kind: 'node'; readonly node: number };

/** One value of a graph. */
export interface GraphValue {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly source: ValueSource;
}

/** One primitive call. */
export interface GraphNode {
  readonly id: number;
  /** The primitive's registered name. */
  readonly op: string;
  /** The primitive's attributes, plain data. */
  readonly attrs: unknown;
  /** Value ids of the inputs. */
  readonly inputs: readonly number[];
  /** Value id of the output; null for an in-place step (its first input is written). */
  readonly output: number | null;
  /** False when the op ran inside `autograd.pause` while tracing: no gradient flows through it. */
  readonly differentiable: boolean;
}

/** A parameter input: its structural path (`0.weight`) and display name (`dense0_weight`). */
export interface GraphParam {
  readonly path: string;
  readonly name: string;
}

/** How a description refers to a value. */
export type ValueRef = { readonly input: number } | { readonly param: number } | { readonly const: number } | { readonly node: number };

/** A graph as plain data (what `describe()` returns and `Graph.fromDescription` accepts). */
export interface GraphDescription {
  readonly name?: string;
  readonly inputs: readonly { readonly shape: readonly number[]; readonly dtype: DType }[];
  readonly params: readonly (GraphParam & { readonly shape: readonly number[]; readonly dtype: DType })[];
  readonly constants: readonly { readonly shape: readonly number[]; readonly dtype: DType; readonly data: readonly number[] }[];
  readonly nodes: readonly { readonly op: string; readonly attrs?: unknown; readonly inputs: readonly ValueRef[]; readonly differentiable?: boolean }[];
  readonly outputs: readonly ValueRef[];
}

/** What a graph is built from: the pieces a trace (or a description) collects. */
export type GraphParts = Pick<Graph, 'name' | 'values' | 'nodes' | 'inputs' | 'params' | 'paramValues' | 'constants' | 'outputs' | 'prims' | 'plans'>;

/**
 * A traced (or described) graph. Read it through its fields, `toString()` and `describe()`;
 * run it with `compile(graph)`.
 * @example
 * net.hybridize();
 * net.forward(x);
 * console.log(net.graph().toString());
 */
export class Graph {
  /** The block (or description) it came from. */
  readonly name: string;
  readonly values: readonly GraphValue[];
  readonly nodes: readonly GraphNode[];
  /** Value ids of the forward's inputs, in argument order. */
  readonly inputs: readonly number[];
  /** The parameters read, in order of first use; `paramValues[i]` is parameter i's value id. */
  readonly params: readonly GraphParam[];
  readonly paramValues: readonly number[];
  /** Arrays captured by value while tracing (`const` values). */
  readonly constants: readonly NDArray[];
  /** Value ids of the outputs. */
  readonly outputs: readonly number[];
  /** @internal Each node's primitive. */
  readonly prims: readonly Primitive<unknown, unknown>[];
  /** @internal Each node's kernel plan, from `infer` (shapes are fixed in a graph). */
  readonly plans: readonly unknown[];

  constructor(parts: GraphParts) {
    ({
      name: this.name, values: this.values, nodes: this.nodes, inputs: this.inputs, params: this.params,
      paramValues: this.paramValues, constants: this.constants, outputs: this.outputs, prims: this.prims, plans: this.plans,
    } = parts);
  }

  /** A short label for value `id`: `data`/`data0`, a parameter's display name, `const0`, `%7`. */
  label(id: number): string {
    const { source } = this.values[id]!;
    switch (source.kind) {
      case 'input':
        return this.inputs.length === 1 ? 'data' : `data${source.index}`;
      case 'param':
        return this.params[source.index]!.name;
      case 'const':
        return `const${source.index}`;
      default:
        return `%${id}`;
    }
  }

  /** The graph as plain data; `Graph.fromDescription(g.describe())` rebuilds it. */
  describe(): GraphDescription {
    const ref = (id: number): ValueRef => {
      const s = this.values[id]!.source;
      return s.kind === 'input' ? { input: s.index } : s.kind === 'param' ? { param: s.index } : s.kind === 'const' ? { const: s.index } : { node: s.node };
    };
    return {
      name: this.name,
      inputs: this.inputs.map((id) => ({ shape: [...this.values[id]!.shape], dtype: this.values[id]!.dtype })),
      params: this.params.map((p, i) => ({ ...p, shape: [...this.values[this.paramValues[i]!]!.shape], dtype: this.values[this.paramValues[i]!]!.dtype })),
      constants: this.constants.map((c) => ({ shape: [...c.shape], dtype: c.dtype, data: Array.from(c.storage) })),
      nodes: this.nodes.map((n) => ({ op: n.op, attrs: n.attrs, inputs: n.inputs.map(ref), ...(n.differentiable ? {} : { differentiable: false }) })),
      outputs: this.outputs.map(ref),
    };
  }

  toJSON(): GraphDescription {
    return this.describe();
  }

  /** One line per input, parameter, constant and node, then the outputs. */
  toString(): string {
    const v = (id: number): string => `${fmtShape(this.values[id]!.shape)} ${this.values[id]!.dtype}`;
    const lines = [`Graph ${this.name}: ${this.nodes.length} nodes`];
    this.inputs.forEach((id) => lines.push(`  input  ${this.label(id)} ${v(id)}`));
    this.paramValues.forEach((id, i) => lines.push(`  param  ${this.label(id)} ${v(id)}  [${this.params[i]!.path}]`));
    this.constants.forEach((c, i) => lines.push(`  const  const${i} ${fmtShape(c.shape)} ${c.dtype}${c.size <= 4 ? ` = ${JSON.stringify(Array.from(c.storage))}` : ''}`));
    for (const n of this.nodes) {
      const attrs = n.attrs === null || n.attrs === undefined ? '' : ` ${JSON.stringify(n.attrs)}`;
      const call = `${n.op}(${n.inputs.map((id) => this.label(id)).join(', ')})${attrs}`;
      lines.push(n.output === null ? `  ${call}  (in place)` : `  %${n.output} = ${call} -> ${v(n.output)}`);
    }
    lines.push(`  outputs: ${this.outputs.map((id) => this.label(id)).join(', ')}`);
    return lines.join('\n');
  }

  /**
   * Builds a graph from plain data, checking it as it goes: each op must be a registered
   * primitive, each reference must point at an input, parameter, constant or earlier node, and
   * each node's primitive validates its inputs (shapes and dtypes are re-inferred).
   * @example const g = Graph.fromDescription(JSON.parse(text));
   */
  static fromDescription(desc: GraphDescription): Graph {
    const where = `Graph.fromDescription${desc.name === undefined ? '' : ` (${desc.name})`}`;
    const values: GraphValue[] = [];
    const add = (shape: readonly number[], dtype: DType, source: ValueSource): number => {
      if (!isDType(dtype)) throw new ValueError(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
      values.push({ id: values.length, shape: [...shape], dtype, source });
      return values.length - 1;
    };
    const inputs = desc.inputs.map((x, index) => add(x.shape, x.dtype, { kind: 'input', index }));
    const paramValues = desc.params.map((p, index) => add(p.shape, p.dtype, { kind: 'param', index }));
    const constants = desc.constants.map((c) => array(c.data as number[], { dtype: c.dtype, shape: c.shape }));
    const constValues = constants.map((c, index) => add(c.shape, c.dtype, { kind: 'const', index }));
    const nodeOutputs: (number | null)[] = [];
    const resolve = (r: ValueRef, at: string): number => {
      const pick = (list: readonly (number | null)[], i: number, what: string): number => {
        const id = Number.isInteger(i) ? list[i] : undefined;
        if (id === undefined || id === null) throw new ValueError(`${where}: ${at} refers to ${what} ${i}, which does not exist${what === 'node' ? ' before it or has no output' : ''}`);
        return id;
      };
      if ('input' in r) return pick(inputs, r.input, 'input');
      if ('param' in r) return pick(paramValues, r.param, 'param');
      if ('const' in r) return pick(constValues, r.const, 'const');
      if ('node' in r) return pick(nodeOutputs, r.node, 'node');
      throw new ValueError(`${where}: ${at} has a reference that is none of input, param, const or node: ${JSON.stringify(r)}`);
    };
    const nodes: GraphNode[] = [];
    const prims: Primitive<unknown, unknown>[] = [];
    const plans: unknown[] = [];
    desc.nodes.forEach((n, id) => {
      const prim = primitiveByName(n.op);
      if (prim === undefined) throw new ValueError(`${where}: node ${id} uses op '${n.op}', which is not a primitive of this tsgluon`);
      const ins = n.inputs.map((r, k) => resolve(r, `node ${id} (${n.op}) input ${k}`));
      const attrs = n.attrs ?? null;
      const { shape, dtype, plan } = prim.infer(ins.map((i) => NDArray.shapeOnly(values[i]!.shape, values[i]!.dtype)), attrs);
      const output = prim.effect === 'inPlace' ? null : add(shape, dtype, { kind: 'node', node: id });
      nodeOutputs.push(output);
      nodes.push({ id, op: n.op, attrs, inputs: ins, output, differentiable: n.differentiable ?? true });
      prims.push(prim);
      plans.push(plan);
    });
    const outputs = desc.outputs.map((r, k) => resolve(r, `output ${k}`));
    const params = desc.params.map(({ path, name }) => ({ path, name }));
    return new Graph({ name: desc.name ?? 'graph', values, nodes, inputs, params, paramValues, constants, outputs, prims, plans });
  }
}
