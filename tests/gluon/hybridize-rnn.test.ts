// gluon.rnn layers and cells, the attention blocks and the Transformer encoder block are
// HybridBlocks: hybridized, each traces into one graph (states as graph inputs and outputs,
// valid-length masks as graph ops) and equals eager mode bit for bit in outputs, input and state
// gradients and parameter gradients, in training (dropout draws the same mask from the same seed)
// and prediction. The LSTM's graph holds one fused `rnnRecurrence` node per layer and direction.
// A D2L language model and a seq2seq-with-attention model hybridize whole.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, nd, nn } from '../../src/index.js';

const { rnn } = gluon;

type Tree = nd.NDArray | Tree[];
const flat = (t: Tree): nd.NDArray[] => (t instanceof nd.NDArray ? [t] : t.flatMap(flat));

/**
 * Builds a block (same seed each time), runs `call` under record with every input attached,
 * backpropagates seeded random gradients into every output, and returns outputs, input gradients
 * and parameter gradients as plain numbers.
 */
function runBlock(make: () => gluon.Block, inputs: () => Tree[], call: (b: gluon.Block, xs: Tree[]) => Tree, hybrid: boolean, train: boolean): { values: number[][]; block: gluon.Block } {
  gluon.resetNameCounters();
  nd.random.seed(31);
  const block = make();
  block.initialize({ init: 'xavier' });
  nd.random.seed(32);
  const xs = inputs();
  const leaves = flat(xs).filter((x) => x.dtype === 'float32' || x.dtype === 'float64');
  for (const x of leaves) x.attachGrad();
  // Deferred shapes are completed eagerly first, so both runs draw the same initial weights.
  autograd.pause(() => call(block, xs));
  if (hybrid) block.hybridize();
  nd.random.seed(33);
  const out = flat(autograd.record(() => call(block, xs), { trainMode: train }));
  autograd.backward(out, out.map((o) => nd.random.normal({ shape: o.shape, dtype: o.dtype })));
  const params = block.collectParams().values().filter((p) => p.gradReq !== 'null');
  return {
    values: [...out.map((o) => Array.from(o.storage)), ...leaves.map((x) => Array.from(x.grad!.storage)), ...params.map((p) => Array.from(p.grad().storage))],
    block,
  };
}

/**
 * Hybridized equals eager: bit for bit, or, with `paramRtol`, parameter gradients within that
 * relative tolerance (outputs and input gradients still bit for bit).
 */
function assertHybridEqualsEager(make: () => gluon.Block, inputs: () => Tree[], call: (b: gluon.Block, xs: Tree[]) => Tree, paramRtol = 0): gluon.Block {
  let hybridBlock: gluon.Block | null = null;
  for (const train of [false, true]) {
    const eager = runBlock(make, inputs, call, false, train).values;
    const hybrid = runBlock(make, inputs, call, true, train);
    hybridBlock = hybrid.block;
    assert.equal(hybrid.values.length, eager.length);
    const params = hybrid.block.collectParams().values().filter((p) => p.gradReq !== 'null').length;
    hybrid.values.forEach((h, i) => {
      const what = `${train ? 'training' : 'prediction'}: array ${i}`;
      if (paramRtol === 0 || i < hybrid.values.length - params) return assert.deepEqual(h, eager[i], what);
      h.forEach((v, k) => assert.ok(Math.abs(v - eager[i]![k]!) <= paramRtol * Math.max(1, Math.abs(v)), `${what}[${k}]: ${v} vs ${eager[i]![k]}`));
    });
  }
  return hybridBlock!;
}

const ops = (b: gluon.Block): string[] => (b as gluon.HybridBlock).graph().nodes.map((n) => n.op);
const count = (b: gluon.Block, op: string): number => ops(b).filter((o) => o === op).length;
const normal = (shape: number[]) => nd.random.normal({ shape });

