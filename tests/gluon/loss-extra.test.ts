// CTCLoss, TripletLoss, CosineEmbeddingLoss, SDMLLoss and PoissonNLLLoss: hand-computed values,
// MXNet's published CTC values, PyTorch's ctc_loss (values and gradients, float64, computed with
// torch 2 and pasted here), float64 finite-difference gradient checks, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError, autograd, gluon, nd } from '../../src/index.js';
import { assertClose } from '../helpers.js';

const L = gluon.loss;
const f64 = (v: nd.NestedArray) => nd.array(v, { dtype: 'float64' });

test('CTCLoss: MXNet\'s values for uniform predictions in every layout and length form', () => {
  const want = [18.82820702, 16.50581741];
  const labels = nd.array([[1, 0, -1, -1], [2, 1, 1, -1]]);
  assertClose(new L.CTCLoss().forward(nd.ones([2, 20, 4]), labels), want);
  assertClose(new L.CTCLoss({ layout: 'TNC' }).forward(nd.ones([20, 2, 4]), labels), want);
  assertClose(new L.CTCLoss({ layout: 'TNC', labelLayout: 'TN' }).forward(nd.ones([20, 2, 4]), labels.transpose()), want);
  const ctc = new L.CTCLoss();
  assertClose(ctc.forward(nd.ones([2, 20, 4]), nd.array([[1, 0, 2, 2], [2, 1, 1, 0]]), null, nd.array([2, 3])), want);
  assertClose(ctc.forward(nd.ones([2, 25, 4]), nd.array([[2, 1, -1, -1], [0, 2, 2, -1]]), nd.array([20, 20])), want);
  assertClose(ctc.forward(nd.ones([2, 25, 4]), nd.array([[2, 1, 0, 0], [0, 2, 2, 0]]), nd.array([20, 20]), nd.array([2, 3])), want);
});

const X = [
  [[0.5, -1.0, 0.25, 2.0], [1.5, 0.0, -0.5, 0.1], [-0.3, 0.8, 1.2, -1.0], [0.0, 0.0, 0.0, 0.0], [2.0, -2.0, 0.5, 0.3]],
  [[-1.0, 0.4, 0.9, 0.2], [0.3, 0.3, -0.7, 1.1], [1.0, -0.5, 0.2, 0.0], [0.6, 1.4, -0.2, -0.9], [0.1, 0.2, 0.3, 0.4]],
];

test('CTCLoss equals PyTorch\'s ctc_loss (blank last) in value and gradient, with per-sample lengths', () => {
  const x = f64(X);
  x.attachGrad();
  const [l, total] = autograd.record(() => {
    const per = new L.CTCLoss().forward(x, nd.array([[0, 1, -1], [2, 2, 1]]), nd.array([5, 4]));
    return [per, per.sum()] as const;
  });
  // torch.nn.functional.ctc_loss(log_softmax(x).transpose(0, 1), [0, 1, 2, 2, 1], [5, 4], [2, 3], blank=3, reduction='none')
  assertClose(l, [4.071574405880414, 3.6103269501556765], { rtol: 1e-12, atol: 1e-12 });
  total.backward();
  assertClose(x.grad!, [
    [[-0.07570801357081898, 0.03441444126612021, 0.12011820270818686, -0.07882463040348811], [-0.28211762633391657, 0.10845984861434378, 0.08431777021182851, 0.08934000750774429],
      [-0.06106862315774751, -0.4211052464461588, 0.49893891545309565, -0.016765045849189315], [0.2356051884362221, -0.35460636757444597, 0.2500000000000001, -0.13099882086177628],
      [0.7021834209763513, -0.07565347332403868, 0.1566782991760256, -0.7832082468283382]],
    [[0.06639572196192478, 0.26924792949862564, -0.5560852115436475, 0.22044156008309715], [0.21770269636200695, 0.21770269636200695, 0.08008834627917132, -0.5154937390031852],
      [0.490114737298892, 0.10935937982460739, -0.779777252790904, 0.18030313566740463], [0.25654181284385236, -0.42905569564635193, 0.11527166701788231, 0.05724221578461731], [0, 0, 0, 0]],
  ], { rtol: 1e-10, atol: 1e-12 });
});

