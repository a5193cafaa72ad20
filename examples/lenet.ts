// Dive into Deep Learning, "Convolutional Neural Networks (LeNet)" (MXNet edition), in TypeScript:
// LeNet with sigmoid activations and average pooling, Xavier initialization, SGD with learning
// rate 0.9, batch 256, 10 epochs on Fashion-MNIST. The book reports a test accuracy of about 0.78
// to 0.82.
//
// `--variant relu` trains the modern variant the issue asks for: ReLU, max pooling, Xavier, batch
// 256, 10 epochs, and by default SGD with momentum 0.9 and learning rate 0.05 (plain SGD at 0.1,
// the book's rate for ReLU nets, ends near 0.85-0.87 after 10 epochs; momentum gets past 0.88).
// `--optimizer`, `--lr` and `--momentum` override the defaults of either variant.
//
// The network is declared without any input size (vision.lenet()); its summary is printed from
// the input shape alone before training.
//
// Data: Fashion-MNIST from ~/.tsgluon/datasets/fashion-mnist, /usr/share/datasets/fashion-mnist
// (Debian/Ubuntu package dataset-fashion-mnist) or a verified download. `--synthetic` (or a
// missing dataset with --allow-synthetic) trains on random images instead, which only checks
// that everything runs; `--batches N` stops each epoch after N batches (CI runs a short version).
//
// Run: npx tsx examples/lenet.ts [--variant sigmoid|relu] [--epochs 10]
//      [--optimizer sgd|adam] [--lr 0.9] [--momentum 0]
import { parseArgs } from 'node:util';
import { backend, gluon, init, nd } from 'tsgluon';
import { FASHION_MNIST_HINT, fashionMnistLoaders, trainEpochs, type Loader } from './common.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', default: 'sigmoid' },
    epochs: { type: 'string', default: '10' },
    optimizer: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    momentum: { type: 'string' },
    batches: { type: 'string' },
    'batch-size': { type: 'string', default: '256' },
    synthetic: { type: 'boolean', default: false },
    'allow-synthetic': { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
  },
});
const variant = args.variant === 'relu' ? 'relu' : 'sigmoid';
const numEpochs = Number(args.epochs);
const batchSize = Number(args['batch-size']);
const optimizer = args.optimizer === 'adam' ? 'adam' : 'sgd';
const defaults = optimizer === 'adam' ? { lr: 0.001, momentum: 0 } : variant === 'relu' ? { lr: 0.05, momentum: 0.9 } : { lr: 0.9, momentum: 0 };
const lr = args.lr !== undefined ? Number(args.lr) : defaults.lr;
const momentum = args.momentum !== undefined ? Number(args.momentum) : defaults.momentum;
const maxBatches = args.batches !== undefined ? Number(args.batches) : Infinity;
nd.random.seed(Number(args.seed));

const { DataLoader, ArrayDataset } = gluon.data;

/** Random images with labels, for runs without the dataset (only checks that training runs). */
function syntheticLoaders(): { train: Loader; test: Loader; description: string } {
  const make = (n: number): Loader => {
    const x = nd.random.uniform({ shape: [n, 1, 28, 28] });
    const y = nd.random.randint({ low: 0, high: 10, shape: [n], dtype: 'int32' });
    return new DataLoader(new ArrayDataset(x, y), { batchSize, shuffle: true }) as Loader;
  };
  return { train: make(batchSize * Math.min(4, maxBatches)), test: make(batchSize), description: 'synthetic random images' };
}

let data: { train: Loader; test: Loader; description: string };
if (args.synthetic) {
  data = syntheticLoaders();
} else {
  try {
    data = await fashionMnistLoaders(batchSize);
  } catch (e) {
    if (!args['allow-synthetic']) {
      console.error(`${(e as Error).name}: ${(e as Error).message}`);
      console.error(`${FASHION_MNIST_HINT}; or pass --synthetic`);
      process.exit(1);
    }
    console.log(`Fashion-MNIST unavailable (${(e as Error).message.split('\n')[0]}); using synthetic data`);
    data = syntheticLoaders();
  }
}

const net = gluon.modelZoo.vision.lenet({ activation: variant, pool: variant === 'relu' ? 'max' : 'avg' });
net.initialize({ init: new init.Xavier() });
net.summary([1, 1, 28, 28]);
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), optimizer, optimizer === 'sgd' ? { learningRate: lr, momentum } : { learningRate: lr });

const opt = optimizer === 'sgd' && momentum > 0 ? `SGD momentum ${momentum}` : optimizer === 'sgd' ? 'SGD' : 'Adam';
console.log(`LeNet (${variant}), ${opt}, lr ${lr}, batch ${batchSize}, backend ${backend.getBackend().name}; ${data.description}`);
trainEpochs(net, data.train, data.test, { epochs: numEpochs, loss, trainer, maxBatches });
