/**
 * Op table rows for nd.batchNorm: training (batch statistics, biased variance) and fixed running
 * statistics, channel axes 1 and last, fixGamma and center, against a float64 oracle; gradients
 * of the data, gamma and beta (the data's gradient in training goes through the batch statistics);
 * a hand-computed row; and shape, axis and argument errors.
 */
import { nd, AxisError, ShapeError, ValueError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { f64, nest, rand, unravel, values } from '../op-table-ref.js';

interface RefOptions {
  axis: number;
  eps: number;
  training: boolean;
  fixGamma: boolean;
  center: boolean;
}

/** Batch normalization in float64 by multi-indices: statistics per channel over every other axis. */
function bnRef(x: nd.NDArray, gamma: nd.NDArray, beta: nd.NDArray, rm: nd.NDArray, rv: nd.NDArray, o: RefOptions) {
  const ax = o.axis < 0 ? o.axis + x.ndim : o.axis;
  const v = values(x);
  const C = x.shape[ax]!;
  const sum = new Array<number>(C).fill(0);
  const count = new Array<number>(C).fill(0);
  for (let i = 0; i < x.size; i++) {
    const c = unravel(i, x.shape)[ax]!;
    sum[c]! += v[i]!;
    count[c]!++;
  }
  const mean = o.training ? sum.map((s, c) => s / count[c]!) : values(rm);
  const sq = new Array<number>(C).fill(0);
  for (let i = 0; i < x.size; i++) {
    const c = unravel(i, x.shape)[ax]!;
    sq[c]! += (v[i]! - mean[c]!) ** 2;
  }
  const variance = o.training ? sq.map((s, c) => s / count[c]!) : values(rv);
  const g = values(gamma);
  const b = values(beta);
  const out = v.map((e, i) => {
    const c = unravel(i, x.shape)[ax]!;
    return ((e - mean[c]!) / Math.sqrt(variance[c]! + o.eps)) * (o.fixGamma ? 1 : g[c]!) + (o.center ? b[c]! : 0);
  });
  return nest(out, x.shape);
}

const params = (c: number, seed: number) => [rand([c], seed, 0.5, 1.5), rand([c], seed + 1, -1, 1), rand([c], seed + 2, -0.5, 0.5), rand([c], seed + 3, 0.5, 2)];

function row(name: string, shape: number[], o: RefOptions, seed: number): OpCase {
  const ax = o.axis < 0 ? o.axis + shape.length : o.axis;
  const { axis, eps, training, fixGamma, center } = o;
  return {
    name: `batchNorm ${name}`,
    fn: (x, g, b, rm, rv) => nd.batchNorm(x!, g!, b!, nd.array(rm!), nd.array(rv!), { axis, eps, training, fixGamma, center }),
    inputs: () => [rand(shape, seed, -2, 3), ...params(shape[ax]!, seed + 10)],
    oracle: (x, g, b, rm, rv) => bnRef(x!, g!, b!, rm!, rv!, o),
    // The running statistics get no gradient: in training they are not read, otherwise they are
    // statistics, not weights (their gradReq is 'null' in nn.BatchNorm).
    grad: [0, 1, 2],
    rtol: 1e-5,
    atol: 1e-6,
  };
}

const base: RefOptions = { axis: 1, eps: 1e-5, training: true, fixGamma: false, center: true };

const rows: OpCase[] = [
  row('training (4,3,2,2) axis 1', [4, 3, 2, 2], base, 1),
  row('training (5,3) axis 1', [5, 3], base, 2),
  row('training (2,3,4) last axis, eps 1e-3', [2, 3, 4], { ...base, axis: -1, eps: 1e-3 }, 3),
  row('training fixGamma, no center', [3, 2, 5], { ...base, fixGamma: true, center: false }, 4),
  row('running statistics (4,3,2,2)', [4, 3, 2, 2], { ...base, training: false }, 5),
  row('running statistics, axis 0', [3, 4], { ...base, axis: 0, training: false }, 6),
  {
    name: 'batchNorm training by hand: channels [1, 3] and [2, 6]',
    fn: (x) => nd.batchNorm(x!, f64([1, 2]), f64([0, 10]), nd.zeros([2], { dtype: 'float64' }), nd.ones([2], { dtype: 'float64' }), { training: true, fixGamma: false, eps: 0 }),
    inputs: () => [f64([[1, 2], [3, 6]])],
    expected: [[-1, 8], [1, 12]],
  },
  {
    name: 'batchNorm training updates the running statistics in place with momentum',
    fn: (x) => {
      const rm = nd.zeros([2], { dtype: 'float64' });
      const rv = nd.ones([2], { dtype: 'float64' });
      nd.batchNorm(x!, nd.ones([2], { dtype: 'float64' }), nd.zeros([2], { dtype: 'float64' }), rm, rv, { training: true, momentum: 0.75 });
      return nd.stack([rm, rv]);
    },
    inputs: () => [f64([[1, 2], [3, 6]])],
    // mean (2, 4), biased variance (1, 4): 0.75 * running + 0.25 * batch.
    expected: [[0.5, 1], [1, 1.75]],
  },
  {
    name: 'batchNorm with running statistics leaves them unchanged',
    fn: (x) => {
      const rm = f64([1, -1]);
      const rv = f64([4, 9]);
      const y = nd.batchNorm(x!, nd.ones([2], { dtype: 'float64' }), nd.zeros([2], { dtype: 'float64' }), rm, rv, { training: false, eps: 0 });
      return nd.concat([y, nd.stack([rm, rv])]);
    },
    inputs: () => [f64([[3, 2], [5, 8]])],
    expected: [[1, 1], [2, 3], [1, -1], [4, 9]],
  },
  {
    name: 'batchNorm float32 parity with float64 within float32 rounding',
    fn: (x) => nd.batchNorm(x!.astype('float32'), nd.ones([3]), nd.zeros([3]), nd.zeros([3]), nd.ones([3]), { training: true }),
    inputs: () => [rand([6, 3, 4], 7, -5, 5)],
    oracle: (x) => bnRef(x!, nd.ones([3]), nd.zeros([3]), nd.zeros([3]), nd.ones([3]), { ...base, eps: 1e-3, fixGamma: true }),
    rtol: 1e-5,
    atol: 1e-5,
  },
];


const errorRows: CaseFile['errors'] = [
  {
    name: 'batchNorm gamma of the wrong length',
    fn: () => nd.batchNorm(nd.ones([2, 3, 4]), nd.ones([4]), nd.zeros([3]), nd.zeros([3]), nd.ones([3])),
    error: ShapeError,
    message: /batchNorm: gamma must have shape \(3,\) for data of shape \(2, 3, 4\) with channel axis 1, got \(4,\)/,
  },
  {
    name: 'batchNorm data without a channel axis',
    fn: () => nd.batchNorm(nd.ones([3]), nd.ones([3]), nd.zeros([3]), nd.zeros([3]), nd.ones([3])),
    error: ShapeError,
    message: /batchNorm: the data of shape \(3,\) needs a batch axis and a channel axis/,
  },
  {
    name: 'batchNorm axis out of range',
    fn: () => nd.batchNorm(nd.ones([2, 3]), nd.ones([3]), nd.zeros([3]), nd.zeros([3]), nd.ones([3]), { axis: 2 }),
    error: AxisError,
    message: /batchNorm: axis 2/,
  },
  {
    name: 'batchNorm momentum outside [0, 1]',
    fn: () => nd.batchNorm(nd.ones([2, 3]), nd.ones([3]), nd.zeros([3]), nd.zeros([3]), nd.ones([3]), { momentum: 2 }),
    error: ValueError,
    message: /batchNorm: momentum must be in \[0, 1\], got 2/,
  },
];

export const { cases, errors }: CaseFile = { cases: rows, errors: errorRows };
