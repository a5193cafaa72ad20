// Fusion across steps that leave every element where it is: a same-size view (reshape) and a
// reduction over axes of extent 1 join an element-wise chain, as in a loss's tail (pick, neg, a
// mean over one element), and the fused program gives the unfused program's bits, -0 and NaN
// included, forward and backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, nd } from '../../src/index.js';
import { compile, type Graph } from '../../src/graph/index.js';
import { trace } from '../../src/graph/trace.js';

const signs = (x: nd.NDArray): string[] => Array.from(x.storage, (v) => (Object.is(v, -0) ? '-0' : String(v)));

function traced(fn: (...xs: nd.NDArray[]) => nd.NDArray, ...inputs: nd.NDArray[]): Graph {
  return trace('fn', inputs.map((x) => ({ shape: x.shape, dtype: x.dtype })), fn, (r) => [r], () => ({ path: '', name: '' })).graph;
}

const specials = (dtype: 'float32' | 'float64'): nd.NDArray => nd.array([[0], [-0], [NaN], [Infinity], [-Infinity], [1.5], [-2.25], [3e-39]], { dtype });

test('a sum over an axis of extent 1 fuses as x + 0 (-0 becomes 0), a max or product over one passes through', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const x = specials(dtype);
    const fns: [string, (x: nd.NDArray) => nd.NDArray, number][] = [
      ['neg, sum, div', (a) => a.neg().sum(1).div(4), 1],
      ['neg, max, mul', (a) => a.neg().max(1).mul(3), 1],
      ['neg, prod, reshape, exp', (a) => a.neg().prod(1).reshape([2, 4]).exp(), 1],
      ['abs, reshape, sum over the unit axis', (a) => a.abs().reshape([8, 1, 1]).sum([1, 2]), 1],
    ];
    for (const [what, fn, kernels] of fns) {
      const g = traced(fn, x);
      const fused = compile(g).inference.graph;
      assert.equal(fused.nodes.filter((_, i) => fused.prims[i]!.view !== true).length, kernels, `${dtype} ${what}: ${fused.toString()}`);
      assert.deepEqual(signs(compile(g).run([x], [])[0]!), signs(compile(g, { fuse: false }).run([x], [])[0]!), `${dtype} ${what}`);
      assert.deepEqual(signs(compile(g).run([x], [])[0]!), signs(fn(x)), `${dtype} ${what}: eager`);
    }
  }
});

test('a loss-like tail and its gradient: fused, unfused and eager agree bit for bit', () => {
  const logits = nd.array([[0, -1e30, -1e30], [1, 1, 1], [NaN, 0, 1], [5, -0, 0]]);
  const label = nd.array([0, 1, 2, 1], { dtype: 'int32' });
  const fn = (a: nd.NDArray, y: nd.NDArray): nd.NDArray => nd.pick(nd.logSoftmax(a), y, { axis: 1, keepdims: true }).neg().mean(1);
  const g = traced(fn, logits, label);
  const tail = compile(g).inference.graph.nodes.map((n) => n.op);
  assert.deepEqual(tail.slice(-1), ['fusedElementwise'], tail.join(' '));
  const results = [compile(g), compile(g, { fuse: false }), null].map((exe) => {
    const a = nd.array(logits);
    a.attachGrad();
    const out = autograd.record(() => (exe === null ? fn(a, label) : exe.run([a, label], [])[0]!));
    out.backward();
    return [signs(out), signs(a.grad!)];
  });
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(results[0], results[2]);
});
