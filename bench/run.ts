// `npm run bench`: tsgluon against its peers, measured in the same run, printed as one table.
//   - float32 GEMM (C = A·B, square n = 256, 512, 1024, 2048) in GFLOP/s, measured in rounds
//     alternating with numpy's and PyTorch's, each the median of its rounds, with tsgluon's fraction
//     of the FMA peak, measured at start by the addon's FMA probe (one core, times the threads;
//     225 GFLOP/s per core from ../shared/PEERS.md when the addon is not loaded),
//   - the MLP 784-256(ReLU)-10 training step (batch 256, softmax cross-entropy, SGD) in steps/s,
//     written with tsgluon's Gluon API (nn.Dense, Trainer, loss.SoftmaxCrossEntropyLoss), measured
//     in rounds alternating with PyTorch's, and where its time goes (phases, kernels, the rest),
// on 1 and 2 threads, against numpy/OpenBLAS and PyTorch (Debian's /usr/bin/python3) and
// TensorFlow.js wasm and cpu (single-threaded in Node). Ratios are tsgluon / peer; for GEMM the
// tsgluon figure is the backend's matmul kernel (nd.dot, with the op layer, is shown beside it).
// Peers that are not installed are skipped with a line saying how to install them.
//
// Options: --threads 1,2  --sizes 256,512,1024,2048  --budget 0.5 (seconds per measurement)
//          --only mlp|gemm (one kind of row: `--only mlp` takes about a minute, for 2T/1T checks)
// On a shared machine figures move by 10% or more between runs; run it twice.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd, nn } from 'tsgluon';
import { loadNativeBackend } from '../src/backend/native/index.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    sizes: { type: 'string', default: '256,512,1024,2048' },
    budget: { type: 'string', default: '0.5' },
    only: { type: 'string' },
  },
});
const only = args.only;
if (only !== undefined && only !== 'mlp' && only !== 'gemm') throw new Error(`--only expects mlp or gemm, got ${only}`);
const threadCounts = args.threads.split(',').map(Number);
const sizes = args.sizes.split(',').map(Number);
const budget = Number(args.budget);
const here = dirname(fileURLToPath(import.meta.url));
const PEERS_PEAK = 225;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median rate (work per second) over repetitions after a warm-up, within the time budget. */
function rate(fn: () => void, work: number): number {
  fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 3 || (spent < budget && times.length < 50)) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    times.push(dt);
    spent += dt;
  }
  return work / median(times);
}

/** GEMM through the public op (allocation and op-layer work included) and the bare kernel. */
function oursGemm(n: number): { op: number; kernel: number } {
  nd.random.seed(n);
  const a = nd.random.uniform({ shape: [n, n] });
  const b = nd.random.uniform({ shape: [n, n] });
  const op = rate(() => nd.dot(a, b), 2 * n ** 3) / 1e9;
  const out = new Float32Array(n * n);
  const plan = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const kernels = backend.getBackend().kernels;
  const kernel = rate(() => kernels.matmul(out, a.storage, b.storage, plan), 2 * n ** 3) / 1e9;
  return { op, kernel };
}

/** The MLP training step written with the Gluon API, split in its three phases. */
function mlpStep(): { forward: () => nd.NDArray; backward: (l: nd.NDArray) => void; update: () => void; step: () => void } {
  nd.random.seed(0);
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ init: new init.Normal(0.01) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const x = nd.random.uniform({ shape: [256, 784] });
  const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
  const forward = () => autograd.record(() => loss.forward(net.forward(x), y));
  const backward = (l: nd.NDArray) => l.backward();
  const update = () => trainer.step(256);
  return { forward, backward, update, step: () => { backward(forward()); update(); } };
}

function oursMlp(): number {
  const { step } = mlpStep();
  for (let i = 0; i < 20; i++) step();
  const blocks: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < (budget / 2) * 1000) {
      step();
      steps++;
    }
    blocks.push(steps / ((performance.now() - t0) / 1000));
  }
  return median(blocks);
}

/**
 * Where one MLP step's time goes (ms): its three phases, and the time inside the backend's
 * kernels (GEMM apart) against everything around them (op layer, autograd, allocation, GC),
 * measured by timing every kernel-table call for `steps` steps.
 */