describe('recurrent layers hybridized equal eager', () => {
  const layers: [string, () => gluon.rnn.RecurrentLayer, number][] = [
    ['RNN relu, 2 layers', () => new rnn.RNN(5, { numLayers: 2 }), 2],
    ['RNN tanh, bidirectional, NTC', () => new rnn.RNN(4, { activation: 'tanh', bidirectional: true, layout: 'NTC' }), 2],
    ['LSTM, 2 layers, dropout 0.3', () => new rnn.LSTM(6, { numLayers: 2, dropout: 0.3 }), 2],
    ['LSTM, bidirectional, projection', () => new rnn.LSTM(6, { bidirectional: true, projectionSize: 3 }), 2],
    ['GRU, 2 layers, bidirectional', () => new rnn.GRU(4, { numLayers: 2, bidirectional: true }), 4],
  ];
  for (const [name, make, recurrences] of layers) {
    test(`${name}: with states in and out, one rnnRecurrence node per layer and direction`, () => {
      const layer = make();
      const seq = () => (layer.layout === 'NTC' ? normal([3, 4, 7]) : normal([4, 3, 7]));
      const hybrid = assertHybridEqualsEager(make, () => [seq(), make().beginState(3).map((s) => nd.random.normal({ shape: s.shape }))], (b, [x, s]) =>
        (b as gluon.rnn.RecurrentLayer).forward(x as nd.NDArray, s as nd.NDArray[]));
      assert.equal(count(hybrid, 'rnnRecurrence'), recurrences);
      const g = (hybrid as gluon.HybridBlock).graph();
      assert.equal(g.inputs.length, make().stateInfo().length + 1, 'the input and the states are graph inputs');
      assert.equal(g.outputs.length, make().stateInfo().length + 1, 'the output and the new states are graph outputs');
    });
    test(`${name}: without states (zero begin states of the input's batch)`, () => {
      const layer = make();
      const seq = () => (layer.layout === 'NTC' ? normal([2, 5, 3]) : normal([5, 2, 3]));
      assertHybridEqualsEager(make, () => [seq()], (b, [x]) => (b as gluon.rnn.RecurrentLayer).forward(x as nd.NDArray));
    });
  }

  test('a hybridized LSTM: deferred input size while tracing, inferShape and summary, a new batch size traces again', () => {
    const lstm = new rnn.LSTM(6);
    lstm.initialize();
    lstm.hybridize();
    const y = lstm.forward(normal([4, 2, 3]));
    assert.deepEqual(lstm.collectParams().get('l0_i2h_weight').shape, [24, 3], 'the input size is inferred during the trace');
    const first = lstm.graph();
    assert.deepEqual(lstm.forward(normal([4, 5, 3])).shape, [4, 5, 6]);
    assert.notEqual(lstm.graph(), first, 'a new batch size is a new signature');
    assert.deepEqual(y.shape, [4, 2, 6]);
    const last = lstm.graph();
    assert.match(lstm.summary([4, 2, 3]), /Total params: 264/); // 24 x 3 + 24 x 6 + 24 + 24
    lstm.inferShape([7, 2, 3]);
    assert.equal(lstm.graph(), last, 'summary and inferShape run on shape-only arrays, without tracing');
  });

  test('the LSTM step keeps the fused kernel: a hybridized LSTM is i2h GEMM, one rnnRecurrence, slices', () => {
    const lstm = new rnn.LSTM(8);
    lstm.initialize();
    lstm.hybridize();
    lstm.forward(normal([5, 2, 3]), lstm.beginState(2));
    assert.deepEqual([...new Set(ops(lstm))].sort(), ['fullyConnected', 'reshape', 'rnnRecurrence', 'rnnWorkspace', 'slice']);
    assert.equal(count(lstm, 'rnnRecurrence'), 1);
  });
});

