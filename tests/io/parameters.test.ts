import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DTypeError, DeferredInitializationError, ShapeError, UninitializedParameterError, ValueError, gluon, nd, nn, safetensors,
} from '../../src/index.js';
import { assertBitwiseEqual, snapshot } from './st-helpers.js';

function mlp(): nn.Sequential {
  return new nn.Sequential().add(new nn.Dense(5, { activation: 'relu' }), new nn.Dense(3));
}

function trained(): { net: nn.Sequential; x: nd.NDArray; y: nd.NDArray } {
  nd.random.seed(3);
  const net = mlp();
  net.initialize({ init: 'normal' });
  const x = nd.random.uniform({ shape: [4, 6] });
  return { net, x, y: net.forward(x) };
}

test('saveParametersBytes / loadParametersBytes round-trip bit for bit, keyed by structural path', () => {
  const { net, x, y } = trained();
  const bytes = net.saveParametersBytes();
  const { tensors, metadata } = safetensors.decodeSafetensors(bytes);
  assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight', '1.bias', '1.weight']);
  assert.equal(metadata!['format'], 'tsgluon');
  assert.equal(metadata!['tsgluon_version'], '1');
  const other = mlp();
  other.initialize({ init: 'ones' });
  other.forward(x);
  const report = other.loadParametersBytes(bytes);
  assert.deepEqual([...report.loaded].sort(), ['0.bias', '0.weight', '1.bias', '1.weight']);
  assert.deepEqual(report.missing, []);
  for (const [path, p] of net.collectParams()) assertBitwiseEqual(other.collectParams().get(path).data(), p.data(), path);
  assertBitwiseEqual(other.forward(x), y);
});

test('loading into a never-initialized net fills every shape: no initialize(), no forward, data() works', () => {
  const { net, x, y } = trained();
  const fresh = mlp();
  assert.equal(fresh.collectParams().get('0.weight').state, 'declared');
  fresh.loadParametersBytes(net.saveParametersBytes());
  assert.deepEqual(fresh.collectParams().get('0.weight').data().shape, [5, 6]);
  assert.deepEqual(fresh.collectParams().get('1.weight').shape, [3, 5]);
  assertBitwiseEqual(fresh.forward(x), y);
  // A later initialize() keeps the loaded values (they are pinned, as setData pins them).
  fresh.initialize({ init: 'zeros' });
  assertBitwiseEqual(fresh.forward(x), y);
});

test('loading into a pending net (initialize() without shapes) fills the shapes from the file', () => {
  const { net, x, y } = trained();
  const pending = mlp();
  pending.initialize();
  assert.equal(pending.pendingParams().params.length, 2);
  pending.loadParametersBytes(net.saveParametersBytes());
  assert.equal(pending.pendingParams().params.length, 0);
  assertBitwiseEqual(pending.collectParams().get('0.weight').data(), net.collectParams().get('0.weight').data());
  assertBitwiseEqual(pending.forward(x), y);
});

test('a known dimension that differs is a ShapeError naming the parameter and both shapes; the net is unchanged', () => {
  const { net } = trained();
  const bytes = net.saveParametersBytes();
  const wrong = new nn.Sequential().add(new nn.Dense(5, { activation: 'relu', inUnits: 7 }), new nn.Dense(4));
  wrong.initialize();
  const before = snapshot(wrong);
  assert.throws(() => wrong.loadParametersBytes(bytes), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /0\.weight \(dense\d+_weight\): the network has shape \(5, 7\), the file has \(5, 6\)/);
    assert.match(e.message, /1\.weight \(dense\d+_weight\): the network has partly known shape \(4, 0\), the file has \(3, 5\)/);
    assert.match(e.message, /1\.bias .*\(4,\).*\(3,\)/);
    assert.match(e.message, /nothing was loaded/);
    return true;
  });
  assert.deepEqual(snapshot(wrong), before);
});