function mlpBreakdown(steps = 200): Record<string, number> {
  const { forward, backward, update } = mlpStep();
  for (let i = 0; i < 20; i++) { backward(forward()); update(); }
  const table = backend.getBackend().kernels as unknown as Record<string, unknown>;
  const spent = { gemm: 0, other: 0 };
  const restore: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>, gemm: boolean) => {
    for (const [key, f] of Object.entries(obj)) {
      if (typeof f === 'function') {
        const kind = gemm || key === 'matmul' || key === 'matmulBias' ? 'gemm' : 'other';
        obj[key] = (...a: unknown[]) => {
          const t0 = performance.now();
          const r = (f as (...args: unknown[]) => unknown)(...a);
          spent[kind] += performance.now() - t0;
          return r;
        };
        restore.push(() => (obj[key] = f));
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>, false);
    }
  };
  wrap(table, false);
  const phase = { forward: 0, backward: 0, trainerStep: 0 };
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const l = forward();
      const t1 = performance.now();
      backward(l);
      const t2 = performance.now();
      update();
      const t3 = performance.now();
      phase.forward += t1 - t0;
      phase.backward += t2 - t1;
      phase.trainerStep += t3 - t2;
    }
  } finally {
    for (const r of restore) r();
  }
  const total = phase.forward + phase.backward + phase.trainerStep;
  return {
    step: total / steps,
    forward: phase.forward / steps,
    backward: phase.backward / steps,
    'trainer.step': phase.trainerStep / steps,
    'GEMM kernels': spent.gemm / steps,
    'other kernels': spent.other / steps,
    'outside kernels': (total - spent.gemm - spent.other) / steps,
  };
}

interface PythonPeers {
  numpy: Record<string, number>;
  torch: Record<string, number>;
  torchMlp: number | null;
  errors: string[];
}

const PY = '/usr/bin/python3';
const PY_HINT = 'apt-get install python3-numpy python3-torch python3-threadpoolctl libopenblas0-pthread';

