// Dive into Deep Learning, "Convolutional Neural Networks (LeNet)" (MXNet edition), in TypeScript:
// LeNet with sigmoid activations and average pooling, Xavier initialization, SGD with learning
// rate 0.9, batch 256, 10 epochs on Fashion-MNIST. The book reports a test accuracy of about 0.78
// to 0.82. `--variant relu` trains the modern variant (ReLU, max pooling, Xavier; learning rate
// 0.1 unless --lr is given).
//
// The network is declared without any input size (vision.lenet()); its summary is printed from
// the input shape alone before training.
//
// Data: Fashion-MNIST from ~/.tsgluon/datasets/fashion-mnist, /usr/share/datasets/fashion-mnist
// (Debian/Ubuntu package dataset-fashion-mnist) or a verified download. `--synthetic` (or a
// missing dataset with --allow-synthetic) trains on random images instead, which only checks
// that everything runs; `--batches N` stops each epoch after N batches (CI runs a short version).
//
// Run: npx tsx --conditions=development examples/lenet.ts [--variant sigmoid|relu] [--epochs 10] [--lr 0.9]
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, metric, nd } from 'tsgluon';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', default: 'sigmoid' },
    epochs: { type: 'string', default: '10' },
    lr: { type: 'string' },
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
const lr = args.lr !== undefined ? Number(args.lr) : variant === 'relu' ? 0.1 : 0.9;
const maxBatches = args.batches !== undefined ? Number(args.batches) : Infinity;
nd.random.seed(Number(args.seed));

const { vision, DataLoader, ArrayDataset } = gluon.data;
type Loader = Iterable<[nd.NDArray, nd.NDArray]>;

/** Random images with labels, for runs without the dataset (only checks that training runs). */
function syntheticLoaders(): [Loader, Loader, string] {
  const make = (n: number): Loader => {
    const x = nd.random.uniform({ shape: [n, 1, 28, 28] });
    const y = nd.random.randint({ low: 0, high: 10, shape: [n], dtype: 'int32' });
    return new DataLoader(new ArrayDataset(x, y), { batchSize, shuffle: true }) as Loader;
  };
  return [make(batchSize * Math.min(4, maxBatches)), make(batchSize), 'synthetic random images'];
}

async function fashionLoaders(): Promise<[Loader, Loader, string]> {
  const toTensor = new vision.transforms.ToTensor();
  const train = await vision.FashionMNIST.load({ train: true });
  const test = await vision.FashionMNIST.load({ train: false });
  return [
    new DataLoader(train.transformFirst(toTensor), { batchSize, shuffle: true }) as Loader,
    new DataLoader(test.transformFirst(toTensor), { batchSize }) as Loader,
    `Fashion-MNIST, ${train.length} training and ${test.length} test images`,
  ];
}

let loaders: [Loader, Loader, string];
if (args.synthetic) {
  loaders = syntheticLoaders();
} else {
  try {
    loaders = await fashionLoaders();
  } catch (e) {
    if (!args['allow-synthetic']) {
      console.error(`${(e as Error).name}: ${(e as Error).message}`);
      console.error('Fashion-MNIST is needed (apt-get install dataset-fashion-mnist), or pass --synthetic');
      process.exit(1);
    }
    console.log(`Fashion-MNIST unavailable (${(e as Error).message.split('\n')[0]}); using synthetic data`);
    loaders = syntheticLoaders();
  }
}
const [trainIter, testIter, description] = loaders;

const net = gluon.modelZoo.vision.lenet({ activation: variant, pool: variant === 'relu' ? 'max' : 'avg' });
net.initialize({ init: new init.Xavier() });
net.summary([1, 1, 28, 28]);
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });

function evaluateAccuracy(): number {
  const acc = new metric.Accuracy();
  let batches = 0;
  for (const [x, y] of testIter) {
    acc.update(y, net.forward(x));
    if (++batches >= maxBatches) break;
  }
  return acc.get()[1];
}

console.log(`LeNet (${variant}), lr ${lr}, batch ${batchSize}, backend ${backend.getBackend().name}; ${description}`);
const times: number[] = [];
let testAcc = 0;
for (let epoch = 1; epoch <= numEpochs; epoch++) {
  const t0 = performance.now();
  let lossSum = 0;
  let n = 0;
  let batches = 0;
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
    if (++batches >= maxBatches) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  times.push(seconds);
  testAcc = evaluateAccuracy();
  console.log(
    `epoch ${epoch}, loss ${(lossSum / n).toFixed(4)}, train acc ${trainAcc.get()[1].toFixed(3)}, test acc ${testAcc.toFixed(3)}, ` +
      `${seconds.toFixed(1)} s (${Math.round(n / seconds)} examples/s)`,
  );
}
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(`final test accuracy ${testAcc.toFixed(4)}; mean epoch time ${mean.toFixed(1)} s`);
