/**
 * Gluon misuse that used to be accepted silently (and trained nothing, or turned weights into
 * NaN), or failed with a TypeError from deep inside, is now a typed error naming the class or the
 * parameter: an empty Trainer, Adam with epsilon 0, NaN initializer settings, a Constant array
 * initializer of another shape, abstract classes constructed directly, wrong-type layer options,
 * and the same for the recurrent layers, the text helpers and the MXNet file codecs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ShapeError, TsGluonError, ValueError, autograd, gluon, init, lrScheduler, metric, mxnetParams, nd, nn, optimizer, symbolJson } from '../../src/index.js';

/** Asserts a typed error of `cls` whose message starts with `prefix`. */
function refused(fn: () => unknown, cls: new (...a: never[]) => TsGluonError, prefix: string, what?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    assert.ok(e.message.startsWith(prefix), `expected the message to start with ${JSON.stringify(prefix)}: ${e.message}`);
    if (what) assert.match(e.message, what);
    return true;
  });
}

test('a Trainer over no parameter is refused instead of training nothing', () => {
  refused(() => new gluon.Trainer(new gluon.ParameterDict(), 'sgd'), ValueError, 'Trainer: params holds no parameter');
  refused(() => new gluon.Trainer(new nn.Sequential().collectParams(), 'adam'), ValueError, 'Trainer: params holds no parameter');
  refused(() => new gluon.Trainer([], 'sgd'), ValueError, 'Trainer: params holds no parameter');
  const net = new nn.Dense(1, { inUnits: 1 });
  refused(() => new gluon.Trainer(net.collectParams(), 'nope'), ValueError, 'Trainer: unknown optimizer "nope"');
  refused(() => new gluon.Trainer(net.collectParams(), 'sgd', null as unknown as Record<string, unknown>), ValueError, 'Trainer: the options argument must be an object');
});

test('epsilon must be positive where it guards a division: 0 turned weights with a zero gradient into NaN', () => {
  for (const [name, make] of [
    ['Adam', (epsilon: number) => new optimizer.Adam({ epsilon })],
    ['AdamW', (epsilon: number) => new optimizer.AdamW({ epsilon })],
    ['RMSProp', (epsilon: number) => new optimizer.RMSProp({ epsilon })],
    ['AdaGrad', (epsilon: number) => new optimizer.AdaGrad({ epsilon })],
  ] as const) {
    for (const bad of [0, -1e-8, NaN, Infinity]) refused(() => make(bad), ValueError, `${name}: epsilon must be a positive finite number`);
    assert.ok(make(1e-8) instanceof optimizer.Optimizer);
  }
  // With a tiny epsilon, a parameter whose gradient is exactly zero stays finite.
  const net = new nn.Dense(1, { inUnits: 2, useBias: false });
  net.initialize({ init: 'ones' });
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { epsilon: 1e-12 });
  autograd.record(() => net.forward(nd.zeros([1, 2])).sum()).backward();
  trainer.step(1);
  assert.deepEqual(net.weight.data().toArray(), [[1, 1]]);
});

test('initializer settings must be finite numbers', () => {
  refused(() => new init.Normal(NaN), ValueError, 'Normal: sigma must be a finite number >= 0, got NaN');
  refused(() => new init.Normal(-1), ValueError, 'Normal: sigma must be a finite number >= 0');
  refused(() => new init.Uniform(Infinity), ValueError, 'Uniform: scale must be a finite number >= 0');
  refused(() => new init.Constant(NaN), ValueError, 'Constant: value (a number or an NDArray) must be a finite number');
  refused(() => new init.Xavier({ magnitude: NaN }), ValueError, 'Xavier: magnitude must be a finite number');
  refused(() => new init.MSRAPrelu({ slope: NaN }), ValueError, 'MSRAPrelu: slope must be a finite number');
  refused(() => new init.Orthogonal({ scale: NaN }), ValueError, 'Orthogonal: scale must be a finite number');
  refused(() => new init.Mixed(['('], ['zeros']), ValueError, 'Mixed: the pattern "(" is not a valid regular expression');
});

