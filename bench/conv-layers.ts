// Per-layer breakdown of batch-1 convolution: every distinct conv layer of ResNet-18 (or ResNet-50)
// at 3x224x224, timed as a single kernel call (backend.kernels.conv, no op layer) next to PyTorch's
// F.conv2d on the same shape (bench/peers_conv_layers.py), in alternating rounds at each thread
// count. Rows give the median ms per call, GFLOP/s (2 · O · C · K · output cells per call) and
// the speed (PyTorch ms / ours), then the totals weighted by how often each layer occurs.
//
// Run: npx tsx bench/conv-layers.ts [--net r18|r50] [--threads 1,2] [--budget 0.3] [--rounds 3]
//        [--no-torch] [--cpu]
// --cpu times our calls by the process's CPU time (steadier on a shared machine, for 1 thread).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend } from 'tsgluon';
import type { ConvPlan } from '../src/backend/kernels.js';
import { median } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    net: { type: 'string', default: 'r18' },
    threads: { type: 'string', default: '1,2' },
    budget: { type: 'string', default: '0.3' },
    rounds: { type: 'string', default: '3' },
    'no-torch': { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const budget = Number(args.budget);
const rounds = Math.max(1, Number(args.rounds));

interface Layer { c: number; o: number; h: number; w: number; k: number; s: number; p: number; count: number }
const L = (c: number, o: number, h: number, k: number, s: number, count: number): Layer => ({ c, o, h, w: h, k, s, p: (k - 1) >> 1, count });

/** Distinct conv layers of the net at batch 1 and how often each occurs. */
const NETS: Record<string, Layer[]> = {
  r18: [
    L(3, 64, 224, 7, 2, 1), L(64, 64, 56, 3, 1, 4), L(64, 128, 56, 3, 2, 1), L(128, 128, 28, 3, 1, 3), L(64, 128, 56, 1, 2, 1),
    L(128, 256, 28, 3, 2, 1), L(256, 256, 14, 3, 1, 3), L(128, 256, 28, 1, 2, 1), L(256, 512, 14, 3, 2, 1),
    L(512, 512, 7, 3, 1, 3), L(256, 512, 14, 1, 2, 1),
  ],
  r50: [
    L(3, 64, 224, 7, 2, 1), L(64, 64, 56, 1, 1, 1), L(64, 64, 56, 3, 1, 3), L(64, 256, 56, 1, 1, 4), L(256, 64, 56, 1, 1, 2),
    L(256, 128, 56, 1, 1, 1), L(128, 128, 56, 3, 2, 1), L(128, 512, 28, 1, 1, 4), L(256, 512, 56, 1, 2, 1),
    L(512, 128, 28, 1, 1, 3), L(128, 128, 28, 3, 1, 3), L(512, 256, 28, 1, 1, 1), L(256, 256, 28, 3, 2, 1),
    L(256, 1024, 14, 1, 1, 6), L(512, 1024, 28, 1, 2, 1), L(1024, 256, 14, 1, 1, 5), L(256, 256, 14, 3, 1, 5),
    L(1024, 512, 14, 1, 1, 1), L(512, 512, 14, 3, 2, 1), L(512, 2048, 7, 1, 1, 3), L(1024, 2048, 14, 1, 2, 1),
    L(2048, 512, 7, 1, 1, 2), L(512, 512, 7, 3, 1, 2),
  ],
};
const layers = NETS[args.net] ?? NETS['r18']!;
const outSize = (l: Layer) => Math.floor((l.h + 2 * l.p - l.k) / l.s) + 1;
const flops = (l: Layer) => 2 * l.o * l.c * l.k * l.k * outSize(l) ** 2;

const b = backend.getBackend();
const clock = args.cpu
  ? (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : (): number => performance.now();
/** ms per call of each layer, one round. */
function ours(): number[] {
  return layers.map((l) => {
    const oh = outSize(l);
    const plan: ConvPlan = {
      batch: 1, channels: l.c, filters: l.o, in: [1, l.h, l.w], out: [1, oh, oh], kernel: [1, l.k, l.k],
      stride: [1, l.s, l.s], pad: [0, l.p, l.p], dilation: [1, 1, 1],
    };
    const x = Float32Array.from({ length: l.c * l.h * l.w }, (_, i) => ((i * 7919) % 1000) / 1000);
    const w = Float32Array.from({ length: l.o * l.c * l.k * l.k }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
    const y = new Float32Array(l.o * oh * oh);
    for (let i = 0; i < 3; i++) b.kernels.conv(y, x, w, null, plan);
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 5 || (performance.now() - t0 < budget * 1000 && times.length < 500)) {
      const a = clock();
      b.kernels.conv(y, x, w, null, plan);
      times.push(clock() - a);
    }
    return median(times);
  });
}

function torch(threads: number): number[] | null {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  if (threads > 1) env['OMP_WAIT_POLICY'] = 'PASSIVE';
  const r = spawnSync('/usr/bin/python3', [join(here, 'peers_conv_layers.py'), String(threads), String(budget), JSON.stringify(layers)], { env, encoding: 'utf8' });
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  return r.status === 0 && last.startsWith('{') ? (JSON.parse(last) as { ms: number[] }).ms : null;
}

for (const t of args.threads.split(',').map(Number)) {
  b.setNumThreads?.(t);
  const mine: number[][] = [];
  const theirs: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    mine.push(ours());
    const p = args['no-torch'] ? null : torch(t);
    if (p) theirs.push(p);
  }
  const med = (runs: number[][], i: number) => median(runs.map((m) => m[i]!));
  console.log(`\n## ${args.net} conv layers, batch 1, ${t} thread${t === 1 ? '' : 's'} (median of ${rounds} rounds)`);
  console.log('| layer | count | ours ms | GFLOP/s | PyTorch ms | GFLOP/s | speed |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  let sumOurs = 0, sumTorch = 0, sumFlops = 0;
  layers.forEach((l, i) => {
    const o = med(mine, i), p = theirs.length ? med(theirs, i) : NaN;
    sumOurs += o * l.count;
    sumTorch += p * l.count;
    sumFlops += flops(l) * l.count;
    const name = `C${l.c} O${l.o} ${l.h}x${l.w} k${l.k} s${l.s}`;
    console.log(`| ${name} | ${l.count} | ${o.toFixed(3)} | ${(flops(l) / o / 1e6).toFixed(0)} | ${p.toFixed(3)} | ${(flops(l) / p / 1e6).toFixed(0)} | ${(p / o).toFixed(2)}x |`);
  });
  console.log(`| all (weighted) | | ${sumOurs.toFixed(2)} | ${(sumFlops / sumOurs / 1e6).toFixed(0)} | ${sumTorch.toFixed(2)} | ${(sumFlops / sumTorch / 1e6).toFixed(0)} | ${(sumTorch / sumOurs).toFixed(2)}x |`);
}
process.exit(0);
