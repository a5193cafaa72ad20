// Parameter management, following D2L's chapter (MXNet edition) cell by cell: accessing
// parameters, built-in and custom initialization, setting values, tied parameters. Then what the
// chapter leaves to Gluon's API docs: gradients of tied parameters, saving a tied net, sharing
// with shareParameters, frozen parameters and constants. Each section prints a '# ...' header.
import { autograd, gluon, init, nd, nn } from 'tsgluon';

const fmt = (shape: readonly number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

nd.random.seed(42);
let net = new nn.Sequential();
net.add(new nn.Dense(8, { activation: 'relu' }));
net.add(new nn.Dense(1));
net.initialize(); // the default initializer: Uniform(-0.07, 0.07)

let X = nd.random.uniform({ shape: [2, 4] });
console.log('# net(X).shape');
console.log(fmt(net.forward(X).shape));

// Parameter Access
console.log('# print(net[1].params)');
console.log(net.get(1).params.toString());

// Targeted Parameters
const out = net.get<nn.Dense>(1);
console.log('# net[1].bias: type, printed, data');
console.log(out.bias!.constructor.name);
console.log(out.bias!.toString());
console.log(out.bias!.data().toString());
console.log('# net[1].weight.grad()');
console.log(out.weight.grad().toString());

// All Parameters at Once
console.log('# net[0].collectParams()');
console.log(net.get(0).collectParams().toString());
console.log('# net.collectParams()');
console.log(net.collectParams().toString());
console.log("# net.collectParams().get('dense1_bias').data()");
console.log(net.collectParams().get('dense1_bias').data().toString());
console.log("# net.collectParams('.*weight')");
console.log(net.collectParams('.*weight').toString());

// Collecting Parameters from Nested Blocks
function block1(): nn.Sequential {
  const b = new nn.Sequential();
  b.add(new nn.Dense(32, { activation: 'relu' }));
  b.add(new nn.Dense(16, { activation: 'relu' }));
  return b;
}

function block2(): nn.Sequential {
  const b = new nn.Sequential();
  for (let i = 0; i < 4; i++) b.add(block1()); // nested here
  return b;
}

const rgnet = new nn.Sequential();
rgnet.add(block2());
rgnet.add(new nn.Dense(10));
rgnet.initialize();
rgnet.forward(X);
console.log('# print(rgnet)');
console.log(rgnet.toString());
console.log('# rgnet[0][1][0].bias.data()');
console.log(rgnet.get<nn.Sequential>(0).get<nn.Sequential>(1).get<nn.Dense>(0).bias!.data().toString());

// Parameter Initialization: built-in initializers
const row0 = (p: gluon.Parameter): nd.NDArray => p.data().slice([0], [1]).reshape([-1]);
console.log('# init.Normal(0.01): net[0].weight.data()[0]');
net.initialize({ init: new init.Normal(0.01), forceReinit: true });
console.log(row0(net.get<nn.Dense>(0).weight).toString());
console.log('# init.Constant(1): net[0].weight.data()[0]');
net.initialize({ init: new init.Constant(1), forceReinit: true });
console.log(row0(net.get<nn.Dense>(0).weight).toString());
console.log('# Xavier for net[0].weight, Constant(42) for net[1]');
net.get<nn.Dense>(0).weight.initialize({ init: new init.Xavier(), forceReinit: true });
net.get(1).initialize({ init: new init.Constant(42), forceReinit: true });
console.log(row0(net.get<nn.Dense>(0).weight).toString());
console.log(net.get<nn.Dense>(1).weight.data().toString());

// Custom Initialization
class MyInit extends init.Initializer {
  protected override initWeight(name: string, data: nd.NDArray): void {
    console.log('Init', name, fmt(data.shape));
    data.assign(nd.random.uniform({ low: -10, high: 10, shape: data.shape }));
    data.assign(data.mul(data.abs().greaterEqual(5)));
  }
}

console.log('# MyInit');
net.initialize({ init: new MyInit(), forceReinit: true });
const w0 = net.get<nn.Dense>(0).weight;
console.log(w0.data().slice([0], [2]).toString());
const ok = Array.from(w0.data().storage).every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) <= 10));
console.log('every value is 0 or in [5, 10] in magnitude:', ok);

