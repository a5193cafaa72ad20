/**
 * Eager backward lets go of each recorded array as soon as its gradient rule has run (backward.ts
 * `release`), so a garbage collection during backward frees the step's activations instead of
 * promoting them; a graph kept with retainGraph stays whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { autograd, nd } from '../../src/index.js';
import type { NDArray } from '../../src/ndarray/ndarray.js';
import { onGradReady } from '../../src/autograd/hooks.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A new macrotask: WeakRef targets created in the previous one are no longer kept alive by it. */
const nextTask = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * loss = sum(exp(tanh(x) * w)); the gradient-ready hook of `w` runs in backward right after the
 * multiplication's rule, when sum's and exp's rules have run and tanh's has not.
 */
function graph(): { x: NDArray; w: NDArray; loss: NDArray; e: WeakRef<NDArray>; t: WeakRef<NDArray> } {
  nd.random.seed(3);
  const x = nd.random.normal({ shape: [64, 64] });
  const w = nd.random.normal({ shape: [64, 64], scale: 0.1 });
  x.attachGrad();
  w.attachGrad();
  let e: WeakRef<NDArray> | null = null;
  let t: WeakRef<NDArray> | null = null;
  const loss = autograd.record(() => {
    const th = x.tanh();
    const ex = th.mul(w).exp();
    e = new WeakRef(ex);
    t = new WeakRef(th);
    return ex.sum();
  });
  return { x, w, loss, e: e!, t: t! };
}

function expected(x: NDArray, w: NDArray): { gx: number[]; gw: number[] } {
  const xs = x.storage;
  const ws = w.storage;
  const gx: number[] = [];
  const gw: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const th = Math.tanh(xs[i]!);
    const ex = Math.exp(th * ws[i]!);
    gw.push(ex * th);
    gx.push(ex * ws[i]! * (1 - th * th));
  }
  return { gx, gw };
}

function close(got: ArrayLike<number>, want: readonly number[]): void {
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `element ${i}: ${got[i]} vs ${want[i]}`);
}

test('an activation whose gradient rules have all run is collectable while backward goes on', async () => {
  const { x, w, loss, e, t } = graph();
  await nextTask();
  const seen: { e: boolean; t: boolean }[] = [];
  const remove = onGradReady(w, () => {
    gc();
    seen.push({ e: e.deref() === undefined, t: t.deref() === undefined });
  });
  loss.backward();
  remove();
  // exp's output was freed mid-backward; tanh's output is still needed by tanh's rule.
  assert.deepEqual(seen, [{ e: true, t: false }]);
  const { gx, gw } = expected(x, w);
  close(x.grad!.storage, gx);
  close(w.grad!.storage, gw);
  assert.throws(() => loss.backward(), /already freed/);
});

test('with retainGraph backward keeps every array and runs again with the same gradients', async () => {
  const { x, w, loss, e } = graph();
  await nextTask();
  const seen: boolean[] = [];
  const remove = onGradReady(w, () => {
    gc();
    seen.push(e.deref() !== undefined);
  });
  loss.backward(null, { retainGraph: true });
  remove();
  assert.deepEqual(seen, [true]);
  const first: number[][] = [Array.from(x.grad!.storage), Array.from(w.grad!.storage)];
  loss.backward();
  assert.deepEqual([Array.from(x.grad!.storage), Array.from(w.grad!.storage)], first);
  const { gx, gw } = expected(x, w);
  close(first[0]!, gx);
  close(first[1]!, gw);
});
