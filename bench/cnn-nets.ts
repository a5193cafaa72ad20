// The convolutional networks the benchmarks time (bench/cnn.ts, bench/lenet-epoch.ts,
// bench/profile-steps.ts), built with tsgluon's Gluon API exactly as bench/peers_cnn.py builds them
// in PyTorch, and helpers to run and time them on both sides.
//   lenet-relu, lenet-sigmoid  LeNet training step, batch 256, SGD momentum 0.9 (D2L's LeNet; the
//                              ReLU / max-pooling variant and D2L's sigmoid / average-pooling one)
//   resnet18-train             D2L's ResNet-18 on Fashion-MNIST: 1x96x96 input, batch 32, 10 classes,
//                              BatchNorm in training mode, SGD lr 0.05
//   resnet18-infer             ResNet-18 (torchvision's layout), batch 1, 3x224x224, prediction mode
//   resnet50-infer             ResNet-50, batch 1, 3x224x224, prediction mode
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { autograd, gluon, init, nd } from 'tsgluon';

export const NETS = ['lenet-relu', 'lenet-sigmoid', 'resnet18-train', 'resnet18-infer', 'resnet50-infer'] as const;
export type NetName = (typeof NETS)[number];

const here = dirname(fileURLToPath(import.meta.url));

function trainStep(net: gluon.HybridBlock, x: nd.NDArray, y: nd.NDArray, learningRate: number, momentum: number, hybridize: boolean): () => void {
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (hybridize) {
    net.hybridize({ staticAlloc: true });
    loss.hybridize({ staticAlloc: true });
  }
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate, momentum });
  const batch = x.shape[0]!;
  return () => {
    const l = autograd.record(() => loss.forward(net.forward(x), y));
    l.backward();
    trainer.step(batch);
  };
}

/**
 * One call of the named workload (a training step or an inference), on fixed random data; with
 * `hybridize` the net (and the training loss) run hybridized with a static memory plan (staticAlloc).
 */
export function makeStep(name: NetName, hybridize = false): () => void {
  nd.random.seed(0);
  if (name === 'lenet-relu' || name === 'lenet-sigmoid') {
    const relu = name === 'lenet-relu';
    const net = gluon.modelZoo.vision.lenet({ activation: relu ? 'relu' : 'sigmoid', pool: relu ? 'max' : 'avg' });
    net.initialize({ init: new init.Xavier() });
    const x = nd.random.uniform({ shape: [256, 1, 28, 28] });
    const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
    return trainStep(net, x, y, relu ? 0.05 : 0.9, 0.9, hybridize);
  }
  if (name === 'resnet18-train') {
    const net = gluon.modelZoo.vision.resnet18({ classes: 10 });
    net.initialize({ init: new init.Xavier() });
    const x = nd.random.uniform({ shape: [32, 1, 96, 96] });
    const y = nd.random.randint({ high: 10, shape: [32], dtype: 'int32' });
    return trainStep(net, x, y, 0.05, 0, hybridize);
  }
  const net = name === 'resnet18-infer' ? gluon.modelZoo.vision.resnet18() : gluon.modelZoo.vision.resnet50();
  net.initialize({ init: new init.Xavier() });
  if (hybridize) net.hybridize({ staticAlloc: true });
  const x = nd.random.uniform({ shape: [1, 3, 224, 224] });
  return () => {
    net.forward(x);
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall and CPU seconds per call after warm-up calls, within `budget` seconds. */
export function timeCalls(step: () => void, budget: number, warmup = 3): { step: number; cpu: number } {
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  const cpu: number[] = [];
  let spent = 0;
  while (times.length < 5 || (spent < budget && times.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    const dt = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    times.push(dt);
    cpu.push((c.user + c.system) / 1e6);
    spent += dt;
  }
  return { step: median(times), cpu: median(cpu) };
}

export const TORCH_HINT = 'PyTorch not available for /usr/bin/python3: `apt-get install python3-torch python3-torchvision python3-threadpoolctl`';

/** Runs bench/peers_cnn.py; returns its JSON line (and the text before it), or why it did not run. */
export function torchPeer(
  mode: 'time' | 'profile' | 'epochs', name: NetName, threads: number, budget: number, extra: readonly string[] = [],
): { json: Record<string, unknown>; text: string } | string {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  if (threads > 1) env['OMP_WAIT_POLICY'] = 'PASSIVE';
  const r = spawnSync('/usr/bin/python3', [join(here, 'peers_cnn.py'), mode, name, String(threads), String(budget), ...extra], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.error) return TORCH_HINT;
  const lines = (r.stdout ?? '').trim().split('\n');
  const last = lines.at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const err = (r.stderr ?? '').trim().split('\n').at(-1) ?? '';
    return /No module named/.test(err) ? `${TORCH_HINT} (${err})` : `PyTorch run failed: ${err}`;
  }
  return { json: JSON.parse(last) as Record<string, unknown>, text: lines.slice(0, -1).join('\n') };
}
