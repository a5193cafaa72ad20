/**
 * Worker of tests/dist/training.test.ts, launched by mpirun: trains an MLP whose parameters are
 * still pending when the Trainer is built, for STEPS SGD steps with kvstore 'dist_sync', each rank
 * taking batches of GLOBAL_BATCH / size from a sharded, shuffled loader. Ranks seed their
 * generators differently, so equal parameters can only come from rank 0's broadcast. Each rank
 * writes its parameters (and what it saw) to <out>/rank-<r>.json.
 *
 * usage: node --import tsx worker.ts <out-dir> [steps] [global-batch]
 */
import { readlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Generator, autograd, dist, gluon, nd, nn } from '../../../src/index.js';

const [out = '.', stepsArg = '10', batchArg = '256'] = process.argv.slice(2);
const steps = Number(stepsArg);
const globalBatch = Number(batchArg);
const comm = dist.init({ timeout: 120 });

// The data is the same on every rank (drawn from a fixed generator), 10 batches' worth.
const g = new Generator(7);
const n = globalBatch * steps;
const x = nd.NDArray.empty([n, 20], 'float32');
for (let i = 0; i < x.size; i++) x.storage[i] = g.nextFloat() * 2 - 1;
const y = nd.NDArray.empty([n], 'float32');
for (let i = 0; i < n; i++) y.storage[i] = Math.floor(g.nextFloat() * 5);

nd.random.seed(1000 + comm.rank);
const net = new nn.Sequential();
net.add(new nn.Dense(32, { activation: 'relu' }), new nn.Dense(16, { activation: 'tanh' }), new nn.Dense(5));
net.initialize();
const pendingAtTrainer = net.collectParams().entries().filter(([, p]) => p.state === 'pending').length;
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.9 }, { kvstore: 'dist_sync', bucketBytes: 1024 });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize: globalBatch / comm.size, shuffle: true, shard: comm });

// The first feature of each row of the first batch identifies its samples.
const firstRows: number[] = [];
let done = 0;
for (const [xb, yb] of loader) {
  if (done === 0) for (let i = 0; i < xb.shape[0]!; i++) firstRows.push(xb.storage[i * 20]!);
  const l = autograd.record(() => loss.forward(net.forward(xb), yb));
  l.backward();
  trainer.step(xb.shape[0]!);
  if (++done === steps) break;
}
// Where this rank ran: its network namespace and IPv4 addresses (the cross-host test's "host").
const netns = readlinkSync('/proc/self/ns/net');
const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));
const params = Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, Array.from(p.data().storage)]));
writeFileSync(
  join(out, `rank-${comm.rank}.json`),
  JSON.stringify({ rank: comm.rank, size: comm.size, netns, addresses, steps: done, pendingAtTrainer, firstRows, stats: trainer._distStats, params }),
);
