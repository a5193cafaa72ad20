// Shared by the D2L examples: the training loop of the book's `train_ch3` / `train_ch6` (one
// recorded forward and loss per batch, backward, `trainer.step(batchSize)`, then test accuracy
// after each epoch, printed as one line) and the Fashion-MNIST loaders of
// `d2l.load_data_fashion_mnist` (ToTensor: (28, 28, 1) uint8 to (1, 28, 28) float32 in [0, 1]).
import { autograd, gluon, metric, type nd } from 'tsgluon';

/** Batches of (images, labels). */
export type Loader = Iterable<[nd.NDArray, nd.NDArray]>;

/** What one epoch measured. */
export interface EpochStats {
  /** Mean training loss over the epoch's examples. */
  loss: number;
  trainAcc: number;
  testAcc: number;
  /** Seconds spent training (evaluation excluded). */
  seconds: number;
  /** Training examples seen. */
  examples: number;
}

export interface TrainOptions {
  epochs: number;
  loss: gluon.loss.Loss;
  trainer: gluon.Trainer;
  /** Stop each pass (training and evaluation) after this many batches (CI's short runs). */
  maxBatches?: number;
}

/** Accuracy of `net` over the batches of `iter` (at most `maxBatches` of them). */
export function evaluateAccuracy(net: gluon.Block, iter: Loader, maxBatches = Infinity): number {
  const acc = new metric.Accuracy();
  let batches = 0;
  for (const [x, y] of iter) {
    acc.update(y, net.forward(x));
    if (++batches >= maxBatches) break;
  }
  return acc.get()[1];
}

/**
 * Trains `net` for `options.epochs` epochs, printing after each one its mean loss, training and
 * test accuracy and time, and returns those figures per epoch.
 */
export function trainEpochs(net: gluon.Block, trainIter: Loader, testIter: Loader, options: TrainOptions): EpochStats[] {
  const { epochs, loss, trainer, maxBatches = Infinity } = options;
  const history: EpochStats[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0;
    let examples = 0;
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
      examples += x.shape[0]!;
      trainAcc.update(y, out);
      if (++batches >= maxBatches) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = { loss: lossSum / examples, trainAcc: trainAcc.get()[1], testAcc: evaluateAccuracy(net, testIter, maxBatches), seconds, examples };
    history.push(stats);
    console.log(
      `epoch ${epoch}, loss ${stats.loss.toFixed(4)}, train acc ${stats.trainAcc.toFixed(3)}, test acc ${stats.testAcc.toFixed(3)}, ` +
        `${seconds.toFixed(2)} s (${Math.round(examples / seconds)} samples/s)`,
    );
  }
  const mean = history.reduce((a, s) => a + s.seconds, 0) / history.length;
  console.log(`final test accuracy ${history.at(-1)!.testAcc.toFixed(4)}; mean epoch time ${mean.toFixed(2)} s`);
  return history;
}

/**
 * Fashion-MNIST training (shuffled) and test loaders with ToTensor, as `d2l.load_data_fashion_mnist`.
 * Throws when the dataset is neither installed nor downloadable.
 */
export async function fashionMnistLoaders(batchSize: number): Promise<{ train: Loader; test: Loader; description: string }> {
  const { vision, DataLoader } = gluon.data;
  const toTensor = new vision.transforms.ToTensor();
  const train = await vision.FashionMNIST.load({ train: true });
  const test = await vision.FashionMNIST.load({ train: false });
  return {
    train: new DataLoader(train.transformFirst(toTensor), { batchSize, shuffle: true }),
    test: new DataLoader(test.transformFirst(toTensor), { batchSize }),
    description: `Fashion-MNIST, ${train.length} training and ${test.length} test images`,
  };
}

/** How to get Fashion-MNIST, printed when loading it failed. */
export const FASHION_MNIST_HINT =
  'Fashion-MNIST is needed: `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or copy the four *-ubyte.gz files into ~/.tsgluon/datasets/fashion-mnist';
