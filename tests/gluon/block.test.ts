// Block: registration by fields, nesting to any depth, structural paths and display names,
// custom blocks with their own deferred parameter, data-free shape inference, resetShapes,
// the pending report, printing.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredInitializationError, ShapeError, ValueError, autograd, gluon, nd, nn } from '../../src/index.js';
import { RecordingInit, countKernels, values } from './gluon-helpers.js';

beforeEach(() => gluon.resetNameCounters());

/** A custom layer with its own deferred parameter: y = x * scale, scale of shape (features,). */
class Scale extends gluon.Block {
  readonly scale = this.params.get('scale', { shape: [0], init: 'ones' });
  forwardCalls = 0;
  protected override paramShapes(x: nd.NDArray): gluon.ParamShapes {
    return { scale: [x.shape[x.ndim - 1]!] };
  }
  override forward(x: nd.NDArray): nd.NDArray {
    this.forwardCalls++;
    return x.mul(this.scale.data());
  }
}

class Inner extends gluon.Block {
  body = new nn.Sequential().add(new nn.Dense(8, { activation: 'tanh' }), new Scale());
  override forward(x: nd.NDArray): nd.NDArray {
    return this.body.forward(x);
  }
}

class Outer extends gluon.Block {
  encoder = new Inner();
  head = new nn.Dense(3);
  override forward(x: nd.NDArray): nd.NDArray {
    return this.head.forward(this.encoder.forward(x));
  }
}

test('nesting three levels deep: paths, display names, deferred init through the tree', () => {
  const net = new Outer();
  const params = net.collectParams();
  assert.deepEqual(params.keys(), ['encoder.body.0.weight', 'encoder.body.0.bias', 'encoder.body.1.scale', 'head.weight', 'head.bias']);
  assert.deepEqual(params.values().map((p) => p.name), ['dense0_weight', 'dense0_bias', 'scale0_scale', 'dense1_weight', 'dense1_bias']);
  const my = new RecordingInit(0.1);
  net.initialize({ init: my });
  assert.ok(params.values().every((p) => p.state === 'pending' || p.name.endsWith('bias')));
  const y = net.forward(nd.ones([4, 5]));
  assert.deepEqual(y.shape, [4, 3]);
  assert.deepEqual(my.calls, [['dense0_weight', [8, 5]], ['dense1_weight', [3, 8]]]);
  assert.deepEqual(params.get('encoder.body.1.scale').shape, [8]);
  assert.deepEqual(values(params.get('encoder.body.1.scale')), new Array(8).fill(1));
  // tanh(5 * 0.1) * 1, summed over 8 hidden units times 0.1.
  const expected = 8 * Math.tanh(0.5) * 0.1;
  for (const v of y.storage) assert.ok(Math.abs(v - expected) < 1e-5);
});

test('a custom block with its own deferred parameter works alone and reports shape errors', () => {
  const s = new Scale();
  s.initialize();
  assert.equal(s.scale.state, 'pending');
  const y = s.forward(nd.array([[1, 2, 3]]));
  assert.deepEqual(y.toArray(), [[1, 2, 3]]);
  assert.deepEqual(s.scale.shape, [3]);
  assert.throws(() => s.forward(nd.ones([1, 4])), (e: Error) => e instanceof ShapeError && /scale0: input of shape \(1, 4\).*scale0_scale.*\(3,\)/.test(e.message));
});

test('paramShapes naming an unknown parameter is a clear error', () => {
  class Bad extends gluon.Block {
    protected override paramShapes(): gluon.ParamShapes {
      return { weigth: [1] };
    }
    override forward(x: nd.NDArray): nd.NDArray {
      return x;
    }
  }
  assert.throws(() => new Bad().forward(nd.ones([1])), (e: Error) => e instanceof ValueError && /'weigth'/.test(e.message));
});

