// Training speed of LeNet (D2L's: 5x5 convolutions with 6 and 16 channels, 2x2 pooling, Dense
// 120, 84, 10) with batch 256, tsgluon against the identical network in PyTorch on this machine,
// at 1 and 2 threads. Both sides time the same training step (forward, softmax cross-entropy,
// backward, SGD with momentum 0.9 update) on a fixed batch of 256 random 1x28x28 images, for the
// ReLU / max-pooling variant and D2L's sigmoid / average-pooling one; the figure is the median
// step time after warm-up steps, and the epoch column is that times the 235 steps of a
// Fashion-MNIST epoch (data loading excluded on both sides).
//
// PyTorch runs under /usr/bin/python3 with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (so
// OpenBLAS picks its own kernels), torch.set_num_threads and threadpoolctl capping the thread
// count, and OMP_WAIT_POLICY=PASSIVE when it uses more than one thread; without torch that column
// is skipped with a line saying how to install it. On a machine shared with other jobs, run it
// twice: timings move.
//
// Run: npx tsx bench/lenet-epoch.ts [--threads 1,2] [--variants relu,sigmoid] [--budget 3]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd } from 'tsgluon';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    variants: { type: 'string', default: 'relu,sigmoid' },
    budget: { type: 'string', default: '3' },
  },
});
const threadCounts = [...new Set(args.threads.split(',').map(Number))];
const variants = args.variants.split(',').filter((v): v is Variant => v === 'relu' || v === 'sigmoid');
const budget = Number(args.budget);
const BATCH = 256;
const STEPS_PER_EPOCH = Math.ceil(60000 / BATCH);
const LR = { relu: 0.05, sigmoid: 0.9 };
type Variant = 'relu' | 'sigmoid';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median seconds per training step of tsgluon's LeNet. */
function timeTsgluon(variant: Variant, threads: number): number {
  backend.getBackend().setNumThreads?.(threads);
  nd.random.seed(0);
  const net = gluon.modelZoo.vision.lenet({ activation: variant, pool: variant === 'relu' ? 'max' : 'avg' });
  net.initialize({ init: new init.Xavier() });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR[variant], momentum: 0.9 });
  const x = nd.random.uniform({ shape: [BATCH, 1, 28, 28] });
  const y = nd.random.randint({ high: 10, shape: [BATCH], dtype: 'int32' });
  const step = (): void => {
    const l = autograd.record(() => loss.forward(net.forward(x), y));
    l.backward();
    trainer.step(BATCH);
  };
  for (let i = 0; i < 3; i++) step();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 5 || (spent < budget && times.length < 200)) {
    const t0 = performance.now();
    step();
    const dt = (performance.now() - t0) / 1000;
    times.push(dt);
    spent += dt;
  }
  return median(times);
}

const PYTORCH = `
import json, sys, time
import torch
from torch import nn
from threadpoolctl import threadpool_limits
variant, threads, budget, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
torch.set_num_threads(threads)
act = nn.ReLU if variant == 'relu' else nn.Sigmoid
pool = nn.MaxPool2d if variant == 'relu' else nn.AvgPool2d
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), act(), pool(2, 2), nn.Conv2d(6, 16, 5), act(), pool(2, 2),
                    nn.Flatten(), nn.Linear(400, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, 10))
for m in net:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
loss = nn.CrossEntropyLoss()
opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
x = torch.rand(256, 1, 28, 28)
y = torch.randint(0, 10, (256,))
def step():
    opt.zero_grad()
    loss(net(x), y).backward()
    opt.step()
with threadpool_limits(threads, 'blas'):
    for _ in range(3):
        step()
    times, spent = [], 0.0
    while len(times) < 5 or (spent < budget and len(times) < 200):
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
times.sort()
m = len(times) // 2
med = times[m] if len(times) % 2 else (times[m - 1] + times[m]) / 2
print(json.dumps({"step": med, "version": torch.__version__, "threads": torch.get_num_threads()}))
`;

const TORCH_HINT = 'PyTorch not available for /usr/bin/python3: `sudo apt-get install python3-torch python3-threadpoolctl` (Debian/Ubuntu); skipping the comparison';

/** Median seconds per training step of PyTorch's LeNet, or why it did not run. */
function timePytorch(variant: Variant, threads: number): { step: number; version: string } | string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  if (threads > 1) env['OMP_WAIT_POLICY'] = 'PASSIVE';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, threadpoolctl'], { env, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return TORCH_HINT;
  const run = spawnSync('/usr/bin/python3', ['-c', PYTORCH, variant, String(threads), String(budget), String(LR[variant])], { env, encoding: 'utf8' });
  if (run.status !== 0) return `PyTorch run failed: ${(run.stderr ?? '').trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { step: number; version: string };
}

console.log(
  `LeNet training step, batch ${BATCH} (forward, loss, backward, SGD momentum update): median ms per step; ` +
    `epoch = ${STEPS_PER_EPOCH} steps, data loading excluded`,
);
const rows: string[][] = [['variant', 'threads', `tsgluon (${backend.getBackend().name}) ms`, 'PyTorch ms', 'tsgluon / PyTorch', 'tsgluon s/epoch', 'PyTorch s/epoch']];
let note = '';
for (const variant of variants) {
  for (const t of threadCounts) {
    const ours = timeTsgluon(variant, t);
    const torch = timePytorch(variant, t);
    note = typeof torch === 'string' ? torch : `PyTorch ${torch.version}`;
    const theirs = typeof torch === 'string' ? null : torch.step;
    const label = variant === 'relu' ? 'ReLU, max pool' : 'sigmoid, avg pool';
    rows.push([
      label,
      String(t),
      (ours * 1000).toFixed(1),
      theirs === null ? '-' : (theirs * 1000).toFixed(1),
      theirs === null ? '-' : `${(ours / theirs).toFixed(2)}x`,
      (ours * STEPS_PER_EPOCH).toFixed(1),
      theirs === null ? '-' : (theirs * STEPS_PER_EPOCH).toFixed(1),
    ]);
  }
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((v, c) => v.padEnd(w[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`);
}
console.log(note);
