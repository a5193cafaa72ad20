// `npm run bench` (hybridize): tsgluon eager against hybridized, with PyTorch eager and TorchScript
// (torch.jit.trace) measured in the same run on the same thread count:
//   - the MLP 784-256(ReLU)-10 training step (batch 256, softmax cross-entropy, SGD; bench/run.ts's
//     step) in steps/s, in rounds alternating tsgluon's variants with PyTorch's, each the median of
//     its rounds; and where the step's time goes: wall clock inside and outside kernel calls, and
//     (steady under load) CPU time of the whole step against the step with every kernel a no-op;
//   - ResNet-18 inference at batch 1 (1x3x224x224, prediction mode) in ms per image, median of 9;
//   - the peak memory of a ResNet-50 training step (batch 4 at 224x224, SGD): the most bytes of
//     live typed arrays at any kernel call that touches an array of 256 KiB or more, a full garbage
//     collection run before each one (in a child process started with --expose-gc and without
//     concurrent array-buffer sweeping, so freed buffers are gone when it returns): the figure is
//     what the program keeps reachable, not when the collector happens to run. Parameters,
//     gradients and static buffers count.
// Hybridized runs use staticAlloc (buffers allocated once), as a training loop would.
//
// Options: --threads 1,2  --budget 0.5  --rounds 3  --memory-batch 4  --skip mlp-rate,gaps,resnet18,memory
// (`--skip mlp-rate` leaves out the steps/s rounds and their PyTorch peers: only the lines on where
// the MLP step's time goes are printed, which is quick enough for a short exclusive CPU lock; for the
// hybridized step they list its kernel-table calls and the gaps between them, `--skip gaps` drops that).
// On a shared machine figures move by 10% or more between runs; run it twice.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd, nn } from 'tsgluon';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    budget: { type: 'string', default: '0.5' },
    rounds: { type: 'string', default: '3' },
    'memory-batch': { type: 'string', default: '4' },
    skip: { type: 'string', default: '' },
    'memory-child': { type: 'string' },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const budget = Number(args.budget);
const skip = new Set(args.skip.split(',').filter(Boolean));
const b = backend.getBackend();
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

type Mode = 'eager' | 'hybrid';

/** A training step of the bench's MLP, eager or hybridized (staticAlloc); `mark` is called after each phase. */
function mlpStep(mode: Mode): (mark?: (phase: string) => void) => void {
  nd.random.seed(0);
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ init: new init.Normal(0.01) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (mode === 'hybrid') {
    net.hybridize({ staticAlloc: true });
    loss.hybridize({ staticAlloc: true });
  }
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const x = nd.random.uniform({ shape: [256, 784] });
  const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
  return (mark) => {
    if (mark === undefined) {
      autograd.record(() => loss.forward(net.forward(x), y)).backward();
      trainer.step(256);
      return;
    }
    mark('step start');
    const l = autograd.record(() => {
      const h = net.forward(x);
      mark('net forward returned');
      const out = loss.forward(h, y);
      mark('loss forward returned');
      return out;
    });
    l.backward();
    mark('backward returned');
    trainer.step(256);
    mark('trainer step returned');
  };
}

/** Median steps/s over five blocks of budget/2 seconds, after 20 warm-up steps. */
function stepsPerSecond(step: () => void): number {
  for (let i = 0; i < 20; i++) step();
  const blocks: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < (budget / 2) * 1000) {
      step();
      n++;
    }
    blocks.push(n / ((performance.now() - t0) / 1000));
  }
  return median(blocks);
}

/** Time inside the kernel table's functions during `fn`, by wrapping every one of them. */
function timeKernels(fn: () => void): { total: number; kernels: number } {
  const table = b.kernels as unknown as Record<string, unknown>;
  let inside = 0;
  const restore: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>): void => {
    for (const [key, f] of Object.entries(obj)) {
      if (typeof f === 'function') {
        obj[key] = (...a: unknown[]) => {
          const t0 = performance.now();
          const r = (f as (...x: unknown[]) => unknown)(...a);
          inside += performance.now() - t0;
          return r;
        };
        restore.push(() => (obj[key] = f));
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>);
    }
  };
  wrap(table);
  const t0 = performance.now();
  try {
    fn();
  } finally {
    for (const r of restore) r();
  }
  return { total: performance.now() - t0, kernels: inside };
}