describe('recurrent cells hybridized equal eager', () => {
  const cells: [string, () => gluon.rnn.RecurrentCell][] = [
    ['RNNCell', () => new rnn.RNNCell(5)],
    ['LSTMCell', () => new rnn.LSTMCell(5)],
    ['GRUCell', () => new rnn.GRUCell(5)],
    ['SequentialRNNCell(LSTMCell, DropoutCell, ResidualCell(GRUCell))', () => new rnn.SequentialRNNCell().add(new rnn.LSTMCell(4), new rnn.DropoutCell(0.4), new rnn.ResidualCell(new rnn.GRUCell(4)))],
  ];
  for (const [name, make] of cells) {
    test(`${name}: one step, forward(x, states) -> [output, states]`, () => {
      const hybrid = assertHybridEqualsEager(make, () => [normal([3, 4]), make().beginState(3).map((s) => nd.random.normal({ shape: s.shape }))], (b, [x, s]) =>
        (b as gluon.rnn.RecurrentCell).forward(x as nd.NDArray, s as nd.NDArray[]));
      assert.ok(count(hybrid, 'rnnRecurrence') >= 1);
    });
    // unroll runs outside the cell's graph, one graph run per step: autograd then adds the steps'
    // parameter gradients in its own order, not eager mode's per-op order, so they agree within
    // 1e-6 relative rather than bit for bit (unrolled inside a HybridBlock, below, they are bitwise).
    test(`${name}: unroll of the hybridized cell with validLength equals eager`, () => {
      assertHybridEqualsEager(make, () => [normal([3, 4, 4])], (b, [x]) => {
        const [outs, states] = (b as gluon.rnn.RecurrentCell).unroll(4, x as nd.NDArray, { validLength: nd.array([4, 2, 1]), mergeOutputs: true });
        return [outs as nd.NDArray, states];
      }, 1e-6);
    });
  }

  test('BidirectionalCell unrolls its hybridized cells as eagerly', () => {
    const make = () => new rnn.BidirectionalCell(new rnn.LSTMCell(3), new rnn.GRUCell(3));
    assertHybridEqualsEager(make, () => [normal([2, 5, 4])], (b, [x]) => {
      const [outs, states] = (b as gluon.rnn.RecurrentCell).unroll(5, x as nd.NDArray, { mergeOutputs: true });
      return [outs as nd.NDArray, states];
    }, 1e-6);
  });

  test('a cell that unrolls inside a HybridBlock is one graph, masks included, bit for bit', () => {
    class Unrolled extends gluon.HybridBlock {
      cell = new rnn.LSTMCell(4);
      override forward(x: nd.NDArray, lens: nd.NDArray): nd.NDArray {
        return this.cell.unroll(3, x, { validLength: lens, mergeOutputs: true })[0] as nd.NDArray;
      }
    }
    const net = assertHybridEqualsEager(() => new Unrolled(), () => [normal([2, 3, 5]), nd.array([3, 1])], (b, [x, l]) => b.forward(x, l));
    assert.equal(count(net, 'rnnRecurrence'), 3);
    assert.ok(count(net, 'where') >= 3, 'the valid-length masks are where nodes');
  });
});

describe('attention blocks hybridized equal eager', () => {
  const qkv = () => [normal([2, 3, 6]), normal([2, 5, 6]), normal([2, 5, 4]), nd.array([2, 5])];
  test('DotProductAttention with dropout and valid lengths', () => {
    const att = assertHybridEqualsEager(() => new nn.DotProductAttention(0.3), qkv, (b, xs) => b.forward(...xs));
    assert.ok(ops(att).includes('where'), 'the mask is a graph op');
    assert.equal((att as nn.DotProductAttention).attentionWeights, null, 'a hybridized forward keeps no weights');
  });
  test('AdditiveAttention', () => {
    assertHybridEqualsEager(() => new nn.AdditiveAttention(8, { dropout: 0.2 }), qkv, (b, xs) => b.forward(...xs));
  });
  test('MultiHeadAttention, with and without valid lengths', () => {
    const make = () => new nn.MultiHeadAttention(8, 2, { dropout: 0.2, useBias: true });
    const xs = () => [normal([2, 3, 6]), normal([2, 5, 6]), normal([2, 5, 6])];
    assertHybridEqualsEager(make, () => [...xs(), nd.array([3, 5])], (b, v) => b.forward(...v));
    assertHybridEqualsEager(make, xs, (b, v) => b.forward(...v));
  });
  test('PositionalEncoding and the Transformer encoder block', () => {
    assertHybridEqualsEager(() => new nn.PositionalEncoding(6, { dropout: 0.1, maxLen: 20 }), () => [normal([2, 4, 6])], (b, [x]) => b.forward(x));
    const enc = assertHybridEqualsEager(() => new nn.TransformerEncoderBlock(8, 16, 2, { dropout: 0.1 }), () => [normal([2, 4, 8]), nd.array([4, 2])], (b, xs) => b.forward(...xs));
    assert.equal(count(enc, 'matmul'), 2, 'one graph: both batched products of the attention');
    assert.equal(count(enc, 'fullyConnected'), 6, 'and the four projections and two feed-forward layers');
  });
});

