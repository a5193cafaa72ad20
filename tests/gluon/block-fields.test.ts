// Gluon's child rules: a Block or Parameter field overwritten by another kind is a ChildTypeError
// (replacing it by the same kind is fine, delete removes it), Blocks hidden in containers are
// reported once, a composite block built with `params` shares its whole tree, and a Sequential
// runs, counts, indexes and slices every child, fields included.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ChildTypeError, ShapeError, ValueError, gluon, nd, nn } from '../../src/index.js';
import { Net as TwoDense } from '../conformance/mx.js';
import { captureWarnings } from './gluon-helpers.js';

beforeEach(() => gluon.resetNameCounters());

type Loose = gluon.Block & Record<string, unknown>;

test('overwriting a child Block with another kind is a ChildTypeError at the next walk, assigned or declared as a class field', () => {
  const b = new gluon.Block() as Loose;
  b.child = new gluon.Block();
  b.child = [2];
  const lost = (e: Error) => e instanceof ChildTypeError && /block0\.child held a Block \(block1\) and now holds an array of length 1, which drops that child/.test(e.message);
  assert.throws(() => b.collectParams(), lost);
  assert.throws(() => b.initialize(), lost, 'every walk refuses until the field is fixed');
  b.child = null;
  assert.throws(() => b.namedChildren(), /now holds null/);
  b.child = new gluon.Block();
  assert.equal(b.namedChildren().length, 1, 'another Block repairs it');
  class Net extends gluon.Block {
    head = new nn.Dense(2);
    override forward(x: nd.NDArray): nd.NDArray {
      return this.head.forward(x);
    }
  }
  const net = new Net();
  const seq = new nn.Sequential().add(net);
  seq.initialize();
  (net as unknown as Record<string, unknown>).head = 'gone';
  // Saving, initializing or collecting the parameters would silently miss the child: they refuse.
  assert.throws(() => seq.saveParametersBytes(), (e: Error) => e instanceof ChildTypeError && /head held a Block \(dense0\) and now holds the string "gone"/.test(e.message));
  assert.throws(() => seq.initialize({ forceReinit: true }), ChildTypeError);
});

test('overwriting a Parameter field with another kind is refused; regular fields change freely', () => {
  const b = new gluon.Block() as Loose;
  b.p = new gluon.Parameter('p', { shape: [2] });
  b.p = nd.zeros([2]);
  assert.throws(() => b.collectParams(), (e: Error) => e instanceof ChildTypeError && /held a Parameter \(p\) and now holds an instance of NDArray/.test(e.message));
  delete b.p;
  assert.equal(b.collectParams().size, 0, 'deleting the field removes the child on purpose');
  b.a = null;
  b.a = 1;
  b.a = 'x';
  assert.equal(b.a, 'x');
  b.n = 3;
  b.n = new nn.Dense(1);
  assert.equal(b.namedChildren().length, 1, 'a regular field may become a child');
  assert.equal(b.collectParams().size, 2);
});

test('a Block replaced by another Block is the new child; delete removes a child on purpose', () => {
  const b = new gluon.Block() as Loose;
  b.c = new gluon.Block();
  const c2 = new gluon.Block();
  b.c = c2;
  assert.equal(b.c, c2);
  assert.equal(b.namedChildren()[0]![1], c2);
  b.fc = new nn.Dense(3, { inUnits: 2 });
  b.fc = new nn.Conv2D(3, 1);
  assert.ok(b.fc instanceof nn.Conv2D);
  delete b.fc;
  assert.deepEqual(b.namedChildren().map(([k]) => k), ['c']);
});

test('Blocks inside an object, a Map, nested arrays or a mixed array are reported once; a list of Blocks is registered', () => {
  class Model1 extends gluon.Block {
    layers = [0, 1, 2].map((i) => new nn.Dense(i * 10 + 1));
  }
  class Model2 extends gluon.Block {
    layers = { a: [new nn.Dense(10), new nn.Dense(10)] };
  }
  class Model3 extends gluon.Block {
    layers = new Map([['a', new nn.Dense(1)]]);
    mixed = [new nn.Dense(1), 'not a block'];
    data = { a: '4', b: 123 };
  }
  const one = captureWarnings(() => new Model1().collectParams());
  assert.equal(one.warnings.length, 0);
  assert.equal(one.result.size, 6);
  const m2 = new Model2();
  const two = captureWarnings(() => [m2.collectParams(), m2.collectParams()]);
  assert.equal(two.warnings.length, 1, 'once per field, not once per call');
  assert.match(two.warnings[0]!, /model20\.layers is an object holding Blocks that are not registered as children/);
  assert.equal(two.result[0]!.size, 0);
  const three = captureWarnings(() => new Model3().collectParams());
  assert.deepEqual(three.warnings.map((w) => w.split(' ')[0]), ['model30.layers', 'model30.mixed']);
});

