// D2L's "Parameter Management" chapter, example by example: access, built-in and custom
// initialization, setData and in-place writes, per-parameter initializers and precedence, apply.
// Sharing, constants and saving tied nets are in parameter-management-sharing.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { RecordingInit, values } from './gluon-helpers.js';

function mlp(): nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(8, { activation: 'relu' }));
  net.add(new nn.Dense(1));
  return net;
}

/** relu(x W0ᵀ + b0) in float64, from the parameters' values. */
function hidden(x: nd.NDArray, w: nd.NDArray, b: nd.NDArray): number[][] {
  const [n, d] = x.shape as [number, number];
  const units = w.shape[0]!;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let u = 0; u < units; u++) {
      let s = b.storage[u]!;
      for (let k = 0; k < d; k++) s += x.storage[i * d + k]! * w.storage[u * d + k]!;
      row.push(Math.max(0, s));
    }
    out.push(row);
  }
  return out;
}

test('access: a layer\'s params, the tree\'s collectParams, printing with unknown dimensions as 0', () => {
  gluon.resetNameCounters();
  const net = mlp();
  net.initialize();
  // Before the first forward the input sizes are unknown: printed as 0.
  assert.equal(
    net.collectParams().toString(),
    'ParameterDict(\n' +
      '  0.weight: Parameter dense0_weight (shape=(8, 0), dtype=float32)\n' +
      '  0.bias: Parameter dense0_bias (shape=(8,), dtype=float32)\n' +
      '  1.weight: Parameter dense1_weight (shape=(1, 0), dtype=float32)\n' +
      '  1.bias: Parameter dense1_bias (shape=(1,), dtype=float32)\n' +
      ')',
  );
  nd.random.seed(0);
  const X = nd.random.uniform({ shape: [2, 4] });
  assert.deepEqual(net.forward(X).shape, [2, 1]);
  const out = net.get<nn.Dense>(1);
  // print(net[1].params): the block's own parameters, keyed by local name.
  assert.equal(
    out.params.toString(),
    'ParameterDict(\n  weight: Parameter dense1_weight (shape=(1, 8), dtype=float32)\n  bias: Parameter dense1_bias (shape=(1,), dtype=float32)\n)',
  );
  assert.deepEqual(out.params.keys(), ['weight', 'bias']);
  // type(net[1].bias), net[1].bias, net[1].bias.data()
  assert.ok(out.bias instanceof gluon.Parameter);
  assert.equal(String(out.bias), 'Parameter dense1_bias (shape=(1,), dtype=float32)');
  assert.deepEqual(out.bias!.data().toArray(), [0]);
  assert.equal(out.weight.name, 'dense1_weight');
  assert.deepEqual(out.weight.shape, [1, 8]);
  // net[1].weight.grad(): zeros before any backward.
  assert.deepEqual(out.weight.grad().toArray(), [[0, 0, 0, 0, 0, 0, 0, 0]]);
  // net[0].collect_params() and net.collect_params(): the same Parameter objects.
  assert.deepEqual(net.get(0).collectParams().keys(), ['weight', 'bias']);
  const all = net.collectParams();
  assert.deepEqual(all.keys(), ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.equal(all.get('1.bias'), out.bias);
  // Gluon 1's keys were display names: net.collect_params()['dense1_bias'] works too.
  assert.equal(all.get('dense1_bias'), out.bias);
  assert.equal(all.get('0.weight').data(), net.get<nn.Dense>(0).weight.data());
  // Selecting by regular expression.
  assert.deepEqual(net.collectParams('.*weight').keys(), ['0.weight', '1.weight']);
  assert.deepEqual(net.collectParams('.*bias').values(), [net.get<nn.Dense>(0).bias, out.bias]);
  // The gradient after a backward is the hand-computed one: dL/dW1 = Σ_rows relu(X W0ᵀ + b0).
  autograd.record(() => net.forward(X).sum()).backward();
  const h = hidden(X, net.get<nn.Dense>(0).weight.data(), net.get<nn.Dense>(0).bias!.data());
  assertClose(out.weight.grad(), [h[0]!.map((v, u) => v + h[1]![u]!)]);
  assertClose(out.bias!.grad(), [2]);
});

test('collecting parameters from nested blocks (block1/block2/rgnet)', () => {
  gluon.resetNameCounters();
  const block1 = (): nn.Sequential => new nn.Sequential().add(new nn.Dense(32, { activation: 'relu' }), new nn.Dense(16, { activation: 'relu' }));
  const block2 = (): nn.Sequential => {
    const net = new nn.Sequential();
    for (let i = 0; i < 4; i++) net.add(block1());
    return net;
  };
  const rgnet = new nn.Sequential();
  rgnet.add(block2());
  rgnet.add(new nn.Dense(10));
  rgnet.initialize();
  nd.random.seed(1);
  assert.deepEqual(rgnet.forward(nd.random.uniform({ shape: [2, 4] })).shape, [2, 10]);
  const params = rgnet.collectParams();
  assert.equal(params.size, 18);
  assert.deepEqual(params.keys().slice(0, 4), ['0.0.0.weight', '0.0.0.bias', '0.0.1.weight', '0.0.1.bias']);
  assert.deepEqual(params.keys().slice(-2), ['1.weight', '1.bias']);
  // rgnet[0][1][0].bias.data(): the first layer of the second block1.
  const layer = rgnet.get<nn.Sequential>(0).get<nn.Sequential>(1).get<nn.Dense>(0);
  assert.equal(layer.bias!.name, 'dense2_bias');
  assert.deepEqual(layer.bias!.data().toArray(), new Array(32).fill(0));
  assert.deepEqual(params.get('0.1.0.weight').shape, [32, 16]);
  assert.deepEqual(params.get('0.0.0.weight').shape, [32, 4]);
  assert.ok(rgnet.toString().startsWith('Sequential(\n  (0): Sequential(\n    (0): Sequential(\n      (0): Dense(4 -> 32, Activation(relu))'));
  assert.deepEqual(rgnet.collectParams('0\\.3\\..*weight').keys(), ['0.3.0.weight', '0.3.1.weight']);
});

test('built-in initialization: Normal, Constant, then Xavier for one parameter and Constant(42) for one layer', () => {
  const net = new nn.Sequential().add(new nn.Dense(256, { activation: 'relu', inUnits: 100 }), new nn.Dense(1, { inUnits: 256 }));
  net.initialize();
  nd.random.seed(2);
  net.initialize({ init: new init.Normal(0.01), forceReinit: true });
  const w0 = values(net.get<nn.Dense>(0).weight);
  const mean = w0.reduce((a, b) => a + b, 0) / w0.length;
  const std = Math.sqrt(w0.reduce((a, b) => a + (b - mean) ** 2, 0) / w0.length);
  assert.ok(Math.abs(mean) < 0.0005, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.01) < 0.0005, `std ${std}`);
  // Biases keep their own initializer (zeros) whatever the network-wide one.
  assert.ok(values(net.get<nn.Dense>(0).bias!).every((v) => v === 0));

  net.initialize({ init: new init.Constant(1), forceReinit: true });
  assert.ok(values(net.get<nn.Dense>(0).weight).every((v) => v === 1));
  assert.ok(values(net.get<nn.Dense>(1).weight).every((v) => v === 1));
  assert.ok(values(net.get<nn.Dense>(0).bias!).every((v) => v === 0));

  // net[0].weight.initialize(init=Xavier()) and net[1].initialize(init=Constant(42)).
  net.get<nn.Dense>(0).weight.initialize({ init: new init.Xavier(), forceReinit: true });
  net.get(1).initialize({ init: new init.Constant(42), forceReinit: true });
  const bound = Math.sqrt(3 / ((100 + 256) / 2));
  const xw = values(net.get<nn.Dense>(0).weight);
  assert.ok(xw.every((v) => Math.abs(v) <= bound), 'Xavier values within ±sqrt(3 / avg fan)');
  assert.ok(Math.max(...xw.map(Math.abs)) > 0.9 * bound);
  assert.ok(values(net.get<nn.Dense>(1).weight).every((v) => v === 42));
  // The bias's own 'zeros' beats the initializer given to Block.initialize.
  assert.deepEqual(net.get<nn.Dense>(1).bias!.data().toArray(), [0]);
});

