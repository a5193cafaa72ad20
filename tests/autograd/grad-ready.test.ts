/**
 * Gradient-ready hooks (src/autograd/hooks.ts): backward writes each leaf's gradient as soon as it
 * is final and calls the leaf's hooks then, while earlier layers are still being differentiated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, nd } from '../../src/index.js';
import { onGradReady } from '../../src/autograd/hooks.js';

test('a leaf\'s hook runs once its gradient is final, before the leaves used earlier in the forward', () => {
  const x = nd.array([1, 2, 3]);
  const w1 = nd.array([0.5, -1, 2]);
  const w2 = nd.array([3, 1, -2]);
  w1.attachGrad();
  w2.attachGrad();
  const seen: string[] = [];
  onGradReady(w2, (leaf) => {
    // w2's gradient is x * w1 (final); w1's is not written yet.
    seen.push(`w2 ${Array.from(leaf.grad!.storage)} w1 ${Array.from(w1.grad!.storage)}`);
  });
  onGradReady(w1, () => seen.push(`w1 ${Array.from(w1.grad!.storage)}`));
  autograd.record(() => w2.mul(w1.mul(x)).sum()).backward();
  assert.deepEqual(seen, ['w2 0.5,-2,6 w1 0,0,0', 'w1 3,2,-6']);
});

test('hooks see accumulated gradients with gradReq add, zeros for a leaf no path reaches, and can be removed', () => {
  const w = nd.array([1, 2]);
  w.attachGrad({ gradReq: 'add' });
  const z = nd.array([4, 5]);
  z.attachGrad();
  z.grad!.storage.fill(9);
  const got: number[][] = [];
  const remove = onGradReady(w, (leaf) => got.push(Array.from(leaf.grad!.storage)));
  const zSeen: number[][] = [];
  onGradReady(z, (leaf) => zSeen.push(Array.from(leaf.grad!.storage)));
  for (let i = 0; i < 2; i++) autograd.record(() => w.mul(w).sum().add(z.sign().sum())).backward();
  assert.deepEqual(got, [[2, 4], [4, 8]]);
  // sign has zero derivative: z's gradient is written as zeros ('write'), and its hook runs.
  assert.deepEqual(zSeen, [[0, 0], [0, 0]]);
  remove();
  autograd.record(() => w.mul(w).sum()).backward();
  assert.equal(got.length, 2);
});

test('a gradient buffer the graph reads as a value is written after the rest of backward, then its hook runs', () => {
  const w = nd.array([1, 2]);
  const v = nd.array([3, 4]);
  w.attachGrad();
  v.attachGrad();
  w.grad!.storage.set([10, 20]);
  const order: string[] = [];
  onGradReady(w, () => order.push(`w (v's gradient ${Array.from(v.grad!.storage)})`));
  onGradReady(v, () => order.push('v'));
  // w.grad enters the graph as a constant: writing w's gradient early would change v's.
  autograd.record(() => w.mul(w).sum().add(v.mul(w.grad!).sum())).backward();
  assert.deepEqual(Array.from(v.grad!.storage), [10, 20]);
  assert.deepEqual(Array.from(w.grad!.storage), [2, 4]);
  assert.deepEqual(order, ['v', 'w (v\'s gradient 10,20)']);
});
