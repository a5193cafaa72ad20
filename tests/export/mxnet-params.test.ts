import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ModelFormatError, mxnetParams, nd } from '../../src/index.js';

const dir = 'tests/fixtures/mxnet';
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as {
  formats: Record<string, Record<string, { shape: number[]; flat: number[] }>>;
};
const load = (f: string) => mxnetParams.decodeMXNetParams(readFileSync(`${dir}/${f}`));

test('.params of every array version MXNet reads (V2, V3, V1, legacy, unnamed) decode to the exact values', () => {
  for (const file of ['v1.params', 'legacy.params', 'v3.params', 'unnamed.params']) {
    const { names, arrays } = load(file);
    const want = expected.formats['named']!;
    if (file === 'unnamed.params') assert.deepEqual(names, ['', '']);
    else assert.deepEqual(names.slice(0, 2), ['w', 'b'], file);
    assert.deepEqual(arrays[0]!.shape, want['w']!.shape, file);
    assert.deepEqual([...arrays[0]!.storage], want['w']!.flat, file);
    assert.deepEqual([...arrays[1]!.storage], want['b']!.flat, file);
    if (file === 'v3.params') {
      assert.deepEqual(arrays[2]!.shape, [], 'V3 ndim 0 is a scalar');
      assert.equal(arrays[2]!.item(), 7.25);
    }
  }
});

test('.params dtypes MXNet writes load exactly (float16 and float64 kept, int8 / int64 -> int32)', () => {
  const { names, arrays, fileDTypes } = load('dtypes-v2.params');
  assert.deepEqual(fileDTypes, ['F16', 'F64', 'I8', 'I64', 'U8']);
  const want = expected.formats['dtypes-v2']!;
  names.forEach((n, i) => {
    assert.deepEqual(arrays[i]!.shape, want[n]!.shape, n);
    assert.deepEqual([...arrays[i]!.astype('float64').storage], want[n]!.flat, n);
  });
  assert.deepEqual(arrays.map((a) => a.dtype), ['float16', 'float64', 'int32', 'int32', 'uint8']);
});

test('encodeMXNetParams writes what the fixture script writes for MXNet (byte for byte) and round-trips every dtype', () => {
  const { names, arrays } = load('mlp-0000.params');
  const bytes = mxnetParams.encodeMXNetParams(names.map((n, i) => [n, arrays[i]!] as const));
  assert.deepEqual(Buffer.from(bytes), readFileSync(`${dir}/mlp-0000.params`));
  const all = [
    ['a', nd.array([[1.5, -2], [3, 4]])],
    ['b', nd.array([1e300, -0], { dtype: 'float64' })],
    ['c', nd.array([-5, 2147483647], { dtype: 'int32' })],
    ['d', nd.array([0, 255], { dtype: 'uint8' })],
    ['e', nd.zeros([0, 3])],
    ['f', nd.array([0.1, -65504, 1e-7], { dtype: 'float16' })],
    ['g', nd.array([3.5, -1e38], { dtype: 'bfloat16' })],
  ] as const;
  const back = mxnetParams.decodeMXNetParams(mxnetParams.encodeMXNetParams(all));
  assert.deepEqual(back.names, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  back.arrays.forEach((arr, i) => {
    assert.equal(arr.dtype, all[i]![1].dtype);
    assert.deepEqual(arr.shape, all[i]![1].shape);
    assert.deepEqual([...arr._raw], [...all[i]![1]._raw]);
  });
  assert.ok(Object.is(back.arrays[1]!.storage[1], -0));
});

test('encodeMXNetParams refuses what MXNet 1.x cannot hold, naming it', () => {
  assert.throws(() => mxnetParams.encodeMXNetParams([['s', nd.array(1)]]), /"s" is a scalar/);
  assert.throws(() => mxnetParams.encodeMXNetParams([['x', nd.ones([1])], ['x', nd.ones([1])]]), /"x" appears twice/);
});

test('a sparse array, a truncated file and a lying count are ModelFormatErrors with offsets', () => {
  const good = readFileSync(`${dir}/mlp-0000.params`);
  const sparse = Uint8Array.from(good);
  new DataView(sparse.buffer).setInt32(24 + 4, 1, true);
  assert.throws(() => mxnetParams.decodeMXNetParams(sparse), (e: unknown) => e instanceof ModelFormatError && /storage type 1 \(row_sparse\)/.test(e.message) && e.offset === 28);
  assert.throws(() => mxnetParams.decodeMXNetParams(good.subarray(0, 100)), (e: unknown) => e instanceof ModelFormatError && /truncated/.test(e.message));
  const many = Uint8Array.from(good);
  new DataView(many.buffer).setBigUint64(16, 2n ** 40n, true);
  assert.throws(() => mxnetParams.decodeMXNetParams(many), /declares 1099511627776 arrays, more than its/);
});
