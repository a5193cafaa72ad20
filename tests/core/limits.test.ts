/**
 * The allocation limit (core/limits.ts): every allocation sized by the caller's input is checked
 * before it happens and refused with an AllocationError naming the function the user called, the
 * requested size and the limit; the limit is configurable at run time and through
 * TSGLUON_MAX_ALLOCATION. Zero-element arrays cost O(1) whatever their other dimensions: each of
 * those cases walked 2^31 to 2^40 positions (or built that many JavaScript objects) before, so a
 * regression hangs the test until its timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { AllocationError, DEFAULT_MAX_ALLOCATION, TsGluonError, ValueError, autograd, backend, getMaxAllocation, gluon, nd, setMaxAllocation } from '../../src/index.js';

/** Runs `fn` with the limit set to `bytes`, restoring the previous limit afterwards. */
function withLimit<T>(bytes: number | string, fn: () => T): T {
  const prev = getMaxAllocation();
  setMaxAllocation(bytes);
  try {
    return fn();
  } finally {
    setMaxAllocation(prev);
  }
}

/** Asserts an AllocationError whose message starts with `op:` and states the size and the limit. */
function refused(fn: () => unknown, op: string, size: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AllocationError, `${op}: expected an AllocationError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${op}: `), `${op}: the message names another function: ${e.message}`);
    assert.match(e.message, size);
    assert.match(e.message, /more than the allocation limit of 67108864 bytes \(64 MiB\); raise it with setMaxAllocation/);
    return true;
  });
}

test('the default limit is 4 GiB, and setMaxAllocation takes bytes, sizes and Infinity', () => {
  assert.equal(DEFAULT_MAX_ALLOCATION, 4 * 2 ** 30);
  assert.equal(getMaxAllocation(), DEFAULT_MAX_ALLOCATION);
  withLimit('512M', () => assert.equal(getMaxAllocation(), 512 * 2 ** 20));
  withLimit('1.5GiB', () => assert.equal(getMaxAllocation(), 1.5 * 2 ** 30));
  withLimit(1000, () => assert.equal(getMaxAllocation(), 1000));
  withLimit(Infinity, () => assert.equal(getMaxAllocation(), Infinity));
  for (const bad of [0, -1, 1.5, NaN, '12 apples', '', null]) {
    assert.throws(() => setMaxAllocation(bad as number), (e: unknown) => e instanceof ValueError && e.message.startsWith('setMaxAllocation: '), String(bad));
  }
  assert.equal(getMaxAllocation(), DEFAULT_MAX_ALLOCATION, 'a refused value changes nothing');
});

test('huge but valid shapes are refused before allocating, naming the function, the size and the limit', () => {
  withLimit('64M', () => {
    refused(() => nd.zeros([2 ** 33]), 'zeros', /a float32 array of shape \(8589934592,\) needs 34359738368 bytes \(32 GiB\)/);
    refused(() => nd.ones([2 ** 20, 2 ** 20], { dtype: 'uint8' }), 'ones', /a uint8 array of shape \(1048576, 1048576\) needs 1099511627776 bytes \(1 TiB\)/);
    refused(() => nd.arange(0, 1e12), 'arange', /needs 4000000000000 bytes/);
    refused(() => nd.oneHot(nd.array([1, 2]), 2 ** 40), 'oneHot', /shape \(2, 1099511627776\)/);
    refused(() => nd.random.uniform({ shape: [2 ** 31] }), 'random.uniform', /needs 8589934592 bytes/);
    refused(() => nd.eye(2 ** 20), 'eye', /shape \(1048576, 1048576\)/);
    refused(() => nd.broadcastTo(nd.ones([1]), [2 ** 40]), 'broadcastTo', /1099511627776/);
    // Index tables: the edge/reflect pads and repeat built JavaScript arrays of the padded length.
    refused(() => nd.pad(nd.ones([2]), [[3e8, 3e8]], { mode: 'edge' }), 'pad', /an int32 array of shape \(600000002,\)/);
    refused(() => nd.pad(nd.ones([2]), [[3e8, 0]], { mode: 'reflect' }), 'pad', /needs 1200000008 bytes/);
    refused(() => nd.repeat(nd.array([1, 2]), [3e8, 0]), 'repeat', /an int32 array of shape \(300000000,\)/);
    // One NDArray object per part, counted on V8's heap.
    refused(() => nd.split(nd.zeros([0]), 1e8), 'split', /a list of 100000000 parts/);
    // A sampler's batch buffer is never larger than the epoch, whatever batchSize says.
    refused(() => [...new gluon.data.RandomSampler(2 ** 31 - 1)], 'RandomSampler', /permutation of 2147483647 indices/);
  });
  assert.throws(() => nd.arange(0, Infinity), (e: unknown) => e instanceof ValueError && /^arange: stop must be a finite number, got Infinity/.test(e.message));
  assert.throws(() => nd.arange(0, NaN), (e: unknown) => e instanceof ValueError && /^arange: stop must be a finite number, got NaN/.test(e.message));
});

