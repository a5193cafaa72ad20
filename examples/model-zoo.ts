// The model zoo at full size: for each network, data-free shape inference (how long it takes to
// complete every deferred shape of a net declared without input sizes), the parameter count,
// initialization time, and one forward pass on a batch of one 224x224 image (LeNet: 28x28) in
// prediction mode. The forwards are too slow for CI on the reference backend, which is why they
// live here; CI checks the counts and small-input forwards (tests/gluon/model-zoo.test.ts).
//
// Run: npx tsx examples/model-zoo.ts [--models resnet18,googlenet] [--no-forward]
import { parseArgs } from 'node:util';
import { backend, gluon, nd } from 'tsgluon';

const { vision } = gluon.modelZoo;
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet,alexnet,vgg11,nin,googlenet,resnet18,resnet34,resnet50,resnet152,densenet121' },
    'no-forward': { type: 'boolean', default: false },
  },
});

console.log(`backend: ${backend.getBackend().name}`);
console.log('| model | trainable params | shape inference | initialize | forward 1x224x224 | output |');
console.log('|---|---:|---:|---:|---:|---|');
for (const name of args.models.split(',')) {
  const input = name === 'lenet' ? [1, 1, 28, 28] : [1, 3, 224, 224];
  const net = vision.getModel(name);
  let t0 = performance.now();
  net.inferShape(input);
  const inferMs = performance.now() - t0;
  const params = net.collectParams().values();
  const trainable = params.filter((p) => p.gradReq !== 'null').reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  t0 = performance.now();
  net.initialize({ init: 'xavier' });
  const initMs = performance.now() - t0;
  let forward = 'skipped';
  let output = '';
  if (!args['no-forward']) {
    nd.random.seed(0);
    const x = nd.random.uniform({ shape: input });
    t0 = performance.now();
    const y = net.forward(x);
    forward = `${((performance.now() - t0) / 1000).toFixed(2)} s`;
    output = `(${y.shape.join(', ')}), finite: ${[...y.storage].every(Number.isFinite)}`;
  }
  console.log(`| ${name} | ${trainable.toLocaleString('en-US')} | ${inferMs.toFixed(0)} ms | ${(initMs / 1000).toFixed(2)} s | ${forward} | ${output} |`);
}
