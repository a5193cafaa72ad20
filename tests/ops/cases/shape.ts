/**
 * Op table rows for shape ops: reshape (with -1), transpose, swapAxes, expandDims, squeeze,
 * flatten, broadcastTo and `.T`, with hand-computed values, gradient checks, empty and 0-d
 * shapes; and errors for size mismatches, bad axes and negative or fractional dimensions.
 */
import { nd, AxisError, ShapeError, ValueError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { f64, nest, rand, ravel, unravel, values } from '../op-table-ref.js';

const ar = (shape: readonly number[]): nd.NDArray => nd.arange(shape.reduce((p, d) => p * d, 1), undefined, 1, { dtype: 'float64' }).reshape(shape);

/** NumPy's transpose by multi-index: out[i_perm] = x[i]. */
function transposeRef(x: nd.NDArray, perm: readonly number[]) {
  const outShape = perm.map((a) => x.shape[a]!);
  const out = new Array<number>(x.size);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, outShape);
    const src = new Array<number>(x.ndim);
    perm.forEach((a, k) => (src[a] = idx[k]!));
    out[i] = values(x)[ravel(src, x.shape)]!;
  }
  return nest(out, outShape);
}

const reshapes: OpCase[] = [
  { name: 'reshape (2,3) -> (3,2)', fn: (x) => nd.reshape(x!, [3, 2]), inputs: () => [ar([2, 3])], expected: [[0, 1], [2, 3], [4, 5]], grad: true },
  { name: 'reshape with -1 infers (2,-1) -> (2,6)', fn: (x) => x!.reshape([2, -1]), inputs: () => [ar([3, 4])], shape: [2, 6], grad: true },
  { name: 'reshape with leading -1', fn: (x) => x!.reshape([-1, 3]), inputs: () => [ar([2, 3, 2])], shape: [4, 3], expected: [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]] },
  { name: 'reshape to 0-d', fn: (x) => x!.reshape([]), inputs: () => [f64([[7]])], expected: 7, shape: [], grad: true },
  { name: 'reshape 0-d to (1,1,1)', fn: (x) => x!.reshape([1, 1, 1]), inputs: () => [f64(3)], expected: [[[3]]], grad: true },
  { name: 'reshape empty (0,3) -> (3,0)', fn: (x) => x!.reshape([3, 0]), inputs: () => [nd.zeros([0, 3])], shape: [3, 0] },
  { name: 'reshape empty with -1 (0,3) -> (-1,3)', fn: (x) => x!.reshape([-1, 3]), inputs: () => [nd.zeros([0, 3])], shape: [0, 3] },
  { name: 'reshape with dimensions as arguments', fn: (x) => x!.reshape(3, -1), inputs: () => [ar([2, 3])], expected: [[0, 1], [2, 3], [4, 5]], grad: true },
  { name: 'reshape keeps int32', fn: (x) => x!.reshape([4]), inputs: () => [nd.array([[1, 2], [3, 4]], { dtype: 'int32' })], expected: [1, 2, 3, 4], dtype: 'int32' },
];

const transposes: OpCase[] = [
  { name: 'transpose 2-D', fn: (x) => nd.transpose(x!), inputs: () => [ar([2, 3])], expected: [[0, 3], [1, 4], [2, 5]], grad: true },
  { name: '.T reverses axes of 3-D', fn: (x) => x!.T, inputs: () => [rand([2, 3, 4], 1)], oracle: (x) => transposeRef(x!, [2, 1, 0]), grad: true },
  { name: 'transpose (2,3,4) axes [1,2,0]', fn: (x) => x!.transpose([1, 2, 0]), inputs: () => [rand([2, 3, 4], 2)], oracle: (x) => transposeRef(x!, [1, 2, 0]), shape: [3, 4, 2], grad: true },
  { name: 'transpose with negative axes [-1,0,1]', fn: (x) => x!.transpose([-1, 0, 1]), inputs: () => [rand([2, 3, 4], 3)], oracle: (x) => transposeRef(x!, [2, 0, 1]), grad: true },
  { name: 'transpose 4-D [0,2,3,1]', fn: (x) => x!.transpose([0, 2, 3, 1]), inputs: () => [rand([2, 3, 2, 2], 4)], oracle: (x) => transposeRef(x!, [0, 2, 3, 1]), grad: true },
  { name: 'transpose of 0-d is itself', fn: (x) => x!.transpose(), inputs: () => [f64(5)], expected: 5, shape: [] },
  { name: 'transpose empty (0,3) -> (3,0)', fn: (x) => x!.transpose(), inputs: () => [nd.zeros([0, 3])], shape: [3, 0] },
  { name: 'swapAxes (2,3,4) 0 and 2', fn: (x) => nd.swapAxes(x!, 0, 2), inputs: () => [rand([2, 3, 4], 5)], oracle: (x) => transposeRef(x!, [2, 1, 0]), grad: true },
  { name: 'swapAxes with negative axes', fn: (x) => x!.swapAxes(-1, -2), inputs: () => [rand([2, 3, 4], 6)], oracle: (x) => transposeRef(x!, [0, 2, 1]), grad: true },
  { name: 'swapAxes of an axis with itself', fn: (x) => x!.swapAxes(1, 1), inputs: () => [ar([2, 2])], expected: [[0, 1], [2, 3]] },
];