test('init.Constant with an array fills parameters it broadcasts to, and refuses others naming both shapes', () => {
  const value = nd.array([0.1, 0.25, 0.5]);
  const dense = new nn.Dense(3, { inUnits: 2, weightInitializer: 'zeros', biasInitializer: new init.Constant(value) });
  dense.initialize();
  assert.deepEqual(Array.from(dense.bias!.data().storage), Array.from(Float32Array.from([0.1, 0.25, 0.5])));
  const rows = new nn.Dense(2, { inUnits: 3, weightInitializer: new init.Constant(value) });
  rows.initialize();
  assert.deepEqual(rows.weight.data().toArray(), [Array.from(Float32Array.from([0.1, 0.25, 0.5])), Array.from(Float32Array.from([0.1, 0.25, 0.5]))]);
  // Before: the (3,) value was written into a (3, 2) weight as NaN.
  const wrong = new nn.Dense(3, { inUnits: 2, weightInitializer: new init.Constant(value) });
  refused(() => wrong.initialize(), ShapeError, `${wrong.name}: Parameter ${wrong.name}_weight: Constant: the value of shape (3,) does not fit parameter ${wrong.name}_weight of shape (3, 2)`);
  assert.notEqual(wrong.weight.state, 'initialized', 'no weight array was made');
});

test('abstract classes constructed directly (JavaScript allows it) are refused with what to use instead', () => {
  const abstract: [string, () => unknown][] = [
    ['Initializer', () => new (init.Initializer as unknown as new () => unknown)()],
    ['Optimizer', () => new (optimizer.Optimizer as unknown as new () => unknown)()],
    ['LRScheduler', () => new (lrScheduler.LRScheduler as unknown as new () => unknown)()],
    ['EvalMetric', () => new (metric.EvalMetric as unknown as new (n: string) => unknown)('m')],
    ['Loss', () => new (gluon.loss.Loss as unknown as new () => unknown)()],
    ['Dataset', () => new (gluon.data.Dataset as unknown as new () => unknown)()],
    ['ElementwiseActivation', () => new (nn.ElementwiseActivation as unknown as new () => unknown)()],
  ];
  for (const [name, make] of abstract) refused(make, ValueError, `${name} is abstract and cannot be constructed itself; `);
});

test('wrong-type layer arguments and options are typed errors naming the layer', () => {
  refused(() => new nn.Conv2D(4, null as unknown as number), ValueError, 'Conv2D: kernelSize must be a number or a list of 2 numbers, got null');
  refused(() => new nn.Conv2D(4, 3, { strides: 5n as unknown as number }), ValueError, 'Conv2D: strides must be a number or a list of 2 numbers, got 5n');
  refused(() => new nn.Dense(4, null as unknown as object), ValueError, 'Dense: the options argument must be an object');
  refused(() => new nn.Dense(4, { prefix: 1 as unknown as string }), ValueError, 'Dense: prefix must be a string');
  refused(() => new nn.Dense(4, { params: 'shared' as unknown as gluon.ParameterDict }), ValueError, 'Dense: params must be a ParameterDict');
  refused(() => new nn.Dense(4, { weightInitializer: 'nope' as 'zeros' }), ValueError, "Dense: weightInitializer: unknown initializer 'nope'");
  refused(() => new nn.BatchNorm({ gammaInitializer: 5 as unknown as 'zeros' }), ValueError, 'BatchNorm: gammaInitializer: unknown initializer 5');
  refused(() => new nn.Dropout(Symbol('p') as unknown as number), ValueError, 'Dropout: rate must be in [0, 1], got symbol');
  refused(() => new gluon.data.SimpleDataset(null as unknown as number[]), ValueError, 'SimpleDataset: items must be a list');
  refused(() => new lrScheduler.FactorScheduler(undefined as unknown as { step: number }), ValueError, 'FactorScheduler: options are required');
});

test('a metric names itself when its update fails, whatever op inside raised the error', () => {
  const acc = new metric.Accuracy({ axis: 5 });
  refused(() => acc.update(nd.array([1, 0]), nd.array([[0.5, 0.5], [0.9, 0.1]])), TsGluonError, 'accuracy: argmax: axis 5 is out of range');
  refused(() => new metric.CompositeEvalMetric(['__proto__']), ValueError, 'CompositeEvalMetric: unknown metric "__proto__"');
});

