/**
 * Worker of tests/dist/collectives.test.ts, launched by mpirun on 3 ranks: runs every collective
 * of dist.Communicator on rank-dependent inputs and writes the results (and the errors of misuse)
 * to <out>/rank-<r>.json; the test checks them against values computed by hand.
 *
 * usage: node --import tsx collectives.ts <out-dir>
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, dist, nd, type DType, type TypedArray } from '../../../src/index.js';

const out = process.argv[2]!;
const comm = dist.init({ timeout: 120 });
const r = comm.rank;
const values = (x: nd.NDArray): number[] => Array.from(x.storage);
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
};

const result: Record<string, unknown> = {
  info: { rank: comm.rank, size: comm.size, localRank: comm.localRank, localSize: comm.localSize, library: comm.library },
  sumF32: values(comm.allreduce(nd.array([r + 1, 0.1 * (r + 1), -r]))),
  averageF32: values(comm.allreduce(nd.array([r + 1, 0.1 * (r + 1), 1e-3 * r]), { op: 'average' })),
  averageF64: values(comm.allreduce(nd.array([r + 1, 0.1 * (r + 1)], { dtype: 'float64' }), { op: 'average' })),
  maxI32: values(comm.allreduce(nd.array([r, -r, 7 * r - 5], { dtype: 'int32' }), { op: 'max' })),
  minI32: values(comm.allreduce(nd.array([r, -r, 7 * r - 5], { dtype: 'int32' }), { op: 'min' })),
  sumU8: values(comm.allreduce(nd.array([100 * (r + 1), r], { dtype: 'uint8' }))),
  // The same array is returned, changed in place.
  inPlace: (() => {
    const x = nd.array([[r, 1]]);
    return comm.allreduce(x) === x && x.shape.join('x') === '1x2';
  })(),
  broadcastF64: values(comm.broadcast(nd.array([r + 0.5, -r], { dtype: 'float64' }), { root: 2 })),
  broadcastI32: values(comm.broadcast(nd.array([[r, r], [r, r]], { dtype: 'int32' }))),
  allgather: (() => {
    // Rank r contributes r + 1 rows of [10 r + i, -(10 r + i)].
    const rows = Array.from({ length: r + 1 }, (_, i) => [10 * r + i, -(10 * r + i)]);
    const g = comm.allgather(nd.array(rows));
    return { shape: g.shape, dtype: g.dtype, values: values(g) };
  })(),
};

// float16 and bfloat16 arrays keep bit patterns in a Uint16Array; the allreduce is told which.
const half = (bits: number[], dtype: string, op: dist.ReduceOp): number[] => {
  const u16 = Uint16Array.from(bits);
  comm.allreduceStart(u16 as unknown as TypedArray, op, dtype as DType).wait();
  return Array.from(u16);
};
// Rank r holds 1.5 (r + 1), 1 + one unit in the last place, and r / 4.
const f16 = [[0x3e00, 0x3c01, 0x0000], [0x4200, 0x3c01, 0x3400], [0x4480, 0x3c01, 0x3800]][r]!;
const bf16 = [[0x3fc0, 0x3f81, 0x0000], [0x4040, 0x3f81, 0x3e80], [0x4090, 0x3f81, 0x3f00]][r]!;
result['float16'] = { sum: half(f16, 'float16', 'sum'), average: half(f16, 'float16', 'average'), max: half(f16, 'float16', 'max'), min: half(f16, 'float16', 'min') };
result['bfloat16'] = { sum: half(bf16, 'bfloat16', 'sum'), average: half(bf16, 'bfloat16', 'average'), max: half(bf16, 'bfloat16', 'max') };
// The same through NDArrays of those dtypes (their bits travel, values read back widened).
result['float16Array'] = values(comm.allreduce(nd.array([1.5 * (r + 1), r / 4], { dtype: 'float16' })).astype('float32'));
result['bfloat16Array'] = values(comm.allreduce(nd.array([1.5 * (r + 1), r / 4], { dtype: 'bfloat16' }), { op: 'average' }).astype('float32'));

// barrier: every rank writes its file before the barrier, so after it all three exist.
writeFileSync(join(out, `before-${r}`), '');
comm.barrier();
result['barrierSawAll'] = [0, 1, 2].every((q) => existsSync(join(out, `before-${q}`)));

// Misuse raises the same error on every rank instead of hanging or corrupting data.
result['sizeMismatch'] = errorOf(() => comm.allreduce(nd.zeros([r === 1 ? 4 : 3])));
result['opMismatch'] = errorOf(() => comm.allreduce(nd.zeros([2]), { op: r === 0 ? 'max' : 'sum' }));
result['gatherMismatch'] = errorOf(() => comm.allgather(nd.zeros([1, r === 2 ? 3 : 2])));
result['averageInt'] = errorOf(() => comm.allreduce(nd.zeros([2], { dtype: 'int32' }), { op: 'average' }));
result['badRoot'] = errorOf(() => comm.broadcast(nd.zeros([2]), { root: 3 }));
result['recorded'] = errorOf(() => {
  const w = nd.ones([2]);
  w.attachGrad();
  autograd.record(() => comm.allreduce(w));
});
// Wrong arguments are refused on each rank before any collective starts, naming the call.
result['badArguments'] = [
  errorOf(() => comm.allreduce(null as unknown as nd.NDArray)),
  errorOf(() => comm.allreduce(nd.zeros([2]), 'sum' as unknown as { op: dist.ReduceOp })),
  errorOf(() => comm.allreduce(nd.zeros([2]), { op: 5n as unknown as dist.ReduceOp })),
  errorOf(() => comm.broadcast([1, 2] as unknown as nd.NDArray)),
  errorOf(() => comm.broadcast(nd.zeros([2]), { root: Symbol('r') as unknown as number })),
  errorOf(() => comm.allgather(undefined as unknown as nd.NDArray)),
  errorOf(() => new dist.GradientReducer(comm, { bucketBytes: 1.5 })),
  errorOf(() => new dist.GradientReducer({ rank: 0, size: 1 } as unknown as dist.Communicator)),
  errorOf(() => new dist.GradientReducer(comm).reduce(null as unknown as nd.NDArray[])),
  errorOf(() => dist.init(null as unknown as dist.InitOptions)),
];
// After the errors the ranks are still in step.
result['afterErrors'] = values(comm.allreduce(nd.array([1])));
result['stats'] = comm.stats();
writeFileSync(join(out, `rank-${r}.json`), JSON.stringify(result));
