// CTCLoss as one primitive (src/ops/ctc.ts, src/backend/ref/ctc.ts): float64 values and gradients
// against PyTorch's ctc_loss (tests/fixtures/pytorch/make_ctc_fixtures.py wrote them with torch
// 1.13), a finite-difference check of the primitive's alpha-beta gradient with respect to the
// log-probabilities, and the hybridized loss: one graph whose labels and lengths are graph inputs,
// equal to eager mode bit for bit in values and gradients, new label values without a new trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TraceError, autograd, gluon, nd } from '../../src/index.js';
import { assertClose } from '../helpers.js';

interface Case {
  scores: number[][][];
  labels: number[][];
  inputLengths: number[];
  labelLengths: number[];
  weights: number[];
  loss: (number | 'inf')[];
  grad: number[][][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/pytorch/ctc.expected.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };
const f64 = (v: nd.NestedArray) => nd.array(v, { dtype: 'float64' });

for (const [name, c] of Object.entries(fixture.cases)) {
  test(`CTCLoss equals PyTorch's ctc_loss in float64, value and gradient: ${name}`, () => {
    for (const lengthsGiven of [true, false]) {
      // TNC scores as PyTorch has them; labels padded with -1, so without labelLengths they end at the first -1.
      const x = f64(c.scores);
      x.attachGrad();
      const ctc = new gluon.loss.CTCLoss({ layout: 'TNC' });
      const loss = autograd.record(() => ctc.forward(x, nd.array(c.labels), nd.array(c.inputLengths), lengthsGiven ? nd.array(c.labelLengths) : null));
      assertClose(loss, c.loss.map((v) => (v === 'inf' ? Infinity : v)), { rtol: 1e-12, atol: 1e-12 });
      loss.backward(f64(c.weights));
      assertClose(x.grad!, c.grad, { rtol: 1e-10, atol: 1e-12 });
    }
  });
}

test('the ctcLoss primitive: alpha-beta gradient equals finite differences with respect to the log-probabilities', () => {
  nd.random.seed(5);
  const logp = nd.random.normal({ shape: [5, 3, 4], dtype: 'float64' });
  const label = nd.array([[0, 1, 1], [2, -1, -1], [1, 2, 0]]);
  // Unnormalized log-probabilities are fine: the gradient is that of the recursion itself.
  autograd.assertGradient((lp) => nd.ctcLoss(lp, label, { predLengths: nd.array([5, 3, 4]) }).mul(f64([1, 0.5, 2])).sum(), [logp]);
  autograd.assertGradient((lp) => nd.ctcLoss(lp, label, { labelLengths: nd.array([2, 1, 3]) }).sum(), [logp]);
});

test('ctcLoss by hand: 4 uniform steps over 3 classes, label [0, 1]: 15 alignments of probability 3^-4 each', () => {
  // Paths blank* 0+ blank* 1+ blank* of length 4: five run lengths summing to 4 with two of them >= 1, C(6, 4) = 15.
  const lp = nd.logSoftmax(nd.zeros([4, 1, 3], { dtype: 'float64' }), { axis: -1 });
  assertClose(nd.ctcLoss(lp, nd.array([[0, 1]])), [-Math.log(15 / 81)], { rtol: 1e-12 });
});

function run(hybrid: boolean, labels: number[][], predLengths: number[]): number[][] {
  gluon.resetNameCounters();
  const ctc = new gluon.loss.CTCLoss({ weight: 0.5 });
  if (hybrid) ctc.hybridize();
  nd.random.seed(9);
  const x = nd.random.normal({ shape: [3, 7, 5], dtype: 'float64' });
  x.attachGrad();
  const l = autograd.record(() => ctc.forward(x, nd.array(labels), nd.array(predLengths)));
  l.backward(f64([1, 2, 3]));
  return [Array.from(l.storage), Array.from(x.grad!.storage)];
}

test('hybridized CTCLoss is one graph whose labels and lengths are inputs, and equals eager bit for bit', () => {
  const labels = [[0, 1, 1, -1], [3, -1, -1, -1], [2, 2, 1, 0]];
  assert.deepEqual(run(true, labels, [7, 5, 7]), run(false, labels, [7, 5, 7]));
  const ctc = new gluon.loss.CTCLoss();
  ctc.hybridize();
  const x = nd.random.normal({ shape: [2, 6, 4] });
  const a = ctc.forward(x, nd.array([[0, 1], [2, 2]]), nd.array([6, 4]));
  const g = ctc.graph();
  assert.equal(g.nodes.filter((n) => n.op === 'ctcLoss').length, 1);
  assert.equal(g.inputs.length, 3, 'pred, label and predLengths are the graph inputs');
  // Other labels of the same shape run the same graph, with their own values.
  const b = ctc.forward(x, nd.array([[1, 0], [2, -1]]), nd.array([6, 6]));
  assert.equal(ctc.graph(), g, 'no new trace');
  assertClose(b, new gluon.loss.CTCLoss().forward(x, nd.array([[1, 0], [2, -1]]), nd.array([6, 6])), { rtol: 0, atol: 0 });
  assert.notDeepEqual(Array.from(a.storage), Array.from(b.storage));
  assert.match(g.toString(), /ctcLoss\(%\d+, data1, data2, const0\) \{"blank":3,"hasPredLengths":true,"hasLabelLengths":false\} -> \(2,\) float32/);
});

test('a bad label inside a hybridized CTCLoss is a ValueError naming the label, not a TraceError', () => {
  const ctc = new gluon.loss.CTCLoss();
  ctc.hybridize();
  assert.throws(() => ctc.forward(nd.ones([1, 5, 4]), nd.array([[3, 0]])), (e: Error) => !(e instanceof TraceError) && /label 3 at position 0 of sample 0 is the blank/.test(e.message));
});
