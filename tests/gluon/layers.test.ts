// The basic layers with hand-computed values: Dense (flatten on/off, bias, activation, dtype),
// Activation, Flatten, Dropout (train/predict, axes, shape-only), Lambda, Sequential.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError, autograd, gluon, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';

beforeEach(() => gluon.resetNameCounters());

function dense(units: number, weight: number[][], bias: number[] | null, options: nn.DenseOptions = {}): nn.Dense {
  const layer = new nn.Dense(units, { ...options, useBias: bias !== null });
  layer.initialize();
  layer.weight.setData(nd.array(weight));
  if (bias !== null) layer.bias!.setData(nd.array(bias));
  return layer;
}

test('Dense computes x Wᵀ + b, then the activation', () => {
  const layer = dense(2, [[1, -1, 0], [0.5, 0.5, 2]], [1, -10], { activation: 'relu' });
  const y = layer.forward(nd.array([[1, 2, 3], [-1, 0, 1]]));
  // Row 1: [1 - 2 + 1, 0.5 + 1 + 6 - 10] = [0, -2.5] -> relu [0, 0]; row 2: [-1 + 1, -0.5 + 2 - 10] -> [0, 0].
  assertClose(y, [[0, 0], [0, 0]]);
  const linear = dense(2, [[1, -1, 0], [0.5, 0.5, 2]], [1, -10]);
  assertClose(linear.forward(nd.array([[1, 2, 3], [-1, 0, 1]])), [[0, -2.5], [0, -8.5]]);
  const noBias = dense(1, [[2, 3]], null);
  assert.equal(noBias.bias, null);
  assert.deepEqual(noBias.collectParams().keys(), ['weight']);
  assertClose(noBias.forward(nd.array([[1, 1]])), [[5]]);
});

test('Dense flatten: (N, d1, d2) is (N, d1*d2); flatten false applies to the last axis', () => {
  const flat = new nn.Dense(5);
  flat.initialize();
  assert.deepEqual(flat.forward(nd.ones([2, 3, 4])).shape, [2, 5]);
  assert.deepEqual(flat.weight.shape, [5, 12]);
  const last = new nn.Dense(5, { flatten: false });
  last.initialize({ init: 'ones' });
  const y = last.forward(nd.ones([2, 3, 4]));
  assert.deepEqual(y.shape, [2, 3, 5]);
  assert.deepEqual(last.weight.shape, [5, 4]);
  assert.deepEqual(new Set(y.storage), new Set([4]));
  assert.deepEqual(last.forward(nd.ones([4])).shape, [5]);
  assert.throws(() => flat.forward(nd.ones([12])), (e: Error) => e instanceof ShapeError && /dense0/.test(e.message) && /no batch axis/.test(e.message));
});

test('Dense options: dtype, invalid sizes', () => {
  const d = new nn.Dense(3, { dtype: 'float64', inUnits: 2 });
  d.initialize();
  assert.equal(d.weight.data().dtype, 'float64');
  assert.equal(d.forward(nd.ones([1, 2], { dtype: 'float64' })).dtype, 'float64');
  assert.throws(() => new nn.Dense(0), ValueError);
  assert.throws(() => new nn.Dense(2, { inUnits: -1 }), ValueError);
  assert.throws(() => new nn.Dense(2, { activation: 'swish' as 'relu' }), ValueError);
});

test('Activation: relu, sigmoid, tanh, softrelu, softsign', () => {
  const x = nd.array([-2, 0, 3], { dtype: 'float64' });
  const cases: [nn.ActivationType, (v: number) => number][] = [
    ['relu', (v) => Math.max(v, 0)],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v))],
    ['tanh', Math.tanh],
    ['softrelu', (v) => Math.log1p(Math.exp(v))],
    ['softsign', (v) => v / (1 + Math.abs(v))],
  ];
  for (const [name, f] of cases) {
    assertClose(new nn.Activation(name).forward(x), [-2, 0, 3].map(f), { rtol: 1e-12, msg: name });
  }
  assert.equal(new nn.Activation('relu').toString(), 'Activation(relu)');
});