test('missing and unexpected keys are reported together; allowMissing / ignoreExtra load the common part', () => {
  const { net } = trained();
  const bytes = nd.saveBytes({ ...Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, p.data()])), extra: nd.ones([2]) });
  const bigger = new nn.Sequential().add(new nn.Dense(5, { activation: 'relu' }), new nn.Dense(3), new nn.Dense(2));
  const before = snapshot(bigger);
  assert.throws(() => bigger.loadParametersBytes(bytes), (e: unknown) => {
    assert.ok(e instanceof gluon.ParameterKeyError && e instanceof ValueError);
    assert.deepEqual(e.missing, ['2.weight', '2.bias']);
    assert.deepEqual(e.unexpected, ['extra']);
    assert.match(e.message, /missing from the file: 2\.weight, 2\.bias; in the file but not in the network: extra/);
    return true;
  });
  assert.deepEqual(snapshot(bigger), before);
  assert.throws(() => bigger.loadParametersBytes(bytes, { allowMissing: true }), /in the file but not in the network: extra/);
  assert.throws(() => bigger.loadParametersBytes(bytes, { ignoreExtra: true }), /missing from the file: 2\.weight/);
  assert.deepEqual(snapshot(bigger), before);
  const report = bigger.loadParametersBytes(bytes, { allowMissing: true, ignoreExtra: true });
  assert.deepEqual(report.missing, ['2.weight', '2.bias']);
  assert.deepEqual(report.ignored, ['extra']);
  assert.equal(bigger.collectParams().get('2.weight').state, 'declared');
  assertBitwiseEqual(bigger.collectParams().get('1.weight').data(), net.collectParams().get('1.weight').data());
});

test('a prefixed file gets a rename hint, and rename maps keys', () => {
  const { net, x, y } = trained();
  const prefixed = nd.saveBytes(Object.fromEntries(net.collectParams().entries().map(([k, p]) => [`model.${k}`, p.data()])));
  const fresh = mlp();
  assert.throws(() => fresh.loadParametersBytes(prefixed), /keys look prefixed with 'model\.'/);
  const report = fresh.loadParametersBytes(prefixed, { rename: (k) => (k.startsWith('model.') ? k.slice(6) : null) });
  assert.equal(report.loaded.length, 4);
  assertBitwiseEqual(fresh.forward(x), y);
  assert.throws(() => mlp().loadParametersBytes(prefixed, { rename: () => '0.weight' }), /rename maps both/);
});

test('saveParameters on pending or uninitialized nets names the parameters and the fix, and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgluon-params-'));
  const pending = mlp();
  pending.initialize();
  assert.throws(() => pending.saveParameters(join(dir, 'p.safetensors')), (e: unknown) => {
    assert.ok(e instanceof DeferredInitializationError);
    assert.match(e.message, /nothing was written/);
    assert.match(e.message, /0\.weight: dense\d+_weight \(5, 0\)/);
    assert.match(e.message, /1\.weight: dense\d+_weight \(3, 0\)/);
    assert.match(e.message, /net\.inferShape\(\[batch, features\]\)/);
    return true;
  });
  assert.throws(() => mlp().saveParametersBytes(), (e: unknown) => e instanceof UninitializedParameterError && /net\.initialize\(\)/.test(e.message));
  assert.deepEqual(readdirSync(dir), []);
  pending.inferShape([2, 6]);
  pending.saveParameters(join(dir, 'p.safetensors'));
  const back = mlp();
  back.loadParameters(join(dir, 'p.safetensors'));
  assertBitwiseEqual(back.collectParams().get('0.weight').data(), pending.collectParams().get('0.weight').data());
  assert.throws(() => back.loadParameters(join(dir, 'missing.safetensors')), /missing\.safetensors/);
});

