import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nd, nn, safetensors } from '../../src/index.js';
import { assertClose } from '../helpers.js';

const DIR = 'tests/fixtures/pytorch';
const expected = JSON.parse(readFileSync(`${DIR}/mlp.expected.json`, 'utf8')) as {
  input: number[][];
  output: number[][];
  state_dict: Record<string, number[] | number[][]>;
};

test('a PyTorch state_dict file loads into the equivalent net with identical keys and gives PyTorch\'s output', () => {
  const net = new nn.Sequential().add(new nn.Dense(3), new nn.Activation('relu'), new nn.Dense(2));
  const report = net.loadParameters(`${DIR}/mlp.safetensors`);
  assert.deepEqual([...report.loaded].sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
  // Linear's (out, in) weight is Dense's (units, inUnits): no transpose.
  assert.deepEqual(net.collectParams().get('0.weight').shape, [3, 4]);
  for (const [k, v] of Object.entries(expected.state_dict)) {
    assert.deepEqual(net.collectParams().get(k).data().toArray(), v, k);
  }
  const y = net.forward(nd.array(expected.input));
  assertClose(y, expected.output, { rtol: 1e-6, atol: 1e-7 });
});

test('with the activation folded into Dense, a rename maps PyTorch\'s module indices', () => {
  const net = new nn.Sequential().add(new nn.Dense(3, { activation: 'relu' }), new nn.Dense(2));
  assert.throws(() => net.loadParameters(`${DIR}/mlp.safetensors`), /missing from the file: 1\.weight, 1\.bias; in the file but not in the network: 2\.bias, 2\.weight/);
  net.loadParameters(`${DIR}/mlp.safetensors`, { rename: (k) => k.replace(/^2\./, '1.') });
  assertClose(net.forward(nd.array(expected.input)), expected.output, { rtol: 1e-6, atol: 1e-7 });
});

test('PyTorch dtypes (F16, BF16, I64, BOOL, I8, F64) load with their exact values', () => {
  const want = JSON.parse(readFileSync(`${DIR}/dtypes.expected.json`, 'utf8')) as Record<string, { dtype: string; shape: number[]; flat: (number | string | boolean)[] }>;
  const { tensors, fileDTypes, metadata } = safetensors.decodeSafetensors(readFileSync(`${DIR}/dtypes.safetensors`));
  assert.deepEqual(metadata, { format: 'pt' });
  const ours: Record<string, string> = { F16: 'float16', BF16: 'bfloat16', I64: 'int32', BOOL: 'uint8', I8: 'int32', F64: 'float64' };
  for (const [name, { dtype, shape, flat }] of Object.entries(want)) {
    const t = tensors[name]!;
    assert.equal(fileDTypes[name], dtype, name);
    assert.equal(t.dtype, ours[dtype], name);
    assert.deepEqual(t.shape, shape, name);
    const values = flat.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
    assert.deepEqual(Array.from(t.astype('float64').storage), values, name);
  }
  assert.ok(Object.is(tensors['half']!.astype('float32').storage[5], -0));
});

test('float16 and bfloat16 tensors written by tsgluon are byte for byte the ones PyTorch wrote', () => {
  const file = readFileSync(`${DIR}/dtypes.safetensors`);
  const { tensors } = safetensors.decodeSafetensors(file);
  for (const name of ['half', 'bfloat']) {
    const again = safetensors.decodeSafetensors(safetensors.encodeSafetensors({ [name]: tensors[name]! }));
    assert.equal(again.fileDTypes[name], name === 'half' ? 'F16' : 'BF16');
    assert.deepEqual(Array.from(again.tensors[name]!._raw), Array.from(tensors[name]!._raw), name);
  }
  // A float16 parameter saved by tsgluon loads back as float16 with dtype 'saved', or widened by default.
  const net = new nn.Dense(2, { inUnits: 3, dtype: 'float16' });
  net.initialize({ init: 'normal' });
  const bytes = net.saveParametersBytes();
  assert.equal(safetensors.decodeSafetensors(bytes).fileDTypes['weight'], 'F16');
  const wide = new nn.Dense(2, { inUnits: 3 });
  wide.loadParametersBytes(bytes);
  assert.equal(wide.weight.dtype, 'float32');
  assert.deepEqual(wide.weight.data().toArray(), net.weight.data().toArray());
  const same = new nn.Dense(2, { inUnits: 3 });
  same.loadParametersBytes(bytes, { dtype: 'saved' });
  assert.equal(same.weight.dtype, 'float16');
  assert.deepEqual(Array.from(same.weight.data()._raw), Array.from(net.weight.data()._raw));
});