test('Flatten', () => {
  assert.deepEqual(new nn.Flatten().forward(nd.arange(24).reshape([2, 3, 4])).shape, [2, 12]);
  assert.deepEqual(new nn.Flatten().forward(nd.ones([3])).shape, [3, 1]);
});

test('Dropout: identity when predicting; inverted dropout when training', () => {
  const drop = new nn.Dropout(0.25);
  const x = nd.ones([200, 50]);
  assert.equal(drop.forward(x), x);
  nd.random.seed(5);
  const y = autograd.record(() => drop.forward(x));
  const vals = Array.from(y.storage);
  assert.ok(vals.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  const dropped = vals.filter((v) => v === 0).length / vals.length;
  assert.ok(Math.abs(dropped - 0.25) < 0.02, `dropped ${dropped}`);
  nd.random.seed(5);
  assert.deepEqual(Array.from(autograd.record(() => drop.forward(x)).storage), vals);
  // Gradient is the mask scaled by 1 / (1 - rate).
  const xg = nd.ones([4, 4]);
  xg.attachGrad();
  const out = autograd.record(() => drop.forward(xg));
  out.backward();
  assert.deepEqual(Array.from(xg.grad!.storage), Array.from(out.storage));
});

test('Dropout axes share the mask; rate 1 gives zeros; shape-only stays shape-only', () => {
  const shared = new nn.Dropout(0.5, { axes: [1] });
  const y = autograd.trainMode(() => shared.forward(nd.ones([30, 8])));
  for (let r = 0; r < 30; r++) {
    const row = Array.from(y.storage.subarray(r * 8, r * 8 + 8));
    assert.equal(new Set(row).size, 1, `row ${r}: ${row}`);
  }
  assert.deepEqual(Array.from(autograd.trainMode(() => new nn.Dropout(1).forward(nd.ones([3]))).storage), [0, 0, 0]);
  const s = autograd.trainMode(() => new nn.Dropout(0.5).forward(nd.NDArray.shapeOnly([2, 3], 'float32')));
  assert.ok(s.isShapeOnly);
  assert.deepEqual(s.shape, [2, 3]);
  assert.throws(() => new nn.Dropout(1.5), ValueError);
  assert.equal(new nn.Dropout(0.5, { axes: [1] }).toString(), 'Dropout(p = 0.5, axes=(1,))');
});

test('Lambda wraps a function or an element-wise op by name', () => {
  const double = new nn.Lambda(function double(x) { return x.mul(2); });
  assert.deepEqual(double.forward(nd.array([1, 2])).toArray(), [2, 4]);
  assert.equal(double.toString(), 'Lambda(double)');
  assertClose(new nn.Lambda('tanh').forward(nd.array([0.5])), [Math.tanh(0.5)]);
  assert.throws(() => new nn.Lambda('nope' as 'tanh'), ValueError);
});

test('Sequential: add, get, length, iteration, chaining, aliases', () => {
  const net = new nn.HybridSequential();
  const a = new nn.Dense(3);
  const b = new nn.Activation('relu');
  assert.equal(net.add(a).add(b), net);
  assert.equal(net.length, 2);
  assert.equal(net.get(0), a);
  assert.equal(net.get(-1), b);
  assert.deepEqual([...net], [a, b]);
  assert.throws(() => net.get(2), (e: Error) => e instanceof ValueError && /out of range for 2 blocks/.test(e.message));
  assert.throws(() => net.add({} as nn.Dense), ValueError);
  net.initialize({ init: 'ones' });
  assert.equal(net.hybridize(), net);
  assertClose(net.forward(nd.array([[1, -2]])), [[0, 0, 0]]);
  assertClose(net.forward(nd.array([[1, 2]])), [[3, 3, 3]]);
  assert.ok(new nn.HybridBlock() instanceof gluon.Block);
});
