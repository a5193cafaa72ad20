import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FormatError, SafetensorsError, ValueError, nd, safetensors } from '../../src/index.js';
import { assertBitwiseEqual, entry, rawFile } from './st-helpers.js';

const { encodeSafetensors, decodeSafetensors, readSafetensorsHeader } = safetensors;

test('encoder output is byte-identical to the reference implementation vectors', () => {
  const x = nd.array([[[0, 1, 2], [3, 4, 5]]]);
  const expected = [
    64, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'),
    0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
  ];
  assert.deepEqual(Array.from(encodeSafetensors({ 'attn.0': x })), expected);
  assert.deepEqual(Array.from(encodeSafetensors({})), [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  const withMeta = encodeSafetensors({}, { framework: 'pt' });
  assert.equal(withMeta[0], 40);
  assert.equal(new TextDecoder().decode(withMeta.subarray(8)), '{"__metadata__":{"framework":"pt"}}     ');
});

test('round trips are bitwise exact for every dtype, with NaN payloads, -0, infinities and subnormals', () => {
  const f32bits = new Uint32Array([0x7fc00000, 0x7fa12345, 0xffc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff]);
  const f64 = new Float64Array(6);
  const f64bits = new BigUint64Array(f64.buffer);
  f64bits.set([0x7ff8000000000001n, 0xfff0000000000000n, 0x8000000000000000n, 0x0000000000000001n, 0x7ff4000000000000n, 0x3ff0000000000000n]);
  const arrays = {
    f32: nd.array(new Float32Array(f32bits.buffer), { shape: [2, 4] }),
    f64: nd.array(f64, { shape: [3, 2] }),
    i32: nd.array(new Int32Array([-2147483648, 2147483647, 0, -1])),
    u8: nd.array(Uint8Array.from({ length: 256 }, (_, i) => i), { shape: [16, 16] }),
    scalar: nd.array(3.5, { dtype: 'float64' }),
    empty: nd.zeros([2, 0, 3], { dtype: 'int32' }),
  };
  // The source bits must survive array construction for this test to mean anything.
  assert.deepEqual(new Uint32Array(arrays.f32.storage.buffer), f32bits);
  const back = nd.loadBytes(nd.saveBytes(arrays));
  assert.deepEqual(Object.keys(back).sort(), Object.keys(arrays).sort());
  for (const [k, v] of Object.entries(arrays)) assertBitwiseEqual(back[k]!, v, k);
});

test('property: random dictionaries of arrays round-trip bit for bit', () => {
  const dtypes = ['float32', 'float64', 'int32', 'uint8'] as const;
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ minLength: 0, maxLength: 8 }).filter((s) => s !== '__metadata__' && !/[\uD800-\uDFFF]/.test(s)),
        fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), seed: fc.integer() }),
        { maxKeys: 6 },
      ),
      (spec) => {
        const arrays: Record<string, nd.NDArray> = {};
        for (const [name, { dtype, shape, seed }] of Object.entries(spec)) {
          const x = nd.NDArray.empty(shape, dtype);
          const bytes = new Uint8Array(x.storage.buffer);
          for (let i = 0; i < bytes.length; i++) bytes[i] = (seed * 31 + i * 97) & 0xff;
          Object.defineProperty(arrays, name, { value: x, enumerable: true });
        }
        const file = nd.saveBytes(arrays);
        const header = readSafetensorsHeader(file);
        for (const e of header.entries) {
          const width = { F64: 8, F32: 4, I32: 4, U8: 1 }[e.dtype]!;
          assert.equal(e.begin % width, 0, `${e.name} is aligned in the file`);
        }
        const back = nd.loadBytes(file);
        assert.equal(Object.keys(back).length, Object.keys(arrays).length);
        for (const [k, v] of Object.entries(arrays)) assertBitwiseEqual(back[k]!, v, k);
      },
    ),
    { numRuns: 60 },
  );
});