test('CTCLoss: finite-difference gradient, weights, infeasible labels, an empty label', () => {
  const ctc = new L.CTCLoss();
  autograd.assertGradient((x) => ctc.forward(x, nd.array([[1, 1], [0, -1]])).sum(), [f64(X).sliceAxis(2, 0, 3)]);
  const w = new L.CTCLoss({ weight: 2 }).forward(f64(X), nd.array([[0, 1, -1], [2, 2, 1]]), nd.array([5, 4]), null, f64([1, 0.5]));
  assertClose(w, [2 * 4.071574405880414, 3.6103269501556765], { rtol: 1e-12 });
  // Three labels with a repeat need 4 steps; 3 are not enough.
  const inf = ctc.forward(nd.zeros([1, 3, 3]), nd.array([[1, 1, 0]]));
  assert.equal(inf.item(), Infinity);
  // An empty label: only blanks, -T log p(blank) = 3 log 3 for uniform scores.
  assertClose(ctc.forward(nd.zeros([1, 3, 3]), nd.array([[-1, -1]])), [3 * Math.log(3)], { rtol: 1e-6 });
  assert.deepEqual(ctc.forward(nd.NDArray.shapeOnly([4, 6, 5], 'float32'), nd.zeros([4, 2])).shape, [4]);
});

test('CTCLoss errors name the problem', () => {
  const ctc = new L.CTCLoss();
  assert.throws(() => ctc.forward(nd.ones([2, 5, 4]), nd.array([[3, 0], [1, 1]])), (e: Error) => e instanceof ValueError && /label 3 at position 0 of sample 0 is the blank \(the last class\)/.test(e.message));
  assert.throws(() => ctc.forward(nd.ones([2, 5, 4]), nd.array([[0.5, 0], [1, 1]])), /ctcloss\d+: ctcLoss: label 0.5 at position 0 of sample 0 is not an integer class/);
  assert.throws(() => ctc.forward(nd.ones([2, 5, 4]), nd.array([[1, 0]]), null), (e: Error) => e instanceof ShapeError && /disagree on the batch size/.test(e.message));
  assert.throws(() => ctc.forward(nd.ones([2, 5, 4]), nd.array([[1, 0], [1, 1]]), nd.array([5, 6])), /predLengths of sample 1 is 6; it must be an integer in \[1, 5\]/);
  assert.throws(() => ctc.forward(nd.ones([2, 5, 4]), nd.array([[1, 0], [1, 1]]), null, nd.array([1])), /labelLengths must be an NDArray of shape \(2,\)/);
  assert.throws(() => ctc.forward(nd.ones([5, 4]), nd.array([[1]])), /pred of shape \(5, 4\) must have 3 axes \(NTC\)/);
  assert.throws(() => new L.CTCLoss({ layout: 'NCT' as 'NTC' }), /layout must be 'NTC' or 'TNC'/);
});

test('TripletLoss: relu(|a - p|^2 - |a - n|^2 + margin) summed over features, and its gradient', () => {
  const a = f64([[0, 0], [1, 1]]);
  const p = f64([[1, 0], [1, 1]]);
  const n = f64([[0, 2], [1, 1.5]]);
  // Sample 0: 1 - 4 + 1 = -2 -> 0; sample 1: 0 - 0.25 + 1 = 0.75.
  assertClose(new L.TripletLoss().forward(a, p, n), [0, 0.75]);
  assertClose(new L.TripletLoss({ margin: 3 }).forward(a, p, n), [0, 2.75]);
  autograd.assertGradient((x, y, z) => new L.TripletLoss({ margin: 2.5 }).forward(x, y, z).sum(), [f64([[0.1, 0.3], [1, -1]]), f64([[1, 0], [0.5, 1]]), f64([[0, 2], [1, 1.5]])]);
});

