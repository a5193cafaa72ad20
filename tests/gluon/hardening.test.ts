/**
 * Gluon misuse that used to be accepted silently (and trained nothing, or turned weights into
 * NaN), or failed with a TypeError from deep inside, is now a typed error naming the class or the
 * parameter: an empty Trainer, Adam with epsilon 0, NaN initializer settings, a Constant array
 * initializer of another shape, abstract classes constructed directly, wrong-type layer options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, TsGluonError, ValueError, autograd, gluon, init, lrScheduler, metric, nd, nn, optimizer } from '../../src/index.js';

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
