// Where ONNX Runtime's native CPU build spends an inference, node by node, to set next to
// bench/profile-steps.ts's per-layer view of tsgluon on the same network. Runs an exported model
// (bench/peers_cnn.py export resnet18-infer 1 0 DIR writes DIR/resnet18.onnx and DIR/io.safetensors)
// with ORT's session profiling on, reads back the JSON trace it writes, and prints the median time
// per call of every node over the profiled runs, largest first, with each node's op type and
// output shape (ORT's fused nodes, such as Conv with its Relu, show as one).
//
// Run: TSGLUON_ORT_NODE=/path/to/node_modules/onnxruntime-node \
//        npx tsx bench/ort-profile.ts DIR [--threads 1] [--runs 30] [--rows 40]
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nd } from 'tsgluon';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '30' },
    rows: { type: 'string', default: '40' },
  },
});
const dir = positionals[0];
const local = process.env['TSGLUON_ORT_NODE'];
if (!dir || !local) {
  console.error('usage: TSGLUON_ORT_NODE=.../onnxruntime-node npx tsx bench/ort-profile.ts DIR [--threads N]');
  process.exit(1);
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; output_type_shape?: Record<string, number[]>[] };
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<unknown>;
  endProfiling(): string | Promise<string>;
  release(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(model: string, options?: Record<string, unknown>): Promise<OrtSession> };
}

const mod = (await import(createRequire(join(local, 'package.json')).resolve('onnxruntime-node'))) as OrtModule & { default?: OrtModule };
const ort = mod.InferenceSession ? mod : mod.default!;
const threads = Number(args.threads);
const out = mkdtempSync(join(tmpdir(), 'ort-profile-'));
const session = await ort.InferenceSession.create(join(dir, 'resnet18.onnx'), {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableProfiling: true,
  profileFilePrefix: join(out, 'trace'),
});
const x = nd.load(join(dir, 'io.safetensors'))['x']!;
const feeds = { x: new ort.Tensor('float32', Float32Array.from(x.storage), x.shape) };
const runs = Number(args.runs);
const walls: number[] = [];
for (let i = 0; i < runs + 3; i++) {
  const t0 = performance.now();
  await session.run(feeds);
  if (i >= 3) walls.push(performance.now() - t0);
}
// The node binding's endProfiling returns nothing: the trace is the one file in `out`.
await session.endProfiling();
await session.release();
const file = readdirSync(out).find((f) => f.endsWith('.json'));
if (!file) throw new Error(`no profile written in ${out}`);
const events = JSON.parse(readFileSync(join(out, file), 'utf8')) as TraceEvent[];
rmSync(out, { recursive: true, force: true });

// Node events are named "<node>_kernel_time"; the first 3 runs are warm-up.
const byNode = new Map<string, { op: string; shape: string; times: number[] }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.dur === undefined) continue;
  const name = e.name.slice(0, -'_kernel_time'.length);
  let r = byNode.get(name);
  if (!r) {
    const shape = Object.values(e.args?.output_type_shape?.[0] ?? {})[0] ?? [];
    r = { op: e.args?.op_name ?? '?', shape: shape.join('x'), times: [] };
    byNode.set(name, r);
  }
  r.times.push(e.dur / 1000);
}
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const rows = [...byNode.entries()].map(([name, r]) => ({ name, op: r.op, shape: r.shape, ms: median(r.times.slice(-runs)) }));
const total = rows.reduce((s, r) => s + r.ms, 0);
console.log(`ONNX Runtime node, ${threads} thread(s): median run ${median(walls).toFixed(2)} ms, nodes sum ${total.toFixed(2)} ms`);
console.log('| node | op | output | ms |');
console.log('|---|---|---|---:|');
for (const r of rows.sort((a, b) => b.ms - a.ms).slice(0, Number(args.rows))) console.log(`| ${r.name} | ${r.op} | ${r.shape} | ${r.ms.toFixed(3)} |`);
process.exit(0);
