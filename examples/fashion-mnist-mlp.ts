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
// Run: npx tsx examples/fashion-mnist-mlp.ts [--epochs N] [--curves out/fashion-mlp.svg]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backend, gluon, init, nd, nn, plot } from 'tsgluon';
import { FASHION_MNIST_HINT, fashionMnistLoaders, trainEpochs } from './common.js';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '10' }, curves: { type: 'string' }, seed: { type: 'string', default: '0' } },
});
const numEpochs = Number(args.epochs);
const batchSize = 256;
const lr = 0.5;
nd.random.seed(Number(args.seed));

// d2l.load_data_fashion_mnist: ToTensor turns (28, 28, 1) uint8 into (1, 28, 28) float32 in [0, 1].
let data: Awaited<ReturnType<typeof fashionMnistLoaders>>;
try {
  data = await fashionMnistLoaders(batchSize);
} catch (e) {
  console.error(`${(e as Error).name}: ${(e as Error).message}`);
  console.error(FASHION_MNIST_HINT);
  process.exit(1);
}

// The model: Dense layers without input sizes; Gluon infers 784 at the first batch.
const net = new nn.Sequential();
net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net.initialize({ init: new init.Normal(0.01) });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });

console.log(`backend: ${backend.getBackend().name}; ${data.description}`);
const stats = trainEpochs(net, data.train, data.test, { epochs: numEpochs, loss, trainer });
if (args.curves) {
  const history: plot.TrainingHistory = { trainLoss: stats.map((s) => s.loss), trainAcc: stats.map((s) => s.trainAcc), testAcc: stats.map((s) => s.testAcc) };
  writeFileSync(args.curves, await plot.trainingCurvesSvg(history, { title: 'D2L concise MLP on Fashion-MNIST' }));
  console.log(`curves: ${args.curves}`);
}
