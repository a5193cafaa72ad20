/**
 * File access (src/io/file.ts): reads are bounded (stat first, anything but a regular file is
 * refused before a byte is read, and so is a file over the allocation limit), saves are atomic and
 * refuse to replace anything but a regular file, and every error is a FormatError that starts with
 * the function the user called and names the user's path, never the temporary file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AllocationError, FormatError, getMaxAllocation, gluon, idx, nd, nn, setMaxAllocation } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-files-'));

/** Asserts a FormatError starting with `op: ` and matching `what`. */
function formatError(fn: () => unknown, op: string, what: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${op}: `), `the message names another function: ${e.message}`);
    assert.match(e.message, what);
    assert.doesNotMatch(e.message, /\.tmp-/, 'the message names the temporary file');
    return true;
  });
}

test('reading something that is not a regular file is refused before reading: /dev/zero, a FIFO, a directory', { timeout: 30_000 }, () => {
  formatError(() => nd.load('/dev/zero'), 'load', /cannot read \/dev\/zero: it is a character device, not a regular file/);
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  // Reading a FIFO with no writer would block forever.
  formatError(() => nd.load(fifo), 'load', /it is a FIFO \(named pipe\), not a regular file/);
  formatError(() => idx.readIdxSync(fifo), 'readIdxSync', /it is a FIFO/);
  formatError(() => nd.load(dir), 'load', /it is a directory, not a regular file/);
  formatError(() => nd.load(join(dir, 'missing.safetensors')), 'load', /cannot read .*missing\.safetensors: no such file/);
});

test('a path must be a string without NUL bytes; a number is not a file descriptor', () => {
  formatError(() => nd.load(4 as unknown as string), 'load', /the path must be a non-empty string, got 4/);
  formatError(() => nd.save(join(dir, 'a\0b'), { x: nd.ones([1]) }), 'save', /contains a NUL byte/);
  formatError(() => nd.load(''), 'load', /non-empty string/);
});

test('a file over the allocation limit is refused before it is read', () => {
  const big = join(dir, 'big.safetensors');
  writeFileSync(big, new Uint8Array(2 * 2 ** 20));
  const prev = getMaxAllocation();
  setMaxAllocation('1M');
  try {
    assert.throws(() => nd.load(big), (e: unknown) => e instanceof AllocationError && /^load: reading .*big\.safetensors \(2097152 bytes\) needs 2097152 bytes/.test(e.message));
  } finally {
    setMaxAllocation(prev);
  }
});

test('saving refuses to replace a symlink, a FIFO or a directory, and leaves them as they were', () => {
  const target = join(dir, 'real.safetensors');
  nd.save(target, { x: nd.ones([2]) });
  const before = readFileSync(target);
  const link = join(dir, 'link.safetensors');
  symlinkSync(target, link);
  formatError(() => nd.save(link, { x: nd.zeros([3]) }), 'save', /refusing to replace .*link\.safetensors: it is a symbolic link/);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), target);
  assert.deepEqual(readFileSync(target), before, 'the file the symlink points to is unchanged');
  const fifo = join(dir, 'save-pipe');
  execFileSync('mkfifo', [fifo]);
  formatError(() => nd.save(fifo, { x: nd.ones([1]) }), 'save', /refusing to replace .*save-pipe: it is a FIFO/);
  assert.ok(lstatSync(fifo).isFIFO());
  const net = new nn.Dense(2, { inUnits: 2 });
  net.initialize();
  formatError(() => net.saveParameters(dir), 'saveParameters', /refusing to replace .*: it is a directory/);
  formatError(() => idx.writeIdxSync(fifo, nd.ones([2], { dtype: 'uint8' })), 'writeIdxSync', /refusing to replace/);
});

test('saving into a missing directory, or under a regular file, names the user\'s path and leaves no temporary file', () => {
  const inMissing = join(dir, 'no', 'such', 'dir', 'f.safetensors');
  formatError(() => nd.save(inMissing, { x: nd.ones([1]) }), 'save', new RegExp(`cannot write ${inMissing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the directory .*dir does not exist`));
  const file = join(dir, 'plain');
  writeFileSync(file, 'x');
  formatError(() => nd.save(join(file, 'f.safetensors'), { x: nd.ones([1]) }), 'save', /cannot write .*plain\/f\.safetensors: .*plain is a regular file, not a directory/);
  const net = new nn.Dense(1, { inUnits: 1 });
  net.initialize();
  formatError(() => net.saveParameters(join(dir, 'nope', 'w.params')), 'saveParameters', /the directory .*nope does not exist/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('a save replaces a regular file atomically and a load reads back exactly what was saved', () => {
  const path = join(dir, 'roundtrip.safetensors');
  nd.save(path, { x: nd.arange(6).reshape([2, 3]) });
  nd.save(path, [nd.array([1, 2], { dtype: 'int32' }), nd.eye(2)]);
  const back = nd.load(path);
  assert.deepEqual(Object.keys(back), ['0', '1']);
  assert.deepEqual(back['0']!.toArray(), [1, 2]);
  assert.deepEqual(back['1']!.toArray(), [[1, 0], [0, 1]]);
  assert.equal(lstatSync(path).isFile(), true);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('safetensors BOOL bytes load as exactly 0 or 1, as PyTorch reads any non-zero byte', () => {
  const header = JSON.stringify({ b: { dtype: 'BOOL', shape: [4], data_offsets: [0, 4] } });
  const file = new Uint8Array(8 + header.length + 4);
  new DataView(file.buffer).setUint32(0, header.length, true);
  file.set(new TextEncoder().encode(header), 8);
  file.set([0, 5, 255, 1], 8 + header.length);
  const b = nd.loadBytes(file)['b']!;
  assert.equal(b.dtype, 'uint8');
  assert.deepEqual(b.toArray(), [0, 1, 1, 1]);
});

test('a dataset root holding a gzip bomb is refused by its header, not after inflating it', () => {
  const root = join(dir, 'mnist-root');
  execFileSync('mkdir', ['-p', root]);
  // Labels that declare 16 bytes and inflate to 64 MiB; images valid.
  const members = [gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 16])), ...new Array<Uint8Array>(4).fill(gzipSync(new Uint8Array(16 * 2 ** 20)))];
  writeFileSync(join(root, 'train-labels-idx1-ubyte.gz'), Buffer.concat(members));
  idx.writeIdxSync(join(root, 'train-images-idx3-ubyte.gz'), nd.zeros([16, 28, 28], { dtype: 'uint8' }));
  assert.throws(
    () => new gluon.data.vision.MNIST({ root, train: true }),
    (e: unknown) => e instanceof FormatError && /decompresses to more than the 24 bytes its IDX header declares/.test(e.message),
  );
});

test('decompressing a 1 GiB gzip bomb stays within its header\'s size: peak memory stays far below the bomb', () => {
  const bomb = join(dir, 'bomb-idx1-ubyte.gz');
  const zeros = gzipSync(new Uint8Array(16 * 2 ** 20));
  writeFileSync(bomb, Buffer.concat([gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 16])), ...new Array<Uint8Array>(64).fill(zeros)]));
  const index = join(import.meta.dirname, '..', '..', 'src', 'index.ts');
  // A fresh process, so the peak resident size is this decode's alone.
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', `
    import { idx } from ${JSON.stringify(index)};
    const before = process.resourceUsage().maxRSS;
    let message = '';
    try { idx.readIdxSync(${JSON.stringify(bomb)}); } catch (e) { message = e.constructor.name + ': ' + e.message; }
    console.log(JSON.stringify({ before, after: process.resourceUsage().maxRSS, message }));`], { env: { ...process.env, TSGLUON_BACKEND: 'ref' }, encoding: 'utf8' });
  const { before, after, message } = JSON.parse(out) as { before: number; after: number; message: string };
  assert.match(message, /^FormatError: .*bomb-idx1-ubyte\.gz: the gzipped data decompresses to more than the 24 bytes its IDX header declares/);
  // maxRSS is in KiB: the decode may add some megabytes of buffers, never the gigabyte it declares not.
  assert.ok(after - before < 200 * 1024, `peak memory grew by ${((after - before) / 1024).toFixed(0)} MiB`);
});
