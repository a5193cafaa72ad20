// Channels-last layouts (NWC, NHWC, NDHWC): each layer computes on (N, *spatial, C) exactly what
// its channels-first form computes on the transposed data, with the weight channels-last too
// (MXNet's (O, *kernel, I/groups)); gradients of the input and of every parameter agree the same
// way. Checked in float64 for convolution (1-3 d, groups, strides, padding, dilation), transposed
// convolution, max / average / global pooling and BatchNorm.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError, autograd, gluon, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';

beforeEach(() => gluon.resetNameCounters());

const toLast = (x: nd.NDArray): nd.NDArray => x.transpose([0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2), 1]);
const toFirst = (x: nd.NDArray): nd.NDArray => x.transpose([0, x.ndim - 1, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 1)]);

/** Runs `first` on x and `last` on x in channels-last form, with the same parameters; compares outputs and gradients. */
function compare(first: gluon.Block, last: gluon.Block, shape: number[], weightKeys: readonly string[], train = false): void {
  nd.random.seed(7);
  const x = nd.random.normal({ shape, dtype: 'float64' });
  first.initialize({ init: 'normal' });
  first.forward(x);
  last.initialize();
  last.inferShape(toLast(x));
  const pf = first.collectParams();
  const pl = last.collectParams();
  for (const [key, p] of pf) pl.get(key).setData(weightKeys.includes(key) ? toLast(p.data()) : p.data());
  const xf = nd.array(x);
  const xl = nd.array(toLast(x));
  xf.attachGrad();
  xl.attachGrad();
  const probe = nd.random.normal({ shape: first.forward(x).shape, dtype: 'float64' });
  const run = (): [nd.NDArray, nd.NDArray] => {
    const yf = first.forward(xf);
    const yl = last.forward(xl);
    nd.sum(yf.mul(probe)).backward();
    nd.sum(yl.mul(toLast(probe))).backward();
    return [yf, yl];
  };
  const [yf, yl] = autograd.record(run, { trainMode: train });
  assertClose(toFirst(yl), yf, { rtol: 1e-12, atol: 1e-12, msg: 'output' });
  assertClose(toFirst(xl.grad!), xf.grad!, { rtol: 1e-12, atol: 1e-12, msg: 'input gradient' });
  for (const [key, p] of pf) {
    if (p.gradReq === 'null') continue;
    const g = pl.get(key).grad();
    assertClose(weightKeys.includes(key) ? toFirst(g) : g, p.grad(), { rtol: 1e-12, atol: 1e-12, msg: `${key} gradient` });
  }
}

type ConvClass = new (channels: number, kernel: number, options: nn.ConvOptions) => gluon.Block;
const conv = (Ctor: ConvClass, layout: string | undefined, channels: number, kernel: number, options: nn.ConvOptions) =>
  new Ctor(channels, kernel, { ...options, dtype: 'float64', ...(layout === undefined ? {} : { layout }) });

test('Conv1D/2D/3D in NWC, NHWC, NDHWC equal the channels-first layers on transposed data', () => {
  const cases: [ConvClass, string, number[], nn.ConvOptions][] = [
    [nn.Conv1D, 'NWC', [2, 4, 9], { strides: 2, padding: 1 }],
    [nn.Conv1D, 'NWC', [1, 4, 10], { groups: 2, dilation: 2 }],
    [nn.Conv2D, 'NHWC', [2, 4, 6, 5], { padding: [1, 2], strides: [2, 1], activation: 'tanh' }],
    [nn.Conv2D, 'NHWC', [1, 6, 5, 5], { groups: 3, useBias: false }],
    [nn.Conv3D, 'NDHWC', [1, 2, 4, 5, 4], { padding: 1 }],
  ];
  for (const [Ctor, layout, shape, options] of cases) compare(conv(Ctor, undefined, 6, 3, options), conv(Ctor, layout, 6, 3, options), shape, ['weight']);
});

test('Conv2DTranspose in NHWC equals the NCHW layer on transposed data', () => {
  const make = (layout?: string) => new nn.Conv2DTranspose(4, 3, { strides: 2, padding: 1, outputPadding: 1, groups: 2, dtype: 'float64', ...(layout === undefined ? {} : { layout }) });
  compare(make(), make('NHWC'), [2, 4, 3, 4], ['weight']);
});

