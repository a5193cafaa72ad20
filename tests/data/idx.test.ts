import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { nd, FormatError, ValueError } from '../../src/index.js';
import { decodeIdx, encodeIdx, isGzip, parseIdxHeader, readIdx, readIdxSync, writeIdx, writeIdxSync } from '../../src/io/idx.js';
import { tempDir } from './fixtures.js';

/** IDX bytes from a magic dtype code, dims and raw payload bytes. */
function idx(code: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, code, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...payload]);
}

test('decodes unsigned bytes with the MNIST label magic 0x00000801', () => {
  const x = decodeIdx(idx(0x08, [3], [7, 0, 255]));
  assert.equal(x.dtype, 'uint8');
  assert.deepEqual(x.shape, [3]);
  assert.deepEqual(Array.from(x.storage), [7, 0, 255]);
  assert.equal(parseIdxHeader(idx(0x08, [3], [7, 0, 255])).magic, 0x801);
});

test('decodes a 3-d image file (magic 0x00000803) in row-major order', () => {
  const x = decodeIdx(idx(0x08, [2, 1, 2], [1, 2, 3, 4]));
  assert.deepEqual(x.shape, [2, 1, 2]);
  assert.deepEqual(x.toArray(), [[[1, 2]], [[3, 4]]]);
});

test('decodes big-endian signed bytes, shorts, ints, floats and doubles', () => {
  assert.deepEqual(Array.from(decodeIdx(idx(0x09, [2], [0xff, 0x05])).storage), [-1, 5]);
  assert.deepEqual(Array.from(decodeIdx(idx(0x0b, [2], [0x01, 0x00, 0xff, 0xfe])).storage), [256, -2]);
  const ints = decodeIdx(idx(0x0c, [2], [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.storage), [1, -1]);
  const floats = decodeIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0]));
  assert.equal(floats.dtype, 'float32');
  assert.equal(floats.storage[0], 1.5);
  const doubles = decodeIdx(idx(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0]));
  assert.equal(doubles.dtype, 'float64');
  assert.equal(doubles.storage[0], -2.5);
});

test('encodes the exact IDX bytes', () => {
  const x = nd.array(Uint8Array.from([9, 8, 7, 6, 5, 4]), { shape: [2, 3] });
  assert.deepEqual(Array.from(encodeIdx(x)), [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 9, 8, 7, 6, 5, 4]);
  const y = nd.array([1, -1], { dtype: 'int32' });
  assert.deepEqual(Array.from(encodeIdx(y)), [0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 0, 1, 255, 255, 255, 255]);
});

test('round-trips every dtype through files, gzipped or not, sync and async', async () => {
  const dir = tempDir();
  const arrays = [
    nd.array(Uint8Array.from({ length: 24 }, (_, i) => i * 10), { shape: [2, 3, 4] }),
    nd.array([[1, -2, 3], [2147483647, -2147483648, 0]], { dtype: 'int32' }),
    nd.array([0.5, -1.25, 3e-8], { dtype: 'float32' }),
    nd.array([Math.PI, -1e300], { dtype: 'float64' }),
  ];
  for (const [k, x] of arrays.entries()) {
    for (const name of [`a${k}-idx`, `a${k}-idx.gz`]) {
      const path = join(dir, name);
      writeIdxSync(path, x);
      const sync = readIdxSync(path);
      assert.equal(sync.dtype, x.dtype);
      assert.deepEqual(sync.shape, x.shape);
      assert.deepEqual(Array.from(sync.storage), Array.from(x.storage));
      await writeIdx(path + '2', x, { gzip: name.endsWith('.gz') });
      const asyncRead = await readIdx(path + '2');
      assert.deepEqual(Array.from(asyncRead.storage), Array.from(x.storage));
    }
  }
  assert.ok(isGzip(encodeIdx(arrays[0]!, { gzip: true })));
  assert.ok(!isGzip(encodeIdx(arrays[0]!)));
});

test('gzip is detected by content, not by the file name', () => {
  const dir = tempDir();
  const path = join(dir, 'labels-without-gz-suffix');
  writeFileSync(path, gzipSync(idx(0x08, [2], [3, 4])));
  assert.deepEqual(Array.from(readIdxSync(path).storage), [3, 4]);
});

test('malformed files raise a FormatError naming the file and the problem', () => {
  const bad: [Uint8Array, RegExp][] = [
    [Uint8Array.from([0, 0]), /too short/],
    [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /two zero bytes, got 01 00 08 01/],
    [idx(0x0a, [1], [0]), /unknown IDX dtype code 0x0a/],
    [Uint8Array.from([0, 0, 8, 0]), /declares 0 dimensions/],
    [Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]), /truncated header: 3 dimensions need 16 header bytes, the file has 10/],
    [idx(0x08, [2, 3], [1, 2, 3, 4, 5]), /truncated: the header declares shape \(2, 3\).*needs 6 data bytes, but the file has 5/],
    [idx(0x08, [2], [1, 2, 3]), /trailing bytes.*needs 2 data bytes, but the file has 3/],
    [idx(0x0c, [1], [0, 0, 1]), /needs 4 data bytes, but the file has 3/],
    [idx(0x08, [65536, 65536, 2], []), /more than the 4 GiB/],
  ];
  for (const [bytes, pattern] of bad) {
    assert.throws(() => decodeIdx(bytes, 'my-file.idx'), (e: unknown) => e instanceof FormatError && /^my-file\.idx: /.test(e.message) && pattern.test(e.message), `expected ${pattern}`);
  }
});

test('a truncated gzip file and a missing file are clear FormatErrors', async () => {
  const dir = tempDir();
  const gz = gzipSync(idx(0x08, [100], new Array(100).fill(1)));
  const path = join(dir, 'cut.gz');
  writeFileSync(path, gz.subarray(0, gz.length - 10));
  assert.throws(() => readIdxSync(path), (e: unknown) => e instanceof FormatError && e.message.includes(path) && /cannot be decompressed/.test(e.message));
  await assert.rejects(readIdx(path), /cannot be decompressed/);
  assert.throws(() => readIdxSync(join(dir, 'nope')), (e: unknown) => e instanceof FormatError && /nope: no such file/.test(e.message));
  await assert.rejects(readIdx(join(dir, 'nope')), FormatError);
  assert.throws(() => readIdxSync(dir), /is a directory/);
});

test('encodeIdx rejects 0-d arrays', () => {
  assert.throws(() => encodeIdx(nd.array(3)), ValueError);
});