class Tied extends nn.Block {
  enc = new nn.Dense(4, { inUnits: 4, useBias: false });
  dec = new nn.Dense(4, { inUnits: 4, useBias: false });
  constructor() {
    super();
    // One Parameter object at two paths (Gluon's `dec.weight = enc.weight`; readonly in the types only).
    (this.dec as { weight: gluon.Parameter }).weight = this.enc.weight;
  }
  override forward(x: nd.NDArray): nd.NDArray {
    return this.dec.forward(this.enc.forward(x));
  }
}

test('a shared parameter is written once and the tie holds after loading', () => {
  nd.random.seed(5);
  const net = new Tied();
  net.initialize({ init: 'normal' });
  const x = nd.random.uniform({ shape: [2, 4] });
  const y = net.forward(x);
  const bytes = net.saveParametersBytes();
  assert.deepEqual(Object.keys(nd.loadBytes(bytes)), ['enc.weight']);
  const fresh = new Tied();
  fresh.loadParametersBytes(bytes);
  assert.equal(fresh.dec.weight, fresh.enc.weight);
  assertBitwiseEqual(fresh.forward(x), y);
  // A file that also holds the second path (from an untied copy) loads if the copies agree.
  const w = net.enc.weight.data();
  fresh.loadParametersBytes(nd.saveBytes({ 'enc.weight': w, 'dec.weight': w }));
  const before = snapshot(fresh);
  assert.throws(() => fresh.loadParametersBytes(nd.saveBytes({ 'enc.weight': w, 'dec.weight': w.mul(2) })), /same shared parameter/);
  assert.deepEqual(snapshot(fresh), before);
});

test('dtype: current converts into the parameter, saved takes the file dtype, a dtype casts', () => {
  const { net } = trained();
  net.cast('float64');
  const bytes = net.saveParametersBytes();
  const w64 = net.collectParams().get('0.weight').data();
  const a = mlp();
  a.loadParametersBytes(bytes);
  assert.equal(a.collectParams().get('0.weight').dtype, 'float32');
  assert.deepEqual(Array.from(a.collectParams().get('0.weight').data().storage), Array.from(Float32Array.from(w64.storage)));
  const b = mlp();
  b.loadParametersBytes(bytes, { dtype: 'saved' });
  assertBitwiseEqual(b.collectParams().get('0.weight').data(), w64);
  const c = mlp();
  c.loadParametersBytes(nd.saveBytes({ '0.weight': nd.ones([5, 6]), '0.bias': nd.ones([5]), '1.weight': nd.ones([3, 5]), '1.bias': nd.ones([3]) }), { dtype: 'float64' });
  assert.equal(c.collectParams().get('1.bias').dtype, 'float64');
  const before = snapshot(c);
  assert.throws(() => c.loadParametersBytes(bytes, { dtype: 'int32' }), DTypeError);
  assert.throws(() => c.loadParametersBytes(bytes, { dtype: 'bogus' as never }), /unknown dtype/);
  assert.deepEqual(snapshot(c), before);
});

test('a block reused at two places is saved once and loads through either path', () => {
  const build = (): nn.Sequential => {
    const shared = new nn.Dense(4, { inUnits: 4 });
    return new nn.Sequential().add(shared, new nn.Activation('tanh'), shared);
  };
  nd.random.seed(8);
  const net = build();
  net.initialize({ init: 'normal' });
  const x = nd.random.uniform({ shape: [2, 4] });
  const y = net.forward(x);
  const bytes = net.saveParametersBytes();
  assert.deepEqual(Object.keys(nd.loadBytes(bytes)).sort(), ['0.bias', '0.weight']);
  const fresh = build();
  fresh.loadParametersBytes(bytes);
  assertBitwiseEqual(fresh.forward(x), y);
  // Keys under the second path alone (a file saved by a writer that chose the other path).
  const renamed = build();
  renamed.loadParametersBytes(bytes, { rename: (k) => k.replace(/^0\./, '2.') });
  assertBitwiseEqual(renamed.forward(x), y);
});
