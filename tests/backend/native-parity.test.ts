/**
 * Every native kernel against the reference backend on seeded random inputs: awkward sizes (1, 3,
 * 17, 255, 1025), every transpose variant, batch broadcasting, broadcast patterns, NaN/Inf/-0,
 * every instruction set the CPU offers, and thread-count invariance (1 vs 2 threads bitwise, and
 * bitwise repeatability at a fixed count). Skips with a message when the addon is not built.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { broadcastShapes, broadcastStrides } from '../../src/core/shape.js';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, forEachIsa, g, load, nat, rand, same, skip, withSpecials, withThreads } from './parity-helpers.js';
import { ValueError } from '../../src/core/errors.js';

describe('native backend parity with ref', { skip }, () => {
  after(() => addon?.setIsa(addon.isa()));

  test('matmul: every transpose variant, awkward sizes, batch strides, accumulate, every ISA', () => {
    const dims: [number, number, number][] = [
      [1, 1, 1], [3, 17, 5], [17, 3, 255], [255, 17, 3], [1, 255, 17], [17, 1025, 3], [1025, 3, 17], [64, 64, 600],
      // Edge panels with 1, 2 and 3 live vector columns of 4 (n = 784 leaves 16 of 64 floats).
      [13, 104, 33], [7, 88, 21], [9, 784, 40],
    ];
    forEachIsa((isa) => {
      for (const [dt, C] of FLOATS) {
        for (const [m, n, k] of dims) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const [batch, aB, bB] of [[1, 1, 1], [3, 1, 0], [2, 0, 1]] as const) {
                const aBatchStride = aB * m * k;
                const bBatchStride = bB * k * n;
                const a = rand(C, Math.max(1, aB * batch) * m * k);
                const b = rand(C, Math.max(1, bB * batch) * k * n);
                const accumulate = batch === 2;
                const init = rand(C, batch * m * n);
                const plan = { batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate };
                const want = init.slice();
                refKernels.matmul(want, a, b, plan);
                const got = init.slice();
                nat.matmul(got, a, b, plan);
                const tol = dt === 'float32' ? 4e-6 * Math.sqrt(k) * 4 : 1e-13 * k;
                close(got, want, tol, tol, `${isa} ${dt} matmul ${m}x${n}x${k} tA=${transA} tB=${transB} batch=${batch}`);
              }
            }
          }
        }
      }
    });
  });

  test('matmul: k = 0 writes zeros (or leaves out untouched when accumulating)', () => {
    const out = new Float32Array([5, 5, 5, 5]);
    nat.matmul(out, new Float32Array(0), new Float32Array(0), { batch: 1, m: 2, n: 2, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
    same(out, new Float32Array(4), 'k=0');
    const acc = new Float64Array([1, 2]);
    nat.matmul(acc, new Float64Array(0), new Float64Array(0), { batch: 1, m: 1, n: 2, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, accumulate: true });
    same(acc, new Float64Array([1, 2]), 'k=0 accumulate');
  });

  test('matmul: a wrong plan throws instead of reading out of bounds', () => {
    assert.throws(() => addon!.gemm(new Float32Array(4), new Float32Array(3), new Float32Array(4), new Int32Array([1, 2, 2, 2, 0, 0, 0, 0, 0])), /too short/);
    assert.throws(() => addon!.gemm(new Float32Array(4), new Float64Array(4), new Float32Array(4), new Int32Array([1, 2, 2, 2, 0, 0, 0, 0, 0])), /dtypes differ/);
  });

  test('unary ops on every float dtype, with NaN/Inf/-0, every ISA', () => {
    forEachIsa((isa) => {
      for (const [dt, C] of FLOATS) {
        for (const n of [1, 3, 17, 255, 1025, 20000]) {
          const x = withSpecials(rand(C, n, -3, 3));
          for (const op of UNARY_OPS) {
            const want = new C(n);
            const got = new C(n);
            refKernels.unary[op](want, x);
            nat.unary[op](got, x);
            close(got, want, dt === 'float32' ? 2e-7 : 1e-14, 1e-30, `${isa} ${dt} ${op} n=${n}`);
          }
        }
      }
    });
  });

  test('unary and binary ops on integer dtypes fall back to ref', () => {
    const x = new Int32Array([-3, 0, 7]);
    const out = new Int32Array(3);
    nat.unary.abs(out, x);
    same(out, new Int32Array([3, 0, 7]), 'int32 abs');
    const plan = { shape: [3], aStrides: [1], bStrides: [1] };
    nat.binary.mul(out, x, x, plan);
    same(out, new Int32Array([9, 0, 49]), 'int32 mul');
  });

  test('binary ops with broadcasting: same shape, scalars, rows, columns, outer, 3-D, every ISA', () => {
    const pairs: [number[], number[]][] = [
      [[17, 3], [17, 3]], [[255], []], [[], [255]], [[5, 17], [17]], [[17, 1], [17, 5]], [[1, 255], [3, 1]],
      [[3, 1, 17], [1, 5, 17]], [[2, 3, 4, 5], [3, 1, 5]], [[1025], [1025]], [[1], [1]], [[300, 256], [256]],
    ];
    forEachIsa((isa) => {
      for (const [dt, C] of FLOATS) {
        for (const [sa, sb] of pairs) {
          const shape = broadcastShapes(sa, sb, 'test');
          const plan = { shape, aStrides: broadcastStrides(sa, shape), bStrides: broadcastStrides(sb, shape) };
          const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
          const a = withSpecials(rand(C, size(sa), -3, 3));
          const b = withSpecials(rand(C, size(sb), -3, 3));
          b[b.length - 1] = a[0]!; // an exact tie for the comparisons
          for (const op of BINARY_OPS) {
            const want = new C(size(shape));
            const got = new C(size(shape));
            refKernels.binary[op](want, a, b, plan);
            nat.binary[op](got, a, b, plan);
            close(got, want, dt === 'float32' ? 2e-7 : 1e-14, 1e-30, `${isa} ${dt} ${op} ${JSON.stringify([sa, sb])}`);
          }
        }
      }
    });
  });

  test('reductions and arg-reductions over (outer, reduce, inner), with NaN and ties', () => {
    const plans = [
      [1, 1, 1], [1, 3, 1], [3, 17, 1], [17, 255, 1], [1, 1025, 1], [3, 17, 5], [2, 5, 255], [255, 3, 17], [1, 300000, 1],
      [4, 7, 1025], [2, 0, 3],
    ];
    for (const [dt, C] of FLOATS) {
      for (const [outer, reduce, inner] of plans) {
        const plan = { outer: outer!, reduce: reduce!, inner: inner! };
        const x = rand(C, outer! * reduce! * inner!, -1, 1.2);
        for (const nan of [false, true]) {
          if (nan && x.length > 10) x[Math.floor(x.length / 3)] = NaN;
          for (const op of REDUCE_OPS) {
            const want = new C(outer! * inner!);
            const got = new C(outer! * inner!);
            refKernels.reduce[op](want, x, plan);
            nat.reduce[op](got, x, plan);
            const tol = op === 'sum' && dt === 'float64' ? 1e-12 : dt === 'float32' ? 1e-6 : 1e-14;
            close(got, want, tol, tol, `${dt} ${op} ${outer}x${reduce}x${inner} nan=${nan}`);
          }
          if (reduce === 0) continue;
          for (const op of ['argmax', 'argmin'] as const) {
            if (x.length > 20) x[5] = x[9]!; // a tie: the first index must win
            const want = new Int32Array(outer! * inner!);
            const got = new Int32Array(outer! * inner!);
            refKernels.argReduce[op](want, x, plan);
            nat.argReduce[op](got, x, plan);
            same(got, want, `${dt} ${op} ${outer}x${reduce}x${inner}`);
          }
        }
      }
    }
  });

  test('softmax, logSoftmax and their gradients along any axis', () => {
    for (const [dt, C] of FLOATS) {
      for (const [outer, axisLen, inner] of [[1, 1, 1], [3, 17, 1], [256, 10, 1], [2, 255, 3], [5, 3, 300], [1, 1025, 1]]) {
        const plan = { outer: outer!, axisLen: axisLen!, inner: inner! };
        const n = outer! * axisLen! * inner!;
        const x = rand(C, n, -20, 20);
        const gr = rand(C, n);
        const tol = dt === 'float32' ? 1e-6 : 1e-13;
        for (const op of ['softmax', 'logSoftmax'] as const) {
          const want = new C(n);
          const got = new C(n);
          refKernels[op](want, x, plan);
          nat[op](got, x, plan);
          close(got, want, tol, tol, `${dt} ${op} ${outer}x${axisLen}x${inner}`);
          const gradOp = op === 'softmax' ? 'softmaxGrad' : 'logSoftmaxGrad';
          const gw = new C(n);
          const gg = new C(n);
          refKernels[gradOp](gw, gr, want, plan);
          nat[gradOp](gg, gr, want, plan);
          close(gg, gw, tol * 10, tol * 10, `${dt} ${gradOp} ${outer}x${axisLen}x${inner}`);
        }
      }
      const x = new C([0, NaN, 1, Infinity, 2, 3]);
      for (const op of ['softmax', 'logSoftmax'] as const) {
        const want = new C(6);
        const got = new C(6);
        refKernels[op](want, x, { outer: 3, axisLen: 2, inner: 1 });
        nat[op](got, x, { outer: 3, axisLen: 2, inner: 1 });
        close(got, want, 1e-6, 1e-7, `${dt} ${op} NaN/Inf`);
      }
    }
  });

  test('softmax family: the vectorized exp stays within 2 ulp of Math.exp from overflow down to the subnormals', () => {
    const n = 40000;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) x[2 * i] = -750 + (760 * i) / n;
    x[2] = NaN;
    x[4] = -Infinity;
    x[7] = Infinity;
    const plan = { outer: n, axisLen: 2, inner: 1 };
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const want = new Float64Array(2 * n);
      const got = new Float64Array(2 * n);
      refKernels[op](want, x, plan);
      nat[op](got, x, plan);
      for (let i = 0; i < 2 * n; i++) {
        const w = want[i]!;
        // softmax shows the exp itself (2 ulp); logSoftmax adds log(sum) and a cancellation.
        const tol = op === 'softmax' ? 4.5e-16 * Math.abs(w) + 1e-323 : 1e-14 * Math.abs(w) + 1e-15;
        const ok = Number.isNaN(w) ? Number.isNaN(got[i]) : got[i] === w || Math.abs(got[i]! - w) <= tol;
        assert.ok(ok, `${op}[${i}] of x = ${x[i - (i % 2)]}: native ${got[i]}, ref ${w}`);
      }
      const gw = new Float64Array(2 * n);
      const gg = new Float64Array(2 * n);
      const gr = new Float64Array(2 * n).fill(0.5);
      refKernels.logSoftmaxGrad(gw, gr, want, plan);
      nat.logSoftmaxGrad(gg, gr, want, plan);
      if (op === 'logSoftmax') close(gg, gw, 1e-14, 1e-15, 'logSoftmaxGrad over the whole exp range');
    }
  });

  test('cast between all dtypes matches typed-array semantics (wrap, truncate, NaN to 0)', () => {
    const ctors = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;
    const src = new Float64Array([0, -0, 1.5, -1.5, 255.9, 256, -1, 3e9, -3e9, 2 ** 31, -(2 ** 31) - 1, NaN, Infinity, -Infinity, 1e20, 0.49999999999999994, 16777217]);
    for (const From of ctors) {
      const x = new From(src.length);
      for (let i = 0; i < src.length; i++) x[i] = src[i]!;
      for (const To of ctors) {
        const want = new To(src.length);
        const got = new To(src.length);
        refKernels.cast(want, x);
        nat.cast(got, x);
        same(got, want, `cast ${From.name} -> ${To.name}`);
      }
    }
  });

  test('copyStrided: transposes, negative strides, offsets, 0-d, every dtype', () => {
    const ctors = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;
    for (const C of ctors) {
      const src = rand(C, 1025 * 3, 0, 200);
      const cases: [number[], number[], number, number[], number][] = [
        [[3, 1025], [1025, 1], 0, [1, 3], 0], // transpose into a (1025, 3) buffer
        [[17, 5], [5, 1], 0, [5, 1], 10],
        [[5, 17], [-17, 1], 68, [17, 1], 0], // flipped rows
        [[2, 3, 4], [12, 1, 3], 0, [12, 4, 1], 7],
        [[], [], 3, [], 5],
        [[255], [-1], 254, [1], 0],
        [[3, 0, 2], [0, 2, 1], 0, [0, 2, 1], 0],
      ];
      for (const [shape, ds, doff, ss, soff] of cases) {
        const want = rand(C, 4000, 0, 200);
        const got = want.slice();
        refKernels.copyStrided(want, { offset: doff, strides: ds }, src, { offset: soff, strides: ss }, shape);
        nat.copyStrided(got, { offset: doff, strides: ds }, src, { offset: soff, strides: ss }, shape);
        same(got, want, `${C.name} copyStrided ${JSON.stringify(shape)}`);
      }
    }
    assert.throws(() => nat.copyStrided(new Float32Array(4), { offset: 0, strides: [1] }, new Float32Array(4), { offset: 2, strides: [1] }, [4]), /out of bounds/);
  });

  test('where with three-way broadcasting and every condition dtype', () => {
    const ctors = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;
    for (const Cond of ctors) {
      for (const C of ctors) {
        for (const [sc, sa, sb] of [[[17], [17], [17]], [[3, 1], [1, 5], []], [[1, 255], [4, 255], [4, 1]]] as number[][][]) {
          const shape = broadcastShapes(broadcastShapes(sc!, sa!, 't'), sb!, 't');
          const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
          const cond = rand(Cond, size(sc!), -1, 2);
          if (cond.length > 2 && Cond !== Uint8Array && Cond !== Int32Array) cond[1] = NaN;
          const a = rand(C, size(sa!), 0, 100);
          const b = rand(C, size(sb!), 0, 100);
          const plan = { shape, cStrides: broadcastStrides(sc!, shape), aStrides: broadcastStrides(sa!, shape), bStrides: broadcastStrides(sb!, shape) };
          const want = new C(size(shape));
          const got = new C(size(shape));
          refKernels.where(want, cond, a, b, plan);
          nat.where(got, cond, a, b, plan);
          same(got, want, `where ${Cond.name}/${C.name} ${JSON.stringify(shape)}`);
        }
      }
    }
  });

  test('take, pick and their gradients', () => {
    for (const C of [Float32Array, Float64Array, Int32Array, Uint8Array] as const) {
      for (const [outer, axisLen, inner] of [[1, 5, 1], [3, 17, 5], [2, 255, 1], [1, 3, 1025]]) {
        const plan = { outer: outer!, axisLen: axisLen!, inner: inner! };
        const x = rand(C, outer! * axisLen! * inner!, 0, 100);
        const idx = Int32Array.from({ length: 7 }, () => g.nextInt(0, axisLen!));
        const want = new C(outer! * 7 * inner!);
        const got = new C(outer! * 7 * inner!);
        refKernels.take(want, x, idx, plan);
        nat.take(got, x, idx, plan);
        same(got, want, `${C.name} take`);
        const gw = new C(x.length);
        const gg = new C(x.length);
        refKernels.takeGrad(gw, want, idx, plan);
        nat.takeGrad(gg, want, idx, plan);
        same(gg, gw, `${C.name} takeGrad`);
        const pidx = Int32Array.from({ length: outer! * inner! }, () => g.nextInt(0, axisLen!));
        const pw = new C(outer! * inner!);
        const pg = new C(outer! * inner!);
        refKernels.pick(pw, x, pidx, plan);
        nat.pick(pg, x, pidx, plan);
        same(pg, pw, `${C.name} pick`);
        const qw = new C(x.length);
        const qg = new C(x.length);
        refKernels.pickGrad(qw, pw, pidx, plan);
        nat.pickGrad(qg, pw, pidx, plan);
        same(qg, qw, `${C.name} pickGrad`);
      }
    }
    assert.throws(() => nat.take(new Float32Array(1), new Float32Array(3), new Int32Array([3]), { outer: 1, axisLen: 3, inner: 1 }), /out of range/);
  });

  test('results do not depend on the thread count, and repeat bitwise at a fixed count', () => {
    const C = Float32Array;
    const m = 300, n = 301, k = 299;
    const a = rand(C, 2 * m * k);
    const b = rand(C, k * n);
    const plan = { batch: 2, m, n, k, transA: false, transB: true, aBatchStride: m * k, bBatchStride: 0 };
    const big = rand(C, 600000);
    const row = rand(C, 1000);
    const bplan = { shape: [600, 1000], aStrides: [1000, 1], bStrides: [0, 1] };
    const run = () => {
      const mm = new C(2 * m * n);
      nat.matmul(mm, a, b, plan);
      const bin = new C(600000);
      nat.binary.add(bin, big, row, bplan);
      const ex = new C(600000);
      nat.unary.exp(ex, big);
      const s = new C(1);
      nat.reduce.sum(s, big, { outer: 1, reduce: 600000, inner: 1 });
      const rs = new C(1000);
      nat.reduce.sum(rs, big, { outer: 1, reduce: 600, inner: 1000 });
      const sm = new C(600000);
      nat.softmax(sm, big, { outer: 6000, axisLen: 100, inner: 1 });
      const wplan = { batch: 60, channels: 6, in: [1, 28, 28] as const, out: [1, 28, 28] as const, kernel: [1, 5, 5] as const, stride: [1, 1, 1] as const, pad: [0, 2, 2] as const, dilation: [1, 1, 1] as const };
      const cols = new C(60 * 6 * 25 * 784);
      nat.im2col(cols, big.subarray(0, 60 * 6 * 784), wplan);
      const back = new C(60 * 6 * 784);
      nat.col2im(back, cols, wplan);
      // The MLP step's element-wise sizes (256 x 256): split on 2 threads from 2^16 elements.
      const act = big.subarray(0, 65536);
      const relu = new C(65536);
      nat.unary.relu(relu, act);
      const prod = new C(65536);
      nat.binary.mul(prod, act, big.subarray(65536, 131072), { shape: [65536], aStrides: [1], bStrides: [1] });
      const bias = new C(256);
      nat.reduce.sum(bias, act, { outer: 1, reduce: 256, inner: 256 });
      return [mm, bin, ex, s, rs, sm, cols, back, relu, prod, bias];
    };
    const one = withThreads(1, run);
    const two = withThreads(2, run);
    const twoAgain = withThreads(2, run);
    const three = withThreads(3, run);
    for (let i = 0; i < one.length; i++) {
      same(two[i]!, one[i]!, `1 vs 2 threads, result ${i}`);
      same(twoAgain[i]!, two[i]!, `2 threads twice, result ${i}`);
      same(three[i]!, one[i]!, `1 vs 3 threads, result ${i}`);
    }
  });

  test('setNumThreads validates its argument and numThreads reports it', () => {
    withThreads(3, () => assert.equal(load.backend!.numThreads(), 3));
    for (const bad of [0, 1.5, 1025, NaN]) {
      assert.throws(() => load.backend!.setNumThreads!(bad), (e: unknown) => e instanceof ValueError && /^setNumThreads: expected an integer in \[1, 1024\]/.test(e.message));
    }
  });

  test('the FMA probe reports flops proportional to its rounds', () => {
    const per = addon!.fmaLoop(1);
    assert.ok(per >= 24, `at least 12 chains x 2 flops, got ${per}`);
    assert.equal(addon!.fmaLoop(1000), 1000 * per);
  });
});