test('recurrent layers and cells, the text helpers and the MXNet file codecs refuse wrong arguments in their own names', () => {
  const { rnn } = gluon;
  const { text } = gluon.data;
  const any = (v: unknown) => v as never;
  refused(() => new rnn.LSTM(8, any(null)), ValueError, 'LSTM: the options argument must be an object');
  refused(() => new rnn.RNN(8, any('relu')), ValueError, 'RNN: the options argument must be an object');
  refused(() => new rnn.GRU(any([[[1]]])), ValueError, 'GRU: hiddenSize must be an integer >= 1, got [[[1]]]');
  refused(() => new (rnn.RecurrentCell as unknown as new () => unknown)(), ValueError, 'RecurrentCell is abstract');
  refused(() => new (rnn.RecurrentLayer as unknown as new (...a: unknown[]) => unknown)('lstm', 4, {}, { size: 0, init: null }), ValueError, 'RecurrentLayer is abstract');
  refused(() => new rnn.DropoutCell(2), ValueError, 'DropoutCell: rate must be in [0, 1], got 2');
  refused(() => new rnn.ResidualCell(any(nd.ones([1]))), ValueError, 'ResidualCell: the base cell must be a recurrent cell, got an object (NDArray)');
  refused(() => text.tokenize(any('one line')), ValueError, 'tokenize: lines must be a list of strings, got "one line"');
  refused(() => text.countCorpus(any([['a'], [5]])), ValueError, 'countCorpus: every token must be a string; token 1 is 5');
  refused(() => new text.Vocab(any(7)), ValueError, 'Vocab: tokens must be a list');
  refused(() => new text.Vocab(['a'], { reservedTokens: any('<pad>') }), ValueError, 'Vocab: reservedTokens must be a list of strings');
  refused(() => text.preprocessLine(any(null)), ValueError, 'preprocessLine: line must be a string, got null');
  refused(() => text.loadCorpus(['ab'], any(3)), ValueError, 'loadCorpus: the options argument must be an object');
  // Checked at the call, not at the first batch (a generator's body runs only when iterated).
  refused(() => text.seqDataIterRandom(any({}), 2, 3), ValueError, 'seqDataIterRandom: the corpus must be a list or Int32Array of token indices');
  refused(() => text.seqDataIterSequential([1, 2, 3], 2, 3, any({ nextInt: () => 0 })), ValueError, 'seqDataIterSequential: generator must be a Generator');
  refused(() => text.loadDataPrideAndPrejudice(0, 5), ValueError, 'loadDataPrideAndPrejudice: SeqDataLoader: batchSize must be a positive integer, got 0');
  refused(() => mxnetParams.decodeMXNetParams(any('net-0000.params')), ValueError, 'decodeMXNetParams: input must be the bytes of a .params file');
  refused(() => mxnetParams.encodeMXNetParams(any({ w: nd.ones([1]) })), ValueError, 'encodeMXNetParams: entries must be a list of [name, NDArray] pairs');
  refused(() => mxnetParams.encodeMXNetParams(any([nd.ones([1])])), ValueError, 'encodeMXNetParams: each entry must be a [name, NDArray] pair');
  refused(() => symbolJson.parseSymbolJson(any(null)), ValueError, 'parseSymbolJson: input must be the text of a symbol file');
  refused(() => symbolJson.symbolToJson(any({ nodes: 3 }), () => 1), ValueError, 'symbolToJson: graph must be a SymbolGraph');
  // The checks leave good arguments alone.
  assert.deepEqual(text.tokenize(['a b']), [['a', 'b']]);
  assert.equal([...text.seqDataIterSequential([0, 1, 2, 3, 4, 5, 6], 1, 2, new Generator(0))].length > 0, true);
});

test('a forward given a list nested 10,000 deep or an object faking an NDArray is a typed error naming the layer', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 10000; i++) deep = [deep];
  const fake = Object.create(nd.NDArray.prototype) as nd.NDArray;
  for (const layer of [new nn.Conv2D(2, 3), new nn.BatchNorm(), new nn.Embedding(4, 2), new gluon.rnn.LSTM(3), new nn.MaxPool2D()]) {
    layer.initialize();
    for (const x of [deep as nd.NDArray, fake]) refused(() => layer.forward(x), ValueError, `${layer.name}: forward expects an NDArray`);
  }
  refused(() => new nn.Dropout(0.5, { axes: -3 as unknown as number[] }), ValueError, 'Dropout: axes must be a list of axes', /got -3/);
  refused(() => new gluon.data.vision.ImageLabelDataset(fake, nd.zeros([0])), ValueError, 'ImageLabelDataset: images and labels must be NDArrays');
});

test('Constant and ImageLabelDataset refuse an object faking an NDArray, and arrays without values', () => {
  const fake = Object.create(nd.NDArray.prototype) as nd.NDArray;
  refused(() => new gluon.Constant('c', fake), ValueError, 'Constant c: the value must be an NDArray');
  const shapeOnly = nd.NDArray.shapeOnly([3, 3, 4], 'float32');
  refused(() => new gluon.data.vision.ImageLabelDataset(shapeOnly, nd.zeros([3], { dtype: 'int32' })), ValueError, 'ImageLabelDataset: images and labels must hold values');
});
