/**
 * The common mistakes of a new user get an error that states the fix, before anything is computed
 * or initialized: integer or float64 data into a float32 layer (src/gluon/input-dtype.ts), a
 * channels-last image batch into Conv2D (src/gluon/nn/conv-hints.ts), one-hot labels into
 * SoftmaxCrossEntropyLoss. Inputs that are right keep working, including the ones that look alike
 * (Embedding's integer indices, shape-only inputs, a genuine NCHW batch, (N, 1) labels).
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { DTypeError, ShapeError, gluon, nd, nn } from '../../src/index.js';

beforeEach(() => gluon.resetNameCounters());

/** Asserts that `fn` throws `cls` whose message matches every pattern. */
function throwsWith(fn: () => unknown, cls: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('uint8 and int32 data into a float32 layer: a DTypeError naming the layer, ToTensor and astype; nothing initialized', () => {
  for (const dtype of ['uint8', 'int32'] as const) {
    gluon.resetNameCounters();
    const net = new nn.Sequential().add(new nn.Dense(16, { activation: 'relu' }), new nn.Dense(10));
    net.initialize();
    const x = nd.array([[0, 128, 255, 3]], { dtype });
    throwsWith(() => net.forward(x), DTypeError, new RegExp(`^dense0: the input is ${dtype} but the layer's parameters are float32`), /ToTensor\(\)/, /x\.astype\('float32'\)/);
    assert.equal(net.get<nn.Dense>(0).weight.state, 'pending', 'the refused forward inferred nothing');
  }
});

test('the bundled digits without ToTensor: the first forward says to apply ToTensor', () => {
  const { DataLoader, vision } = gluon.data;
  const [x] = new DataLoader(new vision.Digits({ train: false }), { batchSize: 8 })[Symbol.iterator]().next().value!;
  assert.equal(x.dtype, 'uint8');
  const net = new nn.Sequential().add(new nn.Dense(10));
  net.initialize();
  throwsWith(() => net.forward(x), DTypeError, /dense0: the input is uint8/, /transformFirst\(new transforms\.ToTensor\(\)\)/);
  const toTensor = new vision.transforms.ToTensor();
  assert.deepEqual(net.forward(toTensor.forward(x)).shape, [8, 10]);
});

test('float64 into float32 and float32 into float64: astype or net.cast', () => {
  const net = new nn.Sequential().add(new nn.Dense(3));
  net.initialize();
  throwsWith(() => net.forward(nd.ones([2, 4], { dtype: 'float64' })), DTypeError, /dense0: the input is float64 but the layer's parameters are float32/, /x\.astype\('float32'\)/, /net\.cast\('float64'\)/);
  net.forward(nd.ones([2, 4]));
  net.cast('float64');
  throwsWith(() => net.forward(nd.ones([2, 4])), DTypeError, /the input is float32 but the layer's parameters are float64/, /x\.astype\('float64'\)/, /net\.cast\('float32'\)/);
  assert.equal(net.forward(nd.ones([2, 4], { dtype: 'float64' })).dtype, 'float64');
});

test('every float layer family checks: convolution, normalization, PReLU', () => {
  const cases: [nn.Dense | gluon.Block, number[], RegExp][] = [
    [new nn.Conv2D(2, 3), [1, 1, 5, 5], /^conv0:/],
    [new nn.BatchNorm(), [2, 3], /^batchnorm0:/],
    [new nn.LayerNorm(), [2, 3], /^layernorm0:/],
    [new nn.PReLU(), [2, 3], /^prelu0:/],
  ];
  for (const [layer, shape, name] of cases) {
    layer.initialize();
    throwsWith(() => layer.forward(nd.zeros(shape, { dtype: 'int32' })), DTypeError, name, /astype\('float32'\)/);
    assert.equal(layer.forward(nd.zeros(shape)).dtype, 'float32');
  }
});

test('inputs that are right are not refused: Embedding indices, shape-only inputs of any dtype, non-float blocks', () => {
  const emb = new nn.Embedding(10, 4);
  emb.initialize();
  assert.deepEqual(emb.forward(nd.array([1, 2, 3], { dtype: 'int32' })).shape, [3, 4]);
  // data-free inference hands shape-only float32 arrays to a net cast to float64: nothing is computed
  const net = new nn.Sequential().add(new nn.Dense(5), new nn.Dense(2));
  net.cast('float64');
  net.initialize({ inputShape: [2, 7] });
  assert.deepEqual(net.get<nn.Dense>(0).weight.shape, [5, 7]);
  // blocks without float parameters of their own pass any dtype on
  assert.equal(new nn.Flatten().forward(nd.zeros([2, 2, 2], { dtype: 'int32' })).dtype, 'int32');
});

test('a channels-last image batch into Conv2D: NCHW and transpose, whether inChannels is known or still to infer', () => {
  const nhwc = nd.zeros([2, 28, 28, 1]);
  const deferred = new nn.Conv2D(6, 5, { padding: 2 });
  deferred.initialize();
  throwsWith(() => deferred.forward(nhwc), ShapeError, /conv0: input of shape \(2, 28, 28, 1\) looks like a channels-last image batch \(N, H, W, C\)/, /\(N, C, H, W\)/, /x\.transpose\(\[0, 3, 1, 2\]\)/, /inChannels: 28/);
  assert.deepEqual(deferred.weight.shape, [6, 0, 5, 5], 'nothing inferred from the wrong axis');
  assert.deepEqual(deferred.forward(nhwc.transpose([0, 3, 1, 2])).shape, [2, 6, 28, 28]);

  const known = new nn.Conv2D(4, 3, { inChannels: 3 });
  known.initialize();
  throwsWith(() => known.forward(nd.zeros([1, 16, 20, 3])), ShapeError, /conv1: input of shape \(1, 16, 20, 3\) looks like a channels-last/);

  // genuine channels-first inputs, and an ambiguous one whose channel count was stated
  const rgb = new nn.Conv2D(4, 3);
  rgb.initialize();
  assert.deepEqual(rgb.forward(nd.zeros([1, 3, 8, 8])).shape, [1, 4, 6, 6]);
  const stated = new nn.Conv2D(4, 1, { inChannels: 28 });
  stated.initialize();
  assert.deepEqual(stated.forward(nd.zeros([1, 28, 28, 3])).shape, [1, 4, 28, 3]);
});

test('one-hot labels into SoftmaxCrossEntropyLoss: sparseLabel: false; index labels of shape (N,) and (N, 1) still work', () => {
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const pred = nd.array([[2, 0, 0], [0, 0, 2]]);
  const oneHot = nd.array([[1, 0, 0], [0, 0, 1]]);
  throwsWith(() => loss.forward(pred, oneHot), ShapeError, /label of shape \(2, 3\) has the prediction's 3 classes along axis 1/, /one-hot/, /\{ sparseLabel: false \}/, /shape \(2,\)/);
  const dense = new gluon.loss.SoftmaxCrossEntropyLoss({ sparseLabel: false }).forward(pred, oneHot);
  const sparse = loss.forward(pred, nd.array([0, 2], { dtype: 'int32' }));
  const column = loss.forward(pred, nd.array([[0], [2]], { dtype: 'int32' }));
  const expected = Math.log(1 + 2 * Math.exp(-2));   // -log softmax([2, 0, 0])[0]
  for (const l of [dense, sparse, column]) {
    assert.deepEqual(l.shape, [2]);
    for (const v of l.toArray() as number[]) assert.ok(Math.abs(v - expected) < 1e-6, `${v} vs ${expected}`);
  }
});
