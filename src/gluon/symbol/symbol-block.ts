/**
 * `SymbolBlock`: a block whose forward runs an imported graph (MXNet symbol JSON, or an ONNX
 * model converted to MXNet's operators) with nd ops, as Gluon's `SymbolBlock`.
 *
 * Every variable of the graph that is not an input becomes an ordinary Parameter whose key and
 * display name are the variable's name (`dense0_weight`), as in Gluon; aux states (BatchNorm's
 * running statistics) get gradReq 'null'. So an imported network trains with a Trainer like any
 * other block, saves and loads with `saveParameters` / `loadParameters`, and runs under
 * `autograd.record()`. Shapes come from the params file, or from the graph's `__shape__`
 * attributes, or are inferred at the first forward (deferred initialization, as any layer).
 *
 * `SymbolBlock.imports(symbolFile, inputNames, paramFile)` reads MXNet's files (`.params` in
 * MXNet's NDArray-list format with `arg:` / `aux:` keys, or a safetensors file), as Gluon's
 * `SymbolBlock.imports` does (dtypes as saved). `block.export(path)` writes them back.
 */
import type { DType } from '../../core/dtype.js';
import { ValueError, fmtValue } from '../../core/errors.js';
import { readFileBytes, inFile, writeFileBytes } from '../../io/file.js';
import { ModelFormatError } from '../../io/model-format-error.js';
import { decodeMXNetParams, encodeMXNetParams } from '../../io/mxnet-params.js';
import { decodeSafetensors, encodeSafetensors, LIBRARY_METADATA } from '../../io/safetensors.js';
import { parseSymbolJson, symbolToJson, type SymbolGraph, type SymbolNode } from '../../io/symbol-json.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { Block, type BlockOptions, type HybridizeOptions, type ShapeSpec } from '../block.js';
import type { Graph } from '../../graph/graph.js';
import { graphOf, hybridizeBlock, installHybrid } from '../hybridize.js';
import type { Parameter } from '../parameter.js';
import { loadArraysInto, type LoadParametersOptions, type LoadReport } from '../serialization.js';
import { decodeOnnx } from '../../io/onnx/codec.js';
import { Attrs } from './attrs.js';
import { onnxToSymbol } from './onnx-import.js';
import { symbolToOnnx, type OnnxExportOptions } from './onnx-export.js';
import { classifyVariables, defOf, runGraph, type VariableKind } from './run-graph.js';

const MX_DTYPE_FLAGS: Readonly<Record<string, DType>> = { '0': 'float32', '1': 'float64', '3': 'uint8', '4': 'int32' };
let counter = 0;

/** Options of `new SymbolBlock(graph, inputNames, options)` and `SymbolBlock.imports`. */
export interface SymbolBlockOptions extends BlockOptions, Pick<LoadParametersOptions, 'allowMissing' | 'ignoreExtra'> {}

/** Options of `block.export(path, options)`. */
export interface ExportOptions {
  /** The epoch number in the params file name, `path-0000.params` (default 0). */
  epoch?: number;
}

/** The files `export` wrote. */
export interface ExportedFiles {
  readonly symbol: string;
  readonly params: string;
  readonly safetensors: string;
}

/** Splits Gluon's `arg:` / `aux:` prefixes off `.params` keys. */
function stripPrefix(name: string): string {
  return name.startsWith('arg:') || name.startsWith('aux:') ? name.slice(4) : name;
}

/** Decodes a params file of either format into arrays keyed by parameter name. */
export function decodeParamFile(bytes: Uint8Array): Record<string, NDArray> {
  // safetensors starts with an 8-byte header length and '{'; .params with 0x112 and 8 zero bytes.
  if (bytes.length > 8 && bytes[8] === 0x7b) return decodeSafetensors(bytes).tensors;
  const { names, arrays } = decodeMXNetParams(bytes);
  const out = new Map<string, NDArray>();
  names.forEach((n, i) => {
    const key = stripPrefix(n);
    if (n === '') throw new ModelFormatError('mxnet-params', `array ${i} has no name; a params file for a network names every array (arg:<name> or aux:<name>)`);
    if (out.has(key)) throw new ModelFormatError('mxnet-params', `the parameter appears twice (as arg: and aux:)`, { item: key });
    out.set(key, arrays[i]!);
  });
  return Object.fromEntries(out);
}

/** A symbol graph as MXNet's JSON text (node_row_ptr counts each operator's MXNet outputs). */
function graphJson(graph: SymbolGraph): string {
  return symbolToJson(graph, (n) => (n.op === 'null' ? 1 : defOf(n).numOutputs?.(new Attrs(n.attrs, n.op, n.name)) ?? 1));
}

/**
 * @internal Writes `path-symbol.json`, `path-EEEE.params` (MXNet's NDArray-list format, keys
 * `arg:name` / `aux:name`) and `path-EEEE.safetensors` (the same arrays, keys without prefix).
 */