/** CPU microseconds per step of `step` (median of 7 blocks of `n`, after `n / 3` warm-up steps). */
function cpuPerStep(step: () => void, n: number): number {
  for (let i = 0; i < n / 3; i++) step();
  const blocks: number[] = [];
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) step();
    const c = process.cpuUsage(c0);
    blocks.push((c.user + c.system) / n);
  }
  return median(blocks);
}

/**
 * The step's own work without the kernels, as CPU time: the step with every kernel-table function
 * replaced by a no-op, against the whole step. Unlike a timer around each kernel call, CPU time
 * of this process does not grow while other processes hold the cores, so the share stays
 * meaningful on a loaded machine (at 1 thread; with more, kernel CPU time adds up over threads).
 */
function overheadAlone(step: () => void): { alone: number; full: number } {
  const noop = (obj: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'function' ? () => {} : v !== null && typeof v === 'object' ? noop(v as Record<string, unknown>) : v]));
  const name = `noop-${b.name}`;
  if (!backend.listBackends().includes(name)) backend.registerBackend({ name, kernels: noop(b.kernels as unknown as Record<string, unknown>) as never, numThreads: () => 1 });
  const full = cpuPerStep(step, 30);
  return { alone: backend.withBackend(name, () => cpuPerStep(step, 300)), full };
}

/**
 * The kernel-table calls of one step, in order, and where the time outside them goes: the wall
 * clock of every gap between consecutive events (kernel call entries and exits, the step's phase
 * marks), the median over `n` steps, so a step another process preempted does not skew it. Gaps
 * of 2 us or more are listed; the sum is over all gaps' medians.
 */
function outsideGaps(step: (mark?: (phase: string) => void) => void, n: number): { calls: string[]; gaps: [string, number][]; sum: number } {
  const table = b.kernels as unknown as Record<string, unknown>;
  const names: string[] = [];
  const times: number[] = [];
  const restore: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [key, f] of Object.entries(obj)) {
      if (typeof f === 'function') {
        const name = prefix + key;
        obj[key] = (...a: unknown[]) => {
          names.push(`>${name}`);
          times.push(performance.now());
          const r = (f as (...x: unknown[]) => unknown)(...a);
          names.push(`<${name}`);
          times.push(performance.now());
          return r;
        };
        restore.push(() => (obj[key] = f));
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>, `${prefix}${key}.`);
    }
  };
  const mark = (phase: string): void => {
    names.push(phase);
    times.push(performance.now());
  };
  for (let i = 0; i < 20; i++) step();
  wrap(table, '');
  const perGap: number[][] = [];
  let labels: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      names.length = times.length = 0;
      step(mark);
      if (i === 0) labels = names.map((e, k) => (k === 0 ? '' : `${names[k - 1]!.replace(/^[<>]/, '')} -> ${e.replace(/^[<>]/, '')}`));
      for (let k = 1; k < times.length; k++) if (!names[k - 1]!.startsWith('>')) (perGap[k] ??= []).push((times[k]! - times[k - 1]!) * 1000);
    }
  } finally {
    for (const r of restore) r();
  }
  const calls = labels.length === 0 ? [] : names.filter((e) => e.startsWith('>')).map((e) => e.slice(1));
  const gaps: [string, number][] = [];
  let sum = 0;
  perGap.forEach((xs, k) => {
    const m = median(xs);
    sum += m;
    if (m >= 2) gaps.push([labels[k]!, m]);
  });
  return { calls, gaps, sum };
}

interface PyPeers {
  torchMlp?: number;
  torchscriptMlp?: number;
  torchResnet18Ms?: number;
  torchscriptResnet18Ms?: number;
  errors: string[];
}

