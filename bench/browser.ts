// `npm run bench:browser`: tsgluon's WebAssembly backend against TensorFlow.js's wasm backend (and
// its webgl backend when headless Chromium gives it a context) in one Chromium, on float32 GEMM
// (n = 256, 512, 1024; GFLOP/s) and the MLP 784-256(ReLU)-10 training step (batch 256; steps/s),
// plus tsgluon's LeNet training step (tfjs-wasm cannot train convolutions). Each configuration
// (library x threads) runs in a fresh page of the same cross-origin isolated Vite server
// (bench/browser/bench-page.ts); configurations alternate for --rounds rounds and each figure is
// the median over rounds. Ratios are tsgluon / tfjs-wasm at one thread, and tsgluon at two
// threads against tfjs-wasm at one and at two threads.
//
// Each configuration's line under the table says how many threads the library really used (see
// bench-page.ts) and whether the page was cross-origin isolated.
//
// Options: --rounds 3  --budget 1 (seconds per figure)  --sizes 256,512,1024  --threads 2
//   --configs ours1,tfjs1,oursN,tfjsN,webgl (a subset to run)  --only gemm (skip the training steps)
//   --wasm-base /build/wasm-exp/x/ (tsgluon's .wasm files from another folder of the repository)
//   --warmup 0.3 (seconds of untimed calls before each figure, at least two calls)
//   --stat min (each figure from the shortest call rather than the median: on a loaded machine
//   the shortest call is the least interrupted one)
//   --compare /build/wasm-exp/y/ (adds tsgluon at N threads with the .wasm files from that folder,
//   config baseN, alternating with the others: two builds compared in the same run)
// On a shared machine figures move by 10% or more between runs.
import { parseArgs } from 'node:util';
import { startHarness, waitFor } from '../tests/browser/harness.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    budget: { type: 'string', default: '1' },
    sizes: { type: 'string', default: '256,512,1024' },
    threads: { type: 'string', default: '2' },
    configs: { type: 'string', default: 'ours1,tfjs1,oursN,tfjsN,webgl' },
    only: { type: 'string', default: '' },
    'wasm-base': { type: 'string', default: '' },
    stat: { type: 'string', default: 'median' },
    warmup: { type: 'string', default: '0.3' },
    compare: { type: 'string', default: '' },
  },
});
const rounds = Number(args.rounds);
const sizes = args.sizes.split(',').map(Number);
const many = Number(args.threads);

interface Result {
  done: boolean;
  info: string;
  gemm: Record<number, number>;
  mlp: number | null;
  lenet: number | null;
  error?: string;
}

const CONFIGS = [
  { key: 'ours1', lib: 'tsgluon', threads: 1 },
  { key: 'tfjs1', lib: 'tfjs-wasm', threads: 1 },
  { key: 'oursN', lib: 'tsgluon', threads: many },
  { key: 'tfjsN', lib: 'tfjs-wasm', threads: many },
  { key: 'webgl', lib: 'tfjs-webgl', threads: 1 },
  { key: 'baseN', lib: 'tsgluon', threads: many },
] as const;
type Key = (typeof CONFIGS)[number]['key'];

const chosen = CONFIGS.filter((c) => args.configs.split(',').includes(c.key) || (c.key === 'baseN' && args.compare));
const base = (c: (typeof CONFIGS)[number]) => (c.key === 'baseN' ? args.compare : args['wasm-base']);
const extra = (c: (typeof CONFIGS)[number]) => `&stat=${args.stat}&warmup=${args.warmup}${args.only ? `&only=${args.only}` : ''}${base(c) ? `&wasmBase=${encodeURIComponent(base(c))}` : ''}`;

const harness = await startHarness();
const runs = new Map<Key, Result[]>();
const info = new Map<Key, string>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of chosen) {
      const { page } = await harness.open(`bench/browser/bench.html?lib=${c.lib}&threads=${c.threads}&sizes=${sizes.join(',')}&budget=${args.budget}${extra(c)}`);
      const res = await waitFor(page, () => (window.benchResult?.done ? window.benchResult : null), 600, `${c.lib} at ${c.threads} threads`);
      await page.close();
      if (res.error !== undefined) info.set(c.key, `${c.lib}: not measured (${res.error})`);
      else {
        info.set(c.key, res.info);
        runs.set(c.key, [...(runs.get(c.key) ?? []), res]);
      }
      process.stderr.write(`round ${r + 1}/${rounds}: ${res.info || c.lib} done\n`);
    }
  }
} finally {
  await harness.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fig = (k: Key, pick: (r: Result) => number | null | undefined): number | null => {
  const xs = (runs.get(k) ?? []).map(pick).filter((x): x is number => typeof x === 'number');
  return xs.length ? median(xs) : null;
};
const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(x < 10 ? 2 : 1));
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${(a / b).toFixed(2)}x`);

const rows: string[][] = [];
const row = (name: string, pick: (r: Result) => number | null | undefined) => {
  const [o1 = null, t1 = null, oN = null, tN = null, gl = null, bN = null] = (['ours1', 'tfjs1', 'oursN', 'tfjsN', 'webgl', 'baseN'] as const).map((k) => fig(k, pick));
  rows.push([name, fmt(o1), fmt(t1), ratio(o1, t1), fmt(oN), fmt(tN), ratio(oN, t1), ratio(oN, tN), fmt(gl), ...(args.compare ? [fmt(bN), ratio(oN, bN)] : [])]);
};
for (const n of sizes) row(`GEMM n=${n} (GFLOP/s)`, (r) => r.gemm[n]);
row('MLP train step (steps/s)', (r) => r.mlp);
row('LeNet train step (steps/s)', (r) => r.lenet);

const head = ['', 'tsgluon 1T', 'tfjs-wasm 1T', 'ratio', `tsgluon ${many}T`, `tfjs-wasm ${many}T`, `${many}T vs tfjs 1T`, `${many}T vs tfjs ${many}T`, 'tfjs-webgl', ...(args.compare ? [`compared build ${many}T`, `${many}T vs compared`] : [])];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nmedians of ${rounds} alternating rounds of ${args.stat === "min" ? "the shortest call" : "the median call"} per figure, one Chromium (${harness.url});`);
for (const c of chosen) console.log(`  ${c.key === 'baseN' ? `compared build (${args.compare}): ` : ''}${info.get(c.key) ?? c.lib}`);
