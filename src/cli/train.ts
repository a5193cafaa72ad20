/**
 * `tsgluon train` (and `tsgluon demo`): trains an MLP or LeNet on the bundled digits, MNIST or
 * Fashion-MNIST with a progress bar per epoch, evaluates on the test set after each epoch, and
 * optionally writes the curves (SVG), the parameters (safetensors) and a JSON summary.
 *
 * The network is declared without input sizes; the parameter table before and after the first
 * batch shows deferred initialization at work. Started by mpirun (`mpirun -np 4 tsgluon train`)
 * it trains data-parallel, one shard of the data per rank, and only rank 0 prints and saves.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingDependencyError, ValueError, fmtShape } from '../core/errors.js';
import { getBackend, listBackends, setBackend } from '../backend/index.js';
import { seed } from '../ndarray/random.js';
import { record } from '../autograd/index.js';
import { Xavier } from '../init/index.js';
import { registered } from '../optim/index.js';
import type { Sequential } from '../gluon/sequential.js';
import { HybridSequential } from '../gluon/hybrid-block.js';
import { Dense } from '../gluon/nn/basic-layers.js';
import { lenet } from '../gluon/model-zoo/classic.js';
import { SoftmaxCrossEntropyLoss } from '../gluon/loss/index.js';
import { Trainer } from '../gluon/trainer.js';
import { Accuracy } from '../gluon/metric.js';
import { DataLoader } from '../gluon/data/dataloader.js';
import { SequentialSampler } from '../gluon/data/sampler.js';
import { ShardSampler } from '../gluon/data/shard.js';
import { init as initDist, launchedByMpi } from '../dist/init.js';
import type { Communicator } from '../dist/communicator.js';
import { Compose, Normalize, ToTensor } from '../gluon/data/vision/transforms.js';
import { Digits } from '../gluon/data/vision/digits.js';
import { FashionMNIST, MNIST, type ImageLabelDataset } from '../gluon/data/vision/mnist.js';
import { trainingCurvesSvg, type TrainingHistory } from '../plot/curves.js';
import { EpochProgress } from './progress.js';
import '../gluon/serialization.js';
import '../gluon/summary.js';

export const MODELS = ['mlp', 'lenet'] as const;
export const DATASETS = ['digits', 'mnist', 'fashion-mnist'] as const;

/** Options of `train`. */
export interface TrainOptions {
  model: (typeof MODELS)[number];
  data: (typeof DATASETS)[number];
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: string;
  momentum?: number;
  wd?: number;
  seed: number;
  /** Folder of the MNIST / Fashion-MNIST files (default: the dataset's default root and system folders). */
  dataRoot?: string;
  /** Never download (fail with a clear message when files are missing). */
  offline?: boolean;
  /** Where to write curves, parameters and a JSON summary; nothing is written when absent. */
  out?: string;
  /** File name prefix of what is written to `out` (default 'tsgluon-<model>-<data>'). */
  name?: string;
  backend?: string;
  quiet?: boolean;
  /**
   * Train data-parallel over the ranks of the MPI job (default: when started by mpirun). Each rank
   * takes batches of `batchSize` from its shard; only rank 0 prints and writes files.
   */
  dist?: boolean;
}

/** What `train` returns (and writes as JSON to `out`). */
export interface TrainResult {
  model: string;
  data: string;
  backend: string;
  epochs: number;
  /** The number of processes that trained (1 unless distributed). */
  ranks: number;
  testAccuracy: number;
  seconds: number;
  history: TrainingHistory;
  files: string[];
}

/** Per-dataset normalization statistics (mean, std of the pixel values in [0, 1]). */
const STATS: Record<TrainOptions['data'], [number, number]> = {
  digits: [0.1307, 0.3081],
  mnist: [0.1307, 0.3081],
  'fashion-mnist': [0.286, 0.353],
};

/** The network `train` builds for `model` (a HybridSequential, so `tsgluon export` can trace it). */
export function buildNet(model: TrainOptions['model']): Sequential {
  if (model === 'lenet') return lenet({ activation: 'relu', pool: 'max' });
  const net = new HybridSequential();
  net.add(new Dense(256, { activation: 'relu' }), new Dense(10));
  return net;
}