test('metadata carries the library version and user strings; lists come back in order', () => {
  const file = nd.saveBytes([nd.array([1, 2]), nd.array([3]), nd.array([[4]])], { metadata: { note: 'hi' } });
  const { metadata, tensors } = decodeSafetensors(file);
  assert.deepEqual(metadata, { note: 'hi', format: 'tsgluon', tsgluon_version: '1', tsgluon_container: 'list' });
  assert.deepEqual(Object.keys(tensors), ['0', '1', '2']);
  assert.deepEqual(Object.values(nd.loadBytes(file)).map((x) => x.toArray()), [[1, 2], [3], [[4]]]);
});

test('names that are awkward in JavaScript are ordinary keys', () => {
  const arrays = Object.defineProperty({ 'a.b': nd.array([1]), '': nd.array([2]), 'ü/日本': nd.array([3]) }, '__proto__', {
    value: nd.array([4]),
    enumerable: true,
  });
  const back = nd.loadBytes(nd.saveBytes(arrays));
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.keys(back).sort(), ['', '__proto__', 'a.b', 'ü/日本']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, '__proto__')!.value.toArray(), [4]);
});

test('the encoder refuses what it cannot write', () => {
  assert.throws(() => nd.saveBytes({ __metadata__: nd.array([1]) }), ValueError);
  assert.throws(() => nd.saveBytes({ x: nd.NDArray.shapeOnly([2], 'float32') }), /shape-only/);
  assert.throws(() => nd.saveBytes({ ['a\uD800']: nd.array([1]) }), /lone UTF-16 surrogate/);
  assert.throws(() => encodeSafetensors([['x', nd.array([1])], ['x', nd.array([2])]]), /appears twice/);
  assert.throws(() => nd.saveBytes(nd.array([1]) as never), /single NDArray/);
});

/** A one-tensor file of dtype `dtype` with the given little-endian data bytes. */
function oneTensor(dtype: string, shape: number[], data: number[]): Uint8Array {
  return rawFile(JSON.stringify({ t: entry(dtype, shape, 0, data.length) }), Uint8Array.from(data));
}

test('other writers\' dtypes load exactly: F16, BF16 (as float16 / bfloat16), BOOL, I8, I16, U16, U32, I64, U64', () => {
  // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), -0, +inf, NaN with payload 0x155.
  const half = decodeSafetensors(oneTensor('F16', [7], [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7c, 0x55, 0x7d])).tensors['t']!;
  assert.equal(half.dtype, 'float16');
  assert.deepEqual(Array.from(half._raw), [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7d55]);
  const f16 = half.astype('float32');
  const v = Array.from(f16.storage);
  assert.deepEqual(v.slice(0, 4), [1, -2, 65504, 2 ** -24]);
  assert.ok(Object.is(v[4], -0));
  assert.equal(v[5], Infinity);
  assert.equal(new Uint32Array(f16.storage.buffer)[6], 0x7f800000 | (0x155 << 13));
  // BF16: 1.0 is 0x3f80, -3.0 is 0xc040.
  assert.deepEqual(decodeSafetensors(oneTensor('BF16', [2], [0x80, 0x3f, 0x40, 0xc0])).tensors['t']!.toArray(), [1, -3]);
  const b = decodeSafetensors(oneTensor('BOOL', [3], [1, 0, 1]));
  assert.equal(b.tensors['t']!.dtype, 'uint8');
  assert.equal(b.fileDTypes['t'], 'BOOL');
  assert.deepEqual(decodeSafetensors(oneTensor('I8', [2], [0xff, 0x7f])).tensors['t']!.toArray(), [-1, 127]);
  assert.deepEqual(decodeSafetensors(oneTensor('I16', [2], [0x00, 0x80, 0x34, 0x12])).tensors['t']!.toArray(), [-32768, 0x1234]);
  assert.deepEqual(decodeSafetensors(oneTensor('U16', [1], [0xff, 0xff])).tensors['t']!.toArray(), [65535]);
  assert.deepEqual(decodeSafetensors(oneTensor('U32', [1], [0xff, 0xff, 0xff, 0x7f])).tensors['t']!.toArray(), [2147483647]);
  const i64 = decodeSafetensors(oneTensor('I64', [3], [5, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff]));
  assert.deepEqual(i64.tensors['t']!.toArray(), [5, -2, -2147483648]);
  assert.equal(i64.tensors['t']!.dtype, 'int32');
  assert.deepEqual(decodeSafetensors(oneTensor('U64', [1], [7, 0, 0, 0, 0, 0, 0, 0])).tensors['t']!.toArray(), [7]);
});

