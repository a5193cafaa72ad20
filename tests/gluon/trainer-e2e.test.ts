import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, metric, nd } from '../../src/index.js';

/** Three Gaussian blobs in the plane, 100 points each, well separated. */
function blobs(): { x: nd.NDArray; y: nd.NDArray } {
  nd.random.seed(7);
  const centers = [[0, 3], [3, -2], [-3, -2]];
  const n = 100;
  const noise = nd.random.normal({ shape: [3 * n, 2], scale: 0.7 }).storage;
  const x = new Float32Array(3 * n * 2);
  const y = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const r = c * n + i;
      x[2 * r] = centers[c]![0]! + noise[2 * r]!;
      x[2 * r + 1] = centers[c]![1]! + noise[2 * r + 1]!;
      y[r] = c;
    }
  }
  return { x: nd.array(x, { shape: [3 * n, 2] }), y: nd.array(y) };
}

function train(optimizer: string, options: Record<string, number>): { first: number; last: number; acc: number } {
  const { x, y } = blobs();
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(16, { activation: 'relu' }), new gluon.nn.Dense(3));
  net.initialize();
  // Built before any forward: every parameter is still pending here.
  assert.equal(net.collectParams().pendingParams().params.length, 2);
  const trainer = new gluon.Trainer(net.collectParams(), optimizer, options);
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
  const batch = 30;
  const epochLoss: number[] = [];
  for (let epoch = 0; epoch < 30; epoch++) {
    const order = nd.random.shuffle(nd.arange(x.shape[0]!));
    const avg = new metric.Loss();
    for (let start = 0; start < x.shape[0]!; start += batch) {
      const idx = nd.take(order, nd.arange(start, start + batch));
      const xb = nd.take(x, idx);
      const yb = nd.take(y, idx);
      const l = autograd.record(() => lossFn.forward(net.forward(xb), yb));
      l.backward();
      trainer.step(batch);
      avg.update(null, l);
    }
    epochLoss.push(avg.get()[1]);
  }
  const acc = new metric.Accuracy();
  acc.update(y, net.forward(x));
  return { first: epochLoss[0]!, last: epochLoss[epochLoss.length - 1]!, acc: acc.get()[1] };
}

test('an MLP with deferred init learns separable blobs with SGD (300 steps)', () => {
  const r = train('sgd', { learningRate: 0.1, momentum: 0.9 });
  assert.ok(r.last < r.first / 4, `loss fell from ${r.first} to ${r.last}`);
  assert.ok(r.acc >= 0.97, `accuracy ${r.acc}`);
});

test('the same MLP learns with Adam', () => {
  const r = train('adam', { learningRate: 0.01 });
  assert.ok(r.last < r.first / 4, `loss fell from ${r.first} to ${r.last}`);
  assert.ok(r.acc >= 0.97, `accuracy ${r.acc}`);
});
