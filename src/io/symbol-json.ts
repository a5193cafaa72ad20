/**
 * MXNet's symbol files (`<name>-symbol.json`): nnvm's graph JSON, read and written.
 *
 * The layout is nnvm's (src/pass/saveload_json.cc in MXNet 1.x, `JSONGraph` and `JSONNode`):
 * `nodes` in topological order, each `{op, name, attrs, inputs}` where `op` is "null" for a
 * variable (an input or a parameter), `attrs` maps attribute names to strings (MXNet 0.x wrote
 * `param` and `attr` instead; they are merged), and each input is `[node, output, version]`
 * (the version, 1 for mutated aux states such as BatchNorm's running statistics, may be absent
 * in old files); `arg_nodes` lists the variable nodes; `heads` are the graph's outputs;
 * `node_row_ptr` (optional) is the prefix sum of each node's output count; `attrs` holds graph
 * attributes such as `{"mxnet_version": ["int", 10600]}`. Like nnvm's reader, unknown fields are
 * errors, and an input may only name an earlier node, so the graph has no cycle by construction.
 *
 * The text is parsed by the strict parser (duplicate keys refused, depth and array lengths
 * capped), so a hostile file costs memory proportional to its size and fails with a
 * ModelFormatError naming the node. Graphs with subgraphs (MXNet's control-flow operators) are
 * refused with an UnsupportedOperatorError.
 */
import { ValueError, fmtValue } from '../core/errors.js';
import { ModelFormatError, UnsupportedOperatorError } from './model-format-error.js';
import { JsonSyntaxError, firstInvalidUtf8, jsonTypeName, parseStrictJson, type JsonValue } from './strict-json.js';

/** One input or output of a node: output `index` of node `node`. */
export interface SymbolEntry {
  readonly node: number;
  readonly index: number;
  /** nnvm's version counter: 1 marks an aux state the op mutates (BatchNorm's running stats). */
  readonly version: number;
}

/** One node of a symbol graph. */
export interface SymbolNode {
  /** MXNet's operator name (`FullyConnected`), or 'null' for a variable. */
  readonly op: string;
  readonly name: string;
  /** Attributes as MXNet spells them, values as strings (`{ num_hidden: '8' }`). */
  readonly attrs: ReadonlyMap<string, string>;
  readonly inputs: readonly SymbolEntry[];
}

/** A graph in nnvm's form: nodes in topological order, variables, outputs. */
export interface SymbolGraph {
  readonly nodes: readonly SymbolNode[];
  /** Indices of the variable nodes (inputs and parameters). */
  readonly argNodes: readonly number[];
  readonly heads: readonly SymbolEntry[];
}

/** The MXNet version written into exported files (1.6.0, whose operators these are). */
export const MXNET_VERSION = 10600;

const GRAPH_FIELDS = new Set(['nodes', 'arg_nodes', 'heads', 'node_row_ptr', 'attrs']);
const NODE_FIELDS = new Set(['op', 'name', 'inputs', 'attrs', 'attr', 'param', 'control_deps', 'subgraphs', 'backward_source_id']);

function fail(what: string, item?: string): ModelFormatError {
  return new ModelFormatError('mxnet-symbol', what, item === undefined ? {} : { item });
}

function index(v: JsonValue | undefined, what: string, item?: string): number {
  if (typeof v !== 'number') throw fail(`${what} must be a non-negative integer, got ${v === undefined ? 'nothing' : jsonTypeName(v)}`, item);
  return v;
}

function entry(v: JsonValue, what: string, bound: number, item?: string): SymbolEntry {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
    throw fail(`${what} must be [node, output] or [node, output, version], got ${jsonTypeName(v)}${Array.isArray(v) ? ` of length ${v.length}` : ''}`, item);
  }
  const node = index(v[0], `${what}[0]`, item);
  if (node >= bound) throw fail(`${what} refers to node ${node}, but only nodes before it (0 to ${bound - 1}) may be used`, item);
  return { node, index: index(v[1], `${what}[1]`, item), version: v.length === 3 ? index(v[2], `${what}[2]`, item) : 0 };
}

function stringMap(v: JsonValue, what: string, into: Map<string, string>, item: string): void {
  if (!(v instanceof Map)) throw fail(`${what} must be an object of strings, got ${jsonTypeName(v)}`, item);
  for (const [k, s] of v) {
    if (typeof s !== 'string') throw fail(`${what} value of ${JSON.stringify(k)} must be a string, got ${jsonTypeName(s)}`, item);
    into.set(k, s);
  }
}

function parseNode(v: JsonValue, id: number): SymbolNode {
  if (!(v instanceof Map)) throw fail(`node ${id} must be an object, got ${jsonTypeName(v)}`);
  const name = v.get('name');
  const label = typeof name === 'string' ? name : `node ${id}`;
  for (const key of v.keys()) if (!NODE_FIELDS.has(key)) throw fail(`node ${id} has unknown field ${JSON.stringify(key)}`, label);
  if (typeof name !== 'string') throw fail(`node ${id} needs a "name" string`, label);
  const op = v.get('op');
  if (typeof op !== 'string' || op === '') throw fail(`node ${id} needs an "op" string ("null" for a variable)`, label);
  const inputsV = v.get('inputs');
  if (!Array.isArray(inputsV)) throw fail(`node ${id} needs an "inputs" array`, label);
  const inputs = inputsV.map((e, i) => entry(e, `inputs[${i}]`, id, label));
  if (op === 'null' && inputs.length > 0) throw fail(`variable node ${id} has ${inputs.length} inputs; a variable has none`, label);
  const attrs = new Map<string, string>();
  for (const key of ['param', 'attr', 'attrs']) {
    const a = v.get(key);
    if (a !== undefined && a !== null) stringMap(a, `"${key}"`, attrs, label);
  }
  const deps = v.get('control_deps');
  if (deps !== undefined && (!Array.isArray(deps) || deps.some((d) => typeof d !== 'number' || d >= id))) {
    throw fail(`"control_deps" must list earlier nodes`, label);
  }
  const sub = v.get('subgraphs');
  if (sub !== undefined && (!Array.isArray(sub) || sub.length > 0)) {
    throw new UnsupportedOperatorError('mxnet-symbol', op, name, 'nodes with subgraphs (control flow: _foreach, _while_loop, _cond) cannot be imported');
  }
  return { op, name, attrs, inputs };
}

