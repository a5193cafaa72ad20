/**
 * Layer-level nodes for export: layers whose forward is a composite of several primitives, while
 * MXNet and ONNX have one operator for the whole layer, record one node while `net.export` traces
 * them. Today these are grouped and transposed convolutions (Conv1D/2D/3D with groups > 1 and
 * Conv1DTranspose/2D/3D), which src/ops/conv.ts builds from im2col / col2im and batched GEMMs.
 *
 * Why a layer-level node rather than recognising the composite's pattern in the exporter: the
 * pattern (im2col, reshapes, a batched matmul, a bias add) is an implementation detail of conv.ts
 * that its owner may change at any time (a fused grouped kernel would silently break a pattern
 * matcher), and one reshape too many would make a pattern ambiguous. The layer's public geometry
 * (strides, padding, dilation, groups, outputPadding) is exactly what MXNet's Convolution /
 * Deconvolution and ONNX's Conv / ConvTranspose take, so recording it is direct and stable.
 *
 * The node is recorded only while exporting: hybridized execution still runs the composite.
 * The forward still runs the real op on the stand-ins first, so its validation and shape
 * inference apply unchanged (the composite's nodes are then unused and pruned).
 */
import { TraceError } from '../../core/errors.js';
import { activeTracer } from '../../graph/trace.js';
import type { Primitive } from '../../ops/define.js';
import { convolution, deconvolution } from '../../ops/conv.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import type { Block } from '../block.js';
import { ConvBase, ConvTransposeND } from '../nn/conv-layers.js';

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
 * The node a grouped or transposed convolution layer records while exporting. It exists only in
 * export graphs, which are converted to MXNet operators and never executed, so it has no kernel.
 */
export const LAYER_CONVOLUTION: Primitive<LayerConvAttrs, null> = {
  name: 'layerConvolution',
  infer: () => {
    throw new TraceError('layerConvolution is recorded directly by the exporter; it is never applied');
  },
  compute: () => {
    throw new TraceError('layerConvolution belongs to export graphs, which are never executed');
  },
};

/**
 * The forward to trace `block` with while exporting, when it is a layer recorded as one node
 * (a channels-first grouped or transposed convolution); null for every other block.
 */
export function layerLevelForward(block: Block): ((x: NDArray) => NDArray) | null {
  if (!(block instanceof ConvBase) || !block.layout.startsWith('NC')) return null;
  const transposed = block instanceof ConvTransposeND;
  if (!transposed && block.groups === 1) return null;
  return (x: NDArray): NDArray => {
    const w = block.weight.data();
    const b = block.bias === null ? null : block.bias.data();
    const geometry = { stride: block.strides, pad: block.padding, dilation: block.dilation, numGroup: block.groups };
    // Runs (records) the composite on the stand-ins for its checks and output shape; pruned later.
    const composite = transposed ? deconvolution(x, w, b, { ...geometry, adj: block.outputPadding }) : convolution(x, w, b, geometry);
    const tracer = activeTracer();
    if (tracer === null) throw new TraceError(`${block.name}: the export forward ran outside a trace`);
    const attrs: LayerConvAttrs = {
      transposed, kernel: block.kernelSize, stride: block.strides, pad: block.padding, dilate: block.dilation,
      numGroup: block.groups, numFilter: block.channels, adj: block.outputPadding,
    };
    const y = tracer.record(LAYER_CONVOLUTION, b === null ? [x, w] : [x, w, b], attrs, { shape: composite.shape, dtype: composite.dtype, plan: null });
    return block.act === null ? y : block.act.forward(y);
  };
}
