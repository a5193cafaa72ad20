import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, nd, nn } from '../../src/index.js';

function twoBranchNet(): { a: nn.Dense; b: nn.Dense; params: gluon.ParameterDict } {
  const a = new nn.Dense(2, { inUnits: 3, useBias: false });
  const b = new nn.Dense(2, { inUnits: 3, useBias: false });
  const seq = new nn.Sequential();
  seq.add(a, b);
  seq.initialize({ init: 'ones' });
  return { a, b, params: seq.collectParams() };
}

test('step refuses gradients no backward refreshed, naming the parameter and the way out', () => {
  const { a, params } = twoBranchNet();
  const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 1 });
  const x = nd.ones([1, 3]);
  autograd.record(() => a.forward(x).sum()).backward();
  const before = a.weight.data().toArray();
  assert.throws(() => trainer.step(1), (e: unknown) => {
    assert.ok(e instanceof gluon.StaleGradientError);
    assert.match((e as Error).message, /dense\d+_weight \(1\.weight\).*ignoreStaleGrad/);
    return true;
  });
  assert.deepEqual(a.weight.data().toArray(), before, 'nothing is updated when the step is refused');
});

test('ignoreStaleGrad updates only the refreshed parameters, once per backward', () => {
  const { a, b, params } = twoBranchNet();
  const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.5 });
  const x = nd.ones([1, 3]);
  autograd.record(() => a.forward(x).sum()).backward();
  trainer.step(1, { ignoreStaleGrad: true });
  // d(sum(W x))/dW = 1 everywhere; one step of lr 0.5 from ones gives 0.5.
  assert.deepEqual(a.weight.data().toArray(), [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
  assert.deepEqual(b.weight.data().toArray(), [[1, 1, 1], [1, 1, 1]]);
  // A second step without a new backward would reuse the old gradient: it is refused.
  assert.throws(() => trainer.step(1), gluon.StaleGradientError);
  trainer.step(1, { ignoreStaleGrad: true });
  assert.deepEqual(a.weight.data().toArray(), [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
});