export function writeExport(who: string, graph: SymbolGraph, arrays: readonly (readonly [string, NDArray])[], path: string, epoch = 0): ExportedFiles {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 9999) throw new ValueError(`${who}.export: epoch must be an integer in [0, 9999], got ${epoch}`);
  const tag = String(epoch).padStart(4, '0');
  const files = { symbol: `${path}-symbol.json`, params: `${path}-${tag}.params`, safetensors: `${path}-${tag}.safetensors` };
  const json = new TextEncoder().encode(graphJson(graph));
  const params = encodeMXNetParams(arrays);
  const st = encodeSafetensors(arrays.map(([k, v]) => [k.slice(4), v] as const), { ...LIBRARY_METADATA, tsgluon_content: 'parameters' });
  writeFileBytes(files.symbol, json, `${who}.export`);
  writeFileBytes(files.params, params, `${who}.export`);
  writeFileBytes(files.safetensors, st, `${who}.export`);
  return files;
}

/**
 * A block running an imported graph.
 * @example
 * const net = gluon.SymbolBlock.imports('model-symbol.json', ['data'], 'model-0000.params');
 * const y = net.forward(nd.ones([1, 3, 224, 224]));
 */
export class SymbolBlock extends Block {
  /** The graph this block runs, in MXNet's operators. */
  readonly graph: SymbolGraph;
  readonly inputNames: readonly string[];
  readonly #kinds: Map<number, VariableKind>;
  readonly #params = new Map<number, Parameter>();
  readonly #inputIndex = new Map<number, number>();
  readonly #label = `symbolblock${counter++}`;

