// Parameter and ParameterDict: states, shapes, gradients, setData, multipliers, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogradError, DeferredInitializationError, ShapeError, UninitializedParameterError, ValueError, autograd, gluon, init, nd } from '../../src/index.js';
import { captureWarnings } from './gluon-helpers.js';

test('declared -> pending -> initialized; setting the shape completes a pending parameter', () => {
  const p = new gluon.Parameter('w', { shape: [3, 0], init: 'ones' });
  assert.equal(p.state, 'declared');
  assert.equal(p.shapeKnown, false);
  assert.throws(() => p.data(), UninitializedParameterError);
  p.initialize();
  assert.equal(p.state, 'pending');
  assert.throws(() => p.data(), DeferredInitializationError);
  assert.throws(() => { p.shape = [4, 2]; }, (e: Error) => e instanceof ShapeError && /\(4, 2\).*\(3, 0\)/.test(e.message));
  p.shape = [3, 2];
  assert.equal(p.state, 'pending');
  assert.deepEqual(p.data().toArray(), [[1, 1], [1, 1], [1, 1]]);
  assert.equal(p.state, 'initialized');
  assert.throws(() => { p.shape = [3, 5]; }, ShapeError);
  p.shape = [3, 2];
});

test('unknown rank: any shape fits until one is set', () => {
  const p = new gluon.Parameter('v');
  assert.equal(p.toString(), 'Parameter v (shape=None, dtype=float32)');
  assert.ok(p.fits([1, 2, 3]));
  p.shape = [2, 2];
  assert.equal(p.fits([2]), false);
});

test('allowDeferredInit false: initialize with an unknown shape is an error, nothing recorded', () => {
  const p = new gluon.Parameter('w', { shape: [0, 2], allowDeferredInit: false });
  assert.throws(() => p.initialize(), (e: Error) => e instanceof DeferredInitializationError && /allowDeferredInit/.test(e.message));
  assert.equal(p.state, 'declared');
});

test('gradReq: write, add, null; zeroGrad', () => {
  const p = new gluon.Parameter('w', { shape: [2], init: 'ones' });
  p.initialize();
  const run = (): void => autograd.record(() => p.data().mul(nd.array([3, 4])).sum()).backward();
  run();
  run();
  assert.deepEqual(p.grad().toArray(), [3, 4]);
  p.gradReq = 'add';
  run();
  run();
  assert.deepEqual(p.grad().toArray(), [6, 8]);
  p.zeroGrad();
  assert.deepEqual(p.grad().toArray(), [0, 0]);
  p.gradReq = 'null';
  assert.throws(() => p.grad(), (e: Error) => e instanceof AutogradError && /gradReq is 'null'/.test(e.message));
  p.zeroGrad();
  const c = new gluon.Parameter('c', { shape: [2], gradReq: 'null', init: new init.Constant(2) });
  c.initialize();
  assert.equal(c.data()._gradReq, 'null');
  assert.throws(() => new gluon.Parameter('x', { gradReq: 'sometimes' as 'add' }), ValueError);
});

test('integer parameters default to gradReq null and refuse gradients', () => {
  const p = new gluon.Parameter('steps', { shape: [1], dtype: 'int32' });
  assert.equal(p.gradReq, 'null');
  assert.throws(() => new gluon.Parameter('bad', { dtype: 'int32', gradReq: 'write' }), ValueError);
});

test('setData on an initialized parameter copies in place and checks the shape', () => {
  const p = new gluon.Parameter('w', { shape: [2, 2] });
  p.initialize();
  const arr = p.data();
  const src = nd.array([[1, 2], [3, 4]], { dtype: 'float64' });
  p.setData(src);
  assert.equal(p.data(), arr);
  assert.deepEqual(arr.toArray(), [[1, 2], [3, 4]]);
  src.storage[0] = 100;
  assert.equal(arr.storage[0], 1);
  assert.throws(() => p.setData(nd.ones([2, 3])), (e: Error) => e instanceof ShapeError && /resetShapes/.test(e.message));
  assert.throws(() => p.setData(nd.NDArray.shapeOnly([2, 2], 'float32')), ValueError);
});

test('a repeated Parameter.initialize warns; forceReinit re-initializes', () => {
  const p = new gluon.Parameter('w', { shape: [2] });
  p.initialize({ init: 'ones' });
  const { warnings } = captureWarnings(() => p.initialize({ init: 'zeros' }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Parameter w is already initialized, ignoring/);
  assert.deepEqual(p.data().toArray(), [1, 1]);
  p.initialize({ init: 'zeros', forceReinit: true });
  assert.deepEqual(p.data().toArray(), [0, 0]);
});

test('multipliers, cast and ParameterDict utilities', () => {
  const d = new gluon.ParameterDict('blk_');
  const w = d.get('weight', { shape: [2], lrMult: 2 });
  assert.equal(w.name, 'blk_weight');
  assert.equal(d.get('weight'), w);
  assert.equal(w.lrMult, 2);
  assert.equal(w.wdMult, 1);
  d.get('bias', { shape: [2] });
  assert.throws(() => d.get('gamma'), (e: Error) => e instanceof ValueError && /weight, bias/.test(e.message));
  d.setAttr('wdMult', 0);
  d.setAttr('gradReq', 'null');
  assert.deepEqual(d.values().map((p) => [p.wdMult, p.gradReq]), [[0, 'null'], [0, 'null']]);
  d.initialize({ init: 'ones' });
  w.cast('float64');
  assert.equal(w.data().dtype, 'float64');
  assert.deepEqual(w.data().toArray(), [1, 1]);
  assert.equal(d.size, 2);
  assert.deepEqual([...d].map(([k]) => k), ['weight', 'bias']);
  assert.deepEqual(d.pendingParams().params, []);
});
