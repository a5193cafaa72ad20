/**
 * Property test of hybridize: random stacks of layers, built twice from the same seed, one run
 * imperatively and one hybridized (as one HybridSequential graph, with or without staticAlloc),
 * give the same outputs, input gradients, parameter gradients and BatchNorm running statistics,
 * bit for bit, over two training or prediction steps. Dense-style stacks run on (N, F) inputs,
 * convolutional ones on (N, C, H, W) inputs ending in global pooling and a Dense layer, recurrent
 * ones (RNN, LSTM, GRU layers, per-step Dense, dropout, LayerNorm) on (T, N, C) sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { autograd, gluon, nd, nn } from '../../src/index.js';

type Spec = readonly [string, number];

const flat = fc.oneof(
  fc.tuple(fc.constant('dense'), fc.integer({ min: 1, max: 6 })),
  fc.tuple(fc.constant('denseRelu'), fc.integer({ min: 1, max: 6 })),
  fc.tuple(fc.constantFrom('tanh', 'sigmoid', 'relu', 'softrelu'), fc.constant(0)),
  fc.tuple(fc.constant('dropout'), fc.integer({ min: 1, max: 8 })),
  fc.tuple(fc.constant('batchNorm'), fc.constant(0)),
  fc.tuple(fc.constant('layerNorm'), fc.constant(0)),
  fc.tuple(fc.constant('lambda'), fc.constant(0)),
  fc.tuple(fc.constant('leakyRelu'), fc.constant(0)),
);

const spatial = fc.oneof(
  fc.tuple(fc.constant('conv1'), fc.integer({ min: 1, max: 4 })),
  fc.tuple(fc.constant('conv3'), fc.integer({ min: 1, max: 4 })),
  fc.tuple(fc.constant('batchNorm'), fc.constant(0)),
  fc.tuple(fc.constantFrom('relu', 'tanh'), fc.constant(0)),
  fc.tuple(fc.constant('maxPool'), fc.constant(0)),
  fc.tuple(fc.constant('avgPool'), fc.constant(0)),
  fc.tuple(fc.constant('dropout'), fc.integer({ min: 1, max: 8 })),
);

const sequence = fc.oneof(
  fc.tuple(fc.constantFrom('lstm', 'gru', 'rnn', 'lstmBi', 'gru2'), fc.integer({ min: 1, max: 5 })),
  fc.tuple(fc.constant('denseSeq'), fc.integer({ min: 1, max: 5 })),
  fc.tuple(fc.constant('dropout'), fc.integer({ min: 1, max: 8 })),
  fc.tuple(fc.constant('layerNorm'), fc.constant(0)),
);

function layer([kind, n]: Spec): gluon.Block {
  switch (kind) {
    case 'lstm':
      return new gluon.rnn.LSTM(n);
    case 'lstmBi':
      return new gluon.rnn.LSTM(n, { bidirectional: true });
    case 'gru':
      return new gluon.rnn.GRU(n);
    case 'gru2':
      return new gluon.rnn.GRU(n, { numLayers: 2, dropout: 0.3 });
    case 'rnn':
      return new gluon.rnn.RNN(n, { activation: 'tanh' });
    case 'denseSeq':
      return new nn.Dense(n, { flatten: false, activation: 'tanh' });
    case 'dense':
      return new nn.Dense(n);
    case 'denseRelu':
      return new nn.Dense(n, { activation: 'relu' });
    case 'dropout':
      return new nn.Dropout(n / 10);
    case 'batchNorm':
      return new nn.BatchNorm();
    case 'layerNorm':
      return new nn.LayerNorm();
    case 'lambda':
      return new nn.HybridLambda((x: nd.NDArray) => x.mul(2).sub(x.square().mul(0.1)));
    case 'leakyRelu':
      return new nn.LeakyReLU(0.1);
    case 'conv1':
      return new nn.Conv2D(n, 1);
    case 'conv3':
      return new nn.Conv2D(n, 3, { padding: 1 });
    case 'maxPool':
      return new nn.MaxPool2D(3, { strides: 1, padding: 1 });
    case 'avgPool':
      return new nn.AvgPool2D(2, { strides: 1, padding: 1 });
    default:
      return new nn.Activation(kind as 'relu');
  }
}

interface Case {
  readonly specs: readonly Spec[];
  readonly input: readonly number[];
  readonly train: boolean;
  readonly staticAlloc: boolean;
  readonly seed: number;
}

/** Everything a step produces, flattened to numbers, after two steps. */
function run(c: Case, hybrid: boolean): number[][] {
  gluon.resetNameCounters();
  nd.random.seed(c.seed);
  const net = new nn.HybridSequential();
  for (const s of c.specs) net.add(layer(s));
  if (c.input.length === 4) net.add(new nn.GlobalAvgPool2D(), new nn.Dense(3));
  net.initialize({ init: 'xavier' });
  if (hybrid) net.hybridize({ staticAlloc: c.staticAlloc });
  const out: number[][] = [];
  for (let step = 0; step < 2; step++) {
    const x = nd.random.normal({ shape: c.input });
    x.attachGrad();
    const y = autograd.record(() => net.forward(x), { trainMode: c.train });
    y.backward(nd.random.normal({ shape: y.shape }));
    out.push(Array.from(y.storage), Array.from(x.grad!.storage));
    for (const p of net.collectParams().values()) out.push(Array.from(p.gradReq === 'null' ? p.data().storage : p.grad().storage));
  }
  return out;
}

const cases = (layers: fc.Arbitrary<Spec>, input: fc.Arbitrary<number[]>) =>
  fc.record({
    specs: fc.array(layers, { minLength: 1, maxLength: 6 }),
    input,
    train: fc.boolean(),
    staticAlloc: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });

test('random dense stacks: hybridized equals eager in values and gradients', () => {
  fc.assert(
    fc.property(cases(flat, fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 7 }))), (c) => {
      assert.deepEqual(run(c, true), run(c, false));
    }),
    { numRuns: 40 },
  );
});

test('random convolutional stacks: hybridized equals eager in values and gradients', () => {
  fc.assert(
    fc.property(cases(spatial, fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 3, max: 6 }))), (c) => {
      assert.deepEqual(run(c, true), run(c, false));
    }),
    { numRuns: 20 },
  );
});

test('random recurrent stacks: hybridized equals eager in values and gradients', () => {
  fc.assert(
    fc.property(cases(sequence, fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }))), (c) => {
      assert.deepEqual(run(c, true), run(c, false));
    }),
    { numRuns: 20 },
  );
});
