// D2L's tied parameters and what Gluon adds around them: sharing with `params:` and with
// shareParameters, summed gradients and one optimizer update, deferred inference once, errors
// naming both layers, saving and loading a tied net; frozen (gradReq 'null') parameters and
// constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, ShapeError, ValueError, autograd, gluon, init, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { RecordingInit, captureWarnings, values } from './gluon-helpers.js';

/** The chapter's tied net: layers 1 and 2 share their parameters. */
function tiedNet(): { net: nn.Sequential; shared: nn.Dense } {
  const shared = new nn.Dense(8, { activation: 'relu' });
  const net = new nn.Sequential();
  net.add(new nn.Dense(8, { activation: 'relu' }), shared, new nn.Dense(8, { activation: 'relu', params: shared.params }), new nn.Dense(10));
  return { net, shared };
}

test('tied parameters (the chapter): the same arrays, inferred and initialized once, listed once', () => {
  gluon.resetNameCounters();
  const { net, shared } = tiedNet();
  const recording = new RecordingInit(0.25);
  net.initialize({ init: recording });
  nd.random.seed(0);
  const X = nd.random.uniform({ shape: [2, 20] });
  net.forward(X);
  // One initializer call for the shared weight: deferred inference happens once.
  assert.deepEqual(recording.calls, [['dense1_weight', [8, 20]], ['dense0_weight', [8, 8]], ['dense3_weight', [10, 8]]]);
  const [l1, l2] = [net.get<nn.Dense>(1), net.get<nn.Dense>(2)];
  assert.equal(l1, shared);
  assert.equal(l2.weight, l1.weight);
  assert.equal(l2.bias, l1.bias);
  assert.equal(l2.weight.data(), l1.weight.data());
  // print(net[1].weight.data()[0] == net[2].weight.data()[0]), then net[1].weight.data()[0, 0] = 100.
  assert.deepEqual(l1.weight.data().slice([0], [1]).toArray(), l2.weight.data().slice([0], [1]).toArray());
  l1.weight.data().setSlice([0, 0], [1, 1], 100);
  assert.equal(l2.weight.data().storage[0], 100);
  assert.deepEqual(gluon.holdersOf(l1.weight), ['dense0', 'dense2']);
  assert.equal(gluon.inferredBy(l1.weight), 'dense0');
  // collectParams lists a shared parameter once, under its first path in tree order.
  assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias']);
  assert.equal(net.get(2).params.get('weight'), l1.weight);
  // A second forward with another batch size re-initializes nothing.
  net.forward(nd.ones([5, 20]));
  assert.equal(recording.calls.length, 3);
});

test('the gradient of a shared parameter is the sum of both uses; one SGD step applies -lr*(g1+g2)/batch once', () => {
  const first = new nn.Dense(2, { useBias: false });
  const second = new nn.Dense(2, { useBias: false, params: first.params });
  const net = new nn.Sequential().add(first, second);
  net.initialize();
  const W = nd.array([[1, 2], [3, 4]]);
  first.weight.setData(W);
  const X = nd.array([[1, 0], [2, 1]]);
  autograd.record(() => net.forward(X).sum()).backward();
  // L = Σ_b 1ᵀ W (W x_b). Use 1 (inner W): g1 = (Wᵀ1) (Σ_b x_b)ᵀ = [4, 6]ᵀ[3, 1];
  // use 2 (outer W): g2 = 1 (Σ_b W x_b)ᵀ = 1 [5, 13].
  const g1 = [[12, 4], [18, 6]];
  const g2 = [[5, 13], [5, 13]];
  const sum = g1.map((r, i) => r.map((v, j) => v + g2[i]![j]!));
  assert.deepEqual(first.weight.grad().toArray(), sum);
  // The same as two untied copies' gradients added.
  const a = new nn.Dense(2, { useBias: false, inUnits: 2 });
  const b = new nn.Dense(2, { useBias: false, inUnits: 2 });
  const untied = new nn.Sequential().add(a, b);
  untied.initialize();
  a.weight.setData(W);
  b.weight.setData(W);
  autograd.record(() => untied.forward(X).sum()).backward();
  assert.deepEqual(a.weight.grad().toArray(), g1);
  assert.deepEqual(b.weight.grad().toArray(), g2);

  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  assert.equal(trainer.params.length, 1);
  trainer.step(2);
  const expected = [[1, 2], [3, 4]].map((r, i) => r.map((w, j) => w - (0.1 * sum[i]![j]!) / 2));
  assertClose(first.weight.data(), expected, { rtol: 1e-6, atol: 1e-6 });
  assertClose(second.weight.data(), expected, { rtol: 1e-6, atol: 1e-6 });
});

