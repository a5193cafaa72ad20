/**
 * MXNet 1.x test_loss.py. The value checks translate directly. MXNet's training checks build a
 * symbolic three-layer net and fit it with Module for 200 epochs; here the same net is a Gluon
 * Sequential fitted with a Trainer on the same data, batch size, optimizer and epochs (mx.ts
 * `fit`), and the final mean loss must pass MXNet's own threshold. Seeds are fixed.
 *
 * Translated from Apache MXNet 1.x, tests/python/unittest/test_loss.py, Copyright the Apache
 * Software Foundation, licensed under the Apache License, Version 2.0.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, nn } from '../../src/index.js';
import { assertAlmostEqual, fit, getNet } from './mx.js';

const L = gluon.loss;
beforeEach(() => {
  gluon.resetNameCounters();
  nd.random.seed(1234);
});

test('test_loss_ndarray', () => {
  let output = nd.array([1, 2, 3, 4]);
  let label = nd.array([1, 3, 5, 7]);
  let weighting = nd.array([0.5, 1, 0.5, 1]);
  assert.equal(new L.L1Loss().forward(output, label).sum().item(), 6);
  assert.equal(new L.L1Loss({ weight: 0.5 }).forward(output, label).sum().item(), 3);
  assert.equal(new L.L1Loss().forward(output, label, weighting).sum().item(), 5);
  assert.equal(new L.L2Loss().forward(output, label).sum().item(), 7);
  assert.equal(new L.L2Loss({ weight: 0.25 }).forward(output, label).sum().item(), 1.75);
  assert.equal(new L.L2Loss().forward(output, label, weighting).sum().item(), 6);
  output = nd.array([[0, 2], [1, 4]]);
  label = nd.array([0, 1]);
  weighting = nd.array([[0.5], [1.0]]);
  const loss = new L.SoftmaxCrossEntropyLoss();
  assertAlmostEqual(loss.forward(output, label), [2.12692809, 0.04858733], { rtol: 1e-3, atol: 1e-4 });
  assertAlmostEqual(loss.forward(output, label, weighting), [1.06346405, 0.04858733], { rtol: 1e-3, atol: 1e-4 });
});

const adam = { epochs: 200, batchSize: 10, optimizer: 'adam', learningRate: 0.01 };

function xavierNet(numHidden: number, flatten = true): nn.Sequential {
  const net = getNet(numHidden, flatten);
  net.initialize({ init: new init.Xavier({ magnitude: 2 }) });
  return net;
}

test('test_ce_loss', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const label = nd.random.randint({ high: 10, shape: [20] });
  const loss = new L.SoftmaxCrossEntropyLoss();
  assert.ok(fit(xavierNet(10), (out, [y]) => loss.forward(out, y!), [data, label], adam) < 0.05);
});

test('test_bce_loss', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 20] });
  const label = nd.random.randint({ high: 2, shape: [20], dtype: 'float32' });
  const loss = new L.SigmoidBinaryCrossEntropyLoss();
  assert.ok(fit(xavierNet(1), (out, [y]) => loss.forward(out, y!), [data, label], adam) < 0.01);
  const x = nd.random.uniform({ low: -5, high: 5, shape: [10] });
  const t = nd.random.uniform({ shape: [10] });
  const p = (x.toArray() as number[]).map((v) => 1 / (1 + Math.exp(-v)));
  const want = (t.toArray() as number[]).map((l, i) => -l * Math.log(p[i]!) - (1 - l) * Math.log(1 - p[i]!));
  assertAlmostEqual(loss.forward(x, t), want, { rtol: 1e-4, atol: 1e-5 });
});

test('test_bce_equal_ce2', () => {
  const loss1 = new L.SigmoidBCELoss({ fromSigmoid: true });
  const loss2 = new L.SoftmaxCELoss({ fromLogits: true });
  const out1 = nd.random.uniform({ low: 0.1, high: 0.9, shape: [100, 1] });
  const out2 = nd.log(nd.concat([nd.sub(1, out1), out1], { axis: 1 }).add(1e-8));
  const label = nd.round(nd.random.uniform({ shape: [100, 1] }));
  assertAlmostEqual(loss1.forward(out1, label), loss2.forward(out2, label));
});

test('test_logistic_loss_equal_bce', () => {
  const lossBinary = new L.LogisticLoss({ labelFormat: 'binary' });
  const lossSigned = new L.LogisticLoss({ labelFormat: 'signed' });
  const lossBce = new L.SigmoidBCELoss({ fromSigmoid: false });
  const data = nd.random.uniform({ low: -10, high: 10, shape: [100, 1] });
  const label = nd.round(nd.random.uniform({ shape: [100, 1] }));
  assertAlmostEqual(lossBinary.forward(data, label), lossBce.forward(data, label), { atol: 1e-6 });
  assertAlmostEqual(lossSigned.forward(data, label.mul(2).sub(1)), lossBce.forward(data, label), { atol: 1e-6 });
});

test('test_kl_loss', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const label = nd.softmax(nd.random.uniform({ shape: [20, 2] }));
  const net = getNet(2);
  net.initialize();
  const loss = new L.KLDivLoss();
  assert.ok(fit(net, (out, [y]) => loss.forward(nd.logSoftmax(out), y!), [data, label], adam) < 0.05);
});

for (const [name, Loss, threshold] of [['test_l2_loss', L.L2Loss, 0.05], ['test_l1_loss', L.L1Loss, 0.1], ['test_huber_loss', L.HuberLoss, 0.05]] as const) {
  test(name, () => {
    const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
    const label = nd.random.uniform({ low: -1, high: 1, shape: [20, 1] });
    const loss = new Loss();
    assert.ok(fit(xavierNet(1), (out, [y]) => loss.forward(out, y!), [data, label], adam) < threshold);
  });
}

for (const [name, Loss, threshold] of [['test_hinge_loss', L.HingeLoss, 0.06], ['test_squared_hinge_loss', L.SquaredHingeLoss, 0.05]] as const) {
  test(name, () => {
    const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
    const label = nd.sign(nd.random.uniform({ low: -1, high: 1, shape: [20, 1] }));
    const loss = new Loss();
    assert.ok(fit(xavierNet(1), (out, [y]) => loss.forward(out, y!), [data, label], adam) < threshold);
  });
}

test('test_ctc_loss', () => {
  const want = [18.82820702, 16.50581741];
  assertAlmostEqual(new L.CTCLoss().forward(nd.ones([2, 20, 4]), nd.array([[1, 0, -1, -1], [2, 1, 1, -1]])), want);
  assertAlmostEqual(new L.CTCLoss({ layout: 'TNC' }).forward(nd.ones([20, 2, 4]), nd.array([[1, 0, -1, -1], [2, 1, 1, -1]])), want);
  assertAlmostEqual(new L.CTCLoss({ layout: 'TNC', labelLayout: 'TN' }).forward(nd.ones([20, 2, 4]), nd.array([[1, 0, -1, -1], [2, 1, 1, -1]]).transpose()), want);
  // MXNet's fourth and sixth cases use label 3, the blank of a 4-class prediction, inside the label
  // lengths; tsgluon refuses that, so those cases use 0 in its place (the same alignment count).
  assertAlmostEqual(new L.CTCLoss().forward(nd.ones([2, 20, 4]), nd.array([[2, 1, 2, 2], [0, 2, 2, 2]]), null, nd.array([2, 3])), want);
  assertAlmostEqual(new L.CTCLoss().forward(nd.ones([2, 25, 4]), nd.array([[2, 1, -1, -1], [0, 2, 2, -1]]), nd.array([20, 20])), want);
  assertAlmostEqual(new L.CTCLoss().forward(nd.ones([2, 25, 4]), nd.array([[2, 1, 0, 0], [0, 2, 2, 0]]), nd.array([20, 20]), nd.array([2, 3])), want);
});

test('test_ctc_loss_train', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 20, 10] });
  const label = nd.arange(0, 4).repeat(20).reshape([20, 4]);
  const loss = new L.CTCLoss({ layout: 'NTC', labelLayout: 'NT' });
  assert.ok(fit(xavierNet(5, false), (out, [y]) => loss.forward(out, y!), [data, label], adam) < 10);
});

test('test_sample_weight_loss', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const label = nd.random.randint({ high: 10, shape: [20] });
  const weight = nd.array([...new Array(10).fill(1), ...new Array(10).fill(0)]);
  const loss = new L.SoftmaxCrossEntropyLoss();
  const net = getNet(10);
  net.initialize();
  fit(net, (out, [y, w]) => loss.forward(out, y!, w!.reshape([-1, 1])), [data, label, weight], adam);
  const mean = (x: nd.NDArray, y: nd.NDArray) => loss.forward(net.forward(x), y).mean().item();
  // MXNet scores the second half of the data against the first half's labels: weight 0 never trained them.
  assert.ok(mean(data.sliceAxis(0, 10, 20), label.sliceAxis(0, 0, 10)) > 1);
  assert.ok(mean(data.sliceAxis(0, 0, 10), label.sliceAxis(0, 0, 10)) < 0.05);
});

test('test_saveload', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const label = nd.random.randint({ high: 10, shape: [20] });
  const loss = new L.SoftmaxCrossEntropyLoss();
  const net = getNet(10);
  net.initialize();
  const sgd = { epochs: 100, batchSize: 10, optimizer: 'sgd', learningRate: 1 };
  fit(net, (out, [y]) => loss.forward(out, y!), [data, label], sgd);
  const restored = getNet(10);
  restored.loadParametersBytes(net.saveParametersBytes());
  assert.ok(fit(restored, (out, [y]) => loss.forward(out, y!), [data, label], sgd) < 0.05);
});

test('test_triplet_loss', () => {
  const data = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const pos = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const neg = nd.random.uniform({ low: -1, high: 1, shape: [20, 10] });
  const loss = new L.TripletLoss();
  assert.ok(fit(xavierNet(10), (out, [p, n]) => loss.forward(out, p!, n!), [data, pos, neg], adam) < 0.05);
});

test('test_sdml_loss', () => {
  const [N, DIM, EPOCHS] = [5, 10, 20];
  const data = nd.random.uniform({ low: -1, high: 1, shape: [N, DIM] });
  const pos = data.add(nd.random.uniform({ low: -0.1, high: 0.1, shape: [N, DIM] }));
  const sdml = new L.SDMLLoss();
  const model = new nn.Dense(DIM, { activation: 'tanh' });
  model.collectParams().initialize({ init: new init.Xavier() });
  const trainer = new gluon.Trainer(model.collectParams(), 'adam', { learningRate: 0.1 });
  let loss = nd.zeros([N]);
  for (let i = 0; i < EPOCHS; i++) {
    loss = autograd.record(() => sdml.forward(model.forward(data), model.forward(pos)));
    loss.backward();
    trainer.step(1);
  }
  assert.ok(loss.sum().item() / N < 0.05);
});

test('test_cosine_loss', () => {
  const input1 = nd.random.normal({ shape: [3, 2] });
  const input2 = nd.random.normal({ shape: [3, 2] });
  const label = nd.sign(nd.random.normal({ shape: [3] }));
  const loss = new L.CosineEmbeddingLoss().forward(input1, input2, label);
  const numerator = nd.sum(input1.mul(input2), 1, { keepdims: true });
  const denominator = nd.sqrt(nd.sum(input1.square(), 1, { keepdims: true })).mul(nd.sqrt(nd.sum(input2.square(), 1, { keepdims: true })));
  const cos = numerator.div(denominator);
  const want = nd.where(label.reshape([-1, 1]).equal(1), nd.sub(1, cos), nd.maximum(cos, 0)).reshape([-1]);
  assertAlmostEqual(loss, want, { rtol: 1e-3, atol: 1e-5 });
});

test('test_poisson_nllloss', () => {
  let pred = nd.random.normal({ shape: [3, 4] });
  pred = pred.add(nd.abs(pred.min()));
  let target = nd.random.normal({ shape: [3, 4] });
  target = target.add(nd.abs(target.min()));
  // Gluon returns one scalar (the mean over everything); tsgluon one value per sample, whose mean it is.
  const mean = (l: nd.NDArray) => l.mean().item();
  const p = Array.from(pred.storage);
  const t = Array.from(target.storage);
  const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(new L.PoissonNLLLoss({ fromLogits: true }).forward(pred, target)) - avg(p.map((v, i) => Math.exp(v) - t[i]! * v))) < 1e-5);
  assert.ok(Math.abs(mean(new L.PoissonNLLLoss({ fromLogits: false }).forward(pred, target)) - avg(p.map((v, i) => v - t[i]! * Math.log(v + 1e-8)))) < 1e-4);
  const np = [1.5, 2.5, 4.5, 1.2, 3.3, 2.2];
  const nt = [1.1, 4.9, 2.5, 3.7, 1.4, 0.9];
  const full = avg(np.map((v, i) => {
    const y = nt[i]!;
    return v - y * Math.log(v + 1e-8) + (y > 1 ? y * Math.log(y) - y + 0.5 * Math.log(2 * y * Math.PI) : 0);
  }));
  const got = mean(new L.PoissonNLLLoss({ fromLogits: false, computeFull: true }).forward(nd.array([np.slice(0, 3), np.slice(3)]), nd.array([nt.slice(0, 3), nt.slice(3)])));
  assert.ok(Math.abs(got - full) < 1e-5);
});

test('test_poisson_nllloss_mod', () => {
  // mx.random.poisson has no tsgluon counterpart: counts drawn by inversion from uniform samples.
  const poisson = (lam: number, n: number) => {
    const u = Array.from(nd.random.uniform({ shape: [n], dtype: 'float64' }).storage);
    return u.map((v) => {
      let k = 0;
      let p = Math.exp(-lam);
      let c = p;
      while (v > c) {
        k++;
        p *= lam / k;
        c += p;
      }
      return k;
    });
  };
  const N = 1000;
  const d = poisson(1, 2 * N);
  const data = nd.array(Array.from({ length: N }, (_, i) => [d[2 * i]!, d[2 * i + 1]!]));
  const label = nd.array(poisson(4, N)).reshape([N, 1]);
  const net = getNet(1);
  net.initialize({ init: new init.Normal(0.1) });
  const loss = new L.PoissonNLLLoss({ fromLogits: false });
  const score = fit(net, (out, [y]) => loss.forward(nd.exp(out), y!), [data, label], { ...adam, epochs: 20, batchSize: 20 });
  // MXNet asserts a score below 0.05 for a loss whose minimum is negative; the Poisson NLL of
  // rate-4 counts without Stirling's term is about -1.5 at the optimum.
  assert.ok(score < 0.05, `score ${score}`);
});

test('test_bce_loss_with_pos_weight', () => {
  const N = 17;
  const data = nd.random.uniform({ low: -1, high: 1, shape: [N, 20] });
  const label = nd.random.randint({ high: 2, shape: [N, 5], dtype: 'float32' });
  const posWeight = nd.random.uniform({ low: 0, high: 10, shape: [1, 5] }).repeat(N, { axis: 0 });
  const loss = new L.SigmoidBinaryCrossEntropyLoss();
  assert.ok(fit(xavierNet(5), (out, [y, w]) => loss.forward(out, y!, null, w!), [data, label, posWeight], adam) < 0.01);
  const x = nd.random.uniform({ low: -5, high: 5, shape: [N, 5] });
  const y = nd.random.randint({ high: 2, shape: [N, 5], dtype: 'float32' });
  const pw = nd.random.uniform({ low: 0, high: 10, shape: [1, 5] });
  const xs = x.toArray() as number[][];
  const ys = y.toArray() as number[][];
  const ws = (pw.toArray() as number[][])[0]!;
  const want = xs.map((row, i) => row.reduce((s, v, j) => {
    const p = 1 / (1 + Math.exp(-v));
    return s + (-ys[i]![j]! * Math.log(p) * ws[j]! - (1 - ys[i]![j]!) * Math.log(1 - p));
  }, 0) / 5);
  assertAlmostEqual(loss.forward(x, y, null, pw), want, { rtol: 1e-4, atol: 1e-5 });
});
