import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, nd, ShapeError, ValueError } from '../../src/index.js';
import * as loss from '../../src/gluon/loss/index.js';
import { assertClose } from '../helpers.js';

const f64 = (v: nd.NestedArray) => nd.array(v as number[], { dtype: 'float64' });
const LN2 = Math.LN2;
const LOG3 = Math.log(3);
const LSE123 = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2));

function assertGrad(fn: (p: nd.NDArray) => nd.NDArray, pred: nd.NDArray): void {
  const r = autograd.checkGradient(fn, [pred]);
  assert.ok(r.ok, `gradient check: ${JSON.stringify(r.worst)}`);
}

test('L2Loss is half the squared error, averaged per sample, with weight and sample weights', () => {
  const pred = nd.array([[1, 2], [0, -1]]);
  const label = nd.array([[0, 0], [0, 1]]);
  const l = new loss.L2Loss().forward(pred, label);
  assert.deepEqual(l.shape, [2]);
  assertClose(l, [1.25, 1]);
  assertClose(new loss.L2Loss({ weight: 2 }).forward(pred, label), [2.5, 2]);
  assertClose(new loss.L2Loss().forward(pred, label, nd.array([1, 0.5])), [1.25, 0.5]);
  // The label is reshaped like the prediction.
  assertClose(new loss.L2Loss().forward(nd.array([[1], [3]]), nd.array([0, 1])), [0.5, 2]);
  // batchAxis 1: samples are columns.
  assertClose(new loss.L2Loss({ batchAxis: 1 }).forward(nd.array([[1, 0], [2, -1]]), nd.array([[0, 0], [0, 1]])), [1.25, 1]);
  assertGrad((p) => new loss.L2Loss().forward(p, f64([[0.3, -1], [2, 0.5]]), f64([1, 2])), f64([[1, 2], [0, -1]]));
});

test('L1Loss is the mean absolute error per sample', () => {
  assertClose(new loss.L1Loss().forward(nd.array([[1, -2], [0.5, 0]]), nd.zeros([2, 2])), [1.5, 0.25]);
  assertGrad((p) => new loss.L1Loss({ weight: 3 }).forward(p, f64([[0.3, -1], [2, 0.5]])), f64([[1, 2], [0, -1.5]]));
});

test('HuberLoss is quadratic inside rho and linear beyond', () => {
  const pred = nd.array([[0.5, 3], [1, -1]]);
  assertClose(new loss.HuberLoss().forward(pred, nd.zeros([2, 2])), [1.3125, 0.5]);
  assertClose(new loss.HuberLoss({ rho: 2 }).forward(nd.array([[0.5, 3]]), nd.zeros([1, 2])), [1.03125]);
  assertGrad((p) => new loss.HuberLoss({ rho: 0.5 }).forward(p, f64([[0, 0, 0]])), f64([[0.2, -0.3, 2]]));
  assert.throws(() => new loss.HuberLoss({ rho: 0 }), ValueError);
});

test('SoftmaxCrossEntropyLoss: sparse labels, by hand', () => {
  const ce = new loss.SoftmaxCrossEntropyLoss();
  const l = ce.forward(nd.array([[1, 2, 3], [0, 0, 0]]), nd.array([2, 0]));
  assert.deepEqual(l.shape, [2]);
  assertClose(l, [LSE123 - 3, LOG3]);
  // int32 labels and (N, 1) labels work the same.
  assertClose(ce.forward(nd.array([[1, 2, 3], [0, 0, 0]]), nd.array([[2], [0]], { dtype: 'int32' })), [LSE123 - 3, LOG3]);
  // Numerically stable: huge logits give the exact margin, not Infinity or NaN.
  assertClose(ce.forward(nd.array([[1000, 0], [-1000, 1000]]), nd.array([1, 1])), [1000, 0]);
  assertClose(new loss.SoftmaxCrossEntropyLoss({ fromLogits: true }).forward(nd.array([[-1, -2]]), nd.array([0])), [1]);
  assertClose(ce.forward(nd.array([[1, 2, 3], [0, 0, 0]]), nd.array([2, 0]), nd.array([2, 0])), [2 * (LSE123 - 3), 0]);
  assertGrad((p) => ce.forward(p, f64([2, 0, 1])), f64([[1, 2, 3], [0.5, -1, 0], [3, 3, -2]]));
});

test('SoftmaxCrossEntropyLoss: dense labels and another class axis', () => {
  const ce = new loss.SoftmaxCrossEntropyLoss({ sparseLabel: false });
  assertClose(ce.forward(nd.array([[1, 2, 3], [0, 0, 0]]), nd.array([[0, 0, 1], [1 / 3, 1 / 3, 1 / 3]])), [LSE123 - 3, LOG3]);
  assertGrad((p) => ce.forward(p, f64([[0.2, 0.3, 0.5], [1, 0, 0]])), f64([[1, 2, 3], [0.5, -1, 0]]));
  // (N, C, T) with the class axis 1: the loss is averaged over T.
  const seq = new loss.SoftmaxCrossEntropyLoss({ axis: 1 });
  const pred = nd.array([[[1, 0], [2, 0], [3, 0]]]);
  assertClose(seq.forward(pred, nd.array([[2, 1]])), [(LSE123 - 3 + LOG3) / 2]);
  assertGrad((p) => seq.forward(p, f64([[2, 1]])), nd.array(pred, { dtype: 'float64' }));
});

