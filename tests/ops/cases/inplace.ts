/**
 * Op-table rows for in-place writes: assign, fill and setSlice. Each row returns the written
 * array (or a small summary array) so that the table checks the values; rows also check that
 * the same array is returned, that other arrays are untouched, dtype conversion, and that writes
 * into arrays a recorded graph still needs raise an AutogradError.
 */
import { nd, autograd, AutogradError, ShapeError, ShapeOnlyError, ValueError } from '../../../src/index.js';
import type { CaseFile } from '../op-table.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });

/** A leaf with an attached gradient. */
function leaf(v: Parameters<typeof nd.array>[0]): nd.NDArray {
  const x = nd.array(v);
  x.attachGrad();
  return x;
}

export const { cases, errors }: CaseFile = {
  cases: [
    {
      name: 'assign a number fills and returns the same array',
      fn: (x) => {
        const y = x!.assign(3);
        return nd.concat([y.reshape([4]), nd.array([y === x ? 1 : 0], { dtype: 'float64' })]);
      },
      inputs: () => [f64([[1, 2], [3, 4]])],
      expected: [3, 3, 3, 3, 1],
    },
    {
      name: 'assign broadcasts a (3,) row into (2, 3)',
      fn: (x, v) => nd.assign(x!, v!),
      inputs: () => [nd.zeros([2, 3]), nd.array([1, 2, 3])],
      expected: [[1, 2, 3], [1, 2, 3]],
    },
    {
      name: 'assign broadcasts a (2, 1) column into (2, 3)',
      fn: (x, v) => x!.assign(v!),
      inputs: () => [nd.zeros([2, 3]), nd.array([[1], [2]])],
      expected: [[1, 1, 1], [2, 2, 2]],
    },
    {
      name: 'assign a same-shape array copies it',
      fn: (x, v) => x!.assign(v!),
      inputs: () => [nd.zeros([2, 2]), nd.array([[1, 2], [3, 4]])],
      expected: [[1, 2], [3, 4]],
    },
    {
      name: 'assign float values into int32 truncates toward zero',
      fn: (x, v) => x!.assign(v!),
      inputs: () => [nd.zeros([3], { dtype: 'int32' }), nd.array([1.7, -2.5, 3])],
      expected: [1, -2, 3],
      dtype: 'int32',
    },
    {
      name: 'assign into uint8 wraps modulo 256',
      fn: (x, v) => x!.assign(v!),
      inputs: () => [nd.zeros([2], { dtype: 'uint8' }), nd.array([300, -1], { dtype: 'int32' })],
      expected: [44, 255],
      dtype: 'uint8',
    },
    {
      name: 'assign int32 into float64 keeps float64',
      fn: (x, v) => x!.assign(v!),
      inputs: () => [nd.zeros([2], { dtype: 'float64' }), nd.array([5, 6], { dtype: 'int32' })],
      expected: [5, 6],
      dtype: 'float64',
    },
    {
      name: 'assign a nested list',
      fn: (x) => x!.assign([[1, 2], [3, 4]]),
      inputs: () => [nd.zeros([2, 2])],
      expected: [[1, 2], [3, 4]],
    },
    {
      name: 'assign into a 0-d array and into an empty array',
      fn: (x, e) => {
        x!.assign(nd.array([9]).reshape([]));
        e!.assign(nd.array([1, 2]));
        return nd.concat([x!.reshape([1]), e!.reshape([0])]);
      },
      inputs: () => [nd.array(0), nd.zeros([0, 2])],
      expected: [9],
    },
    {
      name: 'assign its own transpose (the value shares memory with the target)',
      // Not idempotent: the parity check would run it twice on the same inputs.
      noParity: true,
      fn: (x) => x!.assign(x!.detach().T).assign(x!.detach()),
      inputs: () => [nd.array([[1, 2], [3, 4]])],
      expected: [[1, 3], [2, 4]],
    },
    {
      name: 'assign leaves the value and earlier results untouched',
      // Not idempotent: the parity check would run it twice on the same inputs.
      noParity: true,
      fn: (x, v) => {
        const before = x!.mul(1);
        const copy = nd.array(x!);
        x!.assign(v!);
        return nd.concat([before, copy, v!, x!]);
      },
      inputs: () => [nd.array([1, 2]), nd.array([7, 8])],
      expected: [1, 2, 1, 2, 7, 8, 7, 8],
    },
    {
      name: 'fill sets every element and returns the array',
      fn: (x) => x!.fill(2.5),
      inputs: () => [nd.zeros([2, 2])],
      expected: [[2.5, 2.5], [2.5, 2.5]],
    },
    {
      name: 'fill on int32 truncates',
      fn: (x) => nd.fill(x!, -2.7),
      inputs: () => [nd.zeros([3], { dtype: 'int32' })],
      expected: [-2, -2, -2],
    },
    {
      name: 'setSlice writes a 2x2 block and leaves the rest',
      fn: (x) => x!.setSlice([1, 1], [3, 3], 5),
      inputs: () => [nd.zeros([3, 4])],
      expected: [[0, 0, 0, 0], [0, 5, 5, 0], [0, 5, 5, 0]],
    },
    {
      name: 'setSlice with plain numbers addresses axis 0 and broadcasts the value',
      fn: (x, v) => nd.setSlice(x!, 1, null, v!),
      inputs: () => [nd.zeros([3, 2]), nd.array([1, 2])],
      expected: [[0, 0], [1, 2], [1, 2]],
    },
    {
      name: 'setSlice with a negative step writes in reverse order',
      fn: (x, v) => x!.setSlice([null], [null], v!, [-2]),
      inputs: () => [nd.zeros([5]), nd.array([1, 2, 3])],
      expected: [3, 0, 2, 0, 1],
    },
    {
      name: 'setSlice with negative indices and dtype conversion',
      fn: (x, v) => x!.setSlice([-1, -2], [null, null], v!),
      inputs: () => [nd.zeros([2, 3], { dtype: 'int32' }), nd.array([[1.9, 2.1]])],
      expected: [[0, 0, 0], [0, 1, 2]],
      dtype: 'int32',
    },
    {
      name: 'setSlice of an empty region changes nothing',
      fn: (x) => x!.setSlice([2], [1], 9),
      inputs: () => [nd.array([1, 2, 3])],
      expected: [1, 2, 3],
    },
    {
      name: 'writes inside autograd.pause are allowed while recording',
      fn: (x) => autograd.record(() => autograd.pause(() => x!.assign(3))),
      inputs: () => [leaf([1, 2])],
      expected: [3, 3],
    },
    {
      name: 'an optimizer-style update after backward is allowed',
      // Not idempotent: the parity check would run it twice on the same inputs.
      noParity: true,
      fn: (x) => {
        const y = autograd.record(() => x!.mul(x!).sum());
        y.backward();
        y.fill(0);
        return x!.assign(x!.sub(x!.grad!.mul(0.25)));
      },
      inputs: () => [leaf([2, -4])],
      expected: [1, -2],
    },
    {
      name: 'assign while recording into an array outside the graph is not recorded',
      fn: (a) => {
        const b = nd.zeros([2]);
        autograd.record(() => b.assign(a!.mul(2)));
        return nd.concat([b, nd.array([b._node === null ? 1 : 0])]);
      },
      inputs: () => [leaf([1, 2])],
      expected: [2, 4, 1],
    },
  ],
  errors: [
    {
      name: 'assign a value that does not broadcast',
      fn: () => nd.zeros([2, 2]).assign(nd.ones([3])),
      error: ShapeError,
      message: /assign.*\(2, 2\).*\(3,\)|assign.*\(3,\).*\(2, 2\)/,
    },
    {
      name: 'assign a value with more dimensions than the target',
      fn: () => nd.zeros([2]).assign(nd.ones([2, 2])),
      error: ShapeError,
      message: /assign.*\(2, 2\).*\(2,\)/,
    },
    {
      name: 'setSlice value that does not fit the region',
      fn: () => nd.zeros([4, 2]).setSlice([0], [2], nd.ones([3])),
      error: ShapeError,
      message: /setSlice.*\(3,\).*\(2, 2\)|setSlice.*\(2, 2\).*\(3,\)/,
    },
    {
      name: 'setSlice step 0',
      fn: () => nd.zeros([4]).setSlice([0], [2], 1, [0]),
      error: ValueError,
      message: /setSlice.*step.*\(4,\)/,
    },
    {
      name: 'assign a shape-only value',
      fn: () => nd.zeros([2]).assign(nd.NDArray.shapeOnly([2], 'float32')),
      error: ShapeOnlyError,
      message: /\(2,\).*shape but no data/,
    },
    {
      name: 'assign into an attached array while recording',
      fn: () => {
        const x = leaf([1, 2]);
        return autograd.record(() => x.assign(0));
      },
      error: AutogradError,
      message: /assign.*\(2,\).*attached gradient.*autograd\.pause/,
    },
    {
      name: 'fill an attached array while recording',
      fn: () => {
        const x = leaf([1, 2]);
        return autograd.record(() => x.fill(0));
      },
      error: AutogradError,
      message: /fill.*\(2,\).*attached gradient.*autograd\.pause/,
    },
    {
      name: 'setSlice into a recorded result before backward',
      fn: () => {
        const x = leaf([1, 2]);
        const y = autograd.record(() => x.mul(2));
        return y.setSlice([0], [1], 5);
      },
      error: AutogradError,
      message: /setSlice.*\(2,\).*recorded op 'mul'.*backward has not run/,
    },
    {
      name: 'assign into a recorded result even after recording ends',
      fn: () => {
        const x = leaf([[1, 2]]);
        const y = autograd.record(() => x.exp());
        return y.assign(1);
      },
      error: AutogradError,
      message: /assign.*\(1, 2\).*recorded op 'exp'.*nd\.array/,
    },
  ],
};
