// Modern CNNs against PyTorch and ONNX Runtime, measured in the same run (part of `npm run bench`):
//   - D2L's ResNet-18 training step on Fashion-MNIST-sized input (1x96x96, batch 32, 10 classes,
//     BatchNorm in training mode, SGD) against the same network in PyTorch;
//   - ResNet-50 inference at batch 1 (3x224x224) against PyTorch;
//   - ResNet-18 inference at batch 1 with torchvision's weights (exported by bench/peers_cnn.py as
//     safetensors for tsgluon and ONNX for ONNX Runtime) against PyTorch, ONNX Runtime's WebAssembly
//     build (onnxruntime-web, a dev dependency) and, when it can be found, its native CPU build
//     (onnxruntime-node; see bench/peers-ort.ts for how to point to one without installing it into
//     the repo). The outputs are checked against PyTorch's on the same input.
// Every row also times tsgluon hybridized (net.hybridize({ staticAlloc: true }), and the loss too in
// the training step: one traced graph, fused element-wise tails, buffers planned once), a row of
// its own against the same peers.
// Each figure is the median time per call after warm-up; tsgluon and each peer are measured in
// alternating rounds (--rounds) and each reports its median round, at every thread count. The
// speed column is peer time / tsgluon time (above 1: tsgluon is faster). Peers that are missing
// are skipped with a line saying how to install them. On a machine shared with other jobs, figures
// move by 10% or more: run it twice.
//
// Run: npx tsx bench/cnn.ts [--threads 1,2] [--budget 3] [--rounds 3] [--only train,r50,r18]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend, gluon, nd } from 'tsgluon';
import { median, makeStep, timeCalls, torchPeer, type NetName } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    budget: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'train,r50,r18' },
  },
});
const threadCounts = [...new Set(args.threads.split(',').map(Number))];
const budget = Number(args.budget);
const rounds = Math.max(1, Number(args.rounds));
const only = new Set(args.only.split(','));
const here = dirname(fileURLToPath(import.meta.url));
const b = backend.getBackend();
const notes = new Set<string>();

type Peer = () => number | null;

interface Measured {
  ours: Record<string, number>;
  peers: Record<string, number | null>;
}

/** Medians of alternating rounds: each tsgluon variant's step (eager, hybridized), then each peer's. */
function measure(ours: Record<string, () => number>, peers: Record<string, Peer>): Measured {
  const mine: Record<string, number[]> = Object.fromEntries(Object.keys(ours).map((k) => [k, []]));
  const theirs: Record<string, number[]> = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, f] of Object.entries(ours)) mine[k]!.push(f());
    for (const [k, f] of Object.entries(peers)) {
      const v = f();
      if (v !== null) theirs[k]!.push(v);
    }
  }
  return {
    ours: Object.fromEntries(Object.entries(mine).map(([k, v]) => [k, median(v)])),
    peers: Object.fromEntries(Object.entries(theirs).map(([k, v]) => [k, v.length ? median(v) : null])),
  };
}

function torchTime(name: NetName, threads: number): Peer {
  return () => {
    const r = torchPeer('time', name, threads, budget);
    if (typeof r === 'string') {
      notes.add(r);
      return null;
    }
    notes.add(`PyTorch ${String(r.json['version'])}`);
    return (r.json['step'] as number) * 1000;
  };
}

function ortTime(which: 'web' | 'node', dir: string, threads: number): Peer {
  return () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'peers-ort.ts'), which, join(dir, 'resnet18.onnx'), join(dir, 'io.safetensors'), String(threads), String(budget)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const line = (r.stdout ?? '').trim().split('\n').find((l) => l.startsWith('{'));
    const res = line ? (JSON.parse(line) as { ms?: number; maxDiff?: number; error?: string }) : { error: (r.stderr ?? '').trim().split('\n').at(-1) };
    if (res.ms === undefined) {
      notes.add(
        which === 'node'
          ? 'ONNX Runtime (native) skipped: install onnxruntime-node outside the repo and set TSGLUON_ORT_NODE (see bench/peers-ort.ts)'
          : `ONNX Runtime (wasm) failed: ${res.error}`,
      );
      return null;
    }
    notes.add(`ONNX Runtime ${which === 'web' ? 'web (wasm)' : 'node (native)'}: output within ${res.maxDiff!.toExponential(1)} of PyTorch's`);
    return res.ms;
  };
}