test('integers that do not fit int32 and dtypes tsgluon cannot hold are refused, naming the tensor', () => {
  const big = oneTensor('I64', [2], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  assert.throws(() => decodeSafetensors(big), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError);
    assert.match(e.message, /I64 element 1 is 4294967296/);
    assert.equal(e.tensor, 't');
    assert.equal(e.offset, big.length - 8);
    return true;
  });
  assert.throws(() => decodeSafetensors(oneTensor('U32', [1], [0, 0, 0, 0x80])), /2147483648/);
  assert.throws(() => decodeSafetensors(oneTensor('U64', [1], [0, 0, 0, 0, 0, 0, 0, 0x80])), /9223372036854775808/);
  assert.throws(() => decodeSafetensors(oneTensor('I64', [1], [0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff])), /-2147483649/);
  assert.throws(() => decodeSafetensors(oneTensor('F8_E4M3', [2], [0, 0])), /valid safetensors dtype but tsgluon cannot represent it/);
  assert.throws(() => decodeSafetensors(oneTensor('F4', [3], [0, 0])), /do not fill a whole number of bytes/);
  assert.equal(decodeSafetensors(oneTensor('F32', [1], [0, 0, 0x80, 0x3f])).tensors['t']!.item(), 1);
});

test('tensors may appear in any order in the header; they are returned in data order', () => {
  const header = JSON.stringify({ b: entry('U8', [2], 1, 3), __metadata__: { k: 'v' }, a: entry('U8', [1], 0, 1), z: entry('F32', [0], 3, 3) });
  const { tensors, metadata } = decodeSafetensors(rawFile(header, Uint8Array.from([9, 7, 8])));
  assert.deepEqual(Object.keys(tensors), ['a', 'b', 'z']);
  assert.deepEqual(tensors['b']!.toArray(), [7, 8]);
  assert.deepEqual(metadata, { k: 'v' });
});

test('nd.save and nd.load go through a file atomically; I/O failures are FormatErrors naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgluon-io-'));
  const path = join(dir, 'arrays.safetensors');
  nd.save(path, { x: nd.arange(6).reshape([2, 3]), y: nd.ones([2, 2], { dtype: 'float64' }) });
  nd.save(path, { x: nd.arange(4) }); // overwrite in place
  assert.deepEqual(readdirSync(dir), ['arrays.safetensors'], 'no temporary file is left behind');
  assert.deepEqual(nd.load(path)['x']!.toArray(), [0, 1, 2, 3]);
  assert.throws(() => nd.load(join(dir, 'missing.safetensors')), (e: unknown) => e instanceof FormatError && /missing\.safetensors/.test(e.message));
  assert.throws(() => nd.save(join(dir, 'no/such/dir/f.safetensors'), { x: nd.arange(2) }), FormatError);
  writeFileSync(join(dir, 'bad.safetensors'), Uint8Array.from([1, 2, 3]));
  assert.throws(() => nd.load(join(dir, 'bad.safetensors')), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(`load: ${join(dir, 'bad.safetensors')}: safetensors: `));
});

test('the header parser accepts every valid JSON form of a name: escapes, surrogate pairs, whitespace, null metadata', () => {
  const header = ' \n\t{ "caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\n" : { "shape" : [ ] , "dtype" : "U8" , "data_offsets" : [ 0 , 1 ] } ,\r\n "__metadata__" : null }  ';
  const { tensors, metadata } = decodeSafetensors(rawFile(header, Uint8Array.from([42])));
  assert.deepEqual(Object.keys(tensors), ['café 😀 "q" \\ / \n']);
  assert.equal(tensors['café 😀 "q" \\ / \n']!.item(), 42);
  assert.equal(metadata, null);
  const emoji = nd.loadBytes(nd.saveBytes({ 'ü😀': nd.array([1]) }));
  assert.deepEqual(Object.keys(emoji), ['ü😀']);
});
