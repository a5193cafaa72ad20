/**
 * `net.export` and `net.exportOnnx` for HybridBlocks (model-zoo networks included): the forward,
 * traced in prediction mode for the input shapes of the last call (or the ones given), written
 * as MXNet's `path-symbol.json` + `path-EEEE.params` (`arg:` / `aux:` keys) + the same parameters
 * as safetensors, or as an ONNX model. ONNX goes through the MXNet graph: a SymbolBlock holding
 * the block's own parameter arrays is written by the SymbolBlock exporter, so both routes share
 * one operator vocabulary and `SymbolBlock.imports` of either file computes the same thing.
 *
 * hybrid-block.ts cannot import this file (symbol blocks run layer code that extends HybridBlock),
 * so this module registers its functions there when it loads; src/gluon/index.ts loads it.
 */
import { ValueError } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { writeFileBytes } from '../../io/file.js';
import type { Block, ShapeSpec } from '../block.js';
import type { ExportedGraph } from './graph-export.js';
import { exporters, type HybridExportOptions, type HybridOnnxExportOptions } from '../hybrid-block.js';
import { graphOf } from '../hybridize.js';
import { loadArraysInto } from '../serialization.js';
import { exportGraph } from './graph-export.js';
import { SymbolBlock, writeExport, type ExportedFiles } from './symbol-block.js';

/** The input shapes to trace: the ones given, else those of the block's last call. */
function inputShapesOf(block: Block, given: readonly ShapeSpec[] | ShapeSpec | undefined, who: string): number[][] {
  if (given === undefined) {
    let g;
    try {
      g = graphOf(block, []);
    } catch {
      throw new ValueError(
        `${block.name}.${who}: no input shape known; call ${block.name}.hybridize() and run a forward first (as Gluon's export requires), or pass { inputShapes: [[1, 3, 224, 224]] }`,
      );
    }
    return g.inputs.map((id) => [...g.values[id]!.shape]);
  }
  const list = given instanceof NDArray || (Array.isArray(given) && given.every((d) => typeof d === 'number')) ? [given as ShapeSpec] : (given as readonly ShapeSpec[]);
  return list.map((s) => (s instanceof NDArray ? [...s.shape] : [...s]));
}

/** The block's prediction graph as MXNet operators, for inputs of the given (or last) shapes. */
export function toSymbol(block: Block, inputShapes?: readonly ShapeSpec[] | ShapeSpec): ExportedGraph {
  return exportGraph(block, inputShapesOf(block, inputShapes, 'export'));
}

/** `HybridBlock.export`: symbol JSON, `.params` and safetensors. */
export function exportHybrid(block: Block, path: string, options: HybridExportOptions = {}): ExportedFiles {
  const { graph, arrays } = exportGraph(block, inputShapesOf(block, options.inputShapes, 'export'));
  return writeExport(block.name, graph, arrays, path, options.epoch);
}

/** `HybridBlock.exportOnnx`: the bytes of an ONNX model (opset 17) computing the block in prediction mode. */
export function hybridToOnnx(block: Block, options: HybridOnnxExportOptions = {}): Uint8Array {
  const shapes = inputShapesOf(block, options.inputShapes, 'exportOnnx');
  const { graph, inputNames, arrays } = exportGraph(block, shapes);
  const sym = new SymbolBlock(graph, inputNames);
  loadArraysInto(sym, Object.fromEntries(arrays.map(([key, value]) => [key.slice(4), value])), { dtype: 'saved' });
  return sym.toOnnxBytes(shapes, { dynamicBatch: options.dynamicBatch ?? true });
}

exporters.export = exportHybrid;
exporters.exportOnnx = (block, path, options) => writeFileBytes(path, hybridToOnnx(block, options), `${block.name}.exportOnnx`);
