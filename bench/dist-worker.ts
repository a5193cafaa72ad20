// One rank of bench/dist-epoch.ts, launched by mpirun: trains the MLP (784 -> 256 ReLU -> 10) or
// LeNet (ReLU, max pooling) on this rank's shard of a synthetic MNIST-sized training set, with
// batches of --batch per rank, for a warm-up epoch and then --epochs timed ones. With one rank it
// uses the single-process Trainer, so the baseline carries no communication at all. Rank 0 prints
// one JSON line: samples per second over every rank, and per step the time the Trainer waited for
// the gradient average, the time spent in the averaging collectives, and of it the time spent
// waiting for the other ranks to bring their gradients (shared memory only), and the CPU time
// rank 0's process used per step, all its threads together (what a loaded machine distorts least).
//
// Run through bench/dist-epoch.ts, or: mpirun -np 2 node --import tsx bench/dist-worker.ts --model mlp
import { parseArgs } from 'node:util';
import { Generator, autograd, dist, gluon, init, nd, nn } from 'tsgluon';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    batch: { type: 'string', default: '256' },
    samples: { type: 'string', default: '30720' },
    epochs: { type: 'string', default: '2' },
  },
});
const batch = Number(args.batch);
const samples = Number(args.samples);
const comm = dist.init();

const g = new Generator(1);
const x = nd.NDArray.empty([samples, 1, 28, 28], 'float32');
for (let i = 0; i < x.size; i++) x.storage[i] = g.nextFloat();
const y = nd.NDArray.empty([samples], 'int32');
for (let i = 0; i < samples; i++) y.storage[i] = Math.floor(g.nextFloat() * 10);

nd.random.seed(0);
const net = args.model === 'lenet' ? gluon.modelZoo.vision.lenet({ activation: 'relu', pool: 'max' }) : new nn.Sequential();
if (args.model !== 'lenet') net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
net.initialize({ init: new init.Xavier() });
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05, momentum: 0.9 }, comm.size > 1 ? { kvstore: comm } : {});
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize: batch, shuffle: true, lastBatch: 'discard', shard: comm });

/** One epoch; the communication thread's time is counted between the barriers that frame it. */
function epoch(): { seconds: number; samples: number; steps: number; commSeconds: number; lateSeconds: number } {
  comm.barrier();
  const t0 = performance.now();
  const { seconds: busy0, waitingSeconds: late0 } = comm.stats();
  let seen = 0;
  let steps = 0;
  for (const [xb, yb] of loader) {
    const l = autograd.record(() => loss.forward(net.forward(xb), yb));
    l.backward();
    trainer.step(xb.shape[0]!);
    seen += xb.shape[0]!;
    steps++;
  }
  const after = comm.stats();
  comm.barrier();
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, samples: seen * comm.size, steps, commSeconds: after.seconds - busy0, lateSeconds: after.waitingSeconds - late0 };
}

epoch();
const wait0 = trainer._distStats?.waitSeconds ?? 0;
const cpu0 = process.cpuUsage();
let seconds = 0;
let total = 0;
let steps = 0;
let commSeconds = 0;
let lateSeconds = 0;
for (let e = 0; e < Number(args.epochs); e++) {
  const r = epoch();
  seconds += r.seconds;
  total += r.samples;
  steps += r.steps;
  commSeconds += r.commSeconds;
  lateSeconds += r.lateSeconds;
}
const cpu = process.cpuUsage(cpu0);
const stats = trainer._distStats;
if (comm.rank === 0) {
  console.log(
    JSON.stringify({
      model: args.model,
      ranks: comm.size,
      samplesPerSec: total / seconds,
      stepMs: (1000 * seconds) / steps,
      waitMsPerStep: (1000 * ((stats?.waitSeconds ?? 0) - wait0)) / steps,
      commMsPerStep: (1000 * commSeconds) / steps,
      lateMsPerStep: (1000 * lateSeconds) / steps,
      cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
      bucketsPerStep: stats === null ? 0 : stats.buckets / stats.steps,
    }),
  );
}