describe('whole sequence models hybridize into one graph', () => {
  test("D2L's language model (one-hot, LSTM, Dense): a training step's outputs, states and gradients equal eager", async () => {
    const { RNNModel } = await import('../../examples/char-lm-model.js');
    const make = () => new RNNModel(new rnn.LSTM(8), 10);
    const tokens = () => nd.random.randint({ high: 10, shape: [3, 6], dtype: 'int32' });
    const net = assertHybridEqualsEager(make, () => [tokens(), make().beginState(3)], (b, [x, s]) => (b as InstanceType<typeof RNNModel>).forward(x as nd.NDArray, s as nd.NDArray[]));
    assert.deepEqual(ops(net).filter((o) => o === 'rnnRecurrence' || o === 'oneHot' || o === 'fullyConnected').sort(), ['fullyConnected', 'fullyConnected', 'oneHot', 'rnnRecurrence']);
  });

  /** D2L's seq2seq with Bahdanau attention (section 10.4): a GRU encoder, and a decoder that attends at every step. */
  class Seq2SeqAttention extends gluon.HybridBlock {
    encEmbedding = new nn.Embedding(12, 6);
    encoder = new rnn.GRU(8, { numLayers: 2 });
    decEmbedding = new nn.Embedding(12, 6);
    attention = new nn.AdditiveAttention(8, { dropout: 0.1 });
    decoder = new rnn.GRU(8, { numLayers: 2 });
    dense = new nn.Dense(12, { flatten: false });

    override forward(encX: nd.NDArray, decX: nd.NDArray, encValidLens: nd.NDArray): nd.NDArray {
      const [encOut, state] = this.encoder.forward(this.encEmbedding.forward(encX).swapAxes(0, 1), this.encoder.beginState(encX.shape[0]!));
      const keys = encOut.swapAxes(0, 1);
      let hidden = state;
      const outputs: nd.NDArray[] = [];
      const steps = this.decEmbedding.forward(decX).swapAxes(0, 1);
      for (let t = 0; t < decX.shape[1]!; t++) {
        const query = hidden[0]!.sliceAxis(0, 1, 2).swapAxes(0, 1);
        const context = this.attention.forward(query, keys, keys, encValidLens);
        const x = nd.concat([context, steps.sliceAxis(0, t, t + 1).swapAxes(0, 1)], { axis: 2 });
        const [out, next] = this.decoder.forward(x.swapAxes(0, 1), hidden);
        hidden = next;
        outputs.push(out);
      }
      return this.dense.forward(nd.concat(outputs, { axis: 0 })).swapAxes(0, 1);
    }
  }

  test('seq2seq with attention: encoder, per-step attention and decoder in one graph, equal to eager', () => {
    const make = () => new Seq2SeqAttention();
    const net = assertHybridEqualsEager(make, () => [
      nd.random.randint({ high: 12, shape: [2, 5], dtype: 'int32' }),
      nd.random.randint({ high: 12, shape: [2, 4], dtype: 'int32' }),
      nd.array([5, 3], { dtype: 'int32' }),
    ], (b, xs) => b.forward(...xs));
    assert.equal(count(net, 'rnnRecurrence'), 2 + 4 * 2, 'the encoder, and the decoder at each of 4 steps');
    assert.equal(count(net, 'softmax'), 4, 'one masked softmax per decoder step');
  });
});