test('a shared parameter seeing another input size: an error naming both layers; parameters unchanged', () => {
  gluon.resetNameCounters();
  const shared = new nn.Dense(8, { activation: 'relu' });
  const net = new nn.Sequential().add(new nn.Dense(16, { activation: 'relu' }), shared, new nn.Dense(8, { params: shared.params }));
  net.initialize();
  // shared (dense0) sees 16 features, the layer sharing with it (dense2) sees 8.
  let err: Error | undefined;
  try {
    net.forward(nd.ones([2, 20]));
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err instanceof ShapeError);
  assert.match(err.message, /^dense2: input of shape \(2, 8\) does not fit parameter weight \(dense0_weight\) of shape \(8, 16\); this input needs shape \(8, 8\)\./);
  assert.match(err.message, /shared by dense2 and dense0, and its shape was inferred from the first input of dense0/);
  assert.match(err.message, /Parameters are unchanged/);
  assert.deepEqual(shared.weight.shape, [8, 16]);
  // Sizes that conflict at construction: refused at once, naming both.
  assert.throws(
    () => new nn.Dense(4, { params: shared.params }),
    (e: Error) => e instanceof ShapeError && /^dense3: cannot share parameter dense0_weight of dense0 \(shape \(8, 16\)\)/.test(e.message),
  );
  assert.throws(() => new nn.Dense(8, { params: shared.params, dtype: 'float64' }), DTypeError);
  // A known inUnits completes a shared deferred shape.
  const lazy = new nn.Dense(3);
  const fixed = new nn.Dense(3, { inUnits: 5, params: lazy.params });
  assert.equal(fixed.weight, lazy.weight);
  assert.deepEqual(lazy.weight.shape, [3, 5]);
});

test('shareParameters (Gluon 2): tie parameters by structural path, deferred, checked before anything changes', () => {
  gluon.resetNameCounters();
  const make = (): nn.Sequential => new nn.Sequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(2));
  const enc = make();
  const dec = make();
  assert.equal(dec.shareParameters(enc.collectParams('.*weight')), dec);
  assert.equal(dec.get<nn.Dense>(0).weight, enc.get<nn.Dense>(0).weight);
  assert.equal(dec.get<nn.Dense>(1).weight, enc.get<nn.Dense>(1).weight);
  assert.notEqual(dec.get<nn.Dense>(0).bias, enc.get<nn.Dense>(0).bias);
  assert.equal(dec.get(0).params.get('weight'), enc.get<nn.Dense>(0).weight);
  const recording = new RecordingInit(1);
  enc.initialize({ init: recording });
  // The shared weights are already initialized (pending) through enc: dec says so once.
  const { warnings } = captureWarnings(() => dec.initialize({ init: recording }));
  assert.deepEqual(warnings, ['already initialized, ignoring (dense0_weight, dense1_weight); set forceReinit: true to re-initialize.']);
  // Both pending; enc's forward infers and initializes the shared weights once.
  enc.forward(nd.ones([3, 5]));
  assert.deepEqual(recording.calls.map(([n, s]) => `${n} ${s.join('x')}`), ['dense0_weight 4x5', 'dense1_weight 2x4']);
  dec.forward(nd.ones([3, 5]));
  assert.equal(recording.calls.length, 2);
  // A tree holding both lists each weight once.
  const both = new nn.Sequential().add(enc, dec);
  assert.deepEqual(both.collectParams().keys(), ['0.0.weight', '0.0.bias', '0.1.weight', '0.1.bias', '1.0.bias', '1.1.bias']);
  assert.throws(() => dec.forward(nd.ones([3, 6])), (e: Error) => e instanceof ShapeError && /dense2: .*shared by dense2 and dense0/.test(e.message));

  // Errors: nothing matches; a shape conflict (on the second key) leaves the first untouched.
  const other = make();
  assert.throws(() => other.shareParameters({ 'encoder.weight': enc.get<nn.Dense>(0).weight }), (e: Error) => e instanceof ValueError && /no key/.test(e.message));
  const bad = { '0.weight': enc.get<nn.Dense>(0).weight, '1.weight': new gluon.Parameter('w', { shape: [3, 0] }) };
  const before = other.get<nn.Dense>(0).weight;
  assert.throws(() => other.shareParameters(bad), (e: Error) => e instanceof ShapeError && /'1\.weight'.*\(2, 0\).*\(3, 0\)/.test(e.message));
  assert.equal(other.get<nn.Dense>(0).weight, before);
});