test('precedence: Parameter.initialize\'s init > the parameter\'s own > Block.initialize\'s, also when deferred', () => {
  const net = new nn.Sequential().add(
    new nn.Dense(3, { weightInitializer: new init.Constant(42), biasInitializer: 'ones' }),
    new nn.Dense(2, { weightInitializer: 'xavier' }),
    new nn.Dense(1),
  );
  const global = new RecordingInit(0.5);
  net.initialize({ init: global });
  assert.deepEqual(global.calls, []);
  net.forward(nd.ones([4, 5]));
  // Only the last layer's weight has no initializer of its own.
  assert.deepEqual(global.calls, [[`${net.get(2).name}_weight`, [1, 2]]]);
  assert.ok(values(net.get<nn.Dense>(0).weight).every((v) => v === 42));
  assert.deepEqual(net.get<nn.Dense>(0).bias!.data().toArray(), [1, 1, 1]);
  const xavier = values(net.get<nn.Dense>(1).weight);
  assert.ok(xavier.every((v) => Math.abs(v) <= Math.sqrt(3 / 2.5)) && new Set(xavier).size === 6);
  assert.deepEqual(net.get<nn.Dense>(2).weight.data().toArray(), [[0.5, 0.5]]);
  // An initializer given to one parameter beats its own.
  net.get<nn.Dense>(0).weight.initialize({ init: new init.Constant(7), forceReinit: true });
  assert.ok(values(net.get<nn.Dense>(0).weight).every((v) => v === 7));
  // forceReinit on the block: the own initializers win again.
  net.initialize({ init: new init.Constant(-1), forceReinit: true });
  assert.ok(values(net.get<nn.Dense>(0).weight).every((v) => v === 42));
  assert.deepEqual(net.get<nn.Dense>(2).weight.data().toArray(), [[-1, -1]]);
});

