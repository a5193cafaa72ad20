// The D2L deferred-initialization behaviours, one test each: initializer calls, forceReinit,
// inUnits, warnings, setData while pending, errors, the (2, 30) exercise, seeds. Every test runs
// twice: imperatively, and hybridized (a HybridSequential with hybridize() called before the first
// forward, so deferred initialization happens while the graph is traced).
import { test, beforeEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredInitializationError, ShapeError, UninitializedParameterError, gluon, init, nd, nn } from '../../src/index.js';
import { RecordingInit, captureWarnings, values } from './gluon-helpers.js';

beforeEach(() => gluon.resetNameCounters());

for (const hybrid of [false, true]) {
describe(hybrid ? 'hybridized' : 'imperative', () => {
  function mlp(options: { in0?: number; in1?: number } = {}): nn.Sequential {
    const net = hybrid ? new nn.HybridSequential() : new nn.Sequential();
    net.add(new nn.Dense(256, { activation: 'relu', inUnits: options.in0 ?? 0 }), new nn.Dense(10, { inUnits: options.in1 ?? 0 }));
    if (hybrid) net.hybridize();
    return net;
  }

  test('initializer runs at the first forward, weights only, in order; never again', () => {
    const net = mlp();
    const my = new RecordingInit();
    net.initialize({ init: my });
    assert.deepEqual(my.calls, []);
    assert.equal(net.get<nn.Dense>(0).weight.state, 'pending');
    assert.deepEqual(net.get<nn.Dense>(0).weight.shape, [256, 0]);
    const y = net.forward(nd.random.uniform({ shape: [2, 20] }));
    assert.deepEqual(y.shape, [2, 10]);
    assert.deepEqual(my.calls, [['dense0_weight', [256, 20]], ['dense1_weight', [10, 256]]]);
    net.forward(nd.random.uniform({ shape: [2, 20] }));
    net.forward(nd.random.uniform({ shape: [7, 20] }));
    assert.equal(my.calls.length, 2);
    // Hybridized, the forwards ran as traced graphs: (2, 20), then (7, 20).
    if (hybrid) assert.deepEqual((net as nn.HybridSequential).graph().values[0]!.shape, [7, 20]);
    // Biases have their own 'zeros' initializer: MyInit never sees them.
    assert.deepEqual(values(net.get<nn.Dense>(0).bias!), new Array(256).fill(0));
    assert.deepEqual(values(net.get<nn.Dense>(1).weight).slice(0, 3), [0.5, 0.5, 0.5]);
  });

  test('forceReinit before inference keeps the net pending, with the new initializer', () => {
    const net = mlp();
    const first = new RecordingInit(1);
    const second = new RecordingInit(2);
    net.initialize({ init: first });
    const { warnings } = captureWarnings(() => net.initialize({ init: second, forceReinit: true }));
    assert.deepEqual(warnings, []);
    assert.equal(net.get<nn.Dense>(0).weight.state, 'pending');
    assert.deepEqual(second.calls, []);
    net.forward(nd.ones([2, 20]));
    assert.deepEqual(first.calls, []);
    assert.equal(second.calls.length, 2);
    assert.equal(values(net.get<nn.Dense>(0).weight)[0], 2);
  });

  test('forceReinit after inference initializes every weight at once', () => {
    const net = mlp();
    net.initialize();
    net.forward(nd.ones([2, 20]));
    const w = net.get<nn.Dense>(0).weight.data();
    const again = new RecordingInit(3);
    net.initialize({ init: again, forceReinit: true });
    assert.deepEqual(again.calls, [['dense0_weight', [256, 20]], ['dense1_weight', [10, 256]]]);
    // Same array object, new values: references to data() stay valid.
    assert.equal(net.get<nn.Dense>(0).weight.data(), w);
    assert.equal(w.storage[0], 3);
  });

  test('inUnits on every layer initializes at initialize()', () => {
    const net = mlp({ in0: 20, in1: 256 });
    const my = new RecordingInit();
    net.initialize({ init: my });
    assert.deepEqual(my.calls, [['dense0_weight', [256, 20]], ['dense1_weight', [10, 256]]]);
    assert.equal(net.get<nn.Dense>(1).weight.state, 'initialized');
    net.forward(nd.ones([3, 20]));
    assert.equal(my.calls.length, 2);
  });

  test('inUnits on the first layer only: first at initialize(), second at forward', () => {
    const net = mlp({ in0: 20 });
    const my = new RecordingInit();
    net.initialize({ init: my });
    assert.deepEqual(my.calls, [['dense0_weight', [256, 20]]]);
    assert.equal(net.get<nn.Dense>(1).weight.state, 'pending');
    net.forward(nd.ones([3, 20]));
    assert.deepEqual(my.calls, [['dense0_weight', [256, 20]], ['dense1_weight', [10, 256]]]);
  });

  test('mismatching inUnits fails at forward, naming the layer, leaving parameters unchanged', () => {
    const net = mlp({ in0: 10 });
    net.initialize();
    const before = values(net.get<nn.Dense>(0).weight);
    assert.throws(() => net.forward(nd.ones([2, 20])), (e: Error) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /dense0: input of shape \(2, 20\) does not fit parameter weight \(dense0_weight\) of shape \(256, 10\)/);
      assert.match(e.message, /inUnits/);
      return true;
    });
    assert.deepEqual(values(net.get<nn.Dense>(0).weight), before);
    assert.equal(net.get<nn.Dense>(1).weight.state, 'pending');
  });

  test('a forward with (2, 30) after (2, 20) throws a ShapeError that says what to do', () => {
    const net = mlp();
    net.initialize();
    net.forward(nd.ones([2, 20]));
    const w0 = values(net.get<nn.Dense>(0).weight);
    const w1 = values(net.get<nn.Dense>(1).weight);
    assert.throws(() => net.forward(nd.ones([2, 30])), (e: Error) => {
      assert.ok(e instanceof ShapeError);
      for (const part of ['dense0', 'weight', 'dense0_weight', '(256, 20)', '(2, 30)', '(256, 30)', 'resetShapes()', 'unchanged']) {
        assert.ok(e.message.includes(part), `message lacks ${part}: ${e.message}`);
      }
      return true;
    });
    assert.deepEqual(values(net.get<nn.Dense>(0).weight), w0);
    assert.deepEqual(values(net.get<nn.Dense>(1).weight), w1);
    assert.deepEqual(net.forward(nd.ones([5, 20])).shape, [5, 10]);
  });

  test('a second initialize() warns once and changes nothing', () => {
    for (const net of [mlp(), mlp({ in0: 20, in1: 256 })]) {
      const first = new RecordingInit(1);
      net.initialize({ init: first });
      const second = new RecordingInit(2);
      const { warnings } = captureWarnings(() => net.initialize({ init: second }));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /already initialized, ignoring/);
      assert.match(warnings[0]!, /forceReinit/);
      net.forward(nd.ones([2, 20]));
      assert.deepEqual(second.calls, []);
      assert.equal(values(net.get<nn.Dense>(0).weight)[0], 1);
    }
  });

  test('setData on a pending parameter pins its shape and value', () => {
    const net = mlp();
    const my = new RecordingInit();
    net.initialize({ init: my });
    const dense0 = net.get<nn.Dense>(0);
    dense0.weight.setData(nd.full([256, 20], 0.25));
    assert.equal(dense0.weight.state, 'initialized');
    assert.deepEqual(dense0.weight.shape, [256, 20]);
    net.forward(nd.ones([2, 20]));
    assert.deepEqual(my.calls, [['dense1_weight', [10, 256]]]);
    assert.deepEqual(new Set(values(dense0.weight)), new Set([0.25]));
    // relu(20 * 0.25) = 5 per hidden unit, then 256 * 5 * 0.5 = 640 per output.
    assert.deepEqual(Array.from(net.forward(nd.ones([1, 20])).storage), new Array(10).fill(640));
    assert.throws(() => net.get<nn.Dense>(1).weight.setData(nd.ones([10, 3])), ShapeError);
  });

  test('setData before initialize() is kept by initialize()', () => {
    const layer = new nn.Dense(2, { inUnits: 3 });
    if (hybrid) layer.hybridize();
    layer.weight.setData(nd.ones([2, 3]));
    const { warnings } = captureWarnings(() => layer.initialize({ init: new RecordingInit(9) }));
    assert.deepEqual(warnings, []);
    assert.deepEqual(values(layer.weight), [1, 1, 1, 1, 1, 1]);
  });

  test('errors before initialize and while pending are distinct and explain the fix', () => {
    const net = mlp();
    assert.throws(() => net.forward(nd.ones([2, 20])), (e: Error) => {
      assert.ok(e instanceof UninitializedParameterError);
      assert.match(e.message, /dense0_weight has not been initialized.*net\.initialize\(\)/);
      return true;
    });
    const fresh = mlp();
    assert.throws(() => fresh.get<nn.Dense>(0).weight.data(), UninitializedParameterError);
    fresh.initialize();
    assert.throws(() => fresh.get<nn.Dense>(1).weight.data(), (e: Error) => {
      assert.ok(e instanceof DeferredInitializationError);
      for (const part of ['dense3_weight', '(10, 0)', 'deferred until the first forward', 'net.forward(x)', 'inUnits', 'inChannels', 'inputShape', 'inferShape']) {
        assert.ok(e.message.includes(part), `message lacks ${part}: ${e.message}`);
      }
      return true;
    });
    assert.throws(() => fresh.get<nn.Dense>(1).weight.grad(), DeferredInitializationError);
  });

  test('deferred and immediate initialization give the same weights and the same later draws', () => {
    nd.random.seed(42);
    const immediate = mlp({ in0: 20, in1: 256 });
    immediate.initialize({ init: new init.Xavier() });
    const x1 = nd.random.uniform({ shape: [2, 20] });
    const y1 = immediate.forward(x1);

    nd.random.seed(42);
    const deferred = mlp();
    deferred.initialize({ init: new init.Xavier() });
    const x2 = nd.random.uniform({ shape: [2, 20] });
    const y2 = deferred.forward(x2);

    assert.deepEqual(Array.from(x2.storage), Array.from(x1.storage));
    for (const key of ['0.weight', '0.bias', '1.weight', '1.bias']) {
      assert.deepEqual(values(deferred.collectParams().get(key)), values(immediate.collectParams().get(key)), key);
    }
    assert.deepEqual(Array.from(y2.storage), Array.from(y1.storage));
    // And with inferShape instead of a forward.
    nd.random.seed(42);
    const inferred = mlp();
    inferred.initialize({ init: new init.Xavier(), inputShape: [2, 20] });
    assert.deepEqual(values(inferred.get<nn.Dense>(1).weight), values(immediate.get<nn.Dense>(1).weight));
  });

  test('the default initializer is Uniform(0.07) from the seeded generator', () => {
    nd.random.seed(3);
    const a = mlp({ in0: 20 });
    a.initialize();
    const w = values(a.get<nn.Dense>(0).weight);
    assert.ok(w.every((v) => Math.abs(v) <= 0.07));
    assert.ok(Math.max(...w) > 0.06 && Math.min(...w) < -0.06);
    nd.random.seed(3);
    const b = mlp({ in0: 20 });
    b.initialize();
    assert.deepEqual(values(b.get<nn.Dense>(0).weight), w);
  });
});
}
