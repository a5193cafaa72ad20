/**
 * dist.Communicator on 3 ranks (workers/collectives.ts under mpirun): allreduce (sum, average,
 * max, min) for every dtype, float16 and bfloat16 bit patterns included, broadcast from any root, barrier, allgather of arrays whose first
 * dimension differs by rank, and misuse reported identically on every rank.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSucceeded, mpirun, rankFiles, requireMpi, tempDir, workerCommand } from './mpi.js';

interface Result {
  info: { rank: number; size: number; localRank: number; localSize: number; library: string };
  sumF32: number[];
  averageF32: number[];
  averageF64: number[];
  maxI32: number[];
  minI32: number[];
  sumU8: number[];
  inPlace: boolean;
  broadcastF64: number[];
  broadcastI32: number[];
  allgather: { shape: number[]; dtype: string; values: number[] };
  barrierSawAll: boolean;
  sizeMismatch: string;
  opMismatch: string;
  gatherMismatch: string;
  averageInt: string;
  badRoot: string;
  recorded: string;
  badArguments: string[];
  afterErrors: number[];
  float16: { sum: number[]; average: number[]; max: number[]; min: number[] };
  bfloat16: { sum: number[]; average: number[]; max: number[] };
  float16Array: number[];
  bfloat16Array: number[];
  stats: { seconds: number; operations: number };
}

let cached: Result[] | null = null;

/** The 3 ranks' results, from one run of the worker shared by the tests below. */
function results(): Result[] {
  requireMpi();
  if (cached === null) {
    const out = tempDir();
    assertSucceeded(mpirun({ np: 3, command: workerCommand('collectives.ts', [out]) }), 'the collectives worker');
    cached = rankFiles<Result>(out, 3);
  }
  return cached;
}

function close(actual: number[], expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${a} vs ${expected[i]}`));
}

test('allreduce, broadcast, barrier and allgather on 3 ranks give the hand-computed values on every rank', () => {
  const f = Math.fround;
  results().forEach((res, rank) => {
    assert.deepEqual(res.info, { rank, size: 3, localRank: rank, localSize: 3, library: res.info.library });
    assert.match(res.info.library, /^Open MPI v\d/);
    // Sums of float32 inputs, rounded to float32 once per addition.
    close(res.sumF32, [6, f(f(f(0.1) + f(0.2)) + f(0.3)), -3], 1e-7, 'sum float32');
    close(res.averageF32, [2, 0.2, 1e-3], 1e-7, 'average float32');
    close(res.averageF64, [2, 0.2], 1e-15, 'average float64');
    assert.deepEqual(res.maxI32, [2, 0, 9]);
    assert.deepEqual(res.minI32, [0, -2, -5]);
    // uint8 wraps as typed arrays do: 300 is stored as 44, and 100 + 200 + 44 = 344 = 88 mod 256.
    assert.deepEqual(res.sumU8, [88, 3]);
    assert.equal(res.inPlace, true);
    assert.deepEqual(res.broadcastF64, [2.5, -2]);
    assert.deepEqual(res.broadcastI32, [0, 0, 0, 0]);
    assert.deepEqual(res.allgather.shape, [6, 2]);
    assert.equal(res.allgather.dtype, 'float32');
    assert.deepEqual(res.allgather.values.map(Math.abs), [0, 0, 10, 10, 11, 11, 20, 20, 21, 21, 22, 22]);
    assert.deepEqual(res.allgather.values.filter((_, i) => i % 2 === 1).map((v) => Math.sign(v) || 0), [0, -1, -1, -1, -1, -1]);
    // 16-bit floats, as bit patterns: 1.5 + 3 + 4.5 = 9 (average 3); three times 1 + ulp is
    // 3 + 1.5 ulp of 3, a tie that rounds to even (3 + 2 ulp), whose third is 1 + ulp again.
    assert.deepEqual(res.float16, { sum: [0x4880, 0x4202, 0x3a00], average: [0x4200, 0x3c01, 0x3400], max: [0x4480, 0x3c01, 0x3800], min: [0x3e00, 0x3c01, 0x0000] });
    assert.deepEqual(res.bfloat16, { sum: [0x4110, 0x4042, 0x3f40], average: [0x4040, 0x3f81, 0x3e80], max: [0x4090, 0x3f81, 0x3f00] });
    assert.deepEqual(res.float16Array, [9, 0.75]);
    assert.deepEqual(res.bfloat16Array, [3, 0.25]);
    assert.equal(res.barrierSawAll, true);
    assert.deepEqual(res.afterErrors, [3]);
    assert.ok(res.stats.operations >= 20 && res.stats.seconds >= 0, JSON.stringify(res.stats));
  });
});

test('misuse raises the same clear error on every rank, and the ranks stay in step afterwards', () => {
  results().forEach((res, rank) => {
    assert.equal(
      res.sizeMismatch,
      `DistributedError: dist.allreduce: the ranks called it with different arguments (element count from 3 to 4; this is rank ${rank} of 3). ` +
        'Every rank must call the same collective operations, in the same order, with arrays of the same size and dtype',
    );
    assert.match(res.opMismatch, /^DistributedError: dist\.allreduce: the ranks called it with different arguments \(op from sum to max;/);
    assert.equal(
      res.gatherMismatch,
      "ShapeError: dist.allgather: the ranks' arrays must agree in dtype and in every dimension but the first; got " +
        'rank 0: (1, 2) float32, rank 1: (1, 2) float32, rank 2: (1, 3) float32',
    );
    assert.match(res.averageInt, /^DTypeError: dist\.allreduce: op 'average' needs a float array, this one is int32/);
    assert.equal(res.badRoot, 'ValueError: dist.broadcast: root must be a rank in [0, 2], got 3');
    assert.match(res.recorded, /^AutogradError: dist\.allreduce: cannot write in place while autograd\.record\(\) is active/);
    assert.deepEqual(res.badArguments, [
      'DTypeError: dist.allreduce: its input must be an NDArray, got null; create arrays with nd.array()',
      'ValueError: dist.allreduce: the options argument must be an object such as { axis: 1 }, got the string "sum"',
      'ValueError: dist.allreduce: op must be one of sum, average, max, min, got 5n',
      'DTypeError: dist.broadcast: its input must be an NDArray, got a JavaScript array (wrap it with nd.array); create arrays with nd.array()',
      'ValueError: dist.broadcast: root must be a rank in [0, 2], got symbol',
      'DTypeError: dist.allgather: its input must be an NDArray, got undefined; create arrays with nd.array()',
      'ValueError: GradientReducer: bucketBytes must be a positive integer, got 1.5',
      'ValueError: GradientReducer: comm must be the dist.Communicator of dist.init(), got an object (Object)',
      'ValueError: GradientReducer.reduce: weights must be a list of parameter arrays, got null',
      'ValueError: dist.init: the options argument must be an object such as { axis: 1 }, got null',
    ]);
  });
});
