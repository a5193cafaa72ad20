import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, ValueError, ShapeError } from '../../src/index.js';
import * as optimizer from '../../src/optim/index.js';
import { FactorScheduler } from '../../src/optim/lr-scheduler.js';
import { assertClose } from '../helpers.js';

// Reference trajectories: the weights after each of three updates of w0 = [1, -0.5] with the
// gradients below, computed by hand-written scalar formulas in double precision.
const W0 = [1, -0.5];
const GRADS = [[0.5, -1], [0.3, 0.2], [-0.1, 0.4]];

function run(opt: optimizer.Optimizer, dtype: 'float32' | 'float64' = 'float64'): number[][] {
  const w = nd.array(W0, { dtype });
  const state = opt.createState(0, w);
  return GRADS.map((g) => {
    opt.update(0, w, nd.array(g, { dtype }), state);
    return Array.from(w.storage);
  });
}

function assertTrajectory(actual: number[][], expected: number[][], rtol = 1e-12): void {
  expected.forEach((e, i) => assertClose(nd.array(actual[i]!, { dtype: 'float64' }), e, { rtol, atol: 1e-14, msg: `step ${i + 1}` }));
}

test('SGD without momentum: w -= lr * (clip(rescale * g) + wd * w)', () => {
  const opt = new optimizer.SGD({ learningRate: 0.1 });
  assert.deepEqual(opt.createState(0, nd.zeros([2])), {});
  const w = nd.array([1, -2], { dtype: 'float64' });
  opt.update(0, w, nd.array([0.5, 1], { dtype: 'float64' }), {});
  assertClose(w, [0.95, -2.1], { rtol: 1e-15 });
  const decayed = new optimizer.SGD({ learningRate: 0.1, wd: 0.1 });
  const w2 = nd.array([1, -2], { dtype: 'float64' });
  decayed.update(0, w2, nd.array([0.5, 1], { dtype: 'float64' }), {});
  assertClose(w2, [0.94, -2.08], { rtol: 1e-15 });
});

test('SGD rescales then clips the gradient, and adds weight decay after clipping (MXNet)', () => {
  const opt = new optimizer.SGD({ learningRate: 1, rescaleGrad: 0.5, clipGradient: 0.2 });
  const w = nd.zeros([3], { dtype: 'float64' });
  opt.update(0, w, nd.array([1, -3, 0.2], { dtype: 'float64' }), {});
  assertClose(w, [-0.2, 0.2, -0.1], { rtol: 1e-15 });
  const wd = new optimizer.SGD({ learningRate: 1, wd: 0.1, clipGradient: 0.5 });
  const w2 = nd.array([10], { dtype: 'float64' });
  wd.update(0, w2, nd.array([0], { dtype: 'float64' }), {});
  assertClose(w2, [9], { rtol: 1e-15 });
});

test('SGD with momentum: mom = mu * mom - lr * g; w += mom (three steps by hand)', () => {
  const opt = new optimizer.SGD({ learningRate: 0.1, momentum: 0.9 });
  const w = nd.array([1], { dtype: 'float64' });
  const state = opt.createState(0, w);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.update(0, w, nd.array([0.5], { dtype: 'float64' }), state);
    seen.push(w.item());
  }
  assertClose(nd.array(seen, { dtype: 'float64' }), [0.95, 0.855, 0.7195], { rtol: 1e-14 });
  assertClose(state['mom']!, [-0.1355], { rtol: 1e-14 });
  assertTrajectory(run(new optimizer.SGD({ learningRate: 0.1, momentum: 0.9, wd: 0.1 })), [
    [0.94, -0.395], [0.8466, -0.31655], [0.764074, -0.2827795],
  ]);
});

test('NAG and SGD({ nesterov: true }): mom = mu * mom + g; w -= lr * (g + mu * mom)', () => {
  const expected = [[0.905, -0.31], [0.8075, -0.267], [0.76575, -0.2863]];
  assertTrajectory(run(new optimizer.NAG({ learningRate: 0.1, momentum: 0.9 })), expected);
  assertTrajectory(run(new optimizer.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })), expected);
});

