/**
 * Constant folding for the ONNX importer: a shape-manipulating node (Slice, Gather, Unsqueeze,
 * Concat, Reshape) whose inputs are all initializers or constants is evaluated at import, so a
 * model that derives weights from a packed initializer (tsgluon's RNN export slices MXNet's
 * packed vector per layer; other exporters slice and reshape weights the same way) imports with
 * constant weights. Each op follows ONNX's definition for the cases handled; any other case (a
 * Slice with steps, say) is left to the regular converters, which then report it.
 */
import type { OnnxNode } from '../../io/onnx/codec.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { concat } from '../../ops/movement.js';
import { take } from '../../ops/indexing.js';
import { expandDims, reshape } from '../../ops/shape.js';
import { slice } from '../../ops/slice.js';
import { astype } from '../../ops/cast.js';
import { mxnetReshapeShape } from './ops.js';

const ints = (a: NDArray): number[] => Array.from(a.storage, Number);

/** The value of `node`'s first output computed from constant inputs, or null when not foldable. */
export function foldConstant(node: OnnxNode, input: (name: string) => NDArray): NDArray | null {
  const ins = node.inputs.map((n) => (n === '' ? null : input(n)));
  const attr = (k: string): number | null => {
    const a = node.attrs.get(k);
    return a?.type === 'int' ? a.value : null;
  };
  const x = ins[0];
  if (x === null || x === undefined || node.outputs.length !== 1) return null;
  switch (node.opType) {
    case 'Slice': {
      if (!ins[1] || !ins[2] || (ins[4] && ints(ins[4]).some((s) => s !== 1))) return null;
      const axes = ins[3] ? ints(ins[3]).map((a) => (a < 0 ? a + x.ndim : a)) : x.shape.map((_, i) => i);
      const [starts, ends] = [ints(ins[1]), ints(ins[2])];
      // A malformed Slice is left to the converters, which report it.
      if (starts.length !== axes.length || ends.length !== axes.length || axes.some((a) => !(a >= 0 && a < x.ndim))) return null;
      const begin = [...new Array<number>(x.ndim).fill(0)];
      const end = [...x.shape];
      axes.forEach((a, i) => {
        const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + x.shape[a]! : v, 0), x.shape[a]!);
        begin[a] = clamp(starts[i]!);
        end[a] = Math.max(begin[a]!, clamp(ends[i]!));
      });
      return slice(x, begin, end);
    }
    case 'Gather': {
      const axis = attr('axis') ?? 0;
      if (!ins[1] || axis < -x.ndim || axis >= x.ndim) return null;
      return take(x, astype(ins[1]!, 'int32'), { axis: axis < 0 ? axis + x.ndim : axis, mode: 'wrap' });
    }
    case 'Unsqueeze': {
      if (!ins[1] || ins[1].size > 8) return null;
      const rank = x.ndim + ins[1].size;
      return ints(ins[1]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b).reduce((y, a) => expandDims(y, a), x);
    }
    case 'Concat':
      return concat(ins as NDArray[], { axis: attr('axis') ?? 0 });
    case 'Reshape':
      if (attr('allowzero') === 1 || !ins[1]) return null;
      return reshape(x, mxnetReshapeShape(x.shape, ints(ins[1]), false, node.name));
    default:
      return null;
  }
}