test('inferShape completes every shape without computing anything', () => {
  const net = new Outer();
  const my = new RecordingInit(0.2);
  net.initialize({ init: my });
  const calls = countKernels(() => net.inferShape([2, 5]));
  assert.equal(calls, 0);
  assert.deepEqual(my.calls, [['dense0_weight', [8, 5]], ['dense1_weight', [3, 8]]]);
  assert.ok(net.collectParams().values().every((p) => p.state === 'initialized'));
  assert.equal(net.pendingParams().params.length, 0);
  // A real forward afterwards computes and initializes nothing more.
  assert.ok(countKernels(() => net.forward(nd.ones([2, 5]))) > 0);
  assert.equal(my.calls.length, 2);
});

test('initialize({ inputShape }) infers at once without running a kernel', () => {
  const net = new nn.Sequential();
  for (let i = 0; i < 6; i++) net.add(new nn.Dense(512, { activation: 'relu' }), new nn.Dropout(0.5));
  net.add(new nn.Dense(10));
  const kernels = countKernels(() => autograd.record(() => net.initialize({ init: 'zeros', inputShape: [256, 1024] })));
  assert.equal(kernels, 0);
  assert.deepEqual(net.get<nn.Dense>(0).weight.shape, [512, 1024]);
  assert.deepEqual(net.get<nn.Dense>(12).weight.shape, [10, 512]);
});

test('inferShape before initialize fills shapes; initialize then materializes immediately', () => {
  const net = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
  net.inferShape([3, 6]);
  assert.equal(net.toString(), 'Sequential(\n  (0): Dense(6 -> 4, linear)\n  (1): Dense(4 -> 2, linear)\n)');
  const my = new RecordingInit();
  net.initialize({ init: my });
  assert.deepEqual(my.calls, [['dense0_weight', [4, 6]], ['dense1_weight', [2, 4]]]);
});

test('resetShapes returns inferred shapes to pending and keeps inUnits; same seed, same values', () => {
  const net = new nn.Sequential().add(new nn.Dense(4, { inUnits: 6 }), new nn.Dense(2));
  net.initialize({ init: 'xavier' });
  net.forward(nd.ones([1, 6]));
  const first = values(net.get<nn.Dense>(1).weight);
  const kept = values(net.get<nn.Dense>(0).weight);
  assert.deepEqual(net.resetShapes(), ['1.weight']);
  assert.equal(net.get<nn.Dense>(1).weight.state, 'pending');
  assert.deepEqual(net.get<nn.Dense>(1).weight.shape, [2, 0]);
  assert.equal(net.get<nn.Dense>(0).weight.state, 'initialized');
  net.forward(nd.ones([1, 6]));
  assert.deepEqual(values(net.get<nn.Dense>(1).weight), first);
  assert.deepEqual(values(net.get<nn.Dense>(0).weight), kept);

  const flexible = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
  flexible.initialize();
  flexible.forward(nd.ones([1, 6]));
  assert.throws(() => flexible.forward(nd.ones([1, 9])), ShapeError);
  assert.deepEqual(flexible.resetShapes(), ['0.weight', '1.weight']);
  assert.deepEqual(flexible.forward(nd.ones([1, 9])).shape, [1, 2]);
  assert.deepEqual(flexible.get<nn.Dense>(0).weight.shape, [4, 9]);
});

test('pendingParams names pending parameters and the blocks no forward reached', () => {
  class TwoHeads extends gluon.Block {
    trunk = new nn.Dense(4);
    unused = new nn.Dense(3);
    override forward(x: nd.NDArray): nd.NDArray {
      return this.trunk.forward(x);
    }
  }
  const net = new TwoHeads();
  net.initialize();
  assert.equal(net.pendingParams().params.length, 2);
  net.forward(nd.ones([2, 5]));
  const report = net.pendingParams();
  assert.deepEqual(report.params.map((p) => [p.path, p.name, p.shape, p.block, p.blockReached]), [['unused.weight', 'dense1_weight', [3, 0], 'dense1', false]]);
  assert.deepEqual(report.unreachedBlocks, [{ path: 'unused', name: 'dense1' }]);
  assert.match(report.message, /1 parameter is still pending/);
  assert.match(report.message, /unused\.weight: dense1_weight \(3, 0\) in block dense1, which no forward has reached/);
  assert.match(report.message, /inferShape/);
  // The same report from the collected dict (what the Trainer sees).
  assert.deepEqual(net.collectParams().pendingParams().unreachedBlocks, [{ path: 'unused', name: 'dense1' }]);
  assert.equal(net.collectParams('trunk.*').pendingParams().params.length, 0);
  assert.throws(() => net.unused.weight.data(), DeferredInitializationError);
});

