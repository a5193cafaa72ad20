// Where a convolutional network's step spends its time, per kernel call site, next to PyTorch's
// profiler on the same network (bench/peers_cnn.py profile). tsgluon's side times every call into
// the backend's kernel table, keyed by kernel and shape (so each layer's convolution, pooling,
// activation and their gradients get their own row), and reports what runs outside kernels
// (op layer, autograd, allocation, garbage collection) as one more row.
//
// Run: npx tsx bench/profile-steps.ts [--nets lenet-relu,resnet18-train]
//        [--threads 1] [--budget 3] [--rows 25] [--no-torch] [--cpu] [--hybridize]
// --hybridize profiles the net hybridized (net.hybridize({ staticAlloc: true })), as bench/cnn.ts
// times it.
// --cpu times every call by the process's CPU time instead of the wall clock: on a machine shared
// with other jobs (where a wall-clock profile mostly shows preemption) this is the steadier view
// for one thread.
import { parseArgs } from 'node:util';
import { backend } from 'tsgluon';
import { NETS, makeStep, torchPeer, type NetName } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    nets: { type: 'string', default: 'lenet-relu,lenet-sigmoid' },
    threads: { type: 'string', default: '1' },
    budget: { type: 'string', default: '3' },
    rows: { type: 'string', default: '25' },
    'no-torch': { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    hybridize: { type: 'boolean', default: false },
  },
});
const nets = args.nets.split(',').filter((n): n is NetName => (NETS as readonly string[]).includes(n));
const threads = Number(args.threads);
const budget = Number(args.budget);
const maxRows = Number(args.rows);
/** Milliseconds of the chosen clock: wall, or the process's CPU time (user + system). */
const clock = args.cpu
  ? (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : (): number => performance.now();

/** A short description of a kernel call's sizes, from its plan or array lengths. */
function describe(name: string, a: readonly unknown[]): string {
  const plan = a.at(-1) as Record<string, unknown> | undefined;
  if (name === 'matmul' && plan) {
    const p = plan as { batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean; accumulate?: boolean };
    return `${p.batch}x(${p.m}x${p.k}${p.transA ? 'ᵀ' : ''})·(${p.k}x${p.n}${p.transB ? 'ᵀ' : ''})${p.accumulate ? ' +=' : ''}`;
  }
  // A convolution's plan is its last argument, or the fifth when an epilogue is fused (convFused).
  const conv = [plan, a[4]].find((v) => v !== null && typeof v === 'object' && 'kernel' in v && 'in' in v);
  if (conv) {
    const p = conv as { batch: number; channels: number; in: number[]; out: number[]; kernel: number[]; stride: number[] };
    return `N${p.batch} C${p.channels} ${p.in.slice(1).join('x')}->${p.out.slice(1).join('x')} k${p.kernel.slice(1).join('x')} s${p.stride[2]}`;
  }
  if (plan && typeof plan === 'object' && 'outer' in plan) {
    const p = plan as { outer: number; reduce?: number; axisLen?: number; inner: number };
    return `(${p.outer}, ${p.reduce ?? p.axisLen}, ${p.inner})`;
  }
  const first = a[0] as { length?: number } | undefined;
  return `n=${first?.length ?? '?'}`;
}

/** Runs `step` for about `budget` seconds with every kernel timed; ms per step by call site. */
function profile(step: () => void): { rows: [string, number, number][]; total: number; steps: number } {
  for (let i = 0; i < 3; i++) step();
  const table = backend.getBackend().kernels as unknown as Record<string, unknown>;
  const spent = new Map<string, [number, number]>();
  const restore: (() => void)[] = [];
  let depth = 0;
  const wrap = (obj: Record<string, unknown>, prefix: string) => {
    for (const [key, f] of Object.entries(obj)) {
      const name = prefix + key;
      if (typeof f === 'function') {
        obj[key] = (...a: unknown[]) => {
          // Kernels that call other kernels (a ref fallback) are counted once, at the outer call.
          if (depth > 0) return (f as (...args: unknown[]) => unknown)(...a);
          depth++;
          const t0 = clock();
          try {
            return (f as (...args: unknown[]) => unknown)(...a);
          } finally {
            const dt = clock() - t0;
            depth--;
            const k = `${name} ${describe(key, a)}`;
            const s = spent.get(k) ?? [0, 0];
            s[0] += dt;
            s[1]++;
            spent.set(k, s);
          }
        };
        restore.push(() => (obj[key] = f));
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>, `${name}.`);
    }
  };
  wrap(table, '');
  let steps = 0;
  const t0 = performance.now();
  const c0 = clock();
  try {
    while (steps < 3 || (performance.now() - t0 < budget * 1000 && steps < 200)) {
      step();
      steps++;
    }
  } finally {
    for (const r of restore) r();
  }
  const total = (clock() - c0) / steps;
  const rows = [...spent].map(([k, [ms, calls]]): [string, number, number] => [k, ms / steps, calls / steps]);
  rows.sort((x, y) => y[1] - x[1]);
  const inside = rows.reduce((s, r) => s + r[1], 0);
  rows.push(['(outside kernels: op layer, autograd, allocation, GC)', total - inside, 0]);
  return { rows, total, steps };
}

backend.getBackend().setNumThreads?.(threads);
for (const name of nets) {
  const { rows, total, steps } = profile(makeStep(name, args.hybridize));
  console.log(`\n## tsgluon (${backend.getBackend().name}), ${name}${args.hybridize ? ' hybridized' : ''}, ${threads} thread${threads === 1 ? '' : 's'}: ${total.toFixed(2)} ${args.cpu ? 'CPU ' : ''}ms per step (${steps} steps, every kernel call timed)`);
  console.log('| ms/step | % | calls/step | kernel and sizes |');
  console.log('|---:|---:|---:|---|');
  for (const [k, ms, calls] of rows.slice(0, maxRows).concat(rows.length > maxRows ? [rows.at(-1)!] : [])) {
    console.log(`| ${ms.toFixed(3)} | ${((100 * ms) / total).toFixed(1)} | ${calls ? calls.toFixed(0) : ''} | ${k} |`);
  }
  if (args['no-torch']) continue;
  const torch = torchPeer('profile', name, threads, budget);
  if (typeof torch === 'string') {
    console.log(torch);
    continue;
  }
  console.log(`\n## PyTorch, ${name}, ${threads} thread${threads === 1 ? '' : 's'}: torch.profiler over ${String(torch.json['steps'])} steps (totals, not per step)`);
  console.log(torch.text);
}
