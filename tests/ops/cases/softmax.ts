/**
 * Op table rows for softmax and logSoftmax: hand-computed values, every axis position of a 3-D
 * input against a float64 oracle, temperature, numerical stability with huge logits, -inf and
 * NaN, empty and integer inputs, gradient checks; and axis/temperature errors.
 */
import { nd, AxisError, ValueError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { f64, nest, rand, ravel, unravel, values } from '../op-table-ref.js';

/** softmax (or log-softmax) along `axis`, by gathering each line through multi-indices. */
function softmaxRef(x: nd.NDArray, axis: number, log: boolean, temperature = 1) {
  const ax = axis < 0 ? axis + x.ndim : axis;
  const v = values(x).map((e) => e / temperature);
  const out = new Array<number>(x.size);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape);
    const line = Array.from({ length: x.shape[ax]! }, (_, r) => {
      const j = [...idx];
      j[ax] = r;
      return v[ravel(j, x.shape)]!;
    });
    const m = Math.max(...line);
    const lse = m + Math.log(line.reduce((s, e) => s + Math.exp(e - m), 0));
    out[i] = log ? v[i]! - lse : Math.exp(v[i]! - lse);
  }
  return nest(out, x.shape);
}

const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
const z = e[0]! + e[1]! + e[2]!;

const axes: OpCase[] = [0, 1, 2, -1].flatMap((axis, k): OpCase[] => [
  {
    name: `softmax (2,3,4) axis ${axis}`,
    fn: (x) => nd.softmax(x!, { axis }),
    inputs: () => [rand([2, 3, 4], 10 + k, -3, 3)],
    oracle: (x) => softmaxRef(x!, axis, false),
    grad: true,
  },
  {
    name: `logSoftmax (2,3,4) axis ${axis}`,
    fn: (x) => nd.logSoftmax(x!, { axis }),
    inputs: () => [rand([2, 3, 4], 20 + k, -3, 3)],
    oracle: (x) => softmaxRef(x!, axis, true),
    grad: true,
  },
]);

export const { cases, errors }: CaseFile = {
  cases: [
    { name: 'softmax of [1,2,3]', fn: (x) => nd.softmax(x!), inputs: () => [f64([1, 2, 3])], expected: [e[0]! / z, e[1]! / z, e[2]! / z], grad: true },
    { name: 'logSoftmax of [1,2,3]', fn: (x) => nd.logSoftmax(x!), inputs: () => [f64([1, 2, 3])], expected: [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)], grad: true },
    { name: 'softmax method, rows sum to 1', fn: (x) => x!.softmax().sum(1), inputs: () => [rand([4, 5], 1, -5, 5)], expected: [1, 1, 1, 1] },
    { name: 'logSoftmax method axis 0', fn: (x) => x!.logSoftmax({ axis: 0 }), inputs: () => [f64([[0, 1], [0, 1]])], expected: [[-Math.LN2, -Math.LN2], [-Math.LN2, -Math.LN2]] },
    ...axes,
    {
      name: 'softmax with temperature 2 equals softmax(x / 2)',
      fn: (x) => nd.softmax(x!, { temperature: 2 }),
      inputs: () => [rand([3, 4], 2, -3, 3)],
      oracle: (x) => softmaxRef(x!, -1, false, 2),
      grad: true,
    },
    {
      name: 'logSoftmax with temperature 0.5',
      fn: (x) => nd.logSoftmax(x!, { temperature: 0.5, axis: 0 }),
      inputs: () => [rand([3, 4], 3, -3, 3)],
      oracle: (x) => softmaxRef(x!, 0, true, 0.5),
      grad: true,
    },
    { name: 'softmax is stable for huge logits', fn: (x) => nd.softmax(x!), inputs: () => [f64([1000, 1000, -1000])], expected: [0.5, 0.5, 0] },
    { name: 'logSoftmax is stable for huge logits', fn: (x) => nd.logSoftmax(x!), inputs: () => [f64([1000, 0])], expected: [0, -1000] },
    { name: 'float32 softmax of huge logits has no NaN', fn: (x) => nd.softmax(x!), inputs: () => [nd.array([1e30, 0])], expected: [1, 0] },
    { name: 'softmax with a -inf logit gives it 0', fn: (x) => nd.softmax(x!), inputs: () => [f64([-Infinity, 0, 0])], expected: [0, 0.5, 0.5] },
    { name: 'logSoftmax with a -inf logit gives -inf', fn: (x) => nd.logSoftmax(x!), inputs: () => [f64([-Infinity, 0])], expected: [-Infinity, 0] },
    { name: 'softmax: NaN poisons its line only', fn: (x) => nd.softmax(x!), inputs: () => [f64([[NaN, 1], [0, 0]])], expected: [[NaN, NaN], [0.5, 0.5]] },
    { name: 'softmax of a length-1 axis is 1', fn: (x) => nd.softmax(x!, { axis: 1 }), inputs: () => [f64([[3], [-7]])], expected: [[1], [1]], grad: true },
    { name: 'softmax of an empty batch', fn: (x) => nd.softmax(x!), inputs: () => [nd.zeros([0, 4])], shape: [0, 4] },
    { name: 'softmax over an empty axis', fn: (x) => nd.softmax(x!), inputs: () => [nd.zeros([2, 0])], shape: [2, 0] },
    { name: 'softmax of int32 computes in float32', fn: (x) => nd.softmax(x!), inputs: () => [nd.array([0, 0], { dtype: 'int32' })], expected: [0.5, 0.5], dtype: 'float32' },
    { name: 'softmax keeps float64', fn: (x) => nd.softmax(x!), inputs: () => [f64([0, Math.log(3)])], expected: [0.25, 0.75], dtype: 'float64', rtol: 1e-15 },
    { name: 'cross-entropy via logSoftmax and a one-hot mask', fn: (x, y) => nd.logSoftmax(x!).mul(y!).sum(1).neg(), inputs: () => [rand([3, 4], 4, -2, 2), f64([[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])], grad: [0] },
  ],
  errors: [
    { name: 'softmax axis out of range', fn: () => nd.softmax(nd.ones([2, 3]), { axis: 2 }), error: AxisError, message: /softmax: axis 2.*2 dimension/ },
    { name: 'logSoftmax axis out of range', fn: () => nd.logSoftmax(nd.ones([2, 3]), { axis: -3 }), error: AxisError, message: /logSoftmax: axis -3/ },
    { name: 'softmax of a 0-d array', fn: () => nd.softmax(nd.array(1)), error: ValueError, message: /softmax.*0-d/ },
    { name: 'softmax temperature 0', fn: () => nd.softmax(nd.ones([2]), { temperature: 0 }), error: ValueError, message: /softmax: temperature.*0/ },
    { name: 'softmax negative temperature', fn: () => nd.softmax(nd.ones([2]), { temperature: -1 }), error: ValueError, message: /softmax: temperature.*-1/ },
  ],
};