test('SoftmaxCrossEntropyLoss rejects labels that are not class indices', () => {
  const ce = new loss.SoftmaxCrossEntropyLoss();
  assert.throws(() => ce.forward(nd.zeros([2, 10]), nd.array([3, 10])), (e: Error) => e instanceof ValueError && /label 10 at position 1/.test(e.message) && /\(2, 10\)/.test(e.message));
  assert.throws(() => ce.forward(nd.zeros([2, 3]), nd.array([-1, 0])), ValueError);
  assert.throws(() => ce.forward(nd.zeros([1, 3]), nd.array([0.5])), /sparseLabel: false/);
  assert.throws(() => ce.forward(nd.zeros([2, 3]), nd.array([0, 1, 2])), ShapeError);
});

test('SigmoidBinaryCrossEntropyLoss: stable logits form, probabilities and posWeight', () => {
  const bce = new loss.SigmoidBinaryCrossEntropyLoss();
  const sp2 = 2 + Math.log(1 + Math.exp(-2));
  assertClose(bce.forward(nd.array([[0, 2]]), nd.array([[1, 0]])), [(LN2 + sp2) / 2]);
  assertClose(bce.forward(nd.array([[-1000], [1000]]), nd.array([[1], [1]])), [1000, 0]);
  assertClose(new loss.SigmoidBCELoss({ fromSigmoid: true }).forward(nd.array([[0.5, 0.25]]), nd.array([[1, 0]])), [(LN2 + Math.log(4 / 3)) / 2], { rtol: 1e-5 });
  assertClose(bce.forward(nd.array([[0, 0]]), nd.array([[1, 0]]), null, 3), [(3 * LN2 + LN2) / 2]);
  assertGrad((p) => bce.forward(p, f64([[1, 0, 0.3], [0, 1, 1]])), f64([[0.5, -2, 1], [3, -0.2, 0.7]]));
  assertGrad((p) => bce.forward(p, f64([[1, 0, 0.3]]), null, 2), f64([[0.5, -2, 1]]));
  assertGrad((p) => new loss.SigmoidBCELoss({ fromSigmoid: true }).forward(p, f64([[1, 0, 0.3]])), f64([[0.4, 0.2, 0.9]]));
});

test('KLDivLoss: label * (log label - pred), averaged over classes', () => {
  const expected = (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)) / 2;
  assertClose(new loss.KLDivLoss().forward(nd.log(nd.array([[0.25, 0.75]])), nd.array([[0.5, 0.5]])), [expected]);
  assertClose(new loss.KLDivLoss({ fromLogits: false }).forward(nd.array([[0, Math.log(3)]]), nd.array([[0.5, 0.5]])), [expected]);
  assertGrad((p) => new loss.KLDivLoss({ fromLogits: false }).forward(p, f64([[0.2, 0.3, 0.5]])), f64([[1, -1, 0.5]]));
});

test('margin losses: hinge, squared hinge, logistic', () => {
  assertClose(new loss.HingeLoss().forward(nd.array([[0.5, 2, -1]]), nd.ones([1, 3])), [2.5 / 3]);
  assertClose(new loss.SquaredHingeLoss().forward(nd.array([[0.5, 2, -1]]), nd.ones([1, 3])), [4.25 / 3]);
  assertClose(new loss.LogisticLoss().forward(nd.array([[0, 1]]), nd.array([[1, -1]])), [(LN2 + 1 + Math.log(1 + Math.exp(-1))) / 2]);
  assertClose(new loss.LogisticLoss({ labelFormat: 'binary' }).forward(nd.array([[0, 1]]), nd.array([[1, 0]])), [(LN2 + 1 + Math.log(1 + Math.exp(-1))) / 2]);
  assertGrad((p) => new loss.LogisticLoss().forward(p, f64([[1, -1, 1]])), f64([[0.5, -2, 1]]));
});

test('sample weights must broadcast; a (N,) weight scales rows of a (N, 1) loss', () => {
  const ce = new loss.SoftmaxCrossEntropyLoss();
  assertClose(ce.forward(nd.zeros([3, 2]), nd.array([0, 1, 0]), nd.array([1, 2, 0])), [LN2, 2 * LN2, 0]);
  assert.throws(() => new loss.L2Loss().forward(nd.zeros([3, 2]), nd.zeros([3, 2]), nd.ones([2, 3])), ShapeError);
  assert.throws(() => new loss.L2Loss().forward(nd.zeros([3, 2]), nd.zeros([4])), (e: Error) => e instanceof ShapeError && /\(4,\)/.test(e.message) && /\(3, 2\)/.test(e.message));
});

test('a loss inside autograd.record backpropagates one gradient per sample', () => {
  const x = nd.array([[1, 2, 3], [0, 0, 0]], { dtype: 'float64' });
  x.attachGrad();
  const l = autograd.record(() => new loss.SoftmaxCrossEntropyLoss().forward(x, nd.array([2, 0])));
  l.backward();
  const p0 = [Math.exp(1 - LSE123), Math.exp(2 - LSE123), Math.exp(3 - LSE123)];
  assertClose(x.grad!, [[p0[0]!, p0[1]!, p0[2]! - 1], [-2 / 3, 1 / 3, 1 / 3]], { rtol: 1e-12 });
});

test('losses are parameter-free Blocks with Gluon display names', async () => {
  const { Block } = await import('../../src/gluon/block.js');
  const l = new loss.SoftmaxCrossEntropyLoss();
  assert.ok(l instanceof Block);
  assert.equal(l.collectParams().size, 0);
  assert.match(l.name, /^softmaxcrossentropyloss\d+$/);
  assert.equal(new loss.L1Loss({ prefix: 'myloss_' }).name, 'myloss');
});