test('a permutation is refused by the limit, not by V8 (untyped) or by exhausting the heap', () => {
  withLimit('16M', () => {
    const x = nd.zeros([5e6], { dtype: 'uint8' });
    assert.throws(() => nd.random.shuffle(x), (e: unknown) => e instanceof AllocationError && /^random\.shuffle: a permutation of 5000000 rows needs 20000000 bytes/.test(e.message));
  });
});

test('a DataLoader with batchSize 2^53 yields one batch of the whole epoch, allocating only that', () => {
  const ds = new gluon.data.ArrayDataset(nd.arange(10), nd.arange(10));
  const batches = [...new gluon.data.DataLoader(ds, { batchSize: 2 ** 53 })];
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]![0].toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => new gluon.data.DataLoader(ds, { batchSize: 0.5 }), (e: unknown) => e instanceof ValueError && e.message.startsWith('DataLoader: BatchSampler: batchSize'));
});

test('zero-element arrays cost O(1) whatever their other dimensions, on every backend', { timeout: 60_000 }, () => {
  for (const name of backend.listBackends()) {
    backend.withBackend(name, () => {
      const wide = nd.zeros([2 ** 40, 0]);
      assert.equal(nd.sum(wide).item(), 0, name);
      assert.deepEqual(nd.sum(wide, 0).shape, [0]);
      assert.deepEqual(nd.norm(wide, 0).shape, [0]);
      assert.deepEqual(nd.max(wide, 0).shape, [0]);
      assert.deepEqual(nd.softmax(wide).shape, [2 ** 40, 0]);
      assert.deepEqual(nd.logSoftmax(nd.zeros([2 ** 31, 0], { dtype: 'uint8' })).shape, [2 ** 31, 0]);
      assert.deepEqual(nd.take(nd.zeros([2 ** 40, 2, 0]), nd.array([0]), { axis: 1 }).shape, [2 ** 40, 1, 0]);
      assert.deepEqual(nd.eye(2 ** 40, 0).shape, [2 ** 40, 0]);
      assert.deepEqual(nd.random.shuffle(nd.zeros([2 ** 31, 0])).shape, [2 ** 31, 0]);
      assert.equal(nd.zeros([2 ** 31, 0]).toString(), '[[]\n []\n []\n ...\n []\n []\n []]\n<NDArray 2147483648x0 @cpu>');
      // A convolution of a zero-element batch of 2^40 samples, forward and backward.
      const x = nd.zeros([2 ** 40, 0, 3]);
      const w = nd.zeros([0, 0, 1]);
      x.attachGrad();
      w.attachGrad();
      const y = autograd.record(() => nd.convolution(x, w, null));
      assert.deepEqual(y.shape, [2 ** 40, 0, 3]);
      y.backward();
      assert.deepEqual(x.grad!.shape, [2 ** 40, 0, 3]);
      assert.deepEqual(w.grad!.shape, [0, 0, 1]);
    });
  }
  // JavaScript nested lists of (2^31, 0) would be 2^31 empty arrays.
  assert.throws(() => nd.zeros([2 ** 31, 0]).toArray(), (e: unknown) => e instanceof AllocationError && e.message.startsWith('toArray: nested lists of shape (2147483648, 0)'));
});

test('TSGLUON_MAX_ALLOCATION sets the limit at start-up; a malformed value keeps the default with a notice', () => {
  const index = resolve(import.meta.dirname, '..', '..', 'src', 'index.ts');
  const run = (value: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', `import { getMaxAllocation, nd } from ${JSON.stringify(index)};
      let refused = '';
      try { nd.zeros([300000]); } catch (e) { refused = e.constructor.name + ' ' + e.message; }
      console.log(JSON.stringify({ limit: getMaxAllocation(), refused }));`], {
      env: { ...process.env, TSGLUON_BACKEND: 'ref', TSGLUON_MAX_ALLOCATION: value },
      encoding: 'utf8',
    });
  const one = run('1M');
  assert.equal(one.status, 0, one.stderr);
  const out = JSON.parse(one.stdout) as { limit: number; refused: string };
  assert.equal(out.limit, 2 ** 20);
  assert.match(out.refused, /^AllocationError zeros: a float32 array of shape \(300000,\) needs 1200000 bytes \(1.14 MiB\), more than the allocation limit of 1048576 bytes \(1 MiB\)/);
  const bad = run('lots');
  assert.equal(JSON.parse(bad.stdout).limit, DEFAULT_MAX_ALLOCATION);
  assert.match(bad.stderr, /TSGLUON_MAX_ALLOCATION=lots is not a size .* keeping the default 4294967296 bytes \(4 GiB\)/);
});

test('every refusal is a typed error even for shapes whose size is not a safe integer', () => {
  withLimit('64M', () => {
    for (const shape of [[2 ** 53, 2 ** 53], [1e308, 10], [2 ** 31, 2 ** 31, 2 ** 31]]) {
      assert.throws(() => nd.zeros(shape), (e: unknown) => e instanceof TsGluonError && e.message.startsWith('zeros: '), JSON.stringify(shape));
    }
  });
});
