// ParameterDict.save / load (Gluon's params.save / params.load): keyed by the dict's keys, all or
// nothing, shapes filled from the file, and Gluon's castDType / dtypeSource rules beside the
// `dtype` option (a conflict between them is an error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTypeError, ValueError, gluon, nd, nn, safetensors } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-pdict-'));

test('a dict built with get() saves by key and loads into a fresh dict, shapes included', () => {
  const params0 = new gluon.ParameterDict('net_');
  params0.get('w0', { shape: [10, 10] });
  params0.get('w1', { shape: [10, 10] });
  assert.deepEqual(params0.values().map((p) => p.name), ['net_w0', 'net_w1']);
  params0.initialize();
  const file = join(dir, 'pdict.safetensors');
  params0.save(file);
  assert.deepEqual(Object.keys(safetensors.decodeSafetensors(params0.saveBytes()).tensors).sort(), ['w0', 'w1']);
  const params1 = new gluon.ParameterDict('net_');
  params1.get('w0', { shape: [10, 0] });
  params1.get('w1', {});
  const report = params1.load(file);
  assert.deepEqual(report.loaded, ['w0', 'w1']);
  for (const k of ['w0', 'w1']) assert.deepEqual(params1.get(k).data().toArray(), params0.get(k).data().toArray());
});

test('collectParams().save / load round-trips a network and matches saveParameters', () => {
  const a = new nn.Sequential().add(new nn.Dense(4, { inUnits: 3 }), new nn.Dense(2, { inUnits: 4 }));
  a.initialize({ init: 'normal' });
  const b = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
  b.collectParams().loadBytes(a.collectParams().saveBytes());
  const x = nd.random.uniform({ shape: [2, 3] });
  assert.deepEqual(b.forward(x).toArray(), a.forward(x).toArray());
  const c = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
  c.loadParametersBytes(a.collectParams().saveBytes());
  assert.deepEqual(c.forward(x).toArray(), a.forward(x).toArray());
});

test('castDType / dtypeSource: current converts to the parameter\'s dtype, saved takes the file\'s, false refuses a difference', () => {
  const params0 = new gluon.ParameterDict('');
  params0.get('w0', { shape: [2, 2], dtype: 'float32' });
  params0.get('w1', { shape: [2, 2], dtype: 'int32', gradReq: 'null' });
  params0.initialize({ init: 'ones' });
  const bytes = params0.saveBytes();
  const params1 = new gluon.ParameterDict('');
  params1.get('w0', { shape: [2, 2], dtype: 'float64' });
  params1.get('w1', { shape: [2, 2], dtype: 'float64', gradReq: 'null' });
  params1.loadBytes(bytes, { castDType: true, dtypeSource: 'current' });
  assert.equal(params1.get('w0').data().dtype, 'float64');
  assert.equal(params1.get('w1').data().dtype, 'float64');
  params1.loadBytes(bytes, { castDType: true, dtypeSource: 'saved' });
  assert.equal(params1.get('w0').data().dtype, 'float32');
  assert.equal(params1.get('w1').data().dtype, 'int32');
  assert.deepEqual(params1.get('w1').data().toArray(), [[1, 1], [1, 1]]);
  const strict = new gluon.ParameterDict('');
  strict.get('w0', { shape: [2, 2], dtype: 'float64' });
  strict.get('w1', { shape: [2, 2], dtype: 'int32', gradReq: 'null' });
  assert.throws(() => strict.loadBytes(bytes, { castDType: false }), (e: Error) => e instanceof DTypeError && /w0 \(w0\): the parameter is float64, the file holds float32; pass castDType: true to convert/.test(e.message));
  assert.equal(strict.get('w0').state, 'declared', 'nothing was loaded');
  assert.throws(() => strict.loadBytes(bytes, { castDType: true, dtype: 'saved' }), (e: Error) => e instanceof ValueError && /give either dtype or castDType/.test(e.message));
  assert.throws(() => strict.loadBytes(bytes, { castDType: true, dtypeSource: 'file' as 'saved' }), /dtypeSource must be 'current' or 'saved'/);
});

test('ParameterDict.load names itself in errors and keeps allowMissing / ignoreExtra', () => {
  const p = new gluon.ParameterDict('');
  p.get('a', { shape: [1] });
  p.initialize();
  const q = new gluon.ParameterDict('');
  q.get('b', { shape: [1] });
  assert.throws(() => q.loadBytes(p.saveBytes()), /ParameterDict\.load: the file's keys do not match/);
  const r = q.loadBytes(p.saveBytes(), { allowMissing: true, ignoreExtra: true });
  assert.deepEqual(r.missing, ['b']);
  assert.deepEqual(r.ignored, ['a']);
  assert.throws(() => q.save(join(dir, 'never.safetensors')), /ParameterDict\.save: nothing was written/);
});
