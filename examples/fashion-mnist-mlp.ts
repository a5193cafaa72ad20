// Dive into Deep Learning, "Concise Implementation of Multilayer Perceptrons" (MXNet edition), in
// TypeScript: one hidden layer of 256 units with ReLU, weights drawn from N(0, 0.01^2), SGD with
// learning rate 0.5, batch 256, 10 epochs on the full Fashion-MNIST (60,000 training and 10,000
// test images). The book reports a test accuracy of about 0.85 to 0.87.
//
// The data: `FashionMNIST.load` looks in ~/.tsgluon/datasets/fashion-mnist (or
// $TSGLUON_DATASETS/fashion-mnist), then in /usr/share/datasets/fashion-mnist, where Debian's and
// Ubuntu's package puts it (`sudo apt-get install dataset-fashion-mnist`), and otherwise downloads
// the four files (30 MB) from the dataset's site, verifying their checksums.
//
// Run: npx tsx --conditions=development examples/fashion-mnist-mlp.ts [--epochs N] [--curves out/fashion-mlp.svg]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, metric, nd, nn, plot } from 'tsgluon';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '10' }, curves: { type: 'string' }, seed: { type: 'string', default: '0' } },
});
const numEpochs = Number(args.epochs);
const batchSize = 256;
const lr = 0.5;
nd.random.seed(Number(args.seed));

// d2l.load_data_fashion_mnist: ToTensor turns (28, 28, 1) uint8 into (1, 28, 28) float32 in [0, 1].
const { vision, DataLoader } = gluon.data;
const toTensor = new vision.transforms.ToTensor();
let train: gluon.data.vision.FashionMNIST;
let test: gluon.data.vision.FashionMNIST;
try {
  train = await vision.FashionMNIST.load({ train: true });
  test = await vision.FashionMNIST.load({ train: false });
} catch (e) {
  console.error(`${(e as Error).name}: ${(e as Error).message}`);
  console.error('Fashion-MNIST is needed: `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or copy the four *-ubyte.gz files into ~/.tsgluon/datasets/fashion-mnist');
  process.exit(1);
}
const trainIter = new DataLoader(train.transformFirst(toTensor), { batchSize, shuffle: true });
const testIter = new DataLoader(test.transformFirst(toTensor), { batchSize });

// The model: Dense layers without input sizes; Gluon infers 784 at the first batch.
const net = new nn.Sequential();
net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net.initialize({ init: new init.Normal(0.01) });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });

function evaluateAccuracy(): number {
  const acc = new metric.Accuracy();
  for (const [x, y] of testIter) acc.update(y, net.forward(x));
  return acc.get()[1];
}

console.log(`backend: ${backend.getBackend().name}; ${train.length} training and ${test.length} test images`);
const history: plot.TrainingHistory = { trainLoss: [], trainAcc: [], testAcc: [] };
const times: number[] = [];
for (let epoch = 1; epoch <= numEpochs; epoch++) {
  const t0 = performance.now();
  let lossSum = 0;
  let n = 0;
  const trainAcc = new metric.Accuracy();
  for (const [x, y] of trainIter) {
    const [out, l] = autograd.record(() => {
      const o = net.forward(x);
      return [o, loss.forward(o, y)] as const;
    });
    l.backward();
    trainer.step(x.shape[0]!);
    lossSum += l.sum().item();
    n += x.shape[0]!;
    trainAcc.update(y, out);
  }
  const epochSeconds = (performance.now() - t0) / 1000;
  times.push(epochSeconds);
  const testAcc = evaluateAccuracy();
  history.trainLoss.push(lossSum / n);
  history.trainAcc!.push(trainAcc.get()[1]);
  history.testAcc!.push(testAcc);
  console.log(
    `epoch ${epoch}, loss ${(lossSum / n).toFixed(4)}, train acc ${trainAcc.get()[1].toFixed(3)}, test acc ${testAcc.toFixed(3)}, ` +
      `${epochSeconds.toFixed(2)} s (${Math.round(n / epochSeconds)} samples/s)`,
  );
}
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(`final test accuracy ${history.testAcc!.at(-1)!.toFixed(4)}; mean epoch time ${mean.toFixed(2)} s`);
if (args.curves) {
  writeFileSync(args.curves, await plot.trainingCurvesSvg(history, { title: 'D2L concise MLP on Fashion-MNIST' }));
  console.log(`curves: ${args.curves}`);
}