async function loadData(o: TrainOptions, log: (s: string) => void): Promise<[ImageLabelDataset, ImageLabelDataset]> {
  const transform = new Compose([new ToTensor(), new Normalize(...STATS[o.data])]);
  if (o.data === 'digits') return [new Digits({ train: true, transform }), new Digits({ train: false, transform })];
  const Ctor = o.data === 'mnist' ? MNIST : FashionMNIST;
  const base = { transform, download: !o.offline, ...(o.dataRoot ? { root: o.dataRoot } : {}) };
  if (Ctor.locate({ train: true, ...base }) === null && !o.offline) log(`${Ctor.name}: files not found locally, downloading (about 30 MB)`);
  return [await Ctor.load({ ...base, train: true }), await Ctor.load({ ...base, train: false })];
}

/** Checks option values, throwing a ValueError that names the option and the accepted values. */
export function validateTrainOptions(o: TrainOptions): void {
  if (!MODELS.includes(o.model)) throw new ValueError(`--model must be one of ${MODELS.join(', ')}; got ${JSON.stringify(o.model)}`);
  if (!DATASETS.includes(o.data)) throw new ValueError(`--data must be one of ${DATASETS.join(', ')}; got ${JSON.stringify(o.data)}`);
  if (!registered().includes(o.optimizer)) throw new ValueError(`--optimizer must be one of ${registered().join(', ')}; got ${JSON.stringify(o.optimizer)}`);
  for (const [flag, v, min] of [['--epochs', o.epochs, 1], ['--batch-size', o.batchSize, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new ValueError(`${flag} must be an integer >= ${min}; got ${v}`);
  }
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new ValueError(`--lr must be a positive number; got ${o.lr}`);
  if (o.backend !== undefined && !listBackends().includes(o.backend)) {
    throw new ValueError(`--backend must be one of ${listBackends().join(', ')}; got ${JSON.stringify(o.backend)}`);
  }
}

/**
 * Trains as described by `o` and reports progress on stdout.
 * @example await train({ model: 'mlp', data: 'digits', epochs: 10, batchSize: 64, lr: 0.05, optimizer: 'sgd', momentum: 0.9, seed: 0 });
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  validateTrainOptions(o);
  if (o.backend) setBackend(o.backend);
  const comm = (o.dist ?? launchedByMpi()) ? initDist() : null;
  const lead = comm === null || comm.rank === 0;
  const quiet = (o.quiet ?? false) || !lead;
  const log = (s: string): void => {
    if (!quiet) process.stdout.write(`${s}\n`);
  };
  const start = performance.now();
  seed(o.seed);
  log(`tsgluon train: ${o.model} on ${o.data} (backend: ${getBackend().name})`);
  if (comm !== null) log(`distributed: ${comm.size} ranks (${comm.library}), batch ${o.batchSize} per rank, ${o.batchSize * comm.size} per step`);
  const [trainSet, testSet] = await loadData(o, log);
  log(`data: ${trainSet.length} training and ${testSet.length} test images, ${fmtShape(trainSet.images.shape.slice(1))} each`);
  const trainLoader = new DataLoader(trainSet, { batchSize: o.batchSize, shuffle: true, ...(comm !== null ? { shard: comm } : {}) });
  const testOrder = new SequentialSampler(testSet.length);
  const testLoader = new DataLoader(testSet, { batchSize: 500, sampler: comm !== null ? new ShardSampler(testOrder, comm, { even: false }) : testOrder });

  const net = buildNet(o.model);
  net.initialize({ init: new Xavier() });
  log(`\n${net}\n`);
  const paramTable = (title: string): string =>
    `${title}\n${net
      .collectParams()
      .entries()
      .map(([path, p]) => `  ${path.padEnd(10)} ${fmtShape(p.shape).padEnd(16)} ${p.state}`)
      .join('\n')}\n`;
  log(paramTable('parameters before the first batch (0 = not known yet):'));

  const loss = new SoftmaxCrossEntropyLoss();
  const optimizerParams: Record<string, number> = { learningRate: o.lr };
  if (o.wd !== undefined) optimizerParams['wd'] = o.wd;
  if (o.momentum !== undefined && (o.optimizer === 'sgd' || o.optimizer === 'nag')) optimizerParams['momentum'] = o.momentum;
  const trainer = new Trainer(net.collectParams(), o.optimizer, optimizerParams, comm !== null ? { kvstore: comm } : {});
  const desc = Object.entries(optimizerParams).map(([k, v]) => `${k} ${v}`).join(', ');
  log(`training: ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}, batch ${o.batchSize}, ${o.optimizer} (${desc})`);

  const history: TrainingHistory = { trainLoss: [], trainAcc: [], testAcc: [] };
  let tested = 0;
  const ranks = comm?.size ?? 1;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const progress = new EpochProgress(epoch, o.epochs, trainLoader.length, { quiet });
    progress.start();
    const t0 = performance.now();
    const acc = new Accuracy();
    let lossSum = 0;
    let seen = 0;
    for (const [x, y] of trainLoader) {
      const [out, l] = record(() => {
        const pred = net.forward(x);
        return [pred, loss.forward(pred, y)] as const;
      });
      l.backward();
      trainer.step(x.shape[0]!);
      if (seen === 0 && epoch === 1) {
        progress.interrupt(() => {
          log(paramTable(`after the first batch ${fmtShape(x.shape)}: shapes inferred`));
          log(net.summary(x, { print: false }));
        });
      }
      lossSum += l.sum().item();
      seen += x.shape[0]!;
      acc.update(y, out);
      // Per batch, rank 0 shows its own shard's figures; the epoch's line combines every rank's.
      progress.tick({ loss: lossSum / seen, acc: acc.get()[1], samplesPerSec: (ranks * seen) / ((performance.now() - t0) / 1000) });
    }
    const testAcc = new Accuracy();
    for (const [x, y] of testLoader) testAcc.update(y, net.forward(x));
    const counts = [lossSum, seen, testAcc.numInst];
    const [epochLoss, epochSeen, epochTested] = comm === null ? counts : totals(comm, counts);
    tested = epochTested!;
    const samplesPerSec = epochSeen / ((performance.now() - t0) / 1000);
    const trainAcc = comm === null ? acc.get()[1] : acc.getGlobal(comm)[1];
    const epochTestAcc = comm === null ? testAcc.get()[1] : testAcc.getGlobal(comm)[1];
    history.trainLoss.push(epochLoss / epochSeen);
    history.trainAcc!.push(trainAcc);
    history.testAcc!.push(epochTestAcc);
    progress.finish({ loss: epochLoss / epochSeen, acc: trainAcc, samplesPerSec, testAcc: epochTestAcc });
  }

  const testAccuracy = history.testAcc!.at(-1)!;
  log(`\ntest accuracy: ${(100 * testAccuracy).toFixed(2)}% on ${tested} images`);
  const files: string[] = [];
  const result: TrainResult = {
    model: o.model,
    data: o.data,
    backend: getBackend().name,
    epochs: o.epochs,
    ranks,
    testAccuracy,
    seconds: 0,
    history,
    files,
  };
  if (o.out && lead) {
    mkdirSync(o.out, { recursive: true });
    const name = o.name ?? `tsgluon-${o.model}-${o.data}`;
    const svg = join(o.out, `${name}-curves.svg`);
    try {
      writeFileSync(svg, await trainingCurvesSvg(history, { title: `${o.model} on ${o.data}` }));
      files.push(svg);
      log(`curves: ${svg}`);
    } catch (e) {
      // Charts are optional (vega is an optional dependency): the run's results stand without them.
      if (!(e instanceof MissingDependencyError)) throw e;
      log(`curves: not drawn (${e.message.replace(/^[^:]*: /, '')})`);
    }
    const params = join(o.out, `${name}.safetensors`);
    net.saveParameters(params, { metadata: { model: o.model, data: o.data } });
    files.push(params);
    log(`parameters: ${params}`);
  }
  result.seconds = Number(((performance.now() - start) / 1000).toFixed(2));
  if (o.out && lead) {
    const json = join(o.out, `${o.name ?? `tsgluon-${o.model}-${o.data}`}-result.json`);
    files.push(json);
    writeFileSync(json, JSON.stringify(result, null, 2));
  }
  log(`done in ${result.seconds} s`);
  return result;
}

/** Sums of `values` over every rank. */
function totals(comm: Communicator, values: readonly number[]): number[] {
  const buf = Float64Array.from(values);
  comm.allreduceStart(buf, 'sum').wait();
  return Array.from(buf);
}