const dims: OpCase[] = [
  { name: 'expandDims at 0', fn: (x) => nd.expandDims(x!, 0), inputs: () => [f64([1, 2])], expected: [[1, 2]], grad: true },
  { name: 'expandDims at ndim', fn: (x) => x!.expandDims(1), inputs: () => [f64([1, 2])], expected: [[1], [2]] },
  { name: 'expandDims at -1 of (2,3)', fn: (x) => x!.expandDims(-1), inputs: () => [ar([2, 3])], shape: [2, 3, 1] },
  { name: 'expandDims of 0-d', fn: (x) => x!.expandDims(0), inputs: () => [f64(4)], expected: [4] },
  { name: 'squeeze all size-1 axes', fn: (x) => nd.squeeze(x!), inputs: () => [rand([1, 3, 1, 2], 7)], shape: [3, 2], grad: true },
  { name: 'squeeze one axis', fn: (x) => x!.squeeze(2), inputs: () => [rand([1, 3, 1, 2], 8)], shape: [1, 3, 2] },
  { name: 'squeeze a list of axes with negatives', fn: (x) => x!.squeeze([0, -2]), inputs: () => [rand([1, 3, 1, 2], 9)], shape: [3, 2] },
  { name: 'squeeze (1,1) to 0-d', fn: (x) => x!.squeeze(), inputs: () => [f64([[6]])], expected: 6, shape: [] },
  { name: 'squeeze keeps an empty axis', fn: (x) => x!.squeeze(), inputs: () => [nd.zeros([1, 0])], shape: [0] },
  { name: 'flatten (2,3,4) -> (2,12)', fn: (x) => nd.flatten(x!), inputs: () => [rand([2, 3, 4], 10)], shape: [2, 12], grad: true },
  { name: 'flatten (5,) -> (5,1)', fn: (x) => x!.flatten(), inputs: () => [f64([1, 2, 3, 4, 5])], expected: [[1], [2], [3], [4], [5]] },
  { name: 'flatten (0,3,4) -> (0,12)', fn: (x) => x!.flatten(), inputs: () => [nd.zeros([0, 3, 4])], shape: [0, 12] },
  { name: 'flatten (2,0,4) -> (2,0)', fn: (x) => x!.flatten(), inputs: () => [nd.zeros([2, 0, 4])], shape: [2, 0] },
  { name: 'flatten of 0-d -> (1,1)', fn: (x) => x!.flatten(), inputs: () => [f64(3)], expected: [[3]] },
];

const broadcasts: OpCase[] = [
  { name: 'broadcastTo (3,) -> (2,3)', fn: (x) => nd.broadcastTo(x!, [2, 3]), inputs: () => [f64([1, 2, 3])], expected: [[1, 2, 3], [1, 2, 3]], grad: true },
  { name: 'broadcastTo (2,1) -> (2,4)', fn: (x) => x!.broadcastTo([2, 4]), inputs: () => [f64([[1], [2]])], expected: [[1, 1, 1, 1], [2, 2, 2, 2]], grad: true },
  { name: 'broadcastTo (1,3,1) -> (2,2,3,4) grad sums several axes', fn: (x) => x!.broadcastTo([2, 2, 3, 4]), inputs: () => [rand([1, 3, 1], 11)], shape: [2, 2, 3, 4], grad: true },
  { name: 'broadcastTo 0-d -> (2,2)', fn: (x) => x!.broadcastTo([2, 2]), inputs: () => [f64(7)], expected: [[7, 7], [7, 7]], grad: true },
  { name: 'broadcastTo (1,3) -> (0,3)', fn: (x) => x!.broadcastTo([0, 3]), inputs: () => [f64([[1, 2, 3]])], shape: [0, 3] },
  { name: 'broadcastTo same shape is a no-op', fn: (x) => x!.broadcastTo([2]), inputs: () => [f64([1, 2])], expected: [1, 2], grad: true },
  { name: 'broadcastLike', fn: (x, y) => nd.broadcastLike(x!, y!), inputs: () => [f64([[1], [2]]), nd.zeros([2, 3])], expected: [[1, 1, 1], [2, 2, 2]], grad: [0] },
  { name: 'shape ops compose: transpose, reshape, expandDims, squeeze', fn: (x) => x!.transpose([1, 0, 2]).reshape([3, -1]).expandDims(1).squeeze(1).mul(x!.sum()), inputs: () => [rand([2, 3, 2], 12)], shape: [3, 4], grad: true },
];

