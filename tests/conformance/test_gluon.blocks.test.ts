/**
 * MXNet 1.x test_gluon.py, blocks: Sequential, child registration rules, hooks, apply, name
 * scopes, deferred shapes, split_data, grad_req, zero_grad, summary. Hybridization itself is the
 * `hybrid` suite's; tests that only call `hybridize()` on the way are translated without it.
 *
 * Translated from Apache MXNet 1.x, tests/python/unittest/test_gluon.py, Copyright the Apache
 * Software Foundation, licensed under the Apache License, Version 2.0.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ChildTypeError, autograd, gluon, init, nd, nn } from '../../src/index.js';
import { captureWarnings } from '../gluon/gluon-helpers.js';
import { assertAlmostEqual } from './mx.js';

beforeEach(() => gluon.resetNameCounters());

type Loose = gluon.Block & Record<string, unknown>;

test('test_basic', () => {
  const model = new nn.Sequential();
  model.add(new nn.Dense(128, { activation: 'tanh', inUnits: 10, flatten: false }));
  model.add(new nn.Dropout(0.5));
  model.add(new nn.Dense(64, { activation: 'tanh', inUnits: 256 }), new nn.Dense(32, { inUnits: 64 }));
  model.add(new nn.Activation('relu'));
  // The symbol half (7 arguments) has no tsgluon counterpart: 6 parameters, the input is the 7th.
  assert.equal(model.collectParams().size, 6);
  model.collectParams().initialize({ init: new init.Xavier({ magnitude: 2.24 }) });
  assert.deepEqual(model.forward(nd.zeros([32, 2, 10])).shape, [32, 32]);
  model.collectParams().setAttr('gradReq', 'null');
  assert.throws(() => model.collectParams().values()[0]!.grad(), /gradReq is 'null'/);
  model.collectParams().setAttr('gradReq', 'write');
  assert.deepEqual(model.collectParams().values()[0]!.grad().shape, [128, 10]);
});

test('test_dense', () => {
  const model = new nn.Dense(128, { activation: 'tanh', inUnits: 10, flatten: false, prefix: 'test_' });
  assert.deepEqual(model.collectParams().values().map((p) => p.name), ['test_weight', 'test_bias']);
  model.initialize();
  assert.deepEqual(model.forward(nd.NDArray.shapeOnly([2, 3, 10], 'float32')).shape, [2, 3, 128]);
  const model2 = new nn.Dense(128, { activation: 'relu', inUnits: 30, flatten: true, prefix: 'test2_' });
  assert.deepEqual(model2.collectParams().values().map((p) => p.name), ['test2_weight', 'test2_bias']);
  model2.initialize();
  assert.deepEqual(model2.forward(nd.NDArray.shapeOnly([17, 2, 5, 3], 'float32')).shape, [17, 128]);
});

test('test_reshape', () => {
  const layer = new nn.Conv2D(10, 2, { inChannels: 4 });
  layer.collectParams().initialize();
  const x = nd.ones([2, 4, 10, 10]);
  autograd.record(() => layer.forward(x).reshape([-1]).add(10)).backward();
  assert.deepEqual(layer.weight.grad().shape, [10, 4, 2, 2]);
});

test('test_slice', () => {
  const layer = new nn.Conv2D(10, 2, { inChannels: 4 });
  layer.collectParams().initialize();
  autograd.record(() => layer.forward(nd.ones([5, 4, 10, 10])).sliceAxis(0, 1, 3).add(10)).backward();
  // Two of the five samples reach the loss: the bias gradient counts 2 * 9 * 9 positions.
  assertAlmostEqual(layer.bias!.grad(), new Array(10).fill(162));
});

test('test_at', () => {
  const layer = new nn.Conv2D(10, 2, { inChannels: 4 });
  layer.collectParams().initialize();
  autograd.record(() => nd.take(layer.forward(nd.ones([5, 4, 10, 10])), nd.array([1])).add(10)).backward();
  assertAlmostEqual(layer.bias!.grad(), new Array(10).fill(81));
});

test('test_deferred_init', () => {
  const layer = new nn.Conv2D(10, 2);
  layer.collectParams().initialize();
  layer.forward(nd.ones([5, 4, 10, 10]));
  assert.deepEqual(layer.weight.shape, [10, 4, 2, 2]);
});

test('test_split_data', () => {
  const x = nd.random.uniform({ shape: [128, 33, 64] });
  const check = (n: number, axis: number, evenSplit = true) => {
    const res = gluon.utils.splitData(x, n, { batchAxis: axis, evenSplit });
    assert.equal(res.length, n);
    assert.deepEqual(nd.concat(res, { axis }).toArray(), x.toArray());
  };
  check(8, 0);
  check(3, 1);
  check(4, 1, false);
  check(15, 1, false);
  assert.throws(() => check(4, 1), /cannot be split evenly/);
});

test('test_split_and_load', () => {
  const parts = gluon.utils.splitAndLoad(nd.arange(0, 12).reshape([6, 2]), ['cpu', 'cpu', 'cpu']);
  assert.deepEqual(parts.map((p) => p.shape), [[2, 2], [2, 2], [2, 2]]);
});

test('test_flatten', () => {
  const flatten = new nn.Flatten();
  assert.deepEqual(flatten.forward(nd.zeros([3, 4, 5, 6])).shape, [3, 120]);
  assert.deepEqual(flatten.forward(nd.zeros([3, 6])).shape, [3, 6]);
  assert.deepEqual(flatten.forward(nd.zeros([3])).shape, [3, 1]);
});

test('test_block_attr_hidden', () => {
  const b = new gluon.Block() as Loose;
  b.a = null;
  b.a = 1;
  assert.equal(b.a, 1);
});

// Gluon raises TypeError at the assignment; tsgluon at the block's next walk (see src/gluon/fields.ts).
test('test_block_attr_block', () => {
  const b = new gluon.Block() as Loose;
  b.b = new gluon.Block();
  b.b = [2];
  assert.throws(() => b.collectParams(), ChildTypeError);
});

test('test_block_attr_param', () => {
  const b = new gluon.Block() as Loose;
  b.b = new gluon.Parameter('b');
  b.b = [2];
  assert.throws(() => b.collectParams(), ChildTypeError);
});

test('test_block_attr_regular', () => {
  const b = new gluon.Block() as Loose;
  b.c = new gluon.Block();
  const c2 = new gluon.Block();
  b.c = c2;
  assert.equal(b.c, c2);
  assert.equal(b.namedChildren()[0]![1], c2);
});

test('test_block_attr_list_of_block', () => {
  class Model1 extends gluon.Block {
    declare layers: nn.Dense[];
    constructor() {
      super();
      this.nameScope(() => {
        this.layers = [0, 1, 2, 3, 4, 5].map((i) => new nn.Dense(i * 10 + 1));
      });
    }
  }
  class Model2 extends gluon.Block {
    declare layers: Record<string, nn.Dense[]>;
    constructor() {
      super();
      this.nameScope(() => {
        this.layers = { a: [new nn.Dense(10), new nn.Dense(10)] };
      });
    }
  }
  class Model3 extends gluon.Block {
    declare layers: nn.Sequential;
    constructor() {
      super();
      this.nameScope(() => {
        this.layers = new nn.Sequential();
        this.layers.add(...[0, 1, 2, 3, 4, 5].map((i) => new nn.Dense(i * 10 + 1)));
      });
    }
  }
  class Model4 extends gluon.Block {
    declare data: Record<string, unknown>;
    constructor() {
      super();
      this.nameScope(() => {
        this.data = { a: '4', b: 123 };
      });
    }
  }
  // Gluon 1.x warns about a list of Blocks; tsgluon registers it (a deliberate difference).
  const m1 = captureWarnings(() => new Model1().collectParams());
  assert.equal(m1.warnings.length, 0);
  assert.equal(m1.result.size, 12);
  assert.ok(captureWarnings(() => new Model2().collectParams()).warnings.length > 0);
  assert.equal(captureWarnings(() => new Model3().collectParams()).warnings.length, 0);
  assert.equal(captureWarnings(() => new Model4().collectParams()).warnings.length, 0);
});

for (const Seq of [nn.Sequential, nn.HybridSequential]) {
  test(`test_sequential (${Seq === nn.Sequential ? 'Sequential' : 'HybridSequential'})`, () => {
    const net = new Seq();
    const [dense1, dense2, dense3] = [new nn.Dense(10), new nn.Dense(10), new nn.Dense(10)];
    net.add(dense1);
    net.add(dense2);
    net.add(dense3);
    assert.equal(net.get(1), dense2);
    assert.equal(net.get(-1), dense3);
    const slc = net.slice(1, 3);
    assert.ok(slc.length === 2 && slc.get(0) === dense2 && slc.get(1) === dense3);
    assert.ok(slc instanceof Seq);
  });
}

test('test_global_norm_clip', () => {
  for (const checkIsfinite of [true, false]) {
    const x1 = nd.ones([3, 3]);
    const x2 = nd.ones([4, 4]);
    const norm = gluon.utils.clipGlobalNorm([x1, x2], 1.0, { checkIsfinite });
    assert.equal(norm, 5.0);
    assertAlmostEqual(x1, new Array(9).fill(0.2));
    assertAlmostEqual(x2, new Array(16).fill(0.2));
    const x3 = nd.array([1.0, 2.0, NaN]);
    const { warnings } = captureWarnings(() => gluon.utils.clipGlobalNorm([x1, x3], 2.0, { checkIsfinite }));
    assert.equal(warnings.length, checkIsfinite ? 1 : 0);
  }
});

test('test_embedding', () => {
  const layer = new nn.Embedding(10, 100);
  layer.initialize();
  autograd.record(() => layer.forward(nd.array([3, 4, 2, 0, 1]))).backward();
  const g = layer.weight.grad().toArray() as number[][];
  assert.ok(g.slice(0, 5).every((row) => row.every((v) => v === 1)));
  assert.ok(g.slice(5).every((row) => row.every((v) => v === 0)));
  const large = new nn.Embedding(10, 1);
  large.initialize();
  autograd.record(() => large.forward(nd.ones([20481])).sum()).backward();
  assert.equal(large.weight.grad().sum().item(), 20481);
});

test('test_hybrid_stale_cache', () => {
  let net = new nn.HybridSequential();
  net.nameScope(() => net.add(new nn.Dense(10, { weightInitializer: 'zeros', biasInitializer: 'ones', flatten: false })));
  net.hybridize();
  net.initialize();
  net.forward(nd.ones([2, 3, 5]));
  net.add(new nn.Flatten());
  assert.deepEqual(net.forward(nd.ones([2, 3, 5])).shape, [2, 30]);
  net = new nn.HybridSequential();
  const loose = net as unknown as Record<string, unknown>;
  net.nameScope(() => {
    loose.fc1 = new nn.Dense(10, { weightInitializer: 'zeros', biasInitializer: 'ones', flatten: false });
    loose.fc2 = new nn.Dense(10, { weightInitializer: 'zeros', biasInitializer: 'ones', flatten: false });
  });
  net.hybridize();
  net.initialize();
  net.forward(nd.ones([2, 3, 5]));
  // Replacing a field child traces the graph again, as Gluon's __setattr__ clears the cache.
  loose.fc2 = new nn.Dense(10, { weightInitializer: 'zeros', biasInitializer: 'ones', flatten: true });
  net.initialize();
  assert.deepEqual(net.forward(nd.ones([2, 3, 5])).shape, [2, 10]);
});

test('test_lambda', () => {
  const net1 = new nn.HybridSequential().add(new nn.Activation('tanh'), new nn.LeakyReLU(0.1));
  const leaky = (x: nd.NDArray) => nd.where(x.greater(0), x, x.mul(0.1));
  const net2 = new nn.HybridSequential().add(new nn.HybridLambda('tanh'), new nn.HybridLambda(leaky));
  const net3 = new nn.Sequential().add(new nn.Lambda('tanh'), new nn.Lambda(leaky));
  const x = nd.random.uniform({ shape: [2, 3, 5, 7] });
  assertAlmostEqual(net2.forward(x), net1.forward(x), { rtol: 1e-3, atol: 1e-3 });
  assertAlmostEqual(net3.forward(x), net1.forward(x), { rtol: 1e-3, atol: 1e-3 });
});

test('test_fill_shape_deferred', () => {
  const net = new nn.HybridSequential();
  net.nameScope(() => net.add(new nn.Conv2D(64, 2, { padding: 1 }), new nn.BatchNorm(), new nn.Dense(10)));
  net.initialize();
  net.forward(nd.ones([2, 3, 5, 7]));
  assert.equal(net.get<nn.Conv2D>(0).weight.shape[1], 3);
  assert.equal(net.get<nn.BatchNorm>(1).gamma.shape[0], 64);
  assert.equal(net.get<nn.Dense>(2).weight.shape[1], 3072);
});

test('test_req (without hybridize)', () => {
  const data = nd.random.uniform({ shape: [1, 3, 224, 224] });
  const label = nd.array([1]);
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const net = new nn.HybridSequential();
  const net1 = new nn.HybridSequential().add(new nn.Dense(4));
  const net2 = new nn.HybridSequential().add(new nn.Dense(3), new nn.Dense(2));
  net.add(net1, net2);
  net.initialize();
  for (const v of net.collectParams().values()) v.gradReq = 'add';
  net.collectParams().zeroGrad();
  const w = net.get<nn.Sequential>(0).get<nn.Dense>(0).weight;
  autograd.record(() => loss.forward(net.forward(data), label)).backward();
  const grad = w.grad().mean().item();
  autograd.record(() => loss.forward(net.forward(data), label)).backward();
  assertAlmostEqual(w.grad().mean(), [grad * 2]);
});

test('test_zero_grad', () => {
  for (const dtype of ['float16', 'float32', 'float64'] as const) {
    for (const embeddingType of ['float32', 'float64'] as const) {
      // tsgluon refuses fractional indices (MXNet truncates them): integer-valued data in each dtype.
      const data = nd.random.randint({ high: 3, shape: [3, 3] }).astype(dtype);
      const net = new nn.Embedding(3, 4, { prefix: 'test_zero_grad_', dtype: embeddingType });
      net.initialize();
      autograd.record(() => net.forward(data)).backward();
      net.collectParams().zeroGrad();
      const grad = net.collectParams().get('test_zero_grad_weight').grad();
      assert.ok(grad.storage.every((v) => v === 0));
    }
  }
});

test('test_hook', () => {
  let hookCallCount = 0;
  let preHookCallCount = 0;
  const block = new nn.Dense(10);
  block.initialize();
  const handle = block.registerForwardHook(() => hookCallCount++);
  const preHandle = block.registerForwardPreHook(() => preHookCallCount++);
  block.forward(nd.ones([3, 5]));
  assert.deepEqual([hookCallCount, preHookCallCount], [1, 1]);
  handle.detach();
  block.forward(nd.ones([3, 5]));
  assert.deepEqual([hookCallCount, preHookCallCount], [1, 2]);
  preHandle.detach();
  block.forward(nd.ones([3, 5]));
  assert.deepEqual([hookCallCount, preHookCallCount], [1, 2]);
});

test('test_apply', () => {
  const called: string[] = [];
  const block = new nn.HybridSequential({ prefix: 'test_' });
  block.nameScope(() => {
    block.add(new nn.Dense(10));
    block.add(new nn.Dropout(0.5));
  });
  block.apply((b) => called.push(b.name));
  assert.deepEqual(called, ['test_dense0', 'test_dropout0', 'test']);
});

test('test_summary', () => {
  const net = gluon.modelZoo.vision.resnet50();
  net.initialize();
  const table = net.summary([32, 3, 224, 224], { print: false });
  assert.match(table, /Total params: 25,6\d\d,\d\d\d/);
  const net2 = new nn.Sequential();
  net2.nameScope(() => {
    net2.add(new nn.Embedding(40, 30));
    net2.add(new gluon.rnn.LSTM(30));
    net2.add(new nn.Dense(40, { flatten: false, params: net2.get(0).params }));
  });
  net2.initialize();
  // Embedding 40 * 30 (shared with the Dense, counted once), the LSTM 4 * 30 * (30 + 30 + 2), the Dense bias 40.
  assert.match(net2.summary([80, 32], { print: false }), /Total params: 8,680/);
});