test('Adam: MXNet bias correction folded into the step size', () => {
  assertTrajectory(run(new optimizer.Adam({ learningRate: 0.1 })), [
    [0.9000000632455132, -0.4000000316227666],
    [0.8042510975781301, -0.3488974397582968],
    [0.7421107118224864, -0.3354734836420914],
  ]);
  // Weight decay is added before clipping.
  assertTrajectory(run(new optimizer.Adam({ learningRate: 0.1, wd: 0.1, rescaleGrad: 0.5, clipGradient: 0.4 })), [
    [0.9000000903507086, -0.400000079056879],
    [0.8026500020247903, -0.34478031495441114],
    [0.7230410688460133, -0.3294957522351138],
  ]);
  assert.equal(new optimizer.Adam().learningRate, 0.001);
});

test('AdamW: decoupled weight decay, default wd 0.01', () => {
  assertTrajectory(run(new optimizer.AdamW({ learningRate: 0.1, wd: 0.1 })), [
    [0.8900000632455132, -0.3950000316227666],
    [0.785351096945675, -0.3399474394420691],
    [0.7153572002205746, -0.32312400893144305],
  ]);
  assert.equal(new optimizer.AdamW().wd, 0.01);
});

test('RMSProp: plain and centered variants, epsilon inside the root', () => {
  assertTrajectory(run(new optimizer.RMSProp({ learningRate: 0.01 })), [
    [0.9683772297228697, -0.4683772249794549],
    [0.9514741473113281, -0.4749005053630063],
    [0.9573112303711137, -0.48751183795858916],
  ]);
  assertTrajectory(run(new optimizer.RMSProp({ learningRate: 0.01, wd: 0.1 })), [
    [0.9683772277903676, -0.46837722483245564],
    [0.95029201190305, -0.47318304163683034],
    [0.9505307948419028, -0.48412701452528073],
  ]);
  assertTrajectory(run(new optimizer.RMSProp({ learningRate: 0.01, centered: true })), [
    [0.9666666740740716, -0.46666666851851835],
    [0.918016588179812, -0.4433669219109168],
    [0.88042803518321, -0.43504177192843135],
  ]);
  const clipped = new optimizer.RMSProp({ learningRate: 10, clipWeights: 0.3 });
  const w = nd.array([0.1, -0.1], { dtype: 'float64' });
  clipped.update(0, w, nd.array([-1, 1], { dtype: 'float64' }), clipped.createState(0, w));
  assertClose(w, [0.3, -0.3], { rtol: 1e-15 });
});

test('AdaGrad: history of squared gradients, weight decay outside the ratio', () => {
  assertTrajectory(run(new optimizer.AdaGrad({ learningRate: 0.1, wd: 0.01 })), [
    [0.899000019999994, -0.3995000049999996],
    [0.8466514520033538, -0.41871211756595206],
    [0.8627078832311948, -0.45480824109394574],
  ]);
});

test('float32 weights are updated in place with float32 rounding', () => {
  const w = nd.array(W0);
  const storage = w.storage;
  const opt = new optimizer.Adam({ learningRate: 0.1 });
  const state = opt.createState(0, w);
  assert.equal(state['mean']!.dtype, 'float32');
  for (const g of GRADS) opt.update(0, w, nd.array(g), state);
  assert.equal(w.storage, storage);
  assertClose(w, [0.7421107118224864, -0.3354734836420914], { rtol: 1e-6 });
});

test('update counts are per parameter; bias correction uses the parameter\'s own count', () => {
  const opt = new optimizer.Adam({ learningRate: 0.1 });
  const a = nd.array([1], { dtype: 'float64' });
  const sa = opt.createState(0, a);
  opt.update(0, a, nd.array([0.5], { dtype: 'float64' }), sa);
  opt.update(0, a, nd.array([0.3], { dtype: 'float64' }), sa);
  const b = nd.array([1], { dtype: 'float64' });
  opt.update(1, b, nd.array([0.5], { dtype: 'float64' }), opt.createState(1, b));
  assertClose(b, [0.9000000632455132], { rtol: 1e-14 });
  assert.equal(opt.updateCount(0), 2);
  assert.equal(opt.updateCount(1), 1);
  assert.equal(opt.numUpdate, 2);
});