test('max, average and global pooling in NWC, NHWC, NDHWC equal the channels-first layers', () => {
  const cases: [() => gluon.Block, () => gluon.Block, number[]][] = [
    [() => new nn.MaxPool1D(3, { strides: 2 }), () => new nn.MaxPool1D(3, { strides: 2, layout: 'NWC' }), [2, 3, 9]],
    [() => new nn.AvgPool2D(3, { strides: 2, padding: 1, ceilMode: true, countIncludePad: false }), () => new nn.AvgPool2D(3, { strides: 2, padding: 1, ceilMode: true, countIncludePad: false, layout: 'NHWC' }), [2, 3, 7, 6]],
    [() => new nn.MaxPool3D(2), () => new nn.MaxPool3D(2, { layout: 'NDHWC' }), [1, 2, 4, 4, 6]],
    [() => new nn.GlobalAvgPool2D(), () => new nn.GlobalAvgPool2D({ layout: 'NHWC' }), [2, 3, 4, 5]],
    [() => new nn.GlobalMaxPool1D(), () => new nn.GlobalMaxPool1D({ layout: 'NWC' }), [2, 3, 5]],
  ];
  for (const [first, last, shape] of cases) compare(first(), last(), shape, []);
});

test('BatchNorm with layout NHWC equals BatchNorm on NCHW, in training and prediction', () => {
  for (const train of [true, false]) {
    compare(new nn.BatchNorm({ dtype: 'float64' }), new nn.BatchNorm({ layout: 'NHWC', dtype: 'float64' }), [3, 4, 2, 5], [], train);
  }
  const bn = new nn.BatchNorm({ layout: 'NDHWC' });
  assert.equal(bn.axis, 4);
  assert.equal(new nn.BatchNorm({ layout: 'NCW' }).axis, 1);
  assert.equal(new nn.BatchNorm({ layout: 'NHWC', axis: -1 }).axis, 3);
});

test('layout errors: a wrong rank, an unknown layout, axis contradicting layout', () => {
  assert.throws(() => new nn.Conv3D(2, 3, { layout: 'NHWC' }), (e: Error) => e instanceof ValueError && /Conv3D: layout 'NHWC' is not one of 'NCDHW'.*'NDHWC'/.test(e.message));
  assert.throws(() => new nn.BatchNorm({ layout: 'CHWN' }), /BatchNorm: layout 'CHWN' is not one of NCW, NCHW, NCDHW, NWC, NHWC, NDHWC/);
  assert.throws(() => new nn.BatchNorm({ layout: 'NHWC', axis: 1 }), /BatchNorm: axis 1 contradicts layout 'NHWC', whose channel axis is 3/);
  const bn = new nn.BatchNorm({ layout: 'NHWC' });
  bn.initialize();
  assert.throws(() => bn.forward(nd.zeros([2, 3, 4])), (e: Error) => e instanceof ShapeError && /input of shape \(2, 3, 4\) must have 4 axes for layout 'NHWC'/.test(e.message));
  const c = new nn.Conv2D(4, 3, { layout: 'NHWC' });
  c.initialize();
  assert.throws(() => c.forward(nd.zeros([1, 5, 5])), /input of shape \(1, 5, 5\) must have 4 axes \(NHWC\)/);
});

test('channels-last shapes are inferred without data and printed with the right input channels', () => {
  const net = new nn.Sequential().add(
    new nn.Conv2D(8, 3, { layout: 'NHWC', padding: 1 }),
    new nn.BatchNorm({ layout: 'NHWC' }),
    new nn.MaxPool2D(2, { layout: 'NHWC' }),
    new nn.Conv2D(4, 1, { layout: 'NHWC' }),
  );
  net.initialize({ inputShape: [1, 8, 8, 3] });
  assert.deepEqual(net.get<nn.Conv2D>(0).weight.shape, [8, 3, 3, 3]);
  assert.deepEqual(net.get<nn.BatchNorm>(1).gamma.shape, [8]);
  assert.deepEqual(net.get<nn.Conv2D>(3).weight.shape, [4, 1, 1, 8]);
  assert.deepEqual(net.forward(nd.zeros([2, 8, 8, 3])).shape, [2, 4, 4, 4]);
  assert.equal(net.get(0).toString(), 'Conv2D(3 -> 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))');
  assert.equal(net.get<nn.Conv2D>(3).layout, 'NHWC');
});