test('collectParams(select) matches structural paths or display names (re.match semantics)', () => {
  const net = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2, { useBias: false }));
  assert.deepEqual(net.collectParams('.*weight').keys(), ['0.weight', '1.weight']);
  assert.deepEqual(net.collectParams('dense0').keys(), ['0.weight', '0.bias']);
  assert.deepEqual(net.collectParams('0\\.').keys(), ['0.weight', '0.bias']);
  assert.deepEqual(net.collectParams(/bias$/).keys(), ['0.bias']);
  assert.deepEqual(net.collectParams('weight').keys(), []);
});

test('fields holding arrays of blocks, registerChild, and a shared block listed once', () => {
  class Tower extends gluon.Block {
    layers = [new nn.Dense(3), new nn.Dense(3)];
    override forward(x: nd.NDArray): nd.NDArray {
      return this.layers.reduce((h, l) => l.forward(h), x);
    }
  }
  const tower = new Tower();
  assert.deepEqual(tower.collectParams().keys(), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);

  const shared = new nn.Dense(3);
  const net = new nn.Sequential().add(shared, new nn.Activation('relu'), shared);
  assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias']);
  net.initialize();
  assert.deepEqual(net.forward(nd.ones([2, 3])).shape, [2, 3]);

  const manual = new gluon.Block();
  manual.registerChild(new nn.Dense(2), 'proj');
  assert.deepEqual(manual.collectParams().keys(), ['proj.weight', 'proj.bias']);
});

test('printing follows Gluon', () => {
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dropout(0.5), new nn.Flatten(), new nn.Dense(10));
  assert.equal(
    net.toString(),
    'Sequential(\n  (0): Dense(None -> 256, Activation(relu))\n  (1): Dropout(p = 0.5, axes=())\n  (2): Flatten\n  (3): Dense(None -> 10, linear)\n)',
  );
  const outer = new Outer();
  assert.equal(
    outer.toString(),
    'Outer(\n  (encoder): Inner(\n    (body): Sequential(\n      (0): Dense(None -> 8, Activation(tanh))\n      (1): Scale()\n    )\n  )\n  (head): Dense(None -> 3, linear)\n)',
  );
  assert.equal(String(net.get<nn.Dense>(0).weight), 'Parameter dense0_weight (shape=(256, 0), dtype=float32)');
  assert.match(net.collectParams().toString(), /^ParameterDict\(\n {2}0\.weight: Parameter dense0_weight \(shape=\(256, 0\), dtype=float32\)/);
});

test('apply visits children first; params lists only own parameters', () => {
  const net = new Outer();
  const seen: string[] = [];
  net.apply((b) => seen.push(b.name));
  assert.deepEqual(seen, ['tanh', 'dense0', 'scale0', 'sequential0', 'inner0', 'dense1', 'outer0'].map((n) => (n === 'tanh' ? 'dense0_tanh' : n)));
  assert.deepEqual(net.head.params.keys(), ['weight', 'bias']);
  assert.deepEqual(net.params.keys(), []);
});

