// Training speed of LeNet (D2L's: 5x5 convolutions with 6 and 16 channels, 2x2 pooling, Dense
// 120, 84, 10) with batch 256, tsgluon against the identical network in PyTorch on this machine,
// at 1 and 2 threads. Both sides time the same training step (forward, softmax cross-entropy,
// backward, SGD with momentum 0.9 update) on a fixed batch of 256 random 1x28x28 images, for the
// ReLU / max-pooling variant and D2L's sigmoid / average-pooling one; the figure is the median
// step time after warm-up steps, measured in alternating rounds (tsgluon, then PyTorch), each side
// reporting its median round; the epoch column is that times the 235 steps of a Fashion-MNIST
// epoch (data loading excluded on both sides; bench/lenet-train.ts times the full run). tsgluon is
// also timed hybridized (net and loss, staticAlloc) in the same rounds, and the last lines give
// the speed-up of 2 threads over 1 for each. The "full GCs" column counts V8's mark-compacts per
// eager step: op outputs are external memory to V8, and a run that falls into a full collection
// every step or two (src/backend/native/gc-tuning.ts) is slower for that reason alone.
//
// The networks on both sides are in bench/cnn-nets.ts and bench/peers_cnn.py; PyTorch runs under
// /usr/bin/python3 as described there. On a machine shared with other jobs, run it twice: timings
// move. --cpu compares the processes' CPU time per step (user + system) instead of the wall clock:
// on a loaded machine the steadier view at 1 thread, where preemption dominates wall-clock figures
// (at 2 threads it sums both threads' work, so it says nothing about the speed-up).
//
// Run: npx tsx bench/lenet-epoch.ts [--threads 1,2] [--variants relu,sigmoid] [--budget 3] [--rounds 3] [--cpu]
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { backend } from 'tsgluon';
import { makeStep, median, timeCalls, torchPeer } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    variants: { type: 'string', default: 'relu,sigmoid' },
    budget: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    cpu: { type: 'boolean', default: false },
  },
});
const threadCounts = [...new Set(args.threads.split(',').map(Number))];
const variants = args.variants.split(',').filter((v): v is Variant => v === 'relu' || v === 'sigmoid');
const budget = Number(args.budget);
const rounds = Math.max(1, Number(args.rounds));
const clock = args.cpu ? 'cpu' : 'step';
const STEPS_PER_EPOCH = Math.ceil(60000 / 256);
type Variant = 'relu' | 'sigmoid';

let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
}).observe({ entryTypes: ['gc'] });
/** Full collections per call of `step` while `timeCalls` runs it (GC entries arrive after a macrotask). */
async function timeWithGcs(step: () => void): Promise<{ step: number; cpu: number; gcs: number }> {
  await new Promise((r) => setTimeout(r, 0));
  const before = majorGcs;
  let calls = 0;
  const t = timeCalls(() => {
    calls++;
    step();
  }, budget);
  await new Promise((r) => setTimeout(r, 0));
  return { ...t, gcs: (majorGcs - before) / calls };
}

console.log(
  `LeNet training step, batch 256 (forward, loss, backward, SGD momentum update): median ${args.cpu ? 'CPU ' : ''}ms per step; ` +
    `epoch = ${STEPS_PER_EPOCH} steps, data loading excluded; speed = PyTorch ms / tsgluon ms`,
);
const rows: string[][] = [
  ['variant', 'threads', `tsgluon (${backend.getBackend().name}) ms`, 'full GCs/step', 'PyTorch ms', 'speed vs PyTorch', 'tsgluon s/epoch', 'PyTorch s/epoch', 'hybridized ms', 'speed vs PyTorch'],
];
let note = '';
// Median step per variant and thread count, for the 2-thread speed-up lines.
const steps = new Map<string, [number, number]>();
for (const variant of variants) {
  const name = variant === 'relu' ? 'lenet-relu' : 'lenet-sigmoid';
  for (const t of threadCounts) {
    backend.getBackend().setNumThreads?.(t);
    const ours: number[] = [];
    const hybrid: number[] = [];
    const theirs: number[] = [];
    const gcs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const eager = await timeWithGcs(makeStep(name));
      ours.push(eager[clock]);
      gcs.push(eager.gcs);
      hybrid.push(timeCalls(makeStep(name, true), budget)[clock]);
      const torch = torchPeer('time', name, t, budget);
      note = typeof torch === 'string' ? torch : `PyTorch ${String(torch.json['version'])}`;
      if (typeof torch !== 'string') theirs.push(torch.json[clock] as number);
    }
    const o = median(ours);
    const h = median(hybrid);
    const p = theirs.length ? median(theirs) : null;
    steps.set(`${variant} ${t}`, [o, h]);
    rows.push([
      variant === 'relu' ? 'ReLU, max pool' : 'sigmoid, avg pool',
      String(t),
      (o * 1000).toFixed(1),
      median(gcs).toFixed(2),
      p === null ? '-' : (p * 1000).toFixed(1),
      p === null ? '-' : `${(p / o).toFixed(2)}x`,
      (o * STEPS_PER_EPOCH).toFixed(1),
      p === null ? '-' : (p * STEPS_PER_EPOCH).toFixed(1),
      (h * 1000).toFixed(1),
      p === null ? '-' : `${(p / h).toFixed(2)}x`,
    ]);
  }
}
const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((v, c) => v.padEnd(w[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`| ${w.map((n) => '-'.repeat(n)).join(' | ')} |`);
}
console.log(note);
for (const variant of variants) {
  const one = steps.get(`${variant} 1`);
  const two = steps.get(`${variant} 2`);
  if (one && two && clock === 'step') {
    console.log(`${variant}: 2 threads ${(one[0] / two[0]).toFixed(2)}x faster than 1 (eager), ${(one[1] / two[1]).toFixed(2)}x (hybridized)`);
  }
}
process.exit(0);