test('lrMult and wdMult scale one parameter\'s rate and decay', () => {
  const opt = new optimizer.SGD({ learningRate: 0.2, wd: 1 });
  opt.paramDict.set(0, { name: 'dense0_bias', lrMult: 0.5, wdMult: 0 });
  const w = nd.array([1], { dtype: 'float64' });
  opt.update(0, w, nd.array([1], { dtype: 'float64' }), {});
  assertClose(w, [0.9], { rtol: 1e-15 });
  assert.equal(opt.lrFor(0), 0.1);
  assert.equal(opt.lrFor(1), 0.2);
  assert.equal(opt.wdFor(0), 0);
});

test('a schedule drives the learning rate from the update count', () => {
  const sched = new FactorScheduler({ step: 1, factor: 0.5 });
  const opt = new optimizer.SGD({ learningRate: 1, lrScheduler: sched });
  assert.equal(sched.baseLr, 1);
  const w = nd.zeros([1], { dtype: 'float64' });
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    opt.update(0, w, nd.ones([1], { dtype: 'float64' }), {});
    seen.push(w.item());
  }
  assert.deepEqual(seen, [-1, -1.5, -1.75]);
  assert.equal(opt.learningRate, 0.25);
  assert.throws(() => opt.setLearningRate(0.1), ValueError);
});

test('learningRate can be read and set', () => {
  const opt = optimizer.create('sgd', { learningRate: 0.5 });
  assert.equal(opt.learningRate, 0.5);
  opt.learningRate = 0.25;
  assert.equal(opt.learningRate, 0.25);
  opt.setLearningRate(0.125);
  assert.equal(opt.learningRate, 0.125);
  assert.throws(() => opt.setLearningRate(-1), ValueError);
});

test('the registry resolves names case-insensitively and rejects unknown names and options', () => {
  const names: [string, new () => optimizer.Optimizer][] = [
    ['sgd', optimizer.SGD], ['nag', optimizer.NAG], ['adam', optimizer.Adam], ['AdamW', optimizer.AdamW],
    ['rmsprop', optimizer.RMSProp], ['adagrad', optimizer.AdaGrad],
  ];
  for (const [name, ctor] of names) assert.ok(optimizer.create(name) instanceof ctor, name);
  assert.throws(() => optimizer.create('sgdd'), (e: Error) => e instanceof ValueError && /registered optimizers: .*adam/.test(e.message));
  assert.throws(() => optimizer.create('sgd', { learning_rate: 0.1 }), (e: Error) => e instanceof ValueError && /did you mean learningRate/.test(e.message));
  assert.throws(() => new optimizer.Adam({ momentum: 0.9 } as never), (e: Error) => /unknown option "momentum"/.test(e.message));
  assert.throws(() => new optimizer.SGD({ momentum: 1 }), ValueError);
  assert.throws(() => new optimizer.SGD({ clipGradient: -1 }), ValueError);
  assert.throws(() => new optimizer.Adam({ beta1: 1 }), ValueError);
  const sgd = new optimizer.SGD();
  assert.equal(optimizer.resolve(sgd), sgd);
  assert.throws(() => optimizer.resolve(sgd, { learningRate: 1 }), ValueError);
});

test('mismatched gradient shapes and non-float weights are rejected without touching the weight', () => {
  const opt = new optimizer.SGD({ learningRate: 0.1 });
  opt.paramDict.set(0, { name: 'dense0_weight' });
  const w = nd.array([1, 2]);
  assert.throws(() => opt.update(0, w, nd.array([1, 2, 3]), {}), (e: Error) => e instanceof ShapeError && /dense0_weight/.test(e.message) && /\(3,\)/.test(e.message));
  assert.deepEqual(w.toArray(), [1, 2]);
  assert.throws(() => opt.update(1, nd.array([1], { dtype: 'int32' }), nd.array([1], { dtype: 'int32' }), {}), /weights must be float32, float64, float16 or bfloat16, got int32/);
  const adam = new optimizer.Adam();
  assert.throws(() => adam.update(0, w, nd.array([1, 1]), { mean: nd.zeros([3]), var: nd.zeros([2]) }), ShapeError);
  assert.equal(adam.updateCount(0), 0);
});
