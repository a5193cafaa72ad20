// Epoch time of D2L's concise MLP (784 -> 256 ReLU -> 10, SGD lr 0.5, batch 256) on the full
// Fashion-MNIST, tsgluon against the same model in PyTorch on this machine, with 1 thread and with
// every core. Both sides time one complete training epoch (shuffle, batching, forward, backward,
// update) and read the same IDX files; PyTorch converts the images to a float tensor once and
// slices batches from it (its fastest idiom), tsgluon batches through its DataLoader with
// ToTensor. The first epoch is a warm-up and is not counted. PyTorch runs when /usr/bin/python3
// can import torch; otherwise that column is skipped with a message. On a machine shared with
// other jobs, run it twice: timings move (and PyTorch's OpenMP threads suffer most from it).
//
// Run: npx tsx bench/fashion-mlp-epoch.ts [--epochs 3] [--threads 1,2]
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd, nn } from 'tsgluon';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '3' }, threads: { type: 'string', default: `1,${availableParallelism()}` } },
});
const epochs = Math.max(2, Number(args.epochs));
const threadCounts = [...new Set(args.threads.split(',').map(Number))];
const { vision, DataLoader } = gluon.data;

const paths = vision.FashionMNIST.locate({ train: true });
if (paths === null) {
  console.log('Fashion-MNIST not found: `sudo apt-get install dataset-fashion-mnist` or run examples/fashion-mnist-mlp.ts once to download it. Skipping.');
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeTsgluon(threads: number): number[] {
  backend.getBackend().setNumThreads?.(threads);
  nd.random.seed(0);
  const train = new vision.FashionMNIST({ train: true, transform: new vision.transforms.ToTensor() });
  const loader = new DataLoader(train, { batchSize: 256, shuffle: true });
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ init: new init.Normal(0.01) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    for (const [x, y] of loader) {
      const l = autograd.record(() => loss.forward(net.forward(x), y));
      l.backward();
      trainer.step(x.shape[0]!);
    }
    times.push((performance.now() - t0) / 1000);
  }
  return times.slice(1);
}

const PYTORCH = `
import gzip, json, sys, time
import numpy as np
import torch
from torch import nn
images_path, labels_path, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
def idx(path):
    raw = open(path, 'rb').read()
    if raw[:2] == b'\\x1f\\x8b':
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
x_all = torch.from_numpy(idx(images_path).astype(np.float32) / 255).reshape(-1, 784)
y_all = torch.from_numpy(idx(labels_path).astype(np.int64))
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
for m in net:
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.01)
        nn.init.zeros_(m.bias)
loss = nn.CrossEntropyLoss()
opt = torch.optim.SGD(net.parameters(), lr=0.5)
times = []
n = x_all.shape[0]
for e in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    for i in range(0, n, 256):
        idx_b = perm[i:i + 256]
        x, y = x_all[idx_b], y_all[idx_b]
        opt.zero_grad()
        l = loss(net(x), y)
        l.backward()
        opt.step()
    times.append(time.perf_counter() - t0)
print(json.dumps({"times": times[1:], "version": torch.__version__, "threads": torch.get_num_threads()}))
`;

function timePytorch(threads: number): { times: number[]; version: string; threads: number } | string {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { env, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'PyTorch not available (/usr/bin/python3 cannot import torch); skipping the comparison';
  const run = spawnSync('/usr/bin/python3', ['-c', PYTORCH, paths!.images, paths!.labels, String(epochs), String(threads)], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) return `PyTorch run failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { times: number[]; version: string; threads: number };
}

console.log(`D2L concise MLP on Fashion-MNIST (60,000 images, batch 256): seconds per epoch, median of ${epochs - 1} after a warm-up`);
const rows: string[][] = [['threads', `tsgluon (${backend.getBackend().name})`, 'PyTorch', 'tsgluon / PyTorch']];
let note = '';
for (const t of threadCounts) {
  const ours = median(timeTsgluon(t));
  const torch = timePytorch(t);
  if (typeof torch === 'string') note = torch;
  else note = `PyTorch ${torch.version}`;
  const theirs = typeof torch === 'string' ? null : median(torch.times);
  rows.push([String(t), ours.toFixed(2), theirs === null ? '-' : theirs.toFixed(2), theirs === null ? '-' : `${(ours / theirs).toFixed(2)}x`]);
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((v, c) => v.padEnd(w[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`);
}
console.log(note);