test('gradients flow into parameter gradients; zeroGrad clears them', () => {
  const layer = new nn.Dense(2, { inUnits: 3 });
  layer.initialize({ init: 'ones' });
  const x = nd.array([[1, 2, 3], [4, 5, 6]]);
  const loss = autograd.record(() => layer.forward(x).sum());
  loss.backward();
  assert.deepEqual(layer.weight.grad().toArray(), [[5, 7, 9], [5, 7, 9]]);
  assert.deepEqual(layer.bias!.grad().toArray(), [2, 2]);
  layer.zeroGrad();
  assert.deepEqual(layer.weight.grad().toArray(), [[0, 0, 0], [0, 0, 0]]);
});

test('a block without forward, and prefixes', () => {
  assert.throws(() => new gluon.Block().forward(nd.ones([1])), /does not define forward/);
  const d = new nn.Dense(2, { prefix: 'out_' });
  assert.equal(d.name, 'out');
  assert.equal(d.weight.name, 'out_weight');
  assert.equal(new nn.Dense(1).name, 'dense0');
});

test('params: sharing parameters between layers (Gluon params=)', () => {
  const first = new nn.Dense(2);
  const second = new nn.Dense(2, { params: first.params });
  assert.equal(second.weight, first.weight);
  assert.equal(second.bias, first.bias);
  const net = new nn.Sequential().add(first, second);
  assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias']);
  net.initialize({ init: 'ones' });
  const x = nd.array([[1, 1]]);
  const y = autograd.record(() => net.forward(x).sum());
  assert.deepEqual(first.weight.shape, [2, 2]);
  y.backward();
  // h = W x (= [2, 2]), y = sum(W h) = 8; dy/dW = 1·hᵀ + (Wᵀ1)·xᵀ = [[2,2],[2,2]] + [[2,2],[2,2]].
  assert.equal(y.item(), 8);
  assert.deepEqual(first.weight.grad().toArray(), [[4, 4], [4, 4]]);
  assert.throws(() => new nn.Dense(3, { params: first.params }), ShapeError);
});

test('the custom block of docs/deferred-init.md works as documented', () => {
  class Affine extends gluon.Block {
    readonly scale = this.params.get('scale', { shape: [0], init: 'ones' });
    readonly shift = this.params.get('shift', { shape: [0], init: 'zeros' });
    protected override paramShapes(x: nd.NDArray): gluon.ParamShapes {
      const features = x.shape[x.ndim - 1]!;
      return { scale: [features], shift: [features] };
    }
    override forward(x: nd.NDArray): nd.NDArray {
      return x.mul(this.scale.data()).add(this.shift.data());
    }
  }
  class Model extends gluon.Block {
    body = new nn.Sequential().add(new nn.Dense(64, { activation: 'relu' }), new Affine());
    head = new nn.Dense(10);
    override forward(x: nd.NDArray): nd.NDArray {
      return this.head.forward(this.body.forward(x));
    }
  }
  const model = new Model();
  model.initialize({ inputShape: [1, 20] });
  assert.deepEqual(model.collectParams().keys(), ['body.0.weight', 'body.0.bias', 'body.1.scale', 'body.1.shift', 'head.weight', 'head.bias']);
  assert.deepEqual(model.collectParams().values().map((p) => p.shape), [[64, 20], [64], [64], [64], [10, 64], [10]]);
  assert.deepEqual(model.forward(nd.ones([3, 20])).shape, [3, 10]);
});

test('forward through a plain Block type is an NDArray without a cast (layer lists, model-zoo nets)', () => {
  const layers: gluon.Block[] = [new nn.Dense(4, { activation: 'relu' }), new nn.Flatten(), new nn.Sequential().add(new nn.Dense(2))];
  let h = nd.ones([3, 5]);
  for (const layer of layers) {
    layer.initialize();
    h = layer.forward(h);
  }
  assert.ok(h instanceof nd.NDArray);
  assert.deepEqual(h.shape, [3, 2]);
  // The base class refuses a subclass that never defined forward, naming it.
  class Empty extends gluon.Block {}
  assert.throws(() => new Empty().forward(h), (e: unknown) => e instanceof ValueError && /Empty does not define forward\(\)/.test(e.message));
});