const ms = (step: () => void) => () => timeCalls(step, budget).step * 1000;

/** tsgluon's ResNet-18 with the exported weights, checked against PyTorch's output. */
function resnet18Shared(dir: string, hybridize = false): () => void {
  const net = gluon.modelZoo.vision.resnet18();
  net.loadParameters(join(dir, 'resnet18.safetensors'));
  if (hybridize) net.hybridize({ staticAlloc: true });
  const io = nd.load(join(dir, 'io.safetensors'));
  const x = io['x']!;
  const y = net.forward(x);
  let diff = 0;
  for (let i = 0; i < y.size; i++) diff = Math.max(diff, Math.abs(y.storage[i]! - io['y']!.storage[i]!));
  notes.add(`tsgluon's ResNet-18 with torchvision's weights${hybridize ? ', hybridized' : ''}: output within ${diff.toExponential(1)} of PyTorch's`);
  return () => {
    net.forward(x);
  };
}

const rows: string[][] = [];
/** One table row per tsgluon variant, each against the same peer medians. */
const row = (label: string, t: number, r: Measured) => {
  for (const [variant, ours] of Object.entries(r.ours)) {
    const cells = [variant === 'eager' ? label : `${label}, ${variant}`, String(t), ours.toFixed(1)];
    for (const v of Object.values(r.peers)) cells.push(v === null ? '-' : v.toFixed(1), v === null ? '-' : `${(v / ours).toFixed(2)}x`);
    rows.push(cells);
  }
};

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-cnn-'));
let exported = false;
if (only.has('r18')) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const r = spawnSync('/usr/bin/python3', [join(here, 'peers_cnn.py'), 'export', 'resnet18-infer', '1', '0', dir], { env, encoding: 'utf8' });
  exported = r.status === 0;
  if (!exported) notes.add(`ResNet-18 export skipped (needs python3-torch, python3-torchvision and python3-onnx): ${(r.stderr ?? '').trim().split('\n').at(-1)}`);
}
try {
  console.log(`tsgluon CNN bench: backend ${b.name}; median ms per call; speed = peer ms / tsgluon ms`);
  for (const t of threadCounts) {
    b.setNumThreads?.(t);
    if (only.has('train')) {
      const variants = { eager: ms(makeStep('resnet18-train')), hybridized: ms(makeStep('resnet18-train', true)) };
      row('ResNet-18 train step, 1x96x96, batch 32', t, measure(variants, { PyTorch: torchTime('resnet18-train', t) }));
    }
    if (only.has('r50')) {
      const variants = { eager: ms(makeStep('resnet50-infer')), hybridized: ms(makeStep('resnet50-infer', true)) };
      row('ResNet-50 inference, 3x224x224, batch 1', t, measure(variants, { PyTorch: torchTime('resnet50-infer', t) }));
    }
    if (exported) {
      row('ResNet-18 inference, 3x224x224, batch 1', t, measure({ eager: ms(resnet18Shared(dir)), hybridized: ms(resnet18Shared(dir, true)) }, {
        PyTorch: torchTime('resnet18-infer', t),
        'ORT web': ortTime('web', dir, t),
        'ORT node': ortTime('node', dir, t),
      }));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const peerNames = ['PyTorch', 'ORT web', 'ORT node'];
const header = ['benchmark', 'threads', 'tsgluon ms'];
const widest = Math.max(...rows.map((r) => r.length));
for (let i = 0; header.length < widest; i++) header.push(`${peerNames[i]} ms`, 'speed');
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${header.map((_, i) => (i === 0 ? (cells[i] ?? '').padEnd(widths[i]!) : (cells[i] ?? '').padStart(widths[i]!))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
for (const n of notes) console.log(n);
process.exit(0);