/** numpy and PyTorch at `threads`: the GEMMs and the MLP step, or only one of them. */
function pythonPeers(threads: number, only?: 'mlp' | 'gemm'): PythonPeers | null {
  if (!existsSync(PY)) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) };
  // OpenBLAS must pick its own (AVX-512) kernels: this machine's defaults force Haswell ones.
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const argv = [join(here, 'peers.py'), String(threads), sizes.join(','), String(budget), ...(only ? [only] : [])];
  const r = spawnSync(PY, argv, { env, encoding: 'utf8' });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    console.log(`python peers failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(line) as PythonPeers;
}

interface TfjsPeer {
  gemm: Record<string, number>;
  mlp: number;
  error?: string;
}

function tfjsPeer(which: 'wasm' | 'cpu'): TfjsPeer | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'peers-tfjs.ts'), which, sizes.join(','), String(budget)], {
    encoding: 'utf8',
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  const parsed = line ? (JSON.parse(line) as TfjsPeer) : null;
  if (!parsed || parsed.error) {
    console.log(`tfjs-${which} skipped (${parsed?.error ?? 'did not run'}): npm install @tensorflow/tfjs-core @tensorflow/tfjs-backend-${which} @tensorflow/tfjs-layers`);
    return null;
  }
  return parsed;
}

const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const ratio = (ours: number, peer: number | null | undefined) => (peer ? `${(ours / peer).toFixed(2)}x` : '-');

/** Float32 FMA peak of one core, from the addon's probe (best of a few 0.1 s runs). */
function measurePeak(): number | null {
  const addon = loadNativeBackend().addon;
  if (addon === null) return null;
  addon.fmaLoop(1e6);
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const flops = addon.fmaLoop(2e7);
    best = Math.max(best, flops / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

const b = backend.getBackend();
const measured = measurePeak();
const PEAK_PER_CORE = measured ?? PEERS_PEAK;
console.log(`tsgluon bench: backend ${b.name}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs`);
console.log(measured === null
  ? `FMA peak taken from PEERS.md: ${PEERS_PEAK} GFLOP/s per core`
  : `FMA peak measured now (${loadNativeBackend().addon!.isa()} float32 FMAs, one core): ${measured.toFixed(1)} GFLOP/s per core (PEERS.md reports about ${PEERS_PEAK})`);
if (b.name !== 'native') console.log('note: the native backend is not active, so tsgluon runs on the pure TypeScript reference kernels');

const wasm = only === 'mlp' ? null : tfjsPeer('wasm');
const cpu = only === 'mlp' ? null : tfjsPeer('cpu');
const rows: string[][] = [];
const breakdowns: [number, Record<string, number>][] = [];
const MLP_ROUNDS = 3;
let warnedPython = false;
// The MLP steps run first, for every thread count, in a process that has not yet churned through
// the GEMM measurements' 16 MB arrays: the collector work those leave behind (concurrent marking
// of a grown heap) slows a later step by about 7%, which says nothing about training. The load of
// a shared machine drifts, so tsgluon's and PyTorch's steps are measured in alternating rounds and
// each side reports its median round.
const mlpRows = new Map<number, { ours: number; torch: number | null }>();
for (const t of only === 'gemm' ? [] : threadCounts) {
  b.setNumThreads?.(t);
  const oursRounds: number[] = [];
  const torchRounds: number[] = [];
  for (let r = 0; r < MLP_ROUNDS; r++) {
    oursRounds.push(oursMlp());
    const torch = pythonPeers(t, 'mlp')?.torchMlp;
    if (torch) torchRounds.push(torch);
  }
  mlpRows.set(t, { ours: median(oursRounds), torch: torchRounds.length > 0 ? median(torchRounds) : null });
  breakdowns.push([t, mlpBreakdown()]);
}
// The GEMMs too alternate rounds (all sizes for tsgluon, then all for numpy and PyTorch), each
// figure the median of its side's rounds: measured one side after the other, a change in the
// machine's load between the two showed up as a ratio off by 20% or more.
const GEMM_ROUNDS = 3;
const medianOf = (xs: (number | undefined)[]): number | undefined => {
  const got = xs.filter((x): x is number => x !== undefined);
  return got.length > 0 ? median(got) : undefined;
};
for (const t of threadCounts) {
  b.setNumThreads?.(t);
  const oursRounds: Record<number, { op: number; kernel: number }>[] = [];
  const pyRounds: PythonPeers[] = [];
  for (let r = 0; r < (only === 'mlp' ? 0 : GEMM_ROUNDS); r++) {
    oursRounds.push(Object.fromEntries(sizes.map((n) => [n, oursGemm(n)])));
    const py = pythonPeers(t, 'gemm');
    if (py === null || py.errors.length > 0) {
      if (!warnedPython) console.log(`python peers ${py ? `partly missing (${py.errors.join('; ')})` : 'skipped'}: ${PY_HINT}`);
      warnedPython = true;
    }
    if (py !== null) pyRounds.push(py);
  }
  for (const n of only === 'mlp' ? [] : sizes) {
    const op = median(oursRounds.map((o) => o[n]!.op));
    const o = median(oursRounds.map((o) => o[n]!.kernel));
    const np = medianOf(pyRounds.map((p) => p.numpy[n]));
    const pt = medianOf(pyRounds.map((p) => p.torch[n]));
    const w = wasm?.gemm[n];
    const c = cpu?.gemm[n];
    rows.push([`GEMM f32 n=${n} (GFLOP/s)`, String(t), fmt(o), `${((100 * o) / (PEAK_PER_CORE * t)).toFixed(0)}%`, fmt(op), fmt(np), ratio(o, np), ratio(op, np), fmt(pt), ratio(o, pt), fmt(w), ratio(o, w), fmt(c, 2), ratio(o, c)]);
  }
  if (only === 'gemm') continue;
  const { ours: mlp, torch: pm } = mlpRows.get(t)!;
  rows.push(['MLP train step (steps/s)', String(t), fmt(mlp), '', '', '', '', '', fmt(pm), ratio(mlp, pm), fmt(wasm?.mlp), ratio(mlp, wasm?.mlp), fmt(cpu?.mlp), ratio(mlp, cpu?.mlp)]);
}

const header = ['benchmark', 'threads', 'tsgluon', '% peak', 'nd.dot', 'OpenBLAS', 'ratio', 'nd.dot ratio', 'PyTorch', 'ratio', 'tfjs-wasm', 'ratio', 'tfjs-cpu', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
console.log();
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log();
if (only !== 'gemm' && threadCounts.length > 1) {
  const [t0, t1] = [threadCounts[0]!, threadCounts.at(-1)!];
  console.log(`MLP step, ${t1} threads against ${t0}: ${(mlpRows.get(t1)!.ours / mlpRows.get(t0)!.ours).toFixed(2)}x`);
}
for (const [t, parts] of breakdowns) {
  console.log(`MLP step breakdown, ${t} thread${t === 1 ? '' : 's'} (ms): ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
}
console.log(`MLP steps/s: the median of ${MLP_ROUNDS} rounds for tsgluon and for PyTorch, measured alternately before any GEMM measurement; the breakdown times every kernel call (a little overhead).`);
console.log(`GEMM: the median of ${GEMM_ROUNDS} rounds for tsgluon and for numpy and PyTorch, measured alternately.`);
console.log('\nratio = tsgluon / peer. For GEMM, tsgluon is the native kernel writing into a preallocated array; nd.dot is the');
console.log("public op (a fresh output array each call and the op layer, as numpy's a @ b allocates its result); 'nd.dot ratio' is nd.dot / OpenBLAS.");
console.log('TensorFlow.js runs single-threaded in Node: its figures repeat on every thread row; tfjs-cpu skips n = 2048 (about 20 s per multiply).');
process.exit(0);