  constructor(graph: SymbolGraph, inputNames: string | readonly string[], options: BlockOptions = {}) {
    super({ ...options, prefix: options.prefix ?? '' });
    this.graph = graph;
    this.inputNames = typeof inputNames === 'string' ? [inputNames] : [...inputNames];
    const byName = new Map(graph.nodes.map((n, i) => [n.name, i] as const).filter(([, i]) => graph.nodes[i]!.op === 'null'));
    for (const name of this.inputNames) {
      if (!byName.has(name)) {
        const vars = graph.nodes.filter((n) => n.op === 'null').map((n) => n.name);
        throw new ValueError(`SymbolBlock: input ${JSON.stringify(name)} is not a variable of the graph; its variables are ${vars.join(', ')}`);
      }
    }
    this.#kinds = classifyVariables(graph, this.inputNames);
    for (const [i, kind] of this.#kinds) {
      const node = graph.nodes[i]!;
      if (kind === 'input') this.#inputIndex.set(i, this.inputNames.indexOf(node.name));
      if (kind !== 'param' && kind !== 'aux') continue;
      const attrs = new Attrs(node.attrs, 'null', node.name);
      const shape = attrs.ints('__shape__');
      const dtype = MX_DTYPE_FLAGS[attrs.str('__dtype__', '0')] ?? 'float32';
      this.#params.set(i, this.params.get(node.name, {
        ...(shape === null || shape.length === 0 ? {} : { shape }),
        dtype, gradReq: kind === 'aux' ? 'null' : 'write', allowDeferredInit: true,
      }));
    }
    installHybrid(this);
  }

  override get name(): string {
    return this.#label;
  }

  /**
   * Runs the imported graph as a traced tsgluon graph, as any HybridBlock (`net instanceof
   * HybridBlock` holds): the first call per input signature traces it, later calls run it compiled.
   */
  override hybridize(options: HybridizeOptions = {}): this {
    hybridizeBlock(this, options, () => super.hybridize(options));
    return this;
  }

  /** The traced graph (of the last call, or for inputs of these shapes), as `HybridBlock.graph()` (`graph` holds the MXNet graph). */
  tracedGraph(...inputs: ShapeSpec[]): Graph {
    return graphOf(this, inputs);
  }

  /**
   * Loads a symbol file and (optionally) its parameters, as Gluon's `SymbolBlock.imports`.
   * @example const net = gluon.SymbolBlock.imports('mlp-symbol.json', ['data'], 'mlp-0000.params');
   */
  static imports(symbolFile: string, inputNames: string | readonly string[], paramFile?: string | null, options: SymbolBlockOptions = {}): SymbolBlock {
    const text = readFileBytes(symbolFile, 'SymbolBlock.imports');
    const graph = inFile(symbolFile, () => parseSymbolJson(text));
    const block = new SymbolBlock(graph, inputNames, options);
    if (paramFile != null) {
      const bytes = readFileBytes(paramFile, 'SymbolBlock.imports');
      inFile(paramFile, () => block.loadParamBytes(bytes, options));
    }
    return block;
  }

  /**
   * Imports an ONNX model (for example one PyTorch's `torch.onnx.export` wrote) as a SymbolBlock
   * running MXNet's equivalent operators; its initializers become trainable parameters.
   * @example const net = gluon.SymbolBlock.importsOnnx('resnet18.onnx'); net.forward(x)
   */
  static importsOnnx(file: string): SymbolBlock {
    const bytes = readFileBytes(file, 'SymbolBlock.importsOnnx');
    return inFile(file, () => SymbolBlock.fromOnnxBytes(bytes));
  }

  /** `importsOnnx` from the bytes of a `.onnx` file. */
  static fromOnnxBytes(bytes: Uint8Array): SymbolBlock {
    const { graph, inputNames, params } = onnxToSymbol(decodeOnnx(bytes));
    const block = new SymbolBlock(graph, inputNames);
    loadArraysInto(block, Object.fromEntries(params), { dtype: 'saved' });
    return block;
  }

  /** Loads a params file's bytes (MXNet `.params` or safetensors) into this block; dtypes as saved. */
  loadParamBytes(bytes: Uint8Array, options: Pick<LoadParametersOptions, 'allowMissing' | 'ignoreExtra'> = {}): LoadReport {
    return loadArraysInto(this, decodeParamFile(bytes), { ...options, dtype: 'saved' });
  }

  /** Every output of the graph for these inputs (a graph may have several heads). */
  outputs(...inputs: NDArray[]): NDArray[] {
    return this.run(inputs);
  }

  /** Runs the graph; `onNode` sees each operator node's outputs (the ONNX exporter reads shapes). */
  run(inputs: readonly NDArray[], onNode?: (index: number, outputs: readonly NDArray[]) => void): NDArray[] {
    if (inputs.length !== this.inputNames.length) {
      throw new ValueError(`${this.name}: the graph takes ${this.inputNames.length} input${this.inputNames.length === 1 ? '' : 's'} (${this.inputNames.join(', ')}), got ${inputs.length}`);
    }
    inputs.forEach((x, i) => {
      if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: input ${this.inputNames[i]} must be an NDArray, got ${fmtValue(x)}`);
    });
    return runGraph(this.graph, {
      value: (node) => {
        const at = this.#inputIndex.get(node);
        if (at !== undefined) return inputs[at]!;
        const p = this.#params.get(node)!;
        return p.shapeKnown ? p.data() : null;
      },
      infer: (node, shape, consumer: SymbolNode) => {
        const p = this.#params.get(node)!;
        if (!p.fits(shape)) {
          throw new ModelFormatError('mxnet-symbol', `parameter ${p.name} has shape (${p.shape.join(', ')}), but ${consumer.op} needs (${shape.join(', ')})`, { item: consumer.name });
        }
        p.shape = shape;
        return p.data();
      },
    }, onNode);
  }

  /** The parameter behind variable node `node`, if it is one. */
  paramOf(node: number): Parameter | undefined {
    return this.#params.get(node);
  }

  /** The first output of the graph (a SymbolBlock with several heads: see `outputs`). */
  override forward(...inputs: NDArray[]): NDArray {
    return this.outputs(...inputs)[0]!;
  }

  /** The graph as MXNet symbol JSON (`Symbol.tojson()`). */
  toJSON(): string {
    return graphJson(this.graph);
  }

  /** The parameters keyed as a `.params` file keys them: `arg:<name>` or `aux:<name>`. */
  namedParamArrays(): [string, NDArray][] {
    return [...this.#params.entries()].map(([i, p]) => [`${this.#kinds.get(i) === 'aux' ? 'aux' : 'arg'}:${p.name}`, p.data()]);
  }

  /**
   * Writes `path-symbol.json`, `path-EEEE.params` (MXNet's format) and `path-EEEE.safetensors`,
   * readable by MXNet 1.x's `SymbolBlock.imports` and by `SymbolBlock.imports` here.
   */
  export(path: string, options: ExportOptions = {}): ExportedFiles {
    return writeExport(this.name, this.graph, this.namedParamArrays(), path, options.epoch);
  }

  /**
   * Writes the graph as an ONNX model (opset 17) for inputs of the given shapes, computing what
   * this block computes in prediction mode.
   * @example net.exportOnnx('model.onnx', [[1, 3, 224, 224]])
   */
  exportOnnx(path: string, inputShapes: readonly (readonly number[] | NDArray)[], options: OnnxExportOptions = {}): void {
    writeFileBytes(path, this.toOnnxBytes(inputShapes, options), `${this.name}.exportOnnx`);
  }

  /** The bytes `exportOnnx` writes. */
  toOnnxBytes(inputShapes: readonly (readonly number[] | NDArray)[], options: OnnxExportOptions = {}): Uint8Array {
    return symbolToOnnx(this, inputShapes, options);
  }

  override toString(): string {
    const ops = this.graph.nodes.filter((n) => n.op !== 'null').length;
    return `SymbolBlock(${this.inputNames.join(', ')} -> ${this.graph.heads.length} output${this.graph.heads.length === 1 ? '' : 's'}, ${ops} nodes)`;
  }
}
