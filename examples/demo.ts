// The tsgluon demo (`npm run demo`): a multilayer perceptron declared WITHOUT input sizes learns
// to read handwritten digits. It shows deferred initialization (parameter shapes unknown until the
// first batch arrives), the Gluon training loop (record, backward, trainer.step), the DataLoader,
// metrics, a progress bar per epoch, the loss/accuracy curves as an SVG image, and saving the
// trained parameters. Data: 10,000 real MNIST digits bundled with tsgluon (8,000 to train on,
// 2,000 held out), so nothing is downloaded.
//
// Options: --epochs N (default 10), --quick (one epoch; also TSGLUON_DEMO_QUICK=1), --out DIR
// (default out/), --seed N.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { autograd, backend, fmtShape, gluon, init, metric, nd, nn, plot } from 'tsgluon';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string' },
    quick: { type: 'boolean', default: process.env['TSGLUON_DEMO_QUICK'] === '1' },
    out: { type: 'string', default: 'out' },
    seed: { type: 'string', default: '0' },
  },
});
const epochs = args.quick ? 1 : Number(args.epochs ?? 10);
const batchSize = 64;
const learningRate = 0.05;
const start = performance.now();
const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
nd.random.seed(Number(args.seed));

console.log(`tsgluon demo: an MLP learns handwritten digits (backend: ${backend.getBackend().name})\n`);

// Data: images (28, 28, 1) uint8 become (1, 28, 28) float32, normalized with MNIST's statistics.
// The transforms work on whole batches, so the DataLoader copies rows instead of building
// one array per image.
const { vision, DataLoader } = gluon.data;
const transform = new vision.transforms.Compose([new vision.transforms.ToTensor(), new vision.transforms.Normalize(0.1307, 0.3081)]);
const trainSet = new vision.Digits({ train: true, transform });
const testSet = new vision.Digits({ train: false, transform });
const trainLoader = new DataLoader(trainSet, { batchSize, shuffle: true });
const testLoader = new DataLoader(testSet, { batchSize: 500 });
console.log(`data: ${trainSet.length} training and ${testSet.length} held-out test digits (bundled with tsgluon), loaded in ${seconds(start)} s\n`);

// The network: no layer is told how many inputs it has (Gluon's deferred initialization).
const net = new nn.Sequential();
net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net.initialize({ init: new init.Xavier() });

function showParams(title: string): void {
  console.log(title);
  for (const [path, p] of net.collectParams().entries()) {
    const shape = fmtShape(p.shape);
    console.log(`  ${path.padEnd(10)} ${p.name.padEnd(16)} ${shape.padEnd(12)} ${p.state}`);
  }
  console.log();
}

console.log(`${net}\n`);
showParams('Parameters after initialize(): a 0 is a dimension still unknown, so they are pending');

const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
// The Trainer takes the parameters while they are still pending: it reads them at each step.
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate, momentum: 0.9 });

function evaluate(): number {
  const acc = new metric.Accuracy();
  for (const [x, y] of testLoader) acc.update(y, net.forward(x));
  return acc.get()[1];
}

const history: plot.TrainingHistory = { trainLoss: [], trainAcc: [], testAcc: [] };
const showBar = Boolean(process.stdout.isTTY);
console.log(`Training: ${epochs} epoch${epochs === 1 ? '' : 's'}, batch ${batchSize}, SGD (learning rate ${learningRate}, momentum 0.9)`);
for (let epoch = 1; epoch <= epochs; epoch++) {
  const bar = new cliProgress.SingleBar(
    {
      format: `epoch ${epoch}/${epochs} [{bar}] {percentage}% | loss {loss} | acc {acc} | {speed} samples/s | test acc {test}`,
      hideCursor: true,
      stream: process.stdout,
    },
    cliProgress.Presets.shades_classic,
  );
  if (showBar) bar.start(trainLoader.length, 0, { loss: '-', acc: '-', speed: '-', test: '-' });
  const epochStart = performance.now();
  const trainAcc = new metric.Accuracy();
  let lossSum = 0;
  let seen = 0;
  for (const [x, y] of trainLoader) {
    const [out, l] = autograd.record(() => {
      const o = net.forward(x);
      return [o, loss.forward(o, y)] as const;
    });
    l.backward();
    trainer.step(x.shape[0]!);
    if (epoch === 1 && seen === 0) {
      if (showBar) bar.stop();
      showParams(`After the first batch ${fmtShape(x.shape)}: every shape was inferred from the data`);
      console.log(`${net.summary(x, { print: false })}\n`);
      if (showBar) bar.start(trainLoader.length, 0, { loss: '-', acc: '-', speed: '-', test: '-' });
    }
    lossSum += l.sum().item();
    seen += x.shape[0]!;
    trainAcc.update(y, out);
    if (showBar) {
      const speed = Math.round(seen / ((performance.now() - epochStart) / 1000));
      bar.increment({ loss: (lossSum / seen).toFixed(4), acc: trainAcc.get()[1].toFixed(4), speed });
    }
  }
  const speed = Math.round(seen / ((performance.now() - epochStart) / 1000));
  const testAcc = evaluate();
  history.trainLoss.push(lossSum / seen);
  history.trainAcc!.push(trainAcc.get()[1]);
  history.testAcc!.push(testAcc);
  if (showBar) {
    bar.update({ test: testAcc.toFixed(4) });
    bar.stop();
  } else {
    console.log(
      `epoch ${epoch}/${epochs} | loss ${(lossSum / seen).toFixed(4)} | acc ${trainAcc.get()[1].toFixed(4)} | ${speed} samples/s | test acc ${testAcc.toFixed(4)}`,
    );
  }
}

const finalAcc = history.testAcc!.at(-1)!;
console.log(`\nTest accuracy on the ${testSet.length} held-out digits: ${(100 * finalAcc).toFixed(2)}%${args.quick ? ' (quick run: one epoch)' : ''}`);

mkdirSync(args.out, { recursive: true });
const svgPath = join(args.out, 'demo-mlp-curves.svg');
writeFileSync(svgPath, await plot.trainingCurvesSvg(history, { title: 'tsgluon demo: MLP on handwritten digits' }));
console.log(`Loss and accuracy curves: ${svgPath}`);
const paramsPath = join(args.out, 'demo-mlp.safetensors');
net.saveParameters(paramsPath);
const count = net.collectParams().values().reduce((s, p) => s + p.data().size, 0);
console.log(`Trained parameters (${count.toLocaleString('en-US')} values): ${paramsPath}`);
const totalSeconds = seconds(start);
writeFileSync(
  join(args.out, 'demo-result.json'),
  JSON.stringify({ testAccuracy: finalAcc, epochs, seconds: Number(totalSeconds), backend: backend.getBackend().name, history }, null, 2),
);
console.log(`Done in ${totalSeconds} s.`);
