import { nd, ShapeError } from '../../../src/index.js';
import type { CaseFile } from '../op-table.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });

export const { cases, errors }: CaseFile = {
  cases: [
    {
      name: 'dot 2x2 · 2x2',
      fn: (a, b) => nd.dot(a!, b!),
      inputs: () => [f64([[1, 2], [3, 4]]), f64([[5, 6], [7, 8]])],
      expected: [[19, 22], [43, 50]],
      grad: true,
    },
  ],
  errors: [
    {
      name: 'dot inner dimension mismatch',
      fn: () => nd.dot(nd.ones([2, 3]), nd.ones([4, 2])),
      error: ShapeError,
      message: /dot.*\(2, 3\).*\(4, 2\)/,
    },
  ],
};
