/**
 * gluon.rnn layers and cells: Gluon's parameter names and shapes before and after the deferred
 * input size is inferred (by a forward, `inferShape` or `summary`), a hand-computed forward, the
 * states API and its errors, layouts, dropout between layers, printing, and the cells: each cell
 * unrolled gives the matching layer's numbers, containers compose them, validLength freezes states.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { autograd, gluon, nd, ShapeError, ValueError } from '../../src/index.js';

const { rnn } = gluon;

function near(a: nd.NDArray, b: nd.NDArray, tol = 1e-5): void {
  assert.deepEqual(a.shape, b.shape);
  const x = a.storage, y = b.storage;
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= tol, `element ${i}: ${x[i]} vs ${y[i]}`);
}

beforeEach(() => {
  gluon.resetNameCounters();
  nd.random.seed(11);
});

describe('recurrent layers', () => {
  test("Gluon's parameter names, shapes, deferred input size and printing", () => {
    const lstm = new rnn.LSTM(8, { numLayers: 2, bidirectional: true });
    const params = lstm.collectParams();
    assert.deepEqual(params.keys(), [
      'l0_i2h_weight', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_h2h_bias', 'r0_i2h_weight', 'r0_h2h_weight', 'r0_i2h_bias', 'r0_h2h_bias',
      'l1_i2h_weight', 'l1_h2h_weight', 'l1_i2h_bias', 'l1_h2h_bias', 'r1_i2h_weight', 'r1_h2h_weight', 'r1_i2h_bias', 'r1_h2h_bias',
    ]);
    assert.equal(params.get('l0_i2h_weight').name, 'lstm0_l0_i2h_weight');
    assert.deepEqual(params.get('l0_i2h_weight').shape, [32, 0]);
    assert.deepEqual(params.get('l1_i2h_weight').shape, [32, 16]);
    assert.equal(lstm.toString(), 'LSTM(None -> 8, TNC, num_layers=2, bidirectional)');
    lstm.initialize();
    lstm.inferShape([5, 3, 10]);
    assert.deepEqual(params.get('l0_i2h_weight').shape, [32, 10]);
    assert.deepEqual(params.get('r0_i2h_weight').shape, [32, 10]);
    assert.equal(params.get('r0_i2h_weight').state, 'initialized');
    assert.equal(lstm.toString(), 'LSTM(10 -> 8, TNC, num_layers=2, bidirectional)');
    const gru = new rnn.GRU(4, { layout: 'NTC', dropout: 0.5, numLayers: 2 });
    assert.equal(gru.toString(), 'GRU(None -> 4, NTC, num_layers=2, dropout=0.5)');
    assert.equal(gru.collectParams().get('l0_h2h_weight').name, 'gru0_l0_h2h_weight');
    assert.deepEqual(gru.collectParams().get('l0_h2h_weight').shape, [12, 4]);
  });

  test('the projection adds h2r_weight and shrinks h', () => {
    const lstm = new rnn.LSTM(6, { projectionSize: 3, inputSize: 5 });
    lstm.initialize();
    const p = lstm.collectParams();
    assert.deepEqual(p.get('l0_h2h_weight').shape, [24, 3]);
    assert.deepEqual(p.get('l0_h2r_weight').shape, [3, 6]);
    const [y, [h, c]] = lstm.forward(nd.ones([4, 2, 5]), lstm.beginState(2));
    assert.deepEqual([y.shape, h!.shape, c!.shape], [[4, 2, 3], [1, 2, 3], [1, 2, 6]]);
  });

  test('summary infers the deferred sizes without data', () => {
    const net = new rnn.GRU(7, { numLayers: 2 });
    net.initialize();
    // 3 gates of 7: layer 0 (21 x 3, 21 x 7, two biases of 21), layer 1 (21 x 7, 21 x 7, biases).
    assert.match(net.summary([9, 2, 3], { print: false }), /Total params: 588\n/);
    assert.equal(21 * 3 + 21 * 7 + 42 + 21 * 7 + 21 * 7 + 42, 588);
    const model = new gluon.nn.Sequential();
    model.add(new rnn.LSTM(5), new gluon.nn.Dense(3, { flatten: false }));
    model.initialize();
    assert.match(model.summary([4, 2, 6], { print: false }), /0 \(LSTM\) +\(4, 2, 5\) +260\n1 \(Dense\) +\(4, 2, 3\) +18\n/);
  });

  test('a hand-computed tanh RNN with one unit', () => {
    const layer = new rnn.RNN(1, { activation: 'tanh', inputSize: 1 });
    layer.initialize();
    const p = layer.collectParams();
    p.get('l0_i2h_weight').setData(nd.array([[0.5]]));
    p.get('l0_h2h_weight').setData(nd.array([[0.25]]));
    p.get('l0_i2h_bias').setData(nd.array([0.1]));
    p.get('l0_h2h_bias').setData(nd.array([-0.2]));
    const x = nd.array([[[1]], [[-2]], [[3]]]);
    const h1 = Math.tanh(0.5 + 0.1 - 0.2);
    const h2 = Math.tanh(-1 + 0.1 - 0.2 + 0.25 * h1);
    const h3 = Math.tanh(1.5 + 0.1 - 0.2 + 0.25 * h2);
    near(layer.forward(x), nd.array([[[h1]], [[h2]], [[h3]]]));
    // From a given state, and as ReLU.
    const [y, [h]] = layer.forward(x, [nd.array([[[2]]])]);
    assert.ok(Math.abs(y.storage[0]! - Math.tanh(0.4 + 0.5)) < 1e-6);
    assert.ok(Math.abs(h!.storage[0]! - y.storage[2]!) < 1e-7);
  });

  test("'NTC' is 'TNC' with the first two axes swapped", () => {
    const tnc = new rnn.LSTM(3, { inputSize: 2 });
    const ntc = new rnn.LSTM(3, { inputSize: 2, layout: 'NTC', params: tnc.collectParams() });
    tnc.initialize({ init: 'normal' });
    const x = nd.random.normal({ shape: [4, 5, 2] });
    near(ntc.forward(x.swapAxes(0, 1)), tnc.forward(x).swapAxes(0, 1));
  });

  test('states in and out: shapes, continuation, and the errors', () => {
    const lstm = new rnn.LSTM(4, { numLayers: 2, inputSize: 3 });
    lstm.initialize({ init: 'normal' });
    const x = nd.random.normal({ shape: [6, 2, 3] });
    const [y, states] = lstm.forward(x, lstm.beginState(2));
    assert.deepEqual(states.map((s) => s.shape), [[2, 2, 4], [2, 2, 4]]);
    // Two halves, the state carried over, give the whole.
    const [y1, s1] = lstm.forward(x.sliceAxis(0, 0, 3), lstm.beginState(2));
    const [y2, s2] = lstm.forward(x.sliceAxis(0, 3, 6), s1);
    near(nd.concat([y1, y2], { axis: 0 }), y);
    s2.forEach((s, i) => near(s, states[i]!));
    assert.throws(() => lstm.forward(x, [nd.zeros([2, 2, 4])]), (e: Error) => e instanceof ShapeError && /expecting \[h, c\] of shapes \(2, 2, 4\) and \(2, 2, 4\), got \(2, 2, 4\)/.test(e.message));
    assert.throws(() => lstm.forward(x, lstm.beginState(3)), /invalid recurrent state for a batch of 2.*beginState\(2\)/);
    assert.throws(() => lstm.forward(nd.zeros([2, 3])), (e: Error) => e instanceof ShapeError && /must be 3-D.*\(2, 3\)/.test(e.message));
    assert.throws(() => new rnn.GRU(0), ValueError);
    assert.throws(() => new rnn.RNN(3, { layout: 'NCT' as 'NTC' }), /layout must be 'TNC' or 'NTC'/);
  });

  test('an input of the wrong size after inference names the parameter', () => {
    const gru = new rnn.GRU(4);
    gru.initialize();
    gru.forward(nd.zeros([2, 1, 3]));
    assert.throws(() => gru.forward(nd.zeros([2, 1, 5])), /gru0: input of shape \(2, 1, 5\) does not fit parameter l0_i2h_weight/);
  });

  test('dropout between layers acts in training only', () => {
    const net = new rnn.RNN(3, { numLayers: 2, dropout: 1, inputSize: 2 });
    net.initialize({ init: 'normal' });
    const x = nd.random.normal({ shape: [3, 2, 2] });
    const trained = autograd.record(() => net.forward(x));
    // With every first-layer output dropped, the second layer sees zeros: the output no longer depends on x.
    const other = autograd.record(() => net.forward(x.mul(3)));
    near(trained, other, 0);
    assert.ok(nd.abs(nd.sub(net.forward(x), net.forward(x.mul(3)))).sum().item() > 1e-3);
  });

  test('gradients of a float64 layer with respect to its input', () => {
    for (const layer of [new rnn.LSTM(3, { bidirectional: true, dtype: 'float64' }), new rnn.GRU(3, { numLayers: 2, dtype: 'float64' })]) {
      layer.initialize({ init: 'normal' });
      const x = nd.random.normal({ shape: [4, 2, 3], dtype: 'float64' });
      const r = autograd.checkGradient((v) => layer.forward(v), [x]);
      assert.ok(r.ok, JSON.stringify(r.worst));
    }
  });
});

describe('recurrent cells', () => {
  /** A layer and a cell sharing the layer's first-direction weights. */
  function pair(kind: 'LSTM' | 'GRU' | 'RNN') {
    const layer = kind === 'LSTM' ? new rnn.LSTM(4, { inputSize: 3 }) : kind === 'GRU' ? new rnn.GRU(4, { inputSize: 3 }) : new rnn.RNN(4, { inputSize: 3, activation: 'tanh' });
    layer.initialize({ init: 'normal' });
    const cell = kind === 'LSTM' ? new rnn.LSTMCell(4) : kind === 'GRU' ? new rnn.GRUCell(4) : new rnn.RNNCell(4);
    cell.initialize();
    cell.inferShape([2, 3]);
    for (const key of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) cell.collectParams().get(key).setData(layer.collectParams().get(`l0_${key}`).data());
    return { layer, cell };
  }

  for (const kind of ['LSTM', 'GRU', 'RNN'] as const) {
    test(`${kind}Cell unrolled gives the ${kind} layer's output and states`, () => {
      const { layer, cell } = pair(kind);
      const x = nd.random.normal({ shape: [2, 5, 3] });
      const [outs, states] = cell.unroll(5, x, { mergeOutputs: true });
      const [y, layerStates] = layer.forward(x.swapAxes(0, 1), layer.beginState(2));
      near(outs as nd.NDArray, y.swapAxes(0, 1));
      states.forEach((s, i) => near(s, layerStates[i]!.reshape([2, 4])));
      assert.equal(cell.collectParams().get('i2h_weight').name, `${kind.toLowerCase()}1_i2h_weight`);
    });
  }

  test('names, printing and deferred shapes of a cell', () => {
    const cell = new rnn.LSTMCell(100);
    assert.equal(cell.toString(), 'LSTMCell(None -> 100)');
    assert.equal(cell.collectParams().get('h2h_weight').name, 'lstm0_h2h_weight');
    cell.initialize();
    const out = cell.forward(nd.zeros([2, 10]));
    assert.deepEqual(out.shape, [2, 100]);
    assert.equal(cell.toString(), 'LSTMCell(10 -> 100)');
    assert.equal(new rnn.RNNCell(3).toString(), 'RNNCell(None -> 3, tanh)');
    assert.deepEqual(cell.stateInfo(4).map((s) => s.shape), [[4, 100], [4, 100]]);
  });

  test('SequentialRNNCell of two LSTMCells is a two-layer LSTM', () => {
    const layer = new rnn.LSTM(4, { numLayers: 2, inputSize: 3 });
    layer.initialize({ init: 'normal' });
    const stack = new rnn.SequentialRNNCell();
    stack.add(new rnn.LSTMCell(4, { inputSize: 3 }), new rnn.LSTMCell(4, { inputSize: 4 }));
    stack.initialize();
    for (const l of [0, 1]) for (const key of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) stack.collectParams().get(`${l}.${key}`).setData(layer.collectParams().get(`l${l}_${key}`).data());
    const x = nd.random.normal({ shape: [5, 2, 3] });
    const [outs, states] = stack.unroll(5, x, { layout: 'TNC', mergeOutputs: true });
    const [y, [h, c]] = layer.forward(x, layer.beginState(2));
    near(outs as nd.NDArray, y);
    near(nd.stack([states[0]!, states[2]!]), h!);
    near(nd.stack([states[1]!, states[3]!]), c!);
    // One step through forward, too.
    const [o1] = stack.forward(x.sliceAxis(0, 0, 1).reshape([2, 3]), stack.beginState(2));
    near(o1, y.sliceAxis(0, 0, 1).reshape([2, 4]));
  });

  test('BidirectionalCell is a bidirectional layer', () => {
    const layer = new rnn.GRU(4, { bidirectional: true, inputSize: 3 });
    layer.initialize({ init: 'normal' });
    const bi = new rnn.BidirectionalCell(new rnn.GRUCell(4, { inputSize: 3 }), new rnn.GRUCell(4, { inputSize: 3 }));
    bi.initialize();
    for (const [d, cell] of [['l', 'lCell'], ['r', 'rCell']] as const) {
      for (const key of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) bi.collectParams().get(`${cell}.${key}`).setData(layer.collectParams().get(`${d}0_${key}`).data());
    }
    const x = nd.random.normal({ shape: [2, 5, 3] });
    const [outs, states] = bi.unroll(5, x, { mergeOutputs: true });
    const [y, [h]] = layer.forward(x.swapAxes(0, 1), layer.beginState(2));
    near(outs as nd.NDArray, y.swapAxes(0, 1));
    near(nd.stack(states), h!);
    assert.throws(() => bi.forward(nd.zeros([2, 3]), bi.beginState(2)), /cannot be stepped.*use unroll/);
  });

  test('ResidualCell adds the input; DropoutCell drops only in training', () => {
    const base = new rnn.GRUCell(3, { inputSize: 3 });
    const res = new rnn.ResidualCell(base);
    res.initialize({ init: 'normal' });
    const x = nd.random.normal({ shape: [2, 3] });
    const [o] = res.forward(x, res.beginState(2));
    const [b] = base.forward(x, base.beginState(2));
    near(o, b.add(x));
    const drop = new rnn.DropoutCell(0.5);
    assert.equal(drop.toString(), 'DropoutCell(rate=0.5, axes=())');
    assert.deepEqual(drop.stateInfo(), []);
    near(drop.forward(x, [])[0], x, 0);
    const trained = autograd.record(() => drop.forward(nd.ones([100, 10]), [])[0]);
    const zeros = trained.storage.filter((v) => v === 0).length;
    assert.ok(zeros > 350 && zeros < 650, `${zeros} of 1000 dropped`);
  });

  test('validLength: outputs past each length are zero and the states are those after the last valid step', () => {
    const cell = new rnn.LSTMCell(3, { inputSize: 2 });
    cell.initialize({ init: 'normal' });
    const x = nd.random.normal({ shape: [2, 4, 2] });
    const [outs, states] = cell.unroll(4, x, { validLength: nd.array([2, 4]), mergeOutputs: true });
    const [short, shortStates] = cell.unroll(2, x.sliceAxis(1, 0, 2), { mergeOutputs: true });
    const [full, fullStates] = cell.unroll(4, x, { mergeOutputs: true });
    const o = outs as nd.NDArray;
    near(o.sliceAxis(0, 0, 1).sliceAxis(1, 0, 2), (short as nd.NDArray).sliceAxis(0, 0, 1));
    near(o.sliceAxis(0, 0, 1).sliceAxis(1, 2, 4), nd.zeros([1, 2, 3]));
    near(o.sliceAxis(0, 1, 2), (full as nd.NDArray).sliceAxis(0, 1, 2));
    states.forEach((s, i) => {
      near(s.sliceAxis(0, 0, 1), shortStates[i]!.sliceAxis(0, 0, 1));
      near(s.sliceAxis(0, 1, 2), fullStates[i]!.sliceAxis(0, 1, 2));
    });
    assert.throws(() => cell.unroll(3, x), /length is 3 but the inputs have 4 steps/);
  });
});