/** The chapter's custom initializer, in TypeScript. */
class MyInit extends init.Initializer {
  readonly calls: string[] = [];
  protected override initWeight(name: string, data: nd.NDArray): void {
    this.calls.push(`Init ${name} (${data.shape.join(', ')})`);
    data.assign(nd.random.uniform({ low: -10, high: 10, shape: data.shape }));
    data.assign(data.mul(data.abs().greaterEqual(5)));
  }
}

test('the custom initializer: U(-10, 10), then elements with |value| < 5 zeroed, in place', () => {
  gluon.resetNameCounters();
  const net = mlp();
  net.initialize();
  net.forward(nd.ones([2, 4]));
  const my = new MyInit();
  nd.random.seed(3);
  net.initialize({ init: my, forceReinit: true });
  assert.deepEqual(my.calls, ['Init dense0_weight (8, 4)', 'Init dense1_weight (1, 8)']);
  const w = values(net.get<nn.Dense>(0).weight);
  assert.ok(w.every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) <= 10)), String(w));
  const zeros = w.filter((v) => v === 0).length;
  assert.ok(zeros > 4 && zeros < 28, `about half are zero, got ${zeros} of 32`);
  assert.ok(w.some((v) => v > 0) && w.some((v) => v < 0));
  // Biases are not the initializer's business (their own init is zeros).
  assert.ok(values(net.get<nn.Dense>(0).bias!).every((v) => v === 0));

  // Deferred: nothing is called by initialize(), the calls happen at the first forward.
  const deferred = mlp();
  const later = new MyInit();
  deferred.initialize({ init: later });
  assert.deepEqual(later.calls, []);
  deferred.forward(nd.ones([1, 6]));
  assert.deepEqual(later.calls, ['Init dense2_weight (8, 6)', 'Init dense3_weight (1, 8)']);
  assert.ok(values(deferred.get<nn.Dense>(0).weight).every((v) => v === 0 || Math.abs(v) >= 5));
});

test('setData and in-place writes to data() change what the next forward computes', () => {
  const layer = new nn.Dense(2, { inUnits: 3 });
  layer.initialize({ init: 'ones' });
  const x = nd.array([[1, 2, 3]]);
  assert.deepEqual(layer.forward(x).toArray(), [[6, 6]]);
  // param.setData(param.data() + 1)
  layer.weight.setData(layer.weight.data().add(1));
  assert.deepEqual(layer.forward(x).toArray(), [[12, 12]]);
  // net[0].weight.data()[:] += 1
  const w = layer.weight.data();
  w.assign(w.add(1));
  assert.deepEqual(layer.forward(x).toArray(), [[18, 18]]);
  // net[0].weight.data()[0, 0] = 42
  layer.weight.data().setSlice([0, 0], [1, 1], 42);
  assert.deepEqual(layer.weight.data().toArray(), [[42, 3, 3], [3, 3, 3]]);
  assert.deepEqual(layer.forward(x).toArray(), [[42 + 6 + 9, 18]]);
  layer.bias!.setData(nd.array([1, -1]));
  assert.deepEqual(layer.forward(x).toArray(), [[58, 17]]);
  // setData copies: later changes to the source do not leak in; the array object stays the same.
  const src = nd.array([[1, 1, 1], [2, 2, 2]]);
  layer.weight.setData(src);
  src.fill(100);
  assert.equal(layer.weight.data(), w);
  assert.deepEqual(layer.forward(x).toArray(), [[7, 11]]);
  // The gradient of the next recorded forward uses the new values too: dL/dx = Σ_units W.
  const xg = nd.array([[1, 2, 3]]);
  xg.attachGrad();
  autograd.record(() => layer.forward(xg).sum()).backward();
  assert.deepEqual(xg.grad!.toArray(), [[3, 3, 3]]);
  assert.throws(() => layer.weight.setData(nd.ones([3, 3])), /does not fit its shape \(2, 3\)/);
});

test('apply visits every block children first, each once; initializing by layer type', () => {
  const shared = new nn.Dense(4, { prefix: 'shared_' });
  const inner = new nn.Sequential({ prefix: 'inner_' }).add(new nn.Dense(3, { prefix: 'a_' }), shared);
  const net = new nn.Sequential({ prefix: 'outer_' }).add(inner, new nn.Dense(3, { prefix: 'b_' }), shared);
  const seen: string[] = [];
  net.apply((b) => seen.push(b.name));
  assert.deepEqual(seen, ['a', 'shared', 'inner', 'b', 'outer']);
  net.initialize();
  net.apply((b) => {
    if (b instanceof nn.Dense) b.weight.initialize({ init: new init.Constant(b.units), forceReinit: true });
  });
  net.inferShape([1, 5]);
  assert.ok(values(inner.get<nn.Dense>(0).weight).every((v) => v === 3));
  assert.ok(values(shared.weight).every((v) => v === 4));
  assert.ok(values(net.get<nn.Dense>(1).weight).every((v) => v === 3));
});