export const { cases, errors }: CaseFile = {
  cases: [...reshapes, ...transposes, ...dims, ...broadcasts],
  errors: [
    { name: 'reshape size mismatch', fn: () => nd.ones([2, 3]).reshape([4, 2]), error: ShapeError, message: /reshape.*\(2, 3\).*6 elements.*\(4, 2\).*8 elements/ },
    { name: 'reshape -1 that does not divide', fn: () => nd.ones([2, 3]).reshape([4, -1]), error: ShapeError, message: /reshape.*\(2, 3\).*\(4, -1\)/ },
    { name: 'reshape with two -1', fn: () => nd.ones([2, 3]).reshape([-1, -1]), error: ShapeError, message: /reshape.*-1.*\(-1, -1\)/ },
    { name: 'reshape with a negative dimension', fn: () => nd.ones([2, 3]).reshape([-2, -3]), error: ValueError, message: /reshape.*\(-2, -3\).*non-negative/ },
    { name: 'reshape with a fractional dimension', fn: () => nd.ones([2, 3]).reshape([1.5, 4]), error: ValueError, message: /reshape.*\(1\.5, 4\)/ },
    { name: 'reshape empty with -1 is ambiguous', fn: () => nd.zeros([0, 3]).reshape([0, -1]), error: ShapeError, message: /reshape.*\(0, 3\).*\(0, -1\)/ },
    { name: 'transpose with too few axes', fn: () => nd.ones([2, 3, 4]).transpose([1, 0]), error: ShapeError, message: /transpose.*\[1,0\].*\(2, 3, 4\)/ },
    { name: 'transpose with a repeated axis', fn: () => nd.ones([2, 3]).transpose([1, -1]), error: ShapeError, message: /transpose: repeated axis/ },
    { name: 'transpose with an out-of-range axis', fn: () => nd.ones([2, 3]).transpose([0, 2]), error: AxisError, message: /transpose: axis 2/ },
    { name: 'swapAxes with a bad axis', fn: () => nd.ones([2, 3]).swapAxes(0, 2), error: AxisError, message: /swapAxes: axis 2.*2 dimension/ },
    { name: 'expandDims beyond ndim', fn: () => nd.ones([2, 3]).expandDims(3), error: AxisError, message: /expandDims: axis 3/ },
    { name: 'squeeze an axis that is not 1', fn: () => nd.ones([1, 3]).squeeze(1), error: ShapeError, message: /squeeze: axis 1 of shape \(1, 3\) has size 3/ },
    { name: 'squeeze a bad axis', fn: () => nd.ones([1, 3]).squeeze(5), error: AxisError, message: /squeeze: axis 5/ },
    { name: 'broadcastTo incompatible', fn: () => nd.ones([2, 3]).broadcastTo([3, 3]), error: ShapeError, message: /broadcastTo.*\(2, 3\).*\(3, 3\)/ },
    { name: 'broadcastTo fewer dimensions', fn: () => nd.ones([2, 3]).broadcastTo([3]), error: ShapeError, message: /broadcastTo.*\(2, 3\).*\(3,\)/ },
    { name: 'broadcastTo a negative dimension', fn: () => nd.ones([1, 3]).broadcastTo([-1, 3]), error: ValueError, message: /broadcastTo.*\(-1, 3\).*non-negative/ },
    { name: 'broadcastTo a fractional dimension', fn: () => nd.ones([1]).broadcastTo([2.5]), error: ValueError, message: /broadcastTo.*\(2\.5,\)/ },
  ],
};
