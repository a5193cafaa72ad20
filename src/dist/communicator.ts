/**
 * `Communicator`: the processes of an MPI job, and the collective operations they run together
 * (Horovod's API on Open MPI): in-place `allreduce` (sum, average, max, min), `broadcast`,
 * `barrier` and `allgather`.
 *
 * Every rank must call the same collectives in the same order with arrays of the same size and
 * dtype. The public methods check that first, with one small allreduce, so a mismatch raises the
 * same DistributedError on every rank instead of corrupting data or hanging. The `*Start` methods
 * used by the Trainer skip the check (they check a whole layout once) and return a `Pending`
 * collective that runs on the communication thread while JavaScript goes on.
 */
import { DTYPES, allocate, isFloat, type DType, type TypedArray } from '../core/dtype.js';
import { DTypeError, DistributedError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkOptions } from '../core/public.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { checkWritable } from '../ops/writable.js';
import { env } from '../core/platform.js';
import type { MpiAddon, MpiInfo } from './addon.js';
import type { SharedRegion } from './buckets.js';

/** How `allreduce` combines the ranks' values. */
export type ReduceOp = 'sum' | 'average' | 'max' | 'min';

const OPS: readonly ReduceOp[] = ['sum', 'average', 'max', 'min'];
/** Dimensions an allgather header carries. */
const MAX_DIMS = 32;
/** The addon's code of the 16-bit float dtypes, whose storage holds bit patterns. */
const HALF: Readonly<Record<string, number>> = { float16: 1, bfloat16: 2 };

/** A collective that was started and runs on the communication thread. */
export class Pending {
  readonly #addon: MpiAddon;
  readonly #ticket: number;

  /** @internal */
  constructor(addon: MpiAddon, ticket: number) {
    this.#addon = addon;
    this.#ticket = ticket;
  }

  /** Blocks until the collective has completed (bounded by the job's timeout). */
  wait(): void {
    this.#addon.wait(this.#ticket);
  }

  /** True once the collective has completed. */
  get done(): boolean {
    return this.#addon.done(this.#ticket);
  }
}

/** One named value that every rank must agree on, and how to print it. */
type Agreed = readonly [label: string, value: number, show?: (v: number) => string];

/**
 * The ranks of an MPI job. Get it with `dist.init()`.
 * @example
 * const comm = dist.init();
 * const x = nd.array([comm.rank + 1]);
 * comm.allreduce(x, { op: 'sum' });   // on 2 ranks: [3] everywhere
 */
export class Communicator {
  /** This process's index in the job, 0 to size - 1. */
  readonly rank: number;
  /** The number of processes in the job. */
  readonly size: number;
  /** This process's index among the processes of the same host. */
  readonly localRank: number;
  /** The number of processes on this host. */
  readonly localSize: number;
  /** The MPI library, e.g. 'Open MPI v4.1.4'. */
  readonly library: string;
  readonly #addon: MpiAddon;

  /** @internal Use `dist.init()`. */
  constructor(addon: MpiAddon, info: MpiInfo) {
    this.#addon = addon;
    this.rank = info.rank;
    this.size = info.size;
    this.localRank = info.localRank;
    this.localSize = info.localSize;
    this.library = info.library;
  }

  /**
   * Combines `x` across ranks in place and returns it: every rank ends with the sum (default),
   * average (float dtypes), maximum or minimum of the ranks' values, element by element.
   */
  allreduce(x: NDArray, options: { op?: ReduceOp } = {}): NDArray {
    expectArray('dist.allreduce', x);
    checkOptions('dist.allreduce', options);
    const op = options.op ?? 'sum';
    const code = OPS.indexOf(op);
    if (code < 0) throw new ValueError(`dist.allreduce: op must be one of ${OPS.join(', ')}, got ${fmtValue(op)}`);
    if (op === 'average' && !isFloat(x.dtype)) {
      throw new DTypeError(`dist.allreduce: op 'average' needs a float array, this one is ${x.dtype}; use op 'sum' and divide, or cast with .astype('float32')`);
    }
    this.#writable('dist.allreduce', x);
    this.agree('dist.allreduce', [['element count', x.size], dtypeAgreed(x.dtype), ['op', code, (v) => OPS[v] ?? String(v)]]);
    this.allreduceStart(x._raw, op, x.dtype).wait();
    return x;
  }

  /** Overwrites `x` on every rank with rank `root`'s values (default rank 0) and returns it. */
  broadcast(x: NDArray, options: { root?: number } = {}): NDArray {
    expectArray('dist.broadcast', x);
    checkOptions('dist.broadcast', options);
    const root = options.root ?? 0;
    if (!Number.isInteger(root) || root < 0 || root >= this.size) {
      throw new ValueError(`dist.broadcast: root must be a rank in [0, ${this.size - 1}], got ${fmtValue(root)}`);
    }
    this.#writable('dist.broadcast', x);
    this.agree('dist.broadcast', [['element count', x.size], dtypeAgreed(x.dtype), ['root', root]]);
    this.broadcastStart(x._raw, root).wait();
    return x;
  }