// Setting parameters directly
console.log('# data()[:] += 1; data()[0, 0] = 42');
const w = w0.data();
w.assign(w.add(1));
w.setSlice([0, 0], [1, 1], 42);
console.log(row0(w0).toString());
console.log('# setData(data() + 1) changes the next forward');
const before = net.forward(X);
net.get<nn.Dense>(1).bias!.setData(net.get<nn.Dense>(1).bias!.data().add(1));
console.log('output moved by', net.forward(X).sub(before).toArray());

// Tied Parameters
console.log('# tied parameters');
let shared = new nn.Dense(8, { activation: 'relu' });
net = new nn.Sequential();
net.add(new nn.Dense(8, { activation: 'relu' }), shared, new nn.Dense(8, { activation: 'relu', params: shared.params }), new nn.Dense(10));
net.initialize();
X = nd.random.uniform({ shape: [2, 20] });
net.forward(X);
const [l1, l2] = [net.get<nn.Dense>(1), net.get<nn.Dense>(2)];
console.log(row0(l1.weight).equal(row0(l2.weight)).toString());
l1.weight.data().setSlice([0, 0], [1, 1], 100);
console.log(row0(l1.weight).equal(row0(l2.weight)).toString());
console.log('same Parameter object:', l1.weight === l2.weight);
console.log('collectParams keys:', net.collectParams().keys().join(' '));

// Beyond the chapter: the gradient of a tied parameter sums both uses; the Trainer updates it once.
console.log('# gradients of tied parameters');
const first = new nn.Dense(2, { useBias: false });
const second = new nn.Dense(2, { useBias: false, params: first.params });
const tied = new nn.Sequential().add(first, second);
tied.initialize();
first.weight.setData(nd.array([[1, 2], [3, 4]]));
autograd.record(() => tied.forward(nd.array([[1, 0], [2, 1]])).sum()).backward();
console.log('grad', JSON.stringify(first.weight.grad().toArray()));
const trainer = new gluon.Trainer(tied.collectParams(), 'sgd', { learningRate: 0.1 });
trainer.step(2);
console.log('after one SGD step', JSON.stringify(Array.from(second.weight.data().storage, (v) => Number(v.toFixed(4)))));

console.log('# a tied net is saved with the shared parameter once');
const file = net.saveParametersBytes();
console.log('saved keys:', Object.keys(nd.loadBytes(file)).sort().join(' '));
shared = new nn.Dense(8, { activation: 'relu' });
const restored = new nn.Sequential();
restored.add(new nn.Dense(8, { activation: 'relu' }), shared, new nn.Dense(8, { activation: 'relu', params: shared.params }), new nn.Dense(10));
restored.loadParametersBytes(file);
console.log('restored output equal:', restored.forward(X).equal(net.forward(X)).min().item() === 1);

console.log('# a tied layer fed another input size');
shared = new nn.Dense(8, { activation: 'relu' });
const wrong = new nn.Sequential();
wrong.add(new nn.Dense(16, { activation: 'relu' }), shared, new nn.Dense(8, { params: shared.params }));
wrong.initialize();
try {
  wrong.forward(X);
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}

console.log('# shareParameters: tie the weights of two networks after building them');
const enc = new nn.Sequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(2));
const dec = new nn.Sequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(2));
dec.shareParameters(enc.collectParams('.*weight'));
console.log('weights shared:', dec.get<nn.Dense>(0).weight === enc.get<nn.Dense>(0).weight, 'biases shared:', dec.get<nn.Dense>(0).bias === enc.get<nn.Dense>(0).bias);

console.log('# frozen parameters and constants');
class Scaled extends gluon.Block {
  readonly dense = new nn.Dense(3, { inUnits: 2 });
  readonly scale = this.params.getConstant('scale', [1, 2, 3]);
  override forward(x: nd.NDArray): nd.NDArray {
    return this.dense.forward(x).mul(this.scale.data());
  }
}
const scaled = new Scaled();
scaled.initialize({ init: 'ones' });
scaled.dense.weight.gradReq = 'null'; // frozen: no gradient, the Trainer skips it
console.log(scaled.collectParams().toString());
const sgd = new gluon.Trainer(scaled.collectParams(), 'sgd', { learningRate: 1 });
autograd.record(() => scaled.forward(nd.array([[1, 1]])).sum()).backward();
sgd.step(1);
console.log('weight (frozen)', JSON.stringify(scaled.dense.weight.data().toArray()), 'bias', JSON.stringify(scaled.dense.bias!.data().toArray()), 'scale (constant)', JSON.stringify(scaled.scale.data().toArray()));