/**
 * Parses and validates a symbol file's text (or bytes). Throws a ModelFormatError on any defect.
 * @example const graph = parseSymbolJson(readFileSync('net-symbol.json', 'utf8'))
 */
export function parseSymbolJson(input: string | Uint8Array): SymbolGraph {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (!(input instanceof Uint8Array)) {
    throw new ValueError(`parseSymbolJson: input must be the text of a symbol file or its bytes (a Uint8Array), got ${fmtValue(input)}`);
  } else {
    const bad = firstInvalidUtf8(input, 0, input.length);
    if (bad >= 0) throw new ModelFormatError('mxnet-symbol', `the file is not valid UTF-8 (byte 0x${input[bad]!.toString(16).padStart(2, '0')})`, { offset: bad });
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  }
  let root: JsonValue;
  try {
    root = parseStrictJson(text, { maxDepth: 8, maxArrayLength: 1 << 20 });
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw fail(`the file is not valid JSON: ${e.message} (character ${e.position})`);
    throw e;
  }
  if (!(root instanceof Map)) throw fail(`the file must hold a JSON object, got ${jsonTypeName(root)}`);
  for (const key of root.keys()) if (!GRAPH_FIELDS.has(key)) throw fail(`unknown top-level field ${JSON.stringify(key)}`);
  const nodesV = root.get('nodes');
  if (!Array.isArray(nodesV) || nodesV.length === 0) throw fail(`"nodes" must be a non-empty array`);
  const nodes = nodesV.map((n, i) => parseNode(n, i));
  const argV = root.get('arg_nodes');
  if (!Array.isArray(argV)) throw fail(`"arg_nodes" must be an array of node indices`);
  const argNodes = argV.map((a, i) => {
    const n = index(a, `arg_nodes[${i}]`);
    if (n >= nodes.length || nodes[n]!.op !== 'null') throw fail(`arg_nodes[${i}] = ${n} is not a variable node`);
    return n;
  });
  const headsV = root.get('heads');
  if (!Array.isArray(headsV) || headsV.length === 0) throw fail(`"heads" must be a non-empty array of outputs`);
  const heads = headsV.map((h, i) => entry(h, `heads[${i}]`, nodes.length));
  const rows = root.get('node_row_ptr');
  if (rows !== undefined && (!Array.isArray(rows) || rows.length !== nodes.length + 1 || rows.some((r) => typeof r !== 'number'))) {
    throw fail(`"node_row_ptr" must hold ${nodes.length + 1} non-negative integers (one per node, plus one)`);
  }
  return { nodes, argNodes, heads };
}

/**
 * Writes a graph as MXNet 1.x's `Symbol.tojson()` does. `numOutputs(node)` gives each node's
 * output count (for `node_row_ptr`; BatchNorm has 3 in MXNet).
 */
export function symbolToJson(graph: SymbolGraph, numOutputs: (node: SymbolNode) => number): string {
  const g = graph as unknown as Record<string, unknown> | null;
  if (g === null || typeof g !== 'object' || !Array.isArray(g['nodes']) || !Array.isArray(g['argNodes']) || !Array.isArray(g['heads'])) {
    throw new ValueError(`symbolToJson: graph must be a SymbolGraph { nodes, argNodes, heads } (as parseSymbolJson returns), got ${fmtValue(graph)}`);
  }
  if (typeof numOutputs !== 'function') throw new ValueError(`symbolToJson: numOutputs must be a function of a node, got ${fmtValue(numOutputs)}`);
  const rows = [0];
  for (const n of graph.nodes) rows.push(rows[rows.length - 1]! + numOutputs(n));
  const entryText = (e: SymbolEntry): string => `[${e.node}, ${e.index}, ${e.version}]`;
  const nodes = graph.nodes.map((n) => {
    const lines = [`      "op": ${JSON.stringify(n.op)}`, `      "name": ${JSON.stringify(n.name)}`];
    if (n.attrs.size > 0) {
      const keys = [...n.attrs.keys()].sort();
      lines.push(`      "attrs": {\n${keys.map((k) => `        ${JSON.stringify(k)}: ${JSON.stringify(n.attrs.get(k))}`).join(',\n')}\n      }`);
    }
    lines.push(`      "inputs": [${n.inputs.map(entryText).join(', ')}]`);
    return `    {\n${lines.join(',\n')}\n    }`;
  });
  return (
    `{\n  "nodes": [\n${nodes.join(',\n')}\n  ],\n` +
    `  "arg_nodes": [${graph.argNodes.join(', ')}],\n` +
    `  "node_row_ptr": [${rows.join(', ')}],\n` +
    `  "heads": [${graph.heads.map(entryText).join(', ')}],\n` +
    `  "attrs": {"mxnet_version": ["int", ${MXNET_VERSION}]}\n}\n`
  );
}
