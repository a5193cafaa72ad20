import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, ShapeError, ValueError } from '../../src/index.js';
import * as metric from '../../src/gluon/metric.js';

function close(actual: number, expected: number, msg = ''): void {
  assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${msg}: got ${actual}, expected ${expected}`);
}

test('Accuracy: argmax over axis 1, accumulated over updates, NaN before any', () => {
  const acc = new metric.Accuracy();
  assert.ok(Number.isNaN(acc.get()[1]));
  acc.update(nd.array([1, 0, 2]), nd.array([[0.1, 0.8, 0.1], [0.3, 0.5, 0.2], [0, 0, 1]]));
  assert.deepEqual(acc.get(), ['accuracy', 2 / 3]);
  // Class indices shaped like the labels are compared directly; int32 labels work.
  acc.update([nd.array([1, 1], { dtype: 'int32' })], [nd.array([1, 0])]);
  assert.deepEqual(acc.get(), ['accuracy', 3 / 5]);
  assert.equal(acc.numInst, 5);
  acc.reset();
  assert.ok(Number.isNaN(acc.get()[1]));
  // Another class axis.
  const acc0 = new metric.Accuracy({ axis: 0 });
  acc0.update(nd.array([0, 1]), nd.array([[0.9, 0.2], [0.1, 0.8]]));
  assert.equal(acc0.get()[1], 1);
  assert.throws(() => acc.update(nd.array([1, 0, 2]), nd.zeros([2, 3])), ShapeError);
  assert.throws(() => acc.update([nd.array([1])], []), ValueError);
});

test('TopKAccuracy counts labels among the k highest scores', () => {
  const top2 = new metric.TopKAccuracy({ topK: 2 });
  assert.equal(top2.name, 'top_k_accuracy_2');
  const scores = nd.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.3, 0.5]]);
  top2.update(nd.array([2, 2, 0]), scores);
  assert.equal(top2.get()[1], 1 / 3);
  const top1 = new metric.TopKAccuracy();
  top1.update(nd.array([1, 0, 0]), scores);
  assert.equal(top1.get()[1], 2 / 3);
  assert.throws(() => new metric.TopKAccuracy({ topK: 0 }), ValueError);
});

test('MAE, MSE and RMSE average over every element seen', () => {
  const mae = new metric.MAE();
  const mse = new metric.MSE();
  const rmse = new metric.RMSE();
  for (const m of [mae, mse, rmse]) {
    m.update(nd.array([1, 2, 3]), nd.array([[1.5], [2], [1]]));
    m.update(nd.array([0]), nd.array([1]));
  }
  close(mae.get()[1], (0.5 + 0 + 2 + 1) / 4, 'mae');
  close(mse.get()[1], (0.25 + 0 + 4 + 1) / 4, 'mse');
  close(rmse.get()[1], Math.sqrt(5.25 / 4), 'rmse');
  assert.deepEqual([mae.name, mse.name, rmse.name], ['mae', 'mse', 'rmse']);
  assert.throws(() => mae.update(nd.array([1, 2]), nd.array([1])), ShapeError);
});

test('CrossEntropy is the mean negative log-probability of the label', () => {
  const ce = new metric.CrossEntropy();
  ce.update(nd.array([0, 1]), nd.array([[0.5, 0.5], [0.75, 0.25]]));
  close(ce.get()[1], (Math.log(2) + Math.log(4)) / 2);
  assert.equal(ce.get()[0], 'cross-entropy');
  assert.throws(() => ce.update(nd.array([2]), nd.array([[0.5, 0.5]])), ValueError);
});

test('Loss averages loss arrays element-wise', () => {
  const l = new metric.Loss();
  l.update(null, nd.array([1, 2, 3]));
  l.update(null, [nd.array([6])]);
  assert.deepEqual(l.get(), ['loss', 3]);
});

test('CompositeEvalMetric updates every metric and lists their names and values', () => {
  const c = new metric.CompositeEvalMetric(['acc', new metric.MSE()]);
  c.update(nd.array([1, 0]), nd.array([1, 1]));
  assert.deepEqual(c.get(), [['accuracy', 'mse'], [0.5, 0.5]]);
  c.add(new metric.MAE());
  assert.equal(c.getMetric(2).name, 'mae');
  c.reset();
  assert.ok(Number.isNaN(c.get()[1][0]!));
  assert.throws(() => c.getMetric(5), ValueError);
  assert.throws(() => metric.create('f2'), ValueError);
  assert.ok(metric.create('ce') instanceof metric.CrossEntropy);
});
