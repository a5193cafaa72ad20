// Where should the wasm backend's arrays live? Measures the two designs on the same build:
//   staged   (what ships) arrays stay ordinary JavaScript typed arrays; each kernel call copies
//            its inputs into linear memory and its outputs back,
//   in place arrays are views of linear memory (what an `allocate(dtype, n)` hook on the backend
//            would give), passed to the kernels without a copy.
// Kernel calls on arrays of 1e3 to 1e6 float32 elements (add, relu, exp, sum, a 256 GEMM), and
// the MLP 784-256(ReLU)-10 training step (batch 256). One thread, the threaded build (its shared
// memory grows without detaching views). The in-place MLP figure needs the experiment's one-line
// hook in core/dtype.ts's allocate() (`globalThis.__tsgluonAllocate?.(dtype, size) ?? ...`),
// which is not part of tsgluon; without it both MLP figures are the staged design.
// Usage: tsx bench/wasm-storage.ts [--budget 0.5]
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd, nn } from 'tsgluon';
import { loadWasmBackendSync } from '../src/backend/wasm/node.js';
import type { DType, TypedArray } from '../src/core/dtype.js';

const { values: args } = parseArgs({ options: { budget: { type: 'string', default: '0.5' } } });
const budget = Number(args.budget);

const load = loadWasmBackendSync({ threads: 1 });
if (load.backend === null) throw new Error(load.error);
const wasm = load.backend;
backend.registerBackend(wasm);
backend.setBackend('wasm');
const k = wasm.kernels;

/** A zero-filled view of linear memory, freed when the collector finalizes it. */
const freed = new FinalizationRegistry<number>((ptr) => wasm.linear.free(ptr));
const CTOR = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;
function inPlace(dtype: DType, n: number): TypedArray {
  if (!(dtype in CTOR)) throw new Error(`bench/wasm-storage: no in-place storage for ${dtype}`);
  const C = CTOR[dtype as keyof typeof CTOR];
  const ptr = wasm.linear.alloc(Math.max(1, n) * C.BYTES_PER_ELEMENT);
  const view = new C(wasm.linear.memory.buffer, ptr, n).fill(0);
  freed.register(view, ptr);
  return view;
}

/** Median seconds per call after a warm-up. */
function time(fn: () => void): number {
  fn();
  const ts: number[] = [];
  let spent = 0;
  while (ts.length < 5 || (spent < budget && ts.length < 200)) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    ts.push(dt);
    spent += dt;
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

const us = (s: number) => (s * 1e6).toFixed(1).padStart(9);
const rows: string[][] = [];
for (const n of [1e3, 1e4, 1e5, 1e6]) {
  const js = () => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const wa = () => {
    const v = inPlace('float32', n) as Float32Array;
    v.set(js());
    return v;
  };
  for (const [name, make] of [['staged', js], ['in place', wa]] as const) {
    const a = make(), b = make(), out = make(), s = new Float32Array(1);
    const plan = { shape: [n], aStrides: [1], bStrides: [1] };
    rows.push([
      String(n), name,
      us(time(() => k.binary.add(out, a, b, plan))),
      us(time(() => k.unary.relu(out, a))),
      us(time(() => k.unary.exp(out, a))),
      us(time(() => k.reduce.sum(s, a, { outer: 1, reduce: n, inner: 1 }))),
    ]);
  }
}
console.log('kernel calls on float32 arrays, one thread (microseconds per call, median)');
console.log(['n', 'storage', 'add', 'relu', 'exp', 'sum'].map((h) => h.padStart(9)).join(' '));
for (const r of rows) console.log(r.map((c) => c.padStart(9)).join(' '));

for (const name of ['staged', 'in place'] as const) {
  const a = name === 'staged' ? new Float32Array(256 * 256).fill(0.5) : (inPlace('float32', 256 * 256) as Float32Array).fill(0.5);
  const c = name === 'staged' ? new Float32Array(256 * 256) : (inPlace('float32', 256 * 256) as Float32Array);
  const plan = { batch: 1, m: 256, n: 256, k: 256, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  console.log(`GEMM 256, ${name}: ${us(time(() => k.matmul(c, a, a, plan)))} us`);
}

function mlp(): number {
  nd.random.seed(0);
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ init: new init.Normal(0.01) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const x = nd.random.uniform({ shape: [256, 784] });
  const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
  const step = () => {
    const l = autograd.record(() => loss.forward(net.forward(x), y));
    l.backward();
    trainer.step(256);
  };
  for (let i = 0; i < 5; i++) step();
  return 1 / time(step);
}
// The training step allocates its arrays through core/dtype.ts's allocate(); with the
// experiment's hook (ALLOCATE_HOOK, see the report of issue 16) they live in linear memory.
const hooks = globalThis as { __tsgluonAllocate?: (dtype: string, n: number) => unknown };
const staged = mlp();
hooks.__tsgluonAllocate = (dtype, n) => inPlace(dtype as DType, n);
const before = wasm.addon.memoryBytes();
const placed = mlp();
delete hooks.__tsgluonAllocate;
console.log(`MLP step (steps/s): staged ${staged.toFixed(1)}, in place ${placed.toFixed(1)} (linear memory grew ${((wasm.addon.memoryBytes() - before) / 2 ** 20).toFixed(0)} MiB meanwhile)`);
