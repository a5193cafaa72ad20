// Initializer formulas (Gluon's defaults), statistically with fixed seeds; dispatch by name;
// the precedence of per-parameter, layer and global initializers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, gluon, init, nd, nn } from '../../src/index.js';

function filled(initializer: init.Initializer, shape: number[], name = 'w_weight', seed = 7): number[] {
  nd.random.seed(seed);
  const data = nd.zeros(shape, { dtype: 'float64' });
  initializer.initialize(name, data);
  return Array.from(data.storage);
}

function stats(v: number[]): { mean: number; variance: number; min: number; max: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, variance, min: Math.min(...v), max: Math.max(...v) };
}

function near(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: got ${actual}, expected ${expected} (±${rel * 100}%)`);
}

test('Uniform: default scale 0.07, U(-s, s) with variance s²/3', () => {
  assert.equal(new init.Uniform().scale, 0.07);
  const v = filled(new init.Uniform(0.5), [200, 100]);
  const s = stats(v);
  assert.ok(s.min >= -0.5 && s.max <= 0.5);
  assert.ok(s.min < -0.49 && s.max > 0.49);
  assert.ok(Math.abs(s.mean) < 0.01);
  near(s.variance, 0.25 / 3, 0.03, 'variance');
});

test('Normal: default sigma 0.01, N(0, sigma²)', () => {
  assert.equal(new init.Normal().sigma, 0.01);
  const s = stats(filled(new init.Normal(2), [200, 100]));
  assert.ok(Math.abs(s.mean) < 0.05);
  near(s.variance, 4, 0.03, 'variance');
});

test('Constant, Zero and One fill every element whatever the name', () => {
  assert.deepEqual(filled(new init.Constant(42), [2, 2], 'dense0_bias'), [42, 42, 42, 42]);
  assert.deepEqual(filled(new init.Zero(), [3], 'x_gamma'), [0, 0, 0]);
  assert.deepEqual(filled(new init.One(), [3], 'x_bias'), [1, 1, 1]);
});

test('Xavier: s = sqrt(magnitude / factor), uniform bounds and gaussian variance', () => {
  const x = new init.Xavier();
  assert.deepEqual([x.rndType, x.factorType, x.magnitude], ['uniform', 'avg', 3]);
  // (200, 300): fanIn 300, fanOut 200, avg 250.
  const bound = Math.sqrt(3 / 250);
  const u = stats(filled(x, [200, 300]));
  assert.ok(u.min >= -bound && u.max <= bound);
  assert.ok(u.max > 0.99 * bound && u.min < -0.99 * bound);
  near(u.variance, (bound * bound) / 3, 0.03, 'uniform variance');
  const g = stats(filled(new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 }), [200, 300]));
  near(g.variance, 2 / 300, 0.03, 'gaussian variance (in)');
  const o = stats(filled(new init.Xavier({ rndType: 'gaussian', factorType: 'out' }), [200, 300]));
  near(o.variance, 3 / 200, 0.03, 'gaussian variance (out)');
  // Convolution weights: fans multiply by the receptive field, (16, 8, 3, 3) -> in 72, out 144.
  const c = stats(filled(new init.Xavier({ rndType: 'gaussian' }), [64, 32, 3, 3]));
  near(c.variance, 3 / ((32 * 9 + 64 * 9) / 2), 0.05, 'conv variance');
});

test('Xavier on a vector is an error naming the parameter', () => {
  assert.throws(() => filled(new init.Xavier(), [10], 'dense0_weight'), (e: Error) => e instanceof ValueError && /dense0_weight/.test(e.message) && /\(10,\)/.test(e.message));
  assert.throws(() => new init.Xavier({ factorType: 'sum' as 'avg' }), ValueError);
});

test('MSRAPrelu: gaussian with variance 2 / ((1 + slope²) * factor)', () => {
  const m = new init.MSRAPrelu();
  assert.equal(m.slope, 0.25);
  assert.equal(m.factorType, 'avg');
  const s = stats(filled(m, [400, 200]));
  near(s.variance, 2 / (1 + 0.0625) / 300, 0.03, 'variance');
  const relu = stats(filled(new init.MSRAPrelu({ factorType: 'in', slope: 0 }), [400, 200]));
  near(relu.variance, 2 / 200, 0.03, 'He variance');
});

function gram(v: number[], rows: number, cols: number, byRows: boolean): number[][] {
  const k = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (a: number, j: number): number => (byRows ? v[a * cols + j]! : v[j * cols + a]!);
  return Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => {
    let d = 0;
    for (let j = 0; j < len; j++) d += at(a, j) * at(b, j);
    return d;
  }));
}

test('Orthogonal: W Wᵀ = scale² I (wide) and Wᵀ W = scale² I (tall)', () => {
  const o = new init.Orthogonal();
  assert.equal(o.scale, 1.414);
  for (const [shape, byRows] of [[[4, 10], true], [[10, 4], false], [[6, 2, 3], true]] as const) {
    for (const rndType of ['uniform', 'normal'] as const) {
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      const v = filled(new init.Orthogonal({ scale: 2, rndType }), [...shape]);
      const g = gram(v, rows, cols, byRows);
      g.forEach((row, a) => row.forEach((x, b) => assert.ok(Math.abs(x - (a === b ? 4 : 0)) < 1e-9, `${shape} ${rndType} [${a},${b}] = ${x}`)));
    }
  }
});

test('Mixed dispatches by the first matching pattern and rejects unmatched names', () => {
  const m = new init.Mixed(['.*bias', /gamma$/, '.*'], [new init.Constant(1), 'ones', new init.Constant(3)]);
  assert.deepEqual(filled(m, [2], 'dense0_bias'), [1, 1]);
  assert.deepEqual(filled(m, [2], 'bn0_gamma'), [1, 1]);
  assert.deepEqual(filled(m, [2, 1], 'dense0_weight'), [3, 3]);
  const strict = new init.Mixed(['conv.*'], ['zeros']);
  assert.throws(() => filled(strict, [2], 'dense0_weight'), (e: Error) => e instanceof ValueError && /dense0_weight/.test(e.message));
  assert.throws(() => new init.Mixed(['a'], []), ValueError);
});

test('names resolve to built-ins; unknown names are errors', () => {
  assert.ok(init.create('zeros') instanceof init.Zero);
  assert.ok(init.create('ones') instanceof init.One);
  assert.ok(init.create('uniform') instanceof init.Uniform);
  assert.ok(init.create('normal') instanceof init.Normal);
  assert.ok(init.create('xavier') instanceof init.Xavier);
  assert.ok(init.create('orthogonal') instanceof init.Orthogonal);
  assert.ok(init.create('msraprelu') instanceof init.MSRAPrelu);
  const u = new init.Uniform(1);
  assert.equal(init.create(u), u);
  assert.throws(() => init.create('glorot' as 'xavier'), (e: Error) => e instanceof ValueError && /'glorot'/.test(e.message));
});

test('dispatch by name suffix, or straight to initWeight when chosen for one parameter', () => {
  class Sevens extends init.Initializer {
    protected override initWeight(_name: string, data: nd.NDArray): void {
      data.storage.fill(7);
    }
  }
  const s = new Sevens();
  assert.deepEqual(filled(s, [2], 'a_weight'), [7, 7]);
  assert.deepEqual(filled(s, [2], 'a_bias'), [0, 0]);
  assert.deepEqual(filled(s, [2], 'bn_gamma'), [1, 1]);
  assert.deepEqual(filled(s, [2], 'bn_beta'), [0, 0]);
  assert.deepEqual(filled(s, [2], 'bn_running_mean'), [0, 0]);
  assert.deepEqual(filled(s, [2], 'bn_running_var'), [1, 1]);
  assert.deepEqual(filled(s, [2], 'custom_scale'), [7, 7]);
  const data = nd.zeros([2]);
  s.initialize('a_bias', data, { byName: false });
  assert.deepEqual(Array.from(data.storage), [7, 7]);
});

test('precedence: Parameter.initialize init > the parameter\'s own > Block.initialize init', () => {
  const layer = new nn.Dense(2, { inUnits: 2, weightInitializer: new init.Constant(42), biasInitializer: new init.Constant(5) });
  layer.initialize({ init: new init.Constant(-1) });
  assert.deepEqual(Array.from(layer.weight.data().storage), [42, 42, 42, 42]);
  assert.deepEqual(Array.from(layer.bias!.data().storage), [5, 5]);
  layer.weight.initialize({ init: new init.Constant(9), forceReinit: true });
  assert.deepEqual(Array.from(layer.weight.data().storage), [9, 9, 9, 9]);

  const plain = new nn.Dense(2, { inUnits: 2 });
  plain.initialize({ init: new init.Constant(-1) });
  assert.deepEqual(Array.from(plain.weight.data().storage), [-1, -1, -1, -1]);
  assert.deepEqual(Array.from(plain.bias!.data().storage), [0, 0]);

  const p = new gluon.Parameter('lone_bias', { shape: [3] });
  p.initialize({ defaultInit: new init.Uniform(1) });
  assert.deepEqual(Array.from(p.data().storage), [0, 0, 0], 'a network-wide initializer zeroes biases by name');
  const q = new gluon.Parameter('lone_bias', { shape: [3], init: new init.Uniform(1) });
  q.initialize();
  assert.ok(Array.from(q.data().storage).every((v) => v !== 0 && Math.abs(v) <= 1), 'its own initializer fills it whatever the name');
});

test('a custom initializer that draws with nd.random is reproducible from the seed', () => {
  class D2LInit extends init.Initializer {
    protected override initWeight(_name: string, data: nd.NDArray): void {
      const u = nd.random.uniform({ shape: data.shape, low: -10, high: 10 });
      const out = data.storage;
      u.storage.forEach((v, i) => (out[i] = Math.abs(v) >= 5 ? v : 0));
    }
  }
  const run = (): number[] => {
    nd.random.seed(11);
    const net = new nn.Sequential().add(new nn.Dense(8), new nn.Dense(4));
    net.initialize({ init: new D2LInit() });
    net.forward(nd.ones([1, 3]));
    return Array.from(net.get<nn.Dense>(1).weight.data().storage);
  };
  const a = run();
  assert.deepEqual(run(), a);
  assert.ok(a.every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) <= 10)));
  assert.ok(a.some((v) => v !== 0));
});

test('toString describes the initializer', () => {
  assert.equal(String(new init.Uniform()), 'Uniform(scale=0.07)');
  assert.equal(String(new init.Xavier()), 'Xavier(rndType=uniform, factorType=avg, magnitude=3)');
});
