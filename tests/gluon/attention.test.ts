/**
 * Attention as D2L builds it: masked softmax (values, both forms of validLens, gradient, errors),
 * additive and scaled dot-product attention on D2L's example (identical keys, so the output is
 * the mean of the valid values, known by hand), multi-head attention (deferred sizes, D2L's shape
 * check, and equality with heads computed one by one), positional encoding values, and the
 * Transformer encoder block (D2L's shape check, normalized outputs); float64 gradient checks.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { autograd, gluon, nd, ShapeError, ValueError } from '../../src/index.js';

const { nn } = gluon;

function near(a: nd.NDArray, b: nd.NDArray | number[] | number[][] | number[][][], tol = 1e-5): void {
  const e = b instanceof nd.NDArray ? b : nd.array(b);
  assert.deepEqual(a.shape, e.shape);
  const x = a.storage, y = e.storage;
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= tol, `element ${i}: ${x[i]} vs ${y[i]}`);
}

function gradOk(fn: (...xs: nd.NDArray[]) => nd.NDArray, inputs: nd.NDArray[]): void {
  const r = autograd.checkGradient(fn, inputs);
  assert.ok(r.ok, JSON.stringify(r.worst));
}

beforeEach(() => nd.random.seed(5));

describe('maskedSoftmax', () => {
  test('one length per batch entry or per row; masked positions get exactly 0', () => {
    near(nd.maskedSoftmax(nd.zeros([2, 2, 4]), nd.array([2, 3])), [[[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0]], [[1 / 3, 1 / 3, 1 / 3, 0], [1 / 3, 1 / 3, 1 / 3, 0]]]);
    const x = nd.array([[[1, 2, 3, 4], [1, 2, 3, 4]], [[0, 0, 0, 0], [5, 5, 5, 5]]]);
    const e = (v: number[]) => v.map((t) => Math.exp(t) / v.reduce((s, u) => s + Math.exp(u), 0));
    near(nd.maskedSoftmax(x, nd.array([[1, 3], [2, 4]])), [[[1, 0, 0, 0], [...e([1, 2, 3]), 0]], [[0.5, 0.5, 0, 0], [0.25, 0.25, 0.25, 0.25]]]);
    near(nd.maskedSoftmax(x, null), nd.softmax(x));
    assert.equal(nd.maskedSoftmax(nd.random.uniform({ shape: [2, 2, 4] }), nd.array([2, 3])).storage[2], 0);
  });

  test('gradient through the kept scores (float64), and errors', () => {
    gradOk((x) => nd.maskedSoftmax(x, nd.array([2, 3])), [nd.random.normal({ shape: [2, 3, 4], dtype: 'float64' })]);
    gradOk((x) => nd.maskedSoftmax(x, nd.array([[1, 4, 2], [3, 3, 4]])), [nd.random.normal({ shape: [2, 3, 4], dtype: 'float64' })]);
    assert.throws(() => nd.maskedSoftmax(nd.zeros([2, 3, 4]), nd.array([1, 2, 3])), (e: Error) => e instanceof ShapeError && /validLens must be \(2,\) or \(2, 3\).*\(3,\)/.test(e.message));
  });
});

describe('attention scoring', () => {
  // D2L 10.3: keys all equal, so every valid key gets the same weight and the output is the mean
  // of the first validLens rows of values = arange(40).reshape(1, 10, 4) repeated twice.
  const values = nd.tile(nd.arange(40).reshape([1, 10, 4]), [2, 1, 1]);
  const lens = nd.array([2, 6]);
  const expected = [[[2, 3, 4, 5]], [[10, 11, 12, 13]]];

  test('additive attention on D2L\'s example', () => {
    const att = new nn.AdditiveAttention(8, { dropout: 0.1 });
    att.initialize();
    const out = att.forward(nd.random.normal({ shape: [2, 1, 20] }), nd.ones([2, 10, 2]), values, lens);
    near(out, expected, 1e-4);
    assert.deepEqual(att.attentionWeights!.shape, [2, 1, 10]);
    assert.deepEqual(att.wQ.weight.shape, [8, 20]);
    assert.deepEqual(att.wK.weight.shape, [8, 2]);
    const exact = new nn.AdditiveAttention(3);
    exact.initialize({ init: 'normal' });
    exact.inferShape([2, 2, 4], [2, 3, 2], [2, 3, 2]);
    exact.cast('float64');
    gradOk((q, k, v) => exact.forward(q, k, v, nd.array([2, 3])), [[2, 2, 4], [2, 3, 2], [2, 3, 2]].map((s) => nd.random.normal({ shape: s, dtype: 'float64' })));
  });

  test('scaled dot-product attention on D2L\'s example, by hand on a small one, and its gradients', () => {
    const att = new nn.DotProductAttention(0.5);
    near(att.forward(nd.random.normal({ shape: [2, 1, 2] }), nd.ones([2, 10, 2]), values, lens), expected, 1e-4);
    // One query against two keys: scores (q·k) / sqrt(2) = [1, 0] / sqrt(2).
    const w = [Math.exp(1 / Math.SQRT2), 1].map((v, _, a) => v / (a[0]! + a[1]!));
    near(att.forward(nd.array([[[1, 0]]]), nd.array([[[1, 0], [0, 1]]]), nd.array([[[10], [20]]])), [[[10 * w[0]! + 20 * w[1]!]]]);
    // Without dropout (gradient checks record, which is training mode).
    const exact = new nn.DotProductAttention();
    gradOk((q, k, v) => exact.forward(q, k, v, nd.array([2, 3])), [[2, 3, 3], [2, 4, 3], [2, 4, 5]].map((s) => nd.random.normal({ shape: s, dtype: 'float64' })));
    assert.throws(() => att.forward(nd.ones([2, 1, 3]), nd.ones([2, 4, 2]), nd.ones([2, 4, 5])), /the same feature size/);
  });
});

describe('multi-head attention', () => {
  test("deferred sizes and D2L's shape check", () => {
    const att = new nn.MultiHeadAttention(100, 5, { dropout: 0.5 });
    assert.deepEqual(att.wQ.weight.shape, [100, 0]);
    att.initialize();
    const X = nd.ones([2, 4, 100]);
    const Y = nd.ones([2, 6, 100]);
    assert.deepEqual(att.forward(X, Y, Y, nd.array([3, 2])).shape, [2, 4, 100]);
    assert.deepEqual(att.wK.weight.shape, [100, 100]);
    const fresh = new nn.MultiHeadAttention(8, 2);
    fresh.initialize();
    fresh.inferShape([2, 3, 5], [2, 4, 6], [2, 4, 7]);
    assert.deepEqual([fresh.wQ.weight.shape, fresh.wK.weight.shape, fresh.wV.weight.shape, fresh.wO.weight.shape], [[8, 5], [8, 6], [8, 7], [8, 8]]);
    assert.throws(() => new nn.MultiHeadAttention(10, 3), ValueError);
  });

  test('equals its heads computed one by one, concatenated and projected', () => {
    const att = new nn.MultiHeadAttention(6, 2, { useBias: true });
    att.initialize({ init: 'normal' });
    const q = nd.random.normal({ shape: [2, 3, 4] });
    const kv = nd.random.normal({ shape: [2, 5, 4] });
    const lens = nd.array([3, 5]);
    const out = att.forward(q, kv, kv, lens);
    const dot = new nn.DotProductAttention();
    const heads = [0, 1].map((h) => {
      const proj = (x: nd.NDArray, d: gluon.nn.Dense) =>
        nd.fullyConnected(x, d.weight.data().sliceAxis(0, 3 * h, 3 * h + 3), d.bias!.data().sliceAxis(0, 3 * h, 3 * h + 3), { flatten: false });
      return dot.forward(proj(q, att.wQ), proj(kv, att.wK), proj(kv, att.wV), lens);
    });
    near(out, att.wO.forward(nd.concat(heads, { axis: 2 })));
    near(nn.transposeOutput(nn.transposeQKV(q.reshape([2, 3, 4]), 2), 2), q);
  });

  test('gradients with respect to queries, keys and values (float64)', () => {
    const att = new nn.MultiHeadAttention(4, 2);
    att.initialize({ init: 'normal' });
    att.inferShape([2, 3, 3], [2, 4, 3], [2, 4, 3]);
    att.cast('float64');
    gradOk((q, k, v) => att.forward(q, k, v, nd.array([2, 4])), [[2, 3, 3], [2, 4, 3], [2, 4, 3]].map((s) => nd.random.normal({ shape: s, dtype: 'float64' })));
  });
});

describe('positional encoding and the Transformer encoder block', () => {
  test('P[i, 2j] = sin(i / 10000^(2j/d)), P[i, 2j+1] = cos(...), added to the input', () => {
    const pe = new nn.PositionalEncoding(32, { dropout: 0 });
    const x = nd.random.normal({ shape: [1, 60, 32] });
    const y = pe.forward(x);
    for (const [i, j] of [[0, 0], [7, 6], [59, 30]] as const) {
      const angle = i / Math.pow(10000, j / 32);
      assert.ok(Math.abs(y.storage[i * 32 + j]! - x.storage[i * 32 + j]! - Math.sin(angle)) < 1e-5);
      assert.ok(Math.abs(y.storage[i * 32 + j + 1]! - x.storage[i * 32 + j + 1]! - Math.cos(angle)) < 1e-5);
    }
    assert.throws(() => pe.forward(nd.zeros([1, 1001, 32])), /at most 1000 positions/);
  });

  test("D2L's shape check, normalized outputs, and gradients (float64)", () => {
    const block = new nn.TransformerEncoderBlock(24, 48, 8, { dropout: 0.5 });
    block.initialize();
    const out = block.forward(nd.ones([2, 100, 24]), nd.array([3, 2]));
    assert.deepEqual(out.shape, [2, 100, 24]);
    // The last sublayer is a LayerNorm with gamma 1 and beta 0: each position has mean 0.
    const means = nd.mean(out, { axis: -1 });
    assert.ok(nd.abs(means).max().item() < 1e-5);
    const small = new nn.TransformerEncoderBlock(4, 6, 2);
    small.initialize({ init: 'normal' });
    small.inferShape([2, 3, 4]);
    small.cast('float64');
    gradOk((x) => small.forward(x, nd.array([2, 3])), [nd.random.normal({ shape: [2, 3, 4], dtype: 'float64' })]);
    assert.throws(() => new nn.AddNorm().forward(nd.ones([2, 3]), nd.ones([3, 2])), /residual connection adds \(3, 2\) to \(2, 3\)/);
  });
});
