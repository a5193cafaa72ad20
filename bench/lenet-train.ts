// The full D2L LeNet run on Fashion-MNIST (D2L 7.6: sigmoid, average pooling, Xavier, SGD lr 0.9,
// batch 256, 10 epochs, test accuracy after each epoch), tsgluon against the same run in PyTorch
// on this machine, at each thread count. Both sides read the same IDX files and time each epoch
// from the first batch to the end of the test evaluation: tsgluon batches through its DataLoader
// with ToTensor, PyTorch slices batches from tensors converted once (its fastest idiom). The
// ReLU / max-pooling variant (lr 0.1) is available with --variant relu.
// Separate from `npm run bench` because it takes minutes: `npm run bench:lenet-train`.
//
// Run: npx tsx bench/lenet-train.ts [--epochs 10] [--threads 1,2] [--variant sigmoid]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, metric, nd } from 'tsgluon';
import { torchPeer } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    threads: { type: 'string', default: `1,${Math.min(2, availableParallelism())}` },
    variant: { type: 'string', default: 'sigmoid' },
  },
});
const epochs = Number(args.epochs);
const threadCounts = [...new Set(args.threads.split(',').map(Number))];
const relu = args.variant === 'relu';
const LR = relu ? 0.1 : 0.9;
const { vision, DataLoader } = gluon.data;

const trainPaths = vision.FashionMNIST.locate({ train: true });
const testPaths = vision.FashionMNIST.locate({ train: false });
if (trainPaths === null || testPaths === null) {
  console.log('Fashion-MNIST not found: `apt-get install dataset-fashion-mnist` or run examples/fashion-mnist-mlp.ts once to download it. Skipping.');
  process.exit(0);
}

/** Seconds per epoch (training, then the test evaluation) and the test accuracy after each. */
function runTsgluon(threads: number): { times: number[]; accs: number[] } {
  backend.getBackend().setNumThreads?.(threads);
  nd.random.seed(0);
  const toTensor = new vision.transforms.ToTensor();
  const train = new DataLoader(new vision.FashionMNIST({ train: true, transform: toTensor }), { batchSize: 256, shuffle: true });
  const test = new DataLoader(new vision.FashionMNIST({ train: false, transform: toTensor }), { batchSize: 256 });
  const net = gluon.modelZoo.vision.lenet({ activation: relu ? 'relu' : 'sigmoid', pool: relu ? 'max' : 'avg' });
  net.initialize({ init: new init.Xavier() });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR });
  const times: number[] = [];
  const accs: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    for (const [x, y] of train) {
      const l = autograd.record(() => loss.forward(net.forward(x), y));
      l.backward();
      trainer.step(x.shape[0]!);
    }
    const acc = new metric.Accuracy();
    for (const [x, y] of test) acc.update(y, net.forward(x));
    times.push((performance.now() - t0) / 1000);
    accs.push(acc.get()[1] as number);
  }
  return { times, accs };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
console.log(`D2L LeNet (${relu ? 'ReLU, max pooling' : 'sigmoid, average pooling'}), Fashion-MNIST, batch 256, lr ${LR}, ${epochs} epochs: seconds (training + test evaluation)`);
const rows: string[][] = [['threads', `tsgluon (${backend.getBackend().name}) s`, 'PyTorch s', 'speed vs PyTorch', 'tsgluon test acc', 'PyTorch test acc']];
let note = '';
for (const t of threadCounts) {
  const ours = runTsgluon(t);
  const peer = torchPeer('epochs', relu ? 'lenet-relu' : 'lenet-sigmoid', t, epochs, [trainPaths.images, trainPaths.labels, testPaths.images, testPaths.labels]);
  const theirs = typeof peer === 'string' ? null : (peer.json as { times: number[]; accs: number[]; version: string });
  note = typeof peer === 'string' ? peer : `PyTorch ${theirs!.version}; speed = PyTorch time / tsgluon time`;
  rows.push([
    String(t),
    sum(ours.times).toFixed(1),
    theirs ? sum(theirs.times).toFixed(1) : '-',
    theirs ? `${(sum(theirs.times) / sum(ours.times)).toFixed(2)}x` : '-',
    ours.accs.at(-1)!.toFixed(3),
    theirs ? theirs.accs.at(-1)!.toFixed(3) : '-',
  ]);
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((v, c) => v.padEnd(w[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`);
}
console.log(note);
process.exit(0);
