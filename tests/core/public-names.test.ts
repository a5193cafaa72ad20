/**
 * Every typed error names the function the user called (core/public.ts). Op functions call each
 * other (norm calls sum, globalAvgPool calls pooling, every op allocates), so an inner failure
 * used to name the inner op, or nothing; each public function now prefixes its own name, and the
 * message reads as a path: `norm: sum: axis 3 is out of range`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationError, TsGluonError, gluon, nd, nn, setMaxAllocation, getMaxAllocation } from '../../src/index.js';
import { publicOp, relabel } from '../../src/core/public.js';
import { ValueError } from '../../src/core/errors.js';

type AnyFn = (...args: unknown[]) => unknown;

/** Calls `fn` and returns the TsGluonError it throws, or null when it returns; other throws fail. */
function typedError(label: string, fn: () => unknown): TsGluonError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof TsGluonError)) assert.fail(`${label}: threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}, not a typed error`);
    return e;
  }
}

test('the errors the issue listed now name the function the user called', () => {
  const x = nd.ones([1, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['norm', () => nd.norm(x, [3, -1]), /^norm: sum: axis 3 is out of range for an array with 2 dimension\(s\)/],
    ['x.norm', () => x.norm({ axis: 5 }), /^norm: sum: axis 5 is out of range/],
    ['globalAvgPool', () => nd.globalAvgPool(nd.ones([4, 4])), /^globalAvgPool: pooling: input of shape \(4, 4\) must be \(N, C, W\)/],
    ['globalMaxPool', () => nd.globalMaxPool(nd.ones([1, 1, 2], { dtype: 'uint8' })), /^globalMaxPool: pooling: needs a float32 or float64 input, got uint8/],
    ['arange', () => nd.arange(0, NaN), /^arange: stop must be a finite number, got NaN/],
    ['mean', () => nd.mean(x, 7), /^mean: axis 7 is out of range/],
    ['broadcastLike', () => nd.broadcastLike(nd.ones([2]), nd.ones([3])), /^broadcastLike: broadcastTo: shapes \(2,\) and \(3,\) cannot be broadcast together/],
    ['sumTo', () => nd.sumTo(x, [5]), /^sumTo: cannot sum shape \(1, 3\) down to \(5,\)/],
    ['DataLoader', () => new gluon.data.DataLoader(new gluon.data.ArrayDataset(nd.ones([4, 2])), { batchSize: -1 }), /^DataLoader: BatchSampler: batchSize must be a positive integer, got -1/],
    ['Dense activation', () => new nn.Dense(4, { activation: 'nope' as 'relu' }), /^Dense: Activation: unknown activation 'nope'/],
  ];
  for (const [label, fn, message] of cases) {
    const e = typedError(label, fn);
    assert.ok(e !== null, `${label} did not throw`);
    assert.match(e.message, message, label);
  }
});

test('the allocation limit, which knows only a size, is named by the function the user called', () => {
  const v = nd.zeros([200_000]);
  const col = nd.zeros([200_000, 1]);
  const idx = nd.zeros([1000]);
  const v64 = nd.zeros([200_000], { dtype: 'float64' });
  const col64 = nd.zeros([200_000, 1], { dtype: 'float64' });
  const prev = getMaxAllocation();
  setMaxAllocation('1M');
  try {
    const calls: [string, () => unknown][] = [
      ['exp', () => nd.exp(v64)],
      ['add', () => nd.add(col, nd.zeros([1, 2]))],
      ['softmax', () => nd.softmax(col64)],
      ['concat', () => nd.concat([v, v])],
      ['tile', () => nd.tile(nd.zeros([2]), [300_000])],
      ['oneHot', () => nd.oneHot(idx, 1000)],
      ['random.normal', () => nd.random.normal({ shape: [400_000] })],
      ['x.astype', () => v.astype('float64')],
    ];
    for (const [label, call] of calls) {
      const name = label.replace(/^x\./, '');
      const e = typedError(label, call);
      assert.ok(e instanceof AllocationError && e.message.startsWith(`${name}: `), `${label}: ${e?.message}`);
    }
  } finally {
    setMaxAllocation(prev);
  }
});

test('across the nd namespace, every typed error a bad call raises starts with the function name', () => {
  const x = nd.arange(6).reshape([2, 3]);
  const bad: unknown[][] = [
    [x, 7, { axis: 9 }],
    [x, [5, 5], { mode: 'nope', axis: -9 }],
    [x, { dtype: 'float16' }],
    [x, x, { transposeA: true }],
    [nd.zeros([2 ** 40, 0]), 2 ** 33],
    [x, 'str'],
    [x, -1, -1, -1],
    [nd.ones([1, 1, 2]), nd.ones([1, 1, 5]), null, { kernel: 9 }],
    [[x, nd.ones([3])], { axis: 4 }],
    [nd.zeros([0]), 1e8],
  ];
  let typed = 0;
  const entries = [
    ...Object.entries(nd).map(([k, v]) => [k, v] as const),
    ...Object.entries(nd.random).map(([k, v]) => [`random.${k}`, v] as const),
  ];
  for (const [name, fn] of entries) {
    if (typeof fn !== 'function' || name === 'NDArray' || name === 'save' || name === 'load' || name === 'random.seed') continue;
    for (const args of bad) {
      const e = typedError(`${name}(${args.length} args)`, () => (fn as AnyFn)(...args));
      if (e === null) continue;
      typed++;
      assert.ok(e.message.startsWith(`${name}: `), `${name}: the message does not start with the function's name: ${e.message}`);
    }
  }
  assert.ok(typed > 500, `only ${typed} typed errors were raised; the table no longer exercises the namespace`);
});

test('publicOp keeps the wrapped function\'s name, length and source, and leaves named messages alone', () => {
  function inner(a: number, b: number): number {
    if (a < 0) throw new ValueError(`inner: a must be >= 0, got ${a}`);
    if (b < 0) throw new ValueError('b must be >= 0');
    if (a === 7) throw new RangeError('not a library error');
    return a + b;
  }
  const outer = publicOp('outer', inner);
  assert.equal(outer.name, 'outer');
  assert.equal(outer.length, 2);
  assert.match(String(outer), /^function inner\(a,\s?b\)/);
  assert.equal(outer(1, 2), 3);
  assert.throws(() => outer(-1, 0), { message: 'outer: inner: a must be >= 0, got -1' });
  assert.throws(() => outer(0, -1), { message: 'outer: b must be >= 0' });
  assert.throws(() => outer(7, 0), { name: 'RangeError', message: 'not a library error' });
  const named = new ValueError('outer: already named');
  assert.equal((relabel(named, 'outer') as Error).message, 'outer: already named');
  assert.equal((relabel(new ValueError('outer.step: a method'), 'outer') as Error).message, 'outer.step: a method');
  assert.equal((relabel(new ValueError("outer (mode 'x'): qualified"), 'outer') as Error).message, "outer (mode 'x'): qualified");
  assert.equal((relabel(new ValueError('outer space: another subject'), 'outer') as Error).message, 'outer: outer space: another subject');
});

test('options that are not a plain object are refused instead of read as "no options"', () => {
  const x = nd.ones([2, 2]);
  for (const [name, call] of [
    ['pad', () => nd.pad(x, 1, 'edge' as unknown as object)],
    ['sum', () => nd.sum(x, 0, [] as unknown as object)],
    ['softmax', () => nd.softmax(x, null as unknown as object)],
    ['zeros', () => nd.zeros([2], x as unknown as object)],
  ] as const) {
    assert.throws(call, (e: unknown) => e instanceof ValueError && e.message.startsWith(`${name}: the options argument must be an object`), name);
  }
});

test('a block names errors from inside its forward; the innermost block wins, so messages stay short', () => {
  const net = new nn.Sequential();
  net.add(new nn.Dense(3, { inUnits: 2 }));
  net.initialize();
  const inner = (net as unknown as { get(i: number): nn.Block }).get(0).name;
  assert.throws(() => net.forward(nd.ones([2, 5])), (e: unknown) => e instanceof TsGluonError && e.message.startsWith(`${inner}: `) && !e.message.includes(`${net.name}:`));
});