test('saving a tied net writes the shared parameter once; loading restores the tie', () => {
  nd.random.seed(4);
  const { net } = tiedNet();
  net.initialize({ init: 'normal' });
  const X = nd.random.uniform({ shape: [2, 20] });
  const y = net.forward(X);
  const bytes = net.saveParametersBytes();
  assert.deepEqual(Object.keys(nd.loadBytes(bytes)).sort(), ['0.bias', '0.weight', '1.bias', '1.weight', '3.bias', '3.weight']);
  // A fresh tied net, never initialized: shapes and values come from the file.
  const { net: fresh } = tiedNet();
  const report = fresh.loadParametersBytes(bytes);
  assert.deepEqual(report.loaded, ['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias']);
  assert.equal(fresh.get<nn.Dense>(2).weight, fresh.get<nn.Dense>(1).weight);
  assert.deepEqual(fresh.get<nn.Dense>(2).weight.data().toArray(), net.get<nn.Dense>(2).weight.data().toArray());
  assert.deepEqual(fresh.forward(X).toArray(), y.toArray());
  fresh.get<nn.Dense>(1).weight.data().fill(0);
  assert.ok(values(fresh.get<nn.Dense>(2).weight).every((v) => v === 0));
});

test("gradReq 'null': frozen parameters get no gradient, no zeroing, no Trainer update", () => {
  const net = new nn.Sequential().add(new nn.Dense(3, { inUnits: 2 }), new nn.Dense(1, { inUnits: 3 }));
  net.initialize({ init: 'ones' });
  net.get(0).collectParams().setAttr('gradReq', 'null');
  const frozen = net.get<nn.Dense>(0).weight;
  assert.throws(() => frozen.grad(), /gradReq is 'null'/);
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
  const x = nd.array([[1, 2]]);
  autograd.record(() => net.forward(x).sum()).backward();
  // The trained layer's gradient is the frozen layer's output: relu-free, W0 = 1, b0 = 0 -> [3, 3, 3].
  assert.deepEqual(net.get<nn.Dense>(1).weight.grad().toArray(), [[3, 3, 3]]);
  trainer.step(1);
  assert.deepEqual(frozen.data().toArray(), [[1, 1], [1, 1], [1, 1]]);
  assert.deepEqual(net.get<nn.Dense>(0).bias!.data().toArray(), [0, 0, 0]);
  assert.deepEqual(net.get<nn.Dense>(1).weight.data().toArray(), [[-2, -2, -2]]);
  net.zeroGrad();
  trainer.zeroGrad();
  assert.deepEqual(net.get<nn.Dense>(1).weight.grad().toArray(), [[0, 0, 0]]);
  // Unfreezing gives a gradient again.
  frozen.gradReq = 'write';
  autograd.record(() => net.forward(x).sum()).backward();
  assert.deepEqual(frozen.grad().toArray(), [[-2, -4], [-2, -4], [-2, -4]]);
});

class Scaled extends gluon.Block {
  readonly dense = new nn.Dense(3, { inUnits: 2 });
  readonly scale = this.params.getConstant('scale', [1, 2, 3]);
  override forward(x: nd.NDArray): nd.NDArray {
    return this.dense.forward(x).mul(this.scale.data());
  }
}