test('params: a composite block built with another tree\'s collectParams() shares every parameter', () => {
  const net1 = new TwoDense({ prefix: 'net1_', inUnits: 5 });
  const net2 = new TwoDense({ prefix: 'net2_', params: net1.collectParams() });
  net1.collectParams().initialize();
  const x = nd.random.uniform({ shape: [3, 5] });
  assert.deepEqual(net2.forward(x).toArray(), net1.forward(x).toArray());
  assert.equal(net2.dense0.weight, net1.dense0.weight);
  assert.equal(net2.dense1.bias, net1.dense1.bias);
  // Deferred shapes flow the other way too: the second net infers, the first one sees it.
  const net4 = new TwoDense({ prefix: 'net4_' });
  const net5 = new TwoDense({ prefix: 'net5_', inUnits: 5, params: net4.collectParams() });
  net4.collectParams().initialize();
  net5.forward(nd.zeros([3, 5]));
  assert.deepEqual(net4.dense0.weight.shape, [5, 5]);
  assert.equal(net4.dense0.weight.state, 'initialized');
});

test('params: a dict none of whose keys matches is an error at first use, and shapes must agree', () => {
  const other = new nn.Sequential().add(new nn.Dense(3));
  const net = new TwoDense({ params: other.collectParams() });
  assert.throws(() => net.collectParams(), (e: Error) => e instanceof ValueError && /params \(the params option given at construction\): no key of the given parameters matches/.test(e.message));
  const small = new TwoDense({ inUnits: 5 });
  const big = new TwoDense({ inUnits: 7, params: small.collectParams() });
  assert.throws(() => big.initialize(), (e: Error) => e instanceof ShapeError && /dense0\.weight/.test(e.message));
});

test('a Sequential runs blocks assigned as fields, after the added ones, and counts them', () => {
  const net = new nn.Sequential() as nn.Sequential & Record<string, unknown>;
  net.nameScope(() => {
    net.fc1 = new nn.Dense(10, { flatten: false, weightInitializer: 'zeros', biasInitializer: 'ones' });
    net.fc2 = new nn.Dense(10, { flatten: false, weightInitializer: 'zeros', biasInitializer: 'ones' });
  });
  net.initialize();
  const y = net.forward(nd.ones([2, 3, 5]));
  assert.deepEqual(y.shape, [2, 3, 10]);
  // fc2 sees fc1's ones through zero weights: its output is its bias.
  assert.ok(y.storage.every((v) => v === 1));
  assert.equal(net.length, 2);
  net.fc2 = new nn.Dense(10, { flatten: true, weightInitializer: 'zeros', biasInitializer: 'ones' });
  net.initialize();
  assert.deepEqual(net.forward(nd.ones([2, 3, 5])).shape, [2, 10]);
  net.add(new nn.Dense(4));
  // Added children first (keys '0', '1'...), then fields in definition order.
  assert.deepEqual([...net].map((b) => b.name), ['dense1', 'sequential0_dense0', 'dense0']);
  assert.deepEqual(net.namedChildren().map(([k]) => k), ['0', 'fc1', 'fc2']);
  assert.equal(net.get(-1), net.fc2);
});

test('Sequential slicing returns a Sequential of the same blocks (negative indices count from the end)', () => {
  const net = new nn.Sequential();
  const [d1, d2, d3] = [new nn.Dense(10), new nn.Dense(10), new nn.Dense(10)];
  net.add(d1, d2, d3);
  assert.equal(net.get(1), d2);
  assert.equal(net.get(-1), d3);
  const slc = net.slice(1, 3);
  assert.ok(slc instanceof nn.Sequential);
  assert.equal(slc.length, 2);
  assert.equal(slc.get(0), d2);
  assert.equal(slc.get(1), d3);
  assert.equal(slc.prefix, net.prefix);
  assert.deepEqual([...net.slice(-2)], [d2, d3]);
  assert.deepEqual([...net.slice(0, -1)], [d1, d2]);
  assert.equal(net.slice(5).length, 0);
  assert.throws(() => net.slice(0.5), /slice: start must be an integer, got 0.5/);
  // The slice shares the blocks, hence the parameters.
  net.initialize();
  net.forward(nd.ones([1, 4]));
  assert.equal(slc.collectParams().get('0.weight'), d2.weight);
});

test('slicing a Sequential subclass keeps the class, unless its constructor adds children or needs arguments', () => {
  class Stack extends nn.Sequential {}
  class Prefilled extends nn.Sequential {
    constructor(options: gluon.BlockOptions = {}) {
      super(options);
      this.add(new nn.Dense(1));
    }
  }
  class NeedsArgs extends nn.Sequential {
    constructor(readonly depth: number) {
      super();
      if (!Number.isInteger(depth)) throw new ValueError('depth');
    }
  }
  const stack = new Stack().add(new nn.Dense(2), new nn.Dense(3));
  assert.ok(stack.slice(1) instanceof Stack);
  const pre = new Prefilled().add(new nn.Dense(2));
  assert.equal(pre.slice(1).length, 1);
  assert.equal(pre.slice(1).constructor, nn.Sequential);
  const args = new NeedsArgs(2).add(new nn.Dense(2));
  assert.equal(args.slice(0).constructor, nn.Sequential);
});