test('CosineEmbeddingLoss: 1 - cos for label 1, max(0, cos - margin) for -1', () => {
  const x = f64([[1, 0], [1, 1], [3, 4]]);
  const y = f64([[1, 1], [1, 1], [-4, 3]]);
  const c = Math.SQRT1_2;
  assertClose(new L.CosineEmbeddingLoss().forward(x, y, nd.array([1, -1, -1])), [1 - c, 1, 0], { rtol: 1e-12 });
  assertClose(new L.CosineEmbeddingLoss({ margin: 0.5 }).forward(x, y, nd.array([-1, -1, 1])), [c - 0.5, 0.5, 1], { rtol: 1e-12 });
  autograd.assertGradient((a, b) => new L.CosineEmbeddingLoss({ margin: 0.1 }).forward(a, b, nd.array([1, -1])).sum(), [f64([[1, 0.5], [0.3, 1]]), f64([[0.2, 1], [1, 0.8]])]);
  assert.throws(() => new L.CosineEmbeddingLoss().forward(x, y, nd.array([1, 1])), /label of shape \(2,\) must hold one value \(1 or -1\) per vector/);
});

test('SDMLLoss: KL divergence between a smoothed identity and the softmax of minus squared distances', () => {
  const x1 = f64([[0], [1]]);
  const x2 = f64([[0], [2]]);
  const lse0 = Math.log(1 + Math.exp(-4));
  const logp = [[-lse0, -4 - lse0], [-Math.LN2, -Math.LN2]];
  const lab = [[0.7, 0.3], [0.3, 0.7]];
  const want = [0, 1].map((i) => (lab[i]![0]! * (Math.log(lab[i]![0]!) - logp[i]![0]!) + lab[i]![1]! * (Math.log(lab[i]![1]!) - logp[i]![1]!)) / 2);
  assertClose(new L.SDMLLoss().forward(x1, x2), want, { rtol: 1e-9 });
  autograd.assertGradient((a, b) => new L.SDMLLoss({ smoothingParameter: 0.1 }).forward(a, b).sum(), [f64([[0.1, 0.4], [1, -0.3], [0.2, 0.2]]), f64([[0, 0.5], [0.9, -0.2], [0.3, 0]])]);
  assert.throws(() => new L.SDMLLoss().forward(f64([[1]]), f64([[1]])), /at least 2 pairs/);
});

test('PoissonNLLLoss: from log-rates, from rates, Stirling\'s term only where target > 1', () => {
  const pred = f64([[0, 1], [2, 0.5]]);
  const t = f64([[1, 0], [3, 2]]);
  const e = Math.exp;
  assertClose(new L.PoissonNLLLoss().forward(pred, t), [(e(0) - 0 + e(1)) / 2, (e(2) - 6 + e(0.5) - 1) / 2], { rtol: 1e-12 });
  const lg = (v: number) => Math.log(v + 1e-8);
  assertClose(new L.PoissonNLLLoss({ fromLogits: false }).forward(f64([[1, 2]]), f64([[2, 0]])), [(1 - 2 * lg(1) + 2) / 2], { rtol: 1e-12 });
  const st = (y: number) => y * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI * y);
  const full = new L.PoissonNLLLoss({ fromLogits: false, computeFull: true }).forward(f64([[1, 2, 3]]), f64([[0, 1, 4]]));
  assertClose(full, [(1 + (2 - lg(2)) + (3 - 4 * lg(3) + st(4))) / 3], { rtol: 1e-12 });
  autograd.assertGradient((a) => new L.PoissonNLLLoss({ computeFull: true }).forward(a, f64([[0, 2], [3, 1]])).sum(), [f64([[0.1, -0.5], [1, 0.2]])]);
});

test('TripletLoss and CosineEmbeddingLoss refuse a margin that is not a finite number', () => {
  assert.throws(() => new gluon.loss.TripletLoss({ margin: Number.NaN }), { name: 'ValueError', message: /^TripletLoss: margin must be a finite number, got NaN/ });
  assert.throws(() => new gluon.loss.CosineEmbeddingLoss({ margin: Infinity }), { name: 'ValueError', message: /^CosineEmbeddingLoss: margin must be a finite number, got Infinity/ });
  assert.equal(new gluon.loss.TripletLoss().margin, 1);
  assert.equal(new gluon.loss.CosineEmbeddingLoss().margin, 0);
});
