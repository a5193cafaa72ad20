// Deferred initialization of model parameters, following D2L's chapter (MXNet edition) cell by
// cell, then the chapter's exercise and what tsgluon adds: clear errors, resetShapes() and shape
// inference without data.
// With --hybridize every network is a HybridSequential hybridized before its first forward: the
// output is the same, deferred initialization happening while the graph is traced.
import { nd, init, nn } from 'tsgluon';

const hybrid = process.argv.includes('--hybridize');
function sequential(): nn.Sequential {
  const s = hybrid ? new nn.HybridSequential() : new nn.Sequential();
  if (hybrid) s.hybridize();
  return s;
}

// Deferred Initialization: MyInit prints instead of initializing.
class MyInit extends init.Initializer {
  protected override initWeight(name: string, data: nd.NDArray): void {
    console.log('Init', name, `(${data.shape.join(', ')})`);
    // The actual initialization logic is omitted here.
  }
}

const deferred = sequential();
deferred.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
let net = deferred;
net.initialize({ init: new MyInit() });
console.log('# after initialize: nothing printed, shapes unknown');
console.log(net.toString());

console.log('# first forward');
const x = nd.random.uniform({ shape: [2, 20] });
let y = net.forward(x);

console.log('# second forward: nothing printed');
y = net.forward(x);
console.log(net.toString());

// Avoid Deferred Initialization: re-initializing, whose shapes are known now.
console.log('# forceReinit');
net.initialize({ init: new MyInit(), forceReinit: true });

// ...and giving the number of inputs to every layer.
console.log('# inUnits');
net = sequential();
net.add(new nn.Dense(256, { inUnits: 20, activation: 'relu' }));
net.add(new nn.Dense(10, { inUnits: 256 }));
net.initialize({ init: new MyInit() });

// Exercise: what happens when the shape of x changes before the next forward?
console.log('# exercise: another batch size works and re-initializes nothing');
y = deferred.forward(nd.random.uniform({ shape: [5, 20] }));
console.log('output shape', `(${y.shape.join(', ')})`);
console.log('# exercise: another number of inputs is an error naming the layer');
for (const model of [deferred, net]) {
  try {
    model.forward(nd.random.uniform({ shape: [2, 30] }));
  } catch (e) {
    console.log(`${(e as Error).name}: ${(e as Error).message}`);
  }
}

// Beyond the chapter: shape inference without data, and re-inference.
console.log('# inferShape: every shape known without computing a forward');
const net3 = sequential();
net3.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net3.initialize({ init: new MyInit(), inputShape: [2, 20] });
console.log(net3.toString());
console.log('# resetShapes: the next forward re-infers from a (2, 30) input');
net3.resetShapes();
net3.forward(nd.random.uniform({ shape: [2, 30] }));
console.log(net3.toString());
