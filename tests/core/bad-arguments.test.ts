/**
 * Bad arguments from JavaScript callers (no type checker) or typos: every `nd` function refuses a
 * non-array where an array belongs, and a non-list where a shape or axis list belongs, with one of
 * the library's typed errors naming the function, never a TypeError from deep inside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, TsGluonError, nd } from '../../src/index.js';

type AnyFn = (...args: unknown[]) => unknown;

/** Functions whose first argument is not an array. */
const NOT_ARRAY_FIRST = new Set(['array', 'zeros', 'ones', 'full', 'arange', 'linspace', 'eye', 'load', 'loadBytes', 'save', 'saveBytes', 'oneHot']);
/** Functions whose first argument is a list of arrays. */
const LIST_FIRST = new Set(['concat', 'stack']);
const fns = Object.entries(nd).filter(([name, f]) => typeof f === 'function' && name !== 'NDArray') as [string, AnyFn][];

test('a non-array first argument is a typed error naming the function (a DTypeError, or a ValueError for a list)', () => {
  const arrayFirst = fns.filter(([name]) => !NOT_ARRAY_FIRST.has(name));
  assert.ok(arrayFirst.length > 60, `expected the op functions, found ${arrayFirst.length}`);
  for (const [name, fn] of arrayFirst) {
    // No numbers: binary ops take a number for either operand. The bad argument alone: a second
    // one would be the options of some functions, which are checked too.
    for (const bad of [undefined, null, 'x', [1, 2], {}]) {
      assert.throws(
        () => fn(bad),
        (e: unknown) => (e instanceof DTypeError || (LIST_FIRST.has(name) && e instanceof TsGluonError)) && e.message.startsWith(`${name}: `),
        `${name}(${JSON.stringify(bad) ?? 'undefined'}) should throw a typed error naming ${name}`,
      );
    }
  }
});

test('a shape or axis that is not a list is a typed error, not a TypeError', () => {
  const x = nd.ones([2, 3]);
  const calls: [string, () => unknown][] = [
    ['zeros', () => nd.zeros(undefined as unknown as number[])],
    ['ones', () => nd.ones('2' as unknown as number[])],
    ['broadcastTo', () => nd.broadcastTo(x, undefined as unknown as number[])],
    ['sum', () => nd.sum(x, 'a' as unknown as number)],
    ['squeeze', () => nd.squeeze(x, 'a' as unknown as number)],
    ['concat', () => nd.concat(x as unknown as nd.NDArray[])],
    ['stack', () => nd.stack([x, 2 as unknown as nd.NDArray])],
    ['loadBytes', () => nd.loadBytes(-1 as unknown as Uint8Array)],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, (e: unknown) => e instanceof TsGluonError && e.message.startsWith(`${name}: `), name);
  }
});

test('arrays given to a failing call are left unchanged', () => {
  const x = nd.array([[1, 2], [3, 4]]);
  assert.throws(() => nd.setSlice(x, [0], [1], nd.ones([3, 3])), TsGluonError);
  assert.throws(() => nd.assign(x, nd.ones([3])), TsGluonError);
  assert.deepEqual(x.toArray(), [[1, 2], [3, 4]]);
});