test('a constant parameter never changes: no gradient, Trainer leaves it, initializers skip it, setData refused', () => {
  gluon.resetNameCounters();
  const net = new Scaled();
  const c = net.scale;
  assert.ok(c instanceof gluon.Constant && c instanceof gluon.Parameter);
  assert.equal(String(c), 'Constant scaled0_scale (shape=(3,), dtype=float32)');
  assert.equal(c.state, 'initialized');
  assert.equal(c.gradReq, 'null');
  assert.equal(net.params.getConstant('scale'), c);
  assert.deepEqual(net.collectParams().keys(), ['scale', 'dense.weight', 'dense.bias']);
  const recording = new RecordingInit(1);
  net.initialize({ init: recording });
  assert.deepEqual(recording.calls, [['dense0_weight', [3, 2]]]);
  assert.deepEqual(c.data().toArray(), [1, 2, 3]);
  const x = nd.array([[1, 1]]);
  assert.deepEqual(net.forward(x).toArray(), [[2, 4, 6]]);
  // Asking for gradients is ignored with a warning (as Gluon), so a whole net can be unfrozen.
  const { warnings } = captureWarnings(() => net.collectParams().setAttr('gradReq', 'write'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Constant scaled0_scale cannot have gradients/);
  assert.equal(c.gradReq, 'null');
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  autograd.record(() => net.forward(x).sum()).backward();
  assert.throws(() => c.grad(), /never trained/);
  assert.deepEqual(net.dense.bias!.grad().toArray(), [1, 2, 3]);
  trainer.step(1);
  assert.deepEqual(c.data().toArray(), [1, 2, 3]);
  assert.deepEqual(net.dense.bias!.data().toArray(), [-0.5, -1, -1.5]);
  // Re-initializing, even with an initializer given to the parameter itself, keeps the value.
  net.initialize({ init: 'zeros', forceReinit: true });
  c.initialize({ init: new init.Constant(9), forceReinit: true });
  assert.deepEqual(c.data().toArray(), [1, 2, 3]);
  assert.throws(() => c.setData(nd.zeros([3])), (e: Error) => e instanceof ValueError && /cannot be changed/.test(e.message));
  c.setData(nd.array([1, 2, 3]));
  assert.equal(c.resetShape(), false);
  c.cast('float64');
  assert.deepEqual(c.data().toArray(), [1, 2, 3]);
  assert.equal(c.data().dtype, 'float64');
  assert.deepEqual(c.value.toArray(), [1, 2, 3]);
  assert.throws(() => net.params.getConstant('nothing'), /give its value/);
  assert.throws(() => net.dense.params.getConstant('weight'), /not a Constant/);
  assert.throws(() => new gluon.Constant('bad', 'x' as unknown as number), ValueError);
  // Constants in the tree are reachable by name; a scalar constant has shape ().
  const s = new gluon.Constant('eps', 1e-5);
  assert.deepEqual(s.shape, []);
  assert.ok(Math.abs(s.data().item() - 1e-5) < 1e-12);
});

test('constants are saved; loading accepts the same value and refuses another, changing nothing', () => {
  const net = new Scaled();
  net.initialize({ init: 'ones' });
  const bytes = net.saveParametersBytes();
  assert.deepEqual(Object.keys(nd.loadBytes(bytes)).sort(), ['dense.bias', 'dense.weight', 'scale']);
  const fresh = new Scaled();
  fresh.loadParametersBytes(bytes);
  assert.deepEqual(fresh.forward(nd.array([[1, 1]])).toArray(), [[2, 4, 6]]);
  const before = values(fresh.dense.weight);
  const other = nd.saveBytes({ scale: nd.array([3, 2, 1]), 'dense.weight': nd.zeros([3, 2]), 'dense.bias': nd.zeros([3]) });
  assert.throws(() => fresh.loadParametersBytes(other), (e: Error) => e instanceof ValueError && /constants never change/.test(e.message) && /scale \(scaled\d+_scale\)/.test(e.message));
  assert.deepEqual(values(fresh.dense.weight), before);
  assert.deepEqual(fresh.scale.data().toArray(), [1, 2, 3]);
});

test('tying by field assignment in a custom block; resetShapes re-infers a shared parameter once', () => {
  gluon.resetNameCounters();
  class Tied extends gluon.Block {
    readonly enc = new nn.Dense(4, { useBias: false });
    readonly dec = new nn.Dense(4, { useBias: false });
    constructor() {
      super();
      (this.dec as { weight: gluon.Parameter }).weight = this.enc.weight;
    }
    override forward(x: nd.NDArray): nd.NDArray {
      return this.dec.forward(this.enc.forward(x));
    }
  }
  const net = new Tied();
  assert.deepEqual(net.collectParams().keys(), ['enc.weight']);
  const recording = new RecordingInit(0.5);
  net.initialize({ init: recording });
  // enc infers (4, 4) from a 4-feature input, dec then fits.
  assert.deepEqual(net.forward(nd.ones([1, 4])).toArray(), [[4, 4, 4, 4]]);
  assert.deepEqual(recording.calls, [['dense0_weight', [4, 4]]]);
  // A 6-feature input: enc cannot take it; after resetShapes enc re-infers (4, 6), and dec (fed 4
  // features by enc) cannot use the same weight: the error names both.
  assert.throws(() => net.forward(nd.ones([1, 6])), (e: Error) => /^dense0: .*\(4, 4\)/.test(e.message));
  assert.deepEqual(net.resetShapes(), ['enc.weight']);
  assert.throws(
    () => net.forward(nd.ones([1, 6])),
    (e: Error) => e instanceof ShapeError && /^dense1: input of shape \(1, 4\) does not fit parameter weight \(dense0_weight\) of shape \(4, 6\)/.test(e.message) && /shared by dense1 and dense0/.test(e.message),
  );
  assert.deepEqual(recording.calls, [['dense0_weight', [4, 4]], ['dense0_weight', [4, 6]]]);
});
