import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/index.js';
import { CosineScheduler, FactorScheduler, MultiFactorScheduler, PolyScheduler } from '../../src/optim/lr-scheduler.js';

function close(actual: number, expected: number, msg = ''): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${msg}: got ${actual}, expected ${expected}`);
}

test('FactorScheduler decays after every `step` updates and stops at stopFactorLr', () => {
  const s = new FactorScheduler({ step: 10, factor: 0.5, baseLr: 1 });
  assert.deepEqual([1, 10, 11, 20, 21, 31].map((n) => s.getLr(n)), [1, 1, 0.5, 0.5, 0.25, 0.125]);
  const floored = new FactorScheduler({ step: 10, factor: 0.5, baseLr: 1, stopFactorLr: 0.3 });
  assert.equal(floored.getLr(21), 0.3);
  // Pure function of the count: asking out of order gives the same answers.
  assert.equal(s.getLr(11), 0.5);
});

test('linear and constant warm-up come before the schedule', () => {
  const s = new FactorScheduler({ step: 10, factor: 0.5, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.2 });
  [0.2, 0.4, 0.6, 0.8, 1].forEach((lr, n) => close(s.getLr(n), lr, `update ${n}`));
  assert.equal(s.getLr(11), 0.5);
  const c = new FactorScheduler({ step: 10, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.2, warmupMode: 'constant' });
  assert.equal(c.getLr(3), 0.2);
  assert.equal(c.getLr(4), 1);
});

test('MultiFactorScheduler decays once past each milestone', () => {
  const s = new MultiFactorScheduler({ step: [5, 8], factor: 0.1, baseLr: 1 });
  [[5, 1], [6, 0.1], [8, 0.1], [9, 0.01], [100, 0.01]].forEach(([n, lr]) => close(s.getLr(n!), lr!, `update ${n}`));
  assert.throws(() => new MultiFactorScheduler({ step: [5, 5] }), ValueError);
  assert.throws(() => new MultiFactorScheduler({ step: [] }), ValueError);
});

test('CosineScheduler follows half a cosine to finalLr, after warm-up', () => {
  const s = new CosineScheduler({ maxUpdate: 10, baseLr: 1, finalLr: 0.1 });
  close(s.getLr(0), 1);
  close(s.getLr(5), 0.55);
  close(s.getLr(10), 0.1);
  close(s.getLr(20), 0.1);
  const w = new CosineScheduler({ maxUpdate: 10, baseLr: 1, warmupSteps: 2 });
  close(w.getLr(1), 0.5);
  close(w.getLr(2), 1);
  close(w.getLr(6), 0.5);
  assert.throws(() => new CosineScheduler({ maxUpdate: 2, warmupSteps: 2 }), ValueError);
});

test('PolyScheduler decays polynomially', () => {
  const s = new PolyScheduler({ maxUpdate: 10, baseLr: 1 });
  close(s.getLr(5), 0.25);
  close(s.getLr(10), 0);
  close(s.getLr(15), 0);
  close(new PolyScheduler({ maxUpdate: 10, baseLr: 1, pwr: 1 }).getLr(3), 0.7);
});

test('invalid schedule options are rejected', () => {
  assert.throws(() => new FactorScheduler({ step: 0 }), ValueError);
  assert.throws(() => new FactorScheduler({ step: 10, factor: 2 }), ValueError);
  assert.throws(() => new FactorScheduler({ step: 10, baseLr: 0.1, warmupSteps: 5, warmupBeginLr: 0.5 }), ValueError);
  assert.throws(() => new FactorScheduler({ step: 10, warmupSteps: 1.5 }), ValueError);
});