const PY = '/usr/bin/python3';
function pyPeers(threads: number, mode: 'mlp' | 'resnet18'): PyPeers | null {
  if (!existsSync(PY)) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const r = spawnSync(PY, [join(here, 'peers-hybrid.py'), String(threads), String(budget), mode], { env, encoding: 'utf8' });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    console.log(`PyTorch peers (${mode}) failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  const out = JSON.parse(line) as PyPeers;
  if (out.errors.length > 0) console.log(`PyTorch peers (${mode}): ${out.errors.join('; ')} (apt-get install python3-torch python3-torchvision python3-threadpoolctl)`);
  return out;
}

/** ResNet-18 batch-1 inference, ms per image (median of 9 after 3 warm-ups). */
function resnet18Ms(mode: Mode): number {
  nd.random.seed(0);
  const net = gluon.modelZoo.vision.resnet18();
  net.initialize({ init: new init.Xavier() });
  if (mode === 'hybrid') net.hybridize({ staticAlloc: true });
  const x = nd.random.uniform({ shape: [1, 3, 224, 224] });
  for (let i = 0; i < 3; i++) net.forward(x);
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    net.forward(x);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** How the memory child runs the step: eager, hybridized with staticAlloc, or without it. */
type MemoryMode = Mode | 'hybrid-dynamic';

/** In a child started with --expose-gc: peak live typed-array bytes over one ResNet-50 training step. */
function memoryChild(mode: MemoryMode, batch: number): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  nd.random.seed(0);
  const net = gluon.modelZoo.vision.resnet50();
  net.initialize({ init: new init.Xavier(), inputShape: [batch, 3, 224, 224] });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (mode !== 'eager') {
    net.hybridize({ staticAlloc: mode === 'hybrid' });
    loss.hybridize({ staticAlloc: mode === 'hybrid' });
  }
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.01 });
  const x = nd.random.uniform({ shape: [batch, 3, 224, 224] });
  const y = nd.random.randint({ high: 1000, shape: [batch], dtype: 'int32' });
  const step = (): void => {
    autograd.record(() => loss.forward(net.forward(x), y)).backward();
    trainer.step(batch);
  };
  step();
  gc();
  const live = (): number => process.memoryUsage().arrayBuffers;
  const baseline = live();
  let peak = baseline;
  const table = b.kernels as unknown as Record<string, unknown>;
  const wrap = (obj: Record<string, unknown>): void => {
    for (const [key, f] of Object.entries(obj)) {
      if (typeof f === 'function') {
        obj[key] = (...a: unknown[]) => {
          const big = a.some((v) => ArrayBuffer.isView(v) && v.byteLength >= 1 << 18);
          if (big) {
            gc();
            peak = Math.max(peak, live());
          }
          const r = (f as (...x: unknown[]) => unknown)(...a);
          if (big) peak = Math.max(peak, live());
          return r;
        };
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>);
    }
  };
  wrap(table);
  step();
  const params = net.collectParams().values().reduce((s, p) => s + p.data().size * 4, 0);
  console.log(JSON.stringify({ peak, baseline, params }));
}

if (args['memory-child'] !== undefined) {
  memoryChild(args['memory-child'] as MemoryMode, Number(args['memory-batch']));
  process.exit(0);
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined ? '-' : v.toFixed(d));
const ratio = (a: number | undefined, p: number | undefined): string => (a && p ? `${(a / p).toFixed(2)}x` : '-');
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

console.log(`tsgluon hybridize bench: backend ${b.name}${b.name === 'native' ? '' : ' (the native backend is not active: reference kernels)'}`);
const threadCounts = args.threads.split(',').map(Number);
const rows: string[][] = [];
for (const t of threadCounts) {
  b.setNumThreads?.(t);
  const ours: Record<Mode, number[]> = { eager: [], hybrid: [] };
  const torch: number[] = [];
  const script: number[] = [];
  for (let r = 0; r < (skip.has('mlp-rate') ? 0 : Number(args.rounds)); r++) {
    for (const m of ['eager', 'hybrid'] as const) ours[m].push(stepsPerSecond(mlpStep(m)));
    const py = pyPeers(t, 'mlp');
    if (py?.torchMlp) torch.push(py.torchMlp);
    if (py?.torchscriptMlp) script.push(py.torchscriptMlp);
  }
  const [e, h] = [median(ours.eager), median(ours.hybrid)];
  const [pt, ts] = [torch.length ? median(torch) : undefined, script.length ? median(script) : undefined];
  if (!skip.has('mlp-rate')) rows.push([`MLP train step (steps/s)`, String(t), fmt(e), fmt(h), ratio(h, e), fmt(pt), ratio(h, pt), fmt(ts), ratio(h, ts)]);
  for (const m of ['eager', 'hybrid'] as const) {
    const step = mlpStep(m);
    for (let i = 0; i < 20; i++) step();
    const { total, kernels } = timeKernels(() => {
      for (let i = 0; i < 200; i++) step();
    });
    const { alone, full } = overheadAlone(step);
    console.log(
      `MLP step, ${t} thread${t === 1 ? '' : 's'}, ${m}: ${(total / 200).toFixed(3)} ms, kernels ${(kernels / 200).toFixed(3)} ms, outside kernels ${((total - kernels) / 200).toFixed(3)} ms ` +
        `(${((100 * (total - kernels)) / total).toFixed(1)}%, wall clock); CPU time ${(full / 1000).toFixed(3)} ms a step, ${alone.toFixed(0)} us of it outside kernels (${((100 * alone) / full).toFixed(1)}%)`,
    );
    if (m === 'hybrid' && !skip.has('gaps')) {
      const { calls, gaps, sum } = outsideGaps(step, 500);
      console.log(`  ${calls.length} kernel calls a step: ${calls.join(', ')}`);
      console.log(`  outside kernels, median of 500 steps a gap: ${sum.toFixed(0)} us in all; 2 us or more: ${gaps.map(([g, us]) => `${g} ${us.toFixed(1)}`).join('; ')}`);
    }
  }
  if (!skip.has('resnet18')) {
    const [re, rh] = [resnet18Ms('eager'), resnet18Ms('hybrid')];
    const py = pyPeers(t, 'resnet18');
    // Time per image: the ratio is peer time / ours, so above 1 means tsgluon is faster.
    const speed = (peer: number | undefined): string => (peer ? `${(peer / rh).toFixed(2)}x` : '-');
    rows.push([`ResNet-18 batch 1 (ms/img)`, String(t), fmt(re), fmt(rh), `${(re / rh).toFixed(2)}x`, fmt(py?.torchResnet18Ms), speed(py?.torchResnet18Ms), fmt(py?.torchscriptResnet18Ms), speed(py?.torchscriptResnet18Ms)]);
  }
}

const header = ['benchmark', 'threads', 'eager', 'hybridized', 'vs eager', 'PyTorch', 'ratio', 'TorchScript', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
if (rows.length > 0) {
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('ratio: hybridized tsgluon against the peer, above 1 = tsgluon faster (steps/s over steps/s; for ResNet-18, the peer\'s ms over ours).');
}

if (!skip.has('memory')) {
  b.setNumThreads?.(threadCounts[0]!);
  const batch = args['memory-batch'];
  const peak: Partial<Record<MemoryMode, { peak: number; baseline: number; params: number }>> = {};
  for (const m of ['eager', 'hybrid', 'hybrid-dynamic'] as const) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--no-concurrent-array-buffer-sweeping', '--import', 'tsx', '--conditions=development', fileURLToPath(import.meta.url), '--memory-child', m, '--memory-batch', batch], {
      encoding: 'utf8',
      env: { ...process.env, TSGLUON_NUM_THREADS: String(threadCounts[0]) },
    });
    const l = r.stdout?.split('\n').find((s) => s.startsWith('{'));
    if (l) peak[m] = JSON.parse(l);
    else console.log(`ResNet-50 memory (${m}) failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const e = peak.eager;
  if (e) {
    console.log(`\nResNet-50 training step, batch ${batch} at 224x224, peak live typed arrays (parameters alone ${mb(e.params)}):`);
    for (const [m, label] of [['eager', 'eager'], ['hybrid', 'hybridized, staticAlloc'], ['hybrid-dynamic', 'hybridized, no staticAlloc']] as const) {
      const p = peak[m];
      if (p) console.log(`  ${label.padEnd(28)} ${mb(p.peak).padStart(9)}  ${(p.peak / e.peak).toFixed(2)}x eager   (${mb(p.baseline)} live between steps)`);
    }
  }
}
process.exit(0);
