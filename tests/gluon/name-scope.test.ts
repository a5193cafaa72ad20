// Name scopes (Gluon 1.x `with self.name_scope()`): children named under their parent's prefix
// with counters per scope, nested scopes, explicit prefixes, top-level names unchanged, and
// structural paths (what collectParams and files use) independent of all of it.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, gluon, nd, nn } from '../../src/index.js';

beforeEach(() => gluon.resetNameCounters());

class MLP extends gluon.Block {
  declare hidden: nn.Dense;
  declare out: nn.Dense;
  constructor(options: gluon.BlockOptions = {}) {
    super(options);
    this.nameScope(() => {
      this.hidden = new nn.Dense(4, { activation: 'relu' });
      this.out = new nn.Dense(2);
    });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    return this.out.forward(this.hidden.forward(x));
  }
}

test('children created in a scope take the parent prefix and counters of that scope', () => {
  const a = new MLP();
  const b = new MLP();
  assert.deepEqual(a.collectParams().values().map((p) => p.name), ['mlp0_dense0_weight', 'mlp0_dense0_bias', 'mlp0_dense1_weight', 'mlp0_dense1_bias']);
  assert.deepEqual(b.collectParams().values().map((p) => p.name), ['mlp1_dense0_weight', 'mlp1_dense0_bias', 'mlp1_dense1_weight', 'mlp1_dense1_bias']);
  assert.equal(a.hidden.name, 'mlp0_dense0');
  // Structural paths do not depend on names.
  assert.deepEqual(a.collectParams().keys(), b.collectParams().keys());
  assert.deepEqual(a.collectParams().keys(), ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']);
  // The global counter was not consumed by the scoped children: the next top-level Dense is dense0.
  assert.equal(new nn.Dense(3).name, 'dense0');
});

test('outside any scope names are the seed\'s: children of a top-level Sequential are dense0, dense1', () => {
  const net = new nn.Sequential().add(new nn.Dense(8), new nn.Dense(2));
  assert.deepEqual(net.collectParams().values().map((p) => p.name), ['dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias']);
  assert.equal(net.name, 'sequential0');
});

test('a Sequential filled inside its own scope names children after it; explicit prefixes are appended', () => {
  const net = new nn.Sequential({ prefix: 'test_' });
  net.nameScope(() => net.add(new nn.Conv2D(10, 3), new nn.Dense(10, { activation: 'relu' }), new nn.Dense(2, { prefix: 'head_' })));
  assert.deepEqual(net.collectParams().values().map((p) => p.name), [
    'test_conv0_weight', 'test_conv0_bias', 'test_dense0_weight', 'test_dense0_bias', 'test_head_weight', 'test_head_bias',
  ]);
});

test('scopes nest, and a block\'s counters persist across its nameScope calls', () => {
  class Outer extends gluon.Block {
    declare first: MLP;
    declare second: MLP;
    declare extra: nn.Dense;
    constructor() {
      super({ prefix: 'net_' });
      this.nameScope(() => {
        this.first = new MLP();
        this.second = new MLP();
      });
      this.nameScope(() => {
        this.extra = new nn.Dense(1);
      });
    }
  }
  const o = new Outer();
  assert.equal(o.first.out.weight.name, 'net_mlp0_dense1_weight');
  assert.equal(o.second.hidden.weight.name, 'net_mlp1_dense0_weight');
  assert.equal(o.extra.weight.name, 'net_dense0_weight');
  // Layer families share counters as Gluon's aliases do: conv and pool.
  const s = new nn.Sequential({ prefix: 's_' });
  s.nameScope(() => s.add(new nn.Conv2D(2, 3), new nn.Conv1D(2, 3), new nn.MaxPool2D(), new nn.AvgPool1D()));
  assert.deepEqual([...s].map((b) => b.name), ['s_conv0', 's_conv1', 's_pool0', 's_pool1']);
});

test('nameScope returns the callback\'s value, and refuses an async callback', () => {
  const net = new nn.Sequential();
  const d = net.nameScope(() => new nn.Dense(1));
  assert.equal(d.name, 'sequential0_dense0');
  assert.throws(() => net.nameScope((async () => new nn.Dense(1)) as unknown as () => nn.Dense), (e: Error) => e instanceof ValueError && /returned a Promise/.test(e.message));
  // The scope is closed again after the error: a new block is top-level.
  assert.equal(new nn.Dense(1).name, 'dense0');
});

test('a scope is closed when its callback throws', () => {
  const net = new nn.Sequential();
  assert.throws(() => net.nameScope(() => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(new nn.Dense(1).name, 'dense0');
});

test('scoped names work end to end: initialize, forward, save and load into a fresh copy', () => {
  const a = new MLP();
  a.initialize();
  const x = nd.random.uniform({ shape: [3, 5] });
  const y = a.forward(x);
  const b = new MLP();
  b.loadParametersBytes(a.saveParametersBytes());
  assert.deepEqual(b.forward(x).toArray(), y.toArray());
});
