/**
 * Layer-level nodes for export: layers whose forward is a composite of several primitives, while
 * MXNet and ONNX have one operator for the whole layer, record one node while `net.export` traces
 * them: grouped and transposed convolutions (Conv1D/2D/3D with groups > 1 and
 * Conv1DTranspose/2D/3D), which src/ops/conv.ts builds from im2col / col2im and batched GEMMs,
 * and gluon.rnn's RNN / LSTM / GRU layers (an input GEMM and one recurrence primitive per layer
 * and direction), which MXNet runs as one fused `RNN` operator and ONNX as one RNN / LSTM / GRU
 * node per layer.
 *
 * Why a layer-level node rather than recognising the composite's pattern in the exporter: the
 * pattern (im2col, reshapes, a batched matmul, a bias add) is an implementation detail of conv.ts
 * that its owner may change at any time (a fused grouped kernel would silently break a pattern
 * matcher), and one reshape too many would make a pattern ambiguous. The layer's public geometry
 * (strides, padding, dilation, groups, outputPadding) is exactly what MXNet's Convolution /
 * Deconvolution and ONNX's Conv / ConvTranspose take, so recording it is direct and stable.
 *
 * The node is recorded only while exporting: hybridized execution still runs the composite.
 * A convolution's export forward still runs the real op on the stand-ins first, so its
 * validation and shape inference apply unchanged (the composite's nodes are then unused and
 * pruned); a recurrence takes its output shape from the layer's definition, since the recurrence
 * primitive cannot be traced (its workspace is private to the op).
 */
import { TraceError } from '../../core/errors.js';
import { UnsupportedOperatorError } from '../../io/model-format-error.js';
import { activeTracer } from '../../graph/trace.js';
import type { Primitive } from '../../ops/define.js';
import { convolution, deconvolution } from '../../ops/conv.js';
import { NDArray } from '../../ndarray/ndarray.js';
import type { Block } from '../block.js';
import { ConvBase, ConvTransposeND } from '../nn/conv-layers.js';
import { RecurrentLayer } from '../rnn/rnn-layer.js';
import type { RnnMode } from '../../ops/rnn.js';

/** The attributes of a recorded convolution layer: MXNet's spellings. */
export interface LayerConvAttrs {
  readonly transposed: boolean;
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly pad: readonly number[];
  readonly dilate: readonly number[];
  readonly numGroup: number;
  readonly numFilter: number;
  readonly adj: readonly number[];
}

/**
 * A node recorded by a layer while exporting. Export graphs are converted to MXNet operators and
 * never executed, so it has no kernel: `infer` and `compute` are unreachable and say so.
 */
function exportOnly<A>(name: string): Primitive<A, null> {
  return {
    name,
    infer: () => {
      throw new TraceError(`${name} is recorded directly by the exporter; it is never applied`);
    },
    compute: () => {
      throw new TraceError(`${name} belongs to export graphs, which are never executed`);
    },
  };
}

/** The node a grouped or transposed convolution layer records while exporting. */
export const LAYER_CONVOLUTION = exportOnly<LayerConvAttrs>('layerConvolution');

/** The attributes of a recorded recurrent layer (its inputs: data, then MXNet's packed order of parameters). */
export interface LayerRnnAttrs {
  readonly mode: RnnMode;
  readonly hidden: number;
  readonly layers: number;
  readonly directions: number;
  readonly layout: 'TNC' | 'NTC';
  /** Dropout between layers (training only; MXNet's `p`). */
  readonly dropout: number;
}

/** The node a recurrent layer called without states records while exporting. */
export const LAYER_RNN = exportOnly<LayerRnnAttrs>('layerRnn');

type Forward = (...args: unknown[]) => unknown;

function tracerFor(block: Block) {
  const tracer = activeTracer();
  if (tracer === null) throw new TraceError(`${block.name}: the export forward ran outside a trace`);
  return tracer;
}

function convForward(block: ConvBase): Forward | null {
  if (!block.layout.startsWith('NC')) return null;
  const transposed = block instanceof ConvTransposeND;
  if (!transposed && block.groups === 1) return null;
  return (x: unknown): NDArray => {
    const input = x as NDArray;
    const w = block.weight.data();
    const b = block.bias === null ? null : block.bias.data();
    const geometry = { stride: block.strides, pad: block.padding, dilation: block.dilation, numGroup: block.groups };
    // Runs (records) the composite on the stand-ins for its checks and output shape; pruned later.
    const composite = transposed ? deconvolution(input, w, b, { ...geometry, adj: block.outputPadding }) : convolution(input, w, b, geometry);
    const attrs: LayerConvAttrs = {
      transposed, kernel: block.kernelSize, stride: block.strides, pad: block.padding, dilate: block.dilation,
      numGroup: block.groups, numFilter: block.channels, adj: block.outputPadding,
    };
    const y = tracerFor(block).record(LAYER_CONVOLUTION, b === null ? [input, w] : [input, w, b], attrs, { shape: composite.shape, dtype: composite.dtype, plan: null });
    return block.act === null ? y : block.act.forward(y);
  };
}

function rnnForward(block: RecurrentLayer, orig: Forward): Forward {
  const refuse = (why: string): never => {
    throw new UnsupportedOperatorError('tsgluon', 'rnnRecurrence', `${block.name}_fwd`, `${why}; it comes from layer ${block.name} (${block.constructor.name})`);
  };
  return (...args: unknown[]): unknown => {
    if (block.projectionSize > 0) refuse('an LSTM with projectionSize has no MXNet RNN or ONNX LSTM form (ONNX has no projection)');
    if (args.length !== 1) refuse('a recurrent layer called with explicit states exports only when called without them (starting from zeros, as exported models do)');
    const x = args[0] as NDArray;
    if (!(x instanceof NDArray) || x.ndim !== 3) return orig.apply(block, args);
    const directions = block.bidirectional ? 2 : 1;
    // (T, N, D*H) or (N, T, D*H): the recurrence itself is not traceable yet (its workspace is
    // private to the op), so the shape comes from the layer's definition.
    const shape = [x.shape[0]!, x.shape[1]!, directions * block.hiddenSize];
    const params: NDArray[] = [];
    for (const kind of ['weight', 'bias']) {
      for (let l = 0; l < block.numLayers; l++) {
        for (const d of ['l', 'r'].slice(0, directions)) params.push(block.params.get(`${d}${l}_i2h_${kind}`).data(), block.params.get(`${d}${l}_h2h_${kind}`).data());
      }
    }
    const attrs: LayerRnnAttrs = { mode: block.mode, hidden: block.hiddenSize, layers: block.numLayers, directions, layout: block.layout, dropout: block.dropout };
    return tracerFor(block).record(LAYER_RNN, [x, ...params], attrs, { shape, dtype: x.dtype, plan: null });
  };
}

/**
 * The forward to trace `block` with while exporting, when it is a layer recorded as one node
 * (a channels-first grouped or transposed convolution, a recurrent layer without projection
 * called without states); null for every other block. `orig` is the block's own forward.
 */
export function layerLevelForward(block: Block, orig: Forward): Forward | null {
  // A recurrence is never traced as a composite: its workspace is private to the op.
  if (block instanceof ConvBase) return convForward(block);
  if (block instanceof RecurrentLayer) return rnnForward(block, orig);
  return null;
}
