/**
 * `HybridBlock` and `HybridSequential`: blocks that `hybridize()` turns into traced graphs
 * (src/gluon/hybridize.ts holds the machinery). Every built-in layer, loss and model-zoo network
 * is a HybridBlock, as in Gluon.
 *
 * A HybridBlock's forward must be the same sequence of nd ops for every input of a given shape:
 * no reading values (`toArray()`, `item()`), no JavaScript branching on data. Before `hybridize()`
 * it runs imperatively like any Block; after, the first call per input signature traces the
 * forward, later calls run the graph. `HybridSequential` is `Sequential` with the same ability
 * (`net instanceof HybridBlock` holds for it too).
 */
import { ValueError } from '../core/errors.js';
import type { Graph } from '../graph/graph.js';
import { Block, type BlockOptions, type HybridizeOptions, type ShapeSpec } from './block.js';
import { Sequential } from './sequential.js';
import { graphOf, hybridizeBlock, installHybrid, isHybridBlock } from './hybridize.js';
import type { ExportedFiles } from './symbol/symbol-block.js';

/** Options of `net.export(path, options)`. */
export interface HybridExportOptions {
  /** The epoch number in the params file name, `path-0000.params` (default 0). */
  epoch?: number;
  /** Input shapes to trace (one shape, or one per input); default: those of the last call. */
  inputShapes?: ShapeSpec | readonly ShapeSpec[];
}

/** Options of `net.exportOnnx(path, options)`. */
export interface HybridOnnxExportOptions {
  /** Input shapes to trace (one shape, or one per input); default: those of the last call. */
  inputShapes?: ShapeSpec | readonly ShapeSpec[];
  /** Write the first axis of inputs and outputs as a symbolic 'batch' dimension (default true). */
  dynamicBatch?: boolean;
}

/**
 * @internal The exporters (src/gluon/symbol/export-block.ts sets them when it loads: importing it
 * here would be circular, since symbol blocks run layer code that extends HybridBlock).
 */
export const exporters: {
  export?: (block: Block, path: string, options?: HybridExportOptions) => ExportedFiles;
  exportOnnx?: (block: Block, path: string, options?: HybridOnnxExportOptions) => void;
} = {};

function exporter<K extends keyof typeof exporters>(key: K): NonNullable<(typeof exporters)[K]> {
  const f = exporters[key];
  if (f === undefined) throw new ValueError(`${key}: the exporters are not loaded; import tsgluon's gluon namespace (src/gluon/index.ts)`);
  return f;
}

/**
 * A block that can run as a traced graph.
 * @example
 * class MLP extends gluon.HybridBlock {
 *   hidden = new nn.Dense(256, { activation: 'relu' });
 *   out = new nn.Dense(10);
 *   override forward(x: nd.NDArray): nd.NDArray {
 *     return this.out.forward(this.hidden.forward(x));
 *   }
 * }
 * const net = new MLP();
 * net.initialize();
 * net.hybridize();
 * net.forward(nd.ones([2, 20])); // traced, then run as a graph
 */
export class HybridBlock extends Block {
  constructor(options: BlockOptions = {}) {
    super(options);
    installHybrid(this);
  }

  /** HybridSequential is a HybridBlock too (it extends Sequential). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return this === HybridBlock ? isHybridBlock(x) : Function.prototype[Symbol.hasInstance].call(this, x);
  }

  /**
   * Runs this block as a traced graph (`active: false` returns to imperative), and passes the
   * options to every child. `staticAlloc` reuses buffers across calls; `staticShape` keeps a single
   * graph. Clears the graphs traced so far.
   */
  override hybridize(options: HybridizeOptions = {}): this {
    hybridizeBlock(this, options, () => super.hybridize(options));
    return this;
  }

  /**
   * The traced graph: of the last call, or for inputs of these shapes (traced now if needed, which
   * completes deferred shapes like `inferShape`). Print it with `toString()`; `describe()` gives it
   * as plain data.
   * @example net.graph([1, 20]).toString()
   */
  graph(...inputs: ShapeSpec[]): Graph {
    return graphOf(this, inputs);
  }

  /**
   * Writes the network (its forward in prediction mode) as MXNet's `path-symbol.json`,
   * `path-EEEE.params` and `path-EEEE.safetensors`, as Gluon's `HybridBlock.export`; read them
   * back with `SymbolBlock.imports` (here or in MXNet 1.x).
   * @example net.hybridize(); net.forward(x); net.export('model', { epoch: 3 });
   */
  export(path: string, options: HybridExportOptions = {}): ExportedFiles {
    return exporter('export')(this, path, options);
  }

  /**
   * Writes the network (its forward in prediction mode) as an ONNX model (opset 17).
   * @example net.exportOnnx('model.onnx', { inputShapes: [[1, 3, 224, 224]] });
   */
  exportOnnx(path: string, options: HybridOnnxExportOptions = {}): void {
    exporter('exportOnnx')(this, path, options);
  }
}

/**
 * Sequential whose children are HybridBlocks, hybridized as one graph.
 * @example
 * const net = new nn.HybridSequential();
 * net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
 * net.initialize();
 * net.hybridize();
 */
export class HybridSequential extends Sequential {
  constructor(options: BlockOptions = {}) {
    super(options);
    installHybrid(this);
  }

  override hybridize(options: HybridizeOptions = {}): this {
    hybridizeBlock(this, options, () => super.hybridize(options));
    return this;
  }

  /** The traced graph, as `HybridBlock.graph`. */
  graph(...inputs: ShapeSpec[]): Graph {
    return graphOf(this, inputs);
  }

  /**
   * Writes the network (its forward in prediction mode) as MXNet's `path-symbol.json`,
   * `path-EEEE.params` and `path-EEEE.safetensors`, as Gluon's `HybridBlock.export`; read them
   * back with `SymbolBlock.imports` (here or in MXNet 1.x).
   * @example net.hybridize(); net.forward(x); net.export('model', { epoch: 3 });
   */
  export(path: string, options: HybridExportOptions = {}): ExportedFiles {
    return exporter('export')(this, path, options);
  }

  /**
   * Writes the network (its forward in prediction mode) as an ONNX model (opset 17).
   * @example net.exportOnnx('model.onnx', { inputShapes: [[1, 3, 224, 224]] });
   */
  exportOnnx(path: string, options: HybridOnnxExportOptions = {}): void {
    exporter('exportOnnx')(this, path, options);
  }
}