  /** Returns once every rank has called it. */
  barrier(): void {
    new Pending(this.#addon, this.#addon.barrier()).wait();
  }

  /**
   * Every rank's `x` concatenated along the first axis, in rank order (a new array, the same on
   * every rank). The first dimension may differ between ranks; the others and the dtype may not.
   */
  allgather(x: NDArray): NDArray {
    expectArray('dist.allgather', x);
    if (x.isShapeOnly) throw new ValueError(`dist.allgather: this ${fmtShape(x.shape)} array carries only a shape; pass an array with values`);
    if (x.shape.length < 1 || x.shape.length > MAX_DIMS) {
      throw new ShapeError(`dist.allgather: concatenates along the first axis, so it needs 1 to ${MAX_DIMS} dimensions, got ${fmtShape(x.shape)}; reshape a scalar to [1]`);
    }
    const head = new Float64Array(2 + MAX_DIMS);
    head[0] = x.shape.length;
    head[1] = DTYPES.indexOf(x.dtype);
    head.set(x.shape, 2);
    const heads = new Float64Array(head.length * this.size);
    this.#gather(head, heads, new Float64Array(this.size).fill(head.length));
    const shapes = Array.from({ length: this.size }, (_, r) => Array.from(heads.subarray(r * head.length + 2, r * head.length + 2 + heads[r * head.length]!)));
    const dtypes = Array.from({ length: this.size }, (_, r) => DTYPES[heads[r * head.length + 1]!]!);
    const tail = (s: readonly number[]): string => fmtShape(s.slice(1));
    if (shapes.some((s, r) => s.length !== x.shape.length || tail(s) !== tail(x.shape) || dtypes[r] !== x.dtype)) {
      const list = shapes.map((s, r) => `rank ${r}: ${fmtShape(s)} ${dtypes[r]}`).join(', ');
      throw new ShapeError(`dist.allgather: the ranks' arrays must agree in dtype and in every dimension but the first; got ${list}`);
    }
    const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const first = shapes.reduce((a, s) => a + s[0]!, 0);
    const out = allocate(x.dtype, first * row);
    this.#gather(x._raw, out, Float64Array.from(shapes, (s) => s[0]! * row));
    return new NDArray(out, [first, ...x.shape.slice(1)], x.dtype);
  }

  /**
   * Seconds spent in collectives so far and how many ran (on the communication thread, plus the
   * Trainer's gradient averages through shared memory), and `waitingSeconds`: of the shared-memory
   * averages' time, the part spent waiting for other ranks to bring their gradients.
   */
  stats(): { seconds: number; operations: number; waitingSeconds: number } {
    const s = this.#addon.stats();
    return { seconds: s.busySeconds + s.sharedSeconds, operations: s.jobs + s.sharedReduces, waitingSeconds: s.sharedWaitSeconds };
  }

  /**
   * @internal A shared-memory bucket of `count` values for gradient averaging, or null when this
   * job cannot use one (ranks on several hosts, more than 4 ranks, or TSGLUON_DIST_SHM=0 on some
   * rank). Collective.
   */
  sharedRegion(dtype: 'float32' | 'float64', count: number): SharedRegion | null {
    const addon = this.#addon;
    const id = addon.shmCreate(count, dtype === 'float64' ? 1 : 0, env('TSGLUON_DIST_SHM') === '0' ? 0 : 1);
    if (id < 0) return null;
    return {
      put: (at, src) => addon.shmPut(id, at, src),
      zero: (at, n) => addon.shmZero(id, at, n),
      arrive: () => addon.shmArrive(id),
      finish: () => addon.shmFinish(id),
      average: (at, dst) => addon.shmAverage(id, at, dst),
      free: () => addon.shmFree(id),
    };
  }

  /**
   * @internal Starts an in-place allreduce of `buf` without the agreement check; `dtype` tells
   * 16-bit float storage apart (float16 or bfloat16 bit patterns).
   */
  allreduceStart(buf: TypedArray, op: ReduceOp, dtype?: DType): Pending {
    return new Pending(this.#addon, this.#addon.allreduce(buf, OPS.indexOf(op), HALF[dtype ?? ''] ?? 0));
  }

  /** @internal Starts a broadcast of `buf` from `root` without the agreement check. */
  broadcastStart(buf: TypedArray, root: number): Pending {
    return new Pending(this.#addon, this.#addon.broadcast(buf, root));
  }

  /**
   * @internal Checks that every rank passes the same values (one allreduce of the values and
   * their negations, with max); throws the same DistributedError on every rank when they differ,
   * ending with `fix`.
   */
  agree(
    where: string,
    values: readonly Agreed[],
    fix = 'Every rank must call the same collective operations, in the same order, with arrays of the same size and dtype',
  ): void {
    const n = values.length;
    const buf = new Float64Array(2 * n);
    values.forEach(([, v], i) => {
      buf[i] = v;
      buf[n + i] = -v;
    });
    this.allreduceStart(buf, 'max').wait();
    const bad = values.flatMap(([label, , show], i) => {
      const hi = buf[i]!;
      const lo = -buf[n + i]!;
      if (hi === lo) return [];
      const fmt = show ?? String;
      return [`${label} from ${fmt(lo)} to ${fmt(hi)}`];
    });
    if (bad.length > 0) {
      throw new DistributedError(
        `${where}: the ranks called it with different arguments (${bad.join('; ')}; this is rank ${this.rank} of ${this.size}). ${fix}`,
      );
    }
  }

  #gather(send: TypedArray, recv: TypedArray, counts: Float64Array): void {
    new Pending(this.#addon, this.#addon.allgather(send, recv, counts)).wait();
  }

  #writable(where: string, x: NDArray): void {
    if (x.isShapeOnly) throw new ValueError(`${where}: this ${fmtShape(x.shape)} array carries only a shape; pass an array with values`);
    checkWritable(where, x);
  }
}

function dtypeAgreed(dtype: DType): Agreed {
  return ['dtype', DTYPES.indexOf(dtype), (v) => DTYPES[v] ?? String(v)];
}
