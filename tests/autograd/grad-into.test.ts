/**
 * Backward writes a weight's gradient straight into its gradient buffer when it safely can (the
 * matmul rule fills the buffer autograd offers, through the weight's reshape): the values must be
 * those of the ordinary path in every case around it (a weight used twice, gradReq 'add', the
 * buffer read by the graph or given as the head gradient, retainGraph), and the buffer keeps its
 * identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';

const X = [[1, 2, 3], [4, 5, 6]];
const W = [[0.5, -1, 2], [1.5, 0, -0.5]];
/** d/dW sum(G * (X Wᵀ)) = Gᵀ X with G the upstream gradient. */
function gtx(G: number[][]): number[][] {
  return W.map((_, r) => X[0]!.map((_, c) => G.reduce((s, g, i) => s + g[r]! * X[i]![c]!, 0)));
}

test('a dense weight gradient lands in the same buffer with the right values', () => {
  const w = nd.array(W, { dtype: 'float64' });
  w.attachGrad();
  const buf = w.grad!;
  const storage = buf.storage;
  const G = [[1, 2], [3, 4]];
  const y = autograd.record(() => nd.dot(nd.array(X, { dtype: 'float64' }), w, { transposeB: true }).mul(nd.array(G, { dtype: 'float64' })).sum());
  y.backward();
  assert.equal(w.grad, buf);
  assert.equal(w.grad!.storage, storage);
  assertClose(w.grad!, gtx(G), { rtol: 1e-14 });
});

test('a weight used twice sums both gradients', () => {
  const w = nd.array(W, { dtype: 'float64' });
  w.attachGrad();
  const x = nd.array(X, { dtype: 'float64' });
  const y = autograd.record(() => nd.dot(x, w, { transposeB: true }).sum().add(w.mul(w).sum()));
  y.backward();
  const expected = gtx([[1, 1], [1, 1]]).map((row, r) => row.map((v, c) => v + 2 * W[r]![c]!));
  assertClose(w.grad!, expected, { rtol: 1e-14 });
});

test("gradReq 'add' accumulates over backward calls", () => {
  const w = nd.array(W, { dtype: 'float64' });
  w.attachGrad({ gradReq: 'add' });
  const x = nd.array(X, { dtype: 'float64' });
  for (let i = 0; i < 2; i++) autograd.record(() => nd.dot(x, w, { transposeB: true }).sum()).backward();
  assertClose(w.grad!, gtx([[2, 2], [2, 2]]), { rtol: 1e-14 });
});

test('a gradient buffer the graph reads as a value is read before it is overwritten', () => {
  const old = [[1, 1, 1], [2, 2, 2]];
  for (const dotFirst of [true, false]) {
    const w = nd.array(W, { dtype: 'float64' });
    w.attachGrad();
    w.grad!.assign(nd.array(old, { dtype: 'float64' }));
    const x = nd.array(X, { dtype: 'float64' });
    const v = nd.zeros([2, 3], { dtype: 'float64' });
    v.attachGrad();
    // mul's rule reads w.grad during backward: dv must be the old buffer, whichever runs first.
    const y = autograd.record(() => {
      const a = nd.dot(x, w, { transposeB: true }).sum();
      const b = v.mul(w.grad!).sum();
      return dotFirst ? a.add(b) : b.add(a);
    });
    y.backward();
    assertClose(v.grad!, old, { rtol: 1e-14 });
    assertClose(w.grad!, gtx([[1, 1], [1, 1]]), { rtol: 1e-14 });
  }
});

test('the gradient buffer given as the head gradient is read, not clobbered', () => {
  const w = nd.array(W, { dtype: 'float64' });
  w.attachGrad();
  w.grad!.assign(nd.array([[1, 0, 0], [0, 1, 0]], { dtype: 'float64' }));
  const x = nd.array([[2, 0], [0, 3]], { dtype: 'float64' });
  // y = x W (2x3); dy/dW = xᵀ head.
  const y = autograd.record(() => nd.dot(x, w));
  y.backward(w.grad!);
  assertClose(w.grad!, [[2, 0, 0], [0, 3, 0]], { rtol: 1e-14 });
});

test('retainGraph: a second backward writes the same gradient again', () => {
  const w = nd.array(W, { dtype: 'float64' });
  w.attachGrad();
  const x = nd.array(X, { dtype: 'float64' });
  const y = autograd.record(() => nd.dot(x, w, { transposeB: true }).sum());
  y.backward(null, { retainGraph: true });
  y.backward();
  assertClose(w.grad!, gtx([[1, 1], [1, 1]]), { rtol: 1e-14 });
});

test('nn.Dense: the weight gradient is written into its buffer and matches dot-based gradients', () => {
  const layer = new nn.Dense(2, { inUnits: 3, dtype: 'float64' });
  layer.initialize();
  layer.weight.setData(nd.array(W, { dtype: 'float64' }));
  layer.bias!.setData(nd.array([0.25, -0.75], { dtype: 'float64' }));
  const buf = layer.weight.grad();
  const storage = buf.storage;
  const G = [[1, -2], [0.5, 3]];
  autograd.record(() => layer.forward(nd.array(X, { dtype: 'float64' })).mul(nd.array(G, { dtype: 'float64' })).sum()).backward();
  assert.equal(layer.weight.grad().storage, storage);
  assertClose(layer.weight.grad(), gtx(G), { rtol: 1e-14 });
  assertClose(layer.bias!.grad(), [1.5, 1], { rtol: 1e-14 });
});
