/**
 * The native convolution kernels (forward with and without bias, data gradient, weight gradient)
 * against the reference backend's, on every instruction set the CPU offers: LeNet's and ResNet's
 * layer shapes, strides, padding, dilation, 1-D and 3-D windows, 1x1 convolutions, chunks that
 * split a sample's rows, weight gradients summed in partials and across channel ranges. Results
 * must not depend on the thread count, bit for bit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { ConvPlan } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, forEachIsa, nat, rand, same, skip, withSpecials, withThreads, type Ctor } from './parity-helpers.js';

type V3 = [number, number, number];
interface Case {
  name: string;
  N: number;
  C: number;
  O: number;
  in: V3;
  kernel: V3;
  stride?: V3;
  pad?: V3;
  dilation?: V3;
}

const CASES: Case[] = [
  { name: 'LeNet conv1', N: 5, C: 1, O: 6, in: [1, 28, 28], kernel: [1, 5, 5], pad: [0, 2, 2] },
  { name: 'LeNet conv2', N: 9, C: 6, O: 16, in: [1, 14, 14], kernel: [1, 5, 5] },
  { name: 'ResNet 3x3', N: 3, C: 16, O: 24, in: [1, 12, 12], kernel: [1, 3, 3], pad: [0, 1, 1] },
  { name: '3x3 stride 2', N: 2, C: 8, O: 16, in: [1, 13, 11], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1] },
  { name: 'stem 7x7 stride 2', N: 2, C: 3, O: 8, in: [1, 20, 20], kernel: [1, 7, 7], stride: [1, 2, 2], pad: [0, 3, 3] },
  { name: '1x1', N: 4, C: 12, O: 20, in: [1, 7, 7], kernel: [1, 1, 1] },
  { name: '1x1 stride 2', N: 3, C: 8, O: 16, in: [1, 9, 9], kernel: [1, 1, 1], stride: [1, 2, 2] },
  { name: '1-D dilated', N: 3, C: 4, O: 5, in: [1, 1, 40], kernel: [1, 1, 3], stride: [1, 1, 2], pad: [0, 0, 2], dilation: [1, 1, 3] },
  { name: '3-D', N: 2, C: 3, O: 4, in: [5, 6, 7], kernel: [2, 3, 2], stride: [2, 1, 1], pad: [1, 1, 0], dilation: [1, 1, 2] },
  // One sample's columns exceed the unfold buffer, so its output rows are cut into chunks.
  { name: 'rows in chunks', N: 2, C: 16, O: 8, in: [1, 48, 48], kernel: [1, 5, 5], pad: [0, 2, 2] },
  // Over 8K weights: the weight gradient splits channels instead of summing partials.
  { name: 'large filter bank', N: 2, C: 96, O: 80, in: [1, 6, 6], kernel: [1, 3, 3], pad: [0, 1, 1] },
  { name: 'filter bank just over 8K, channels off 16', N: 3, C: 37, O: 30, in: [1, 10, 9], kernel: [1, 3, 3], pad: [0, 1, 1] },
  // Over 2 MiB: the weight gradient's chunks hold more columns (here every sample's at once).
  { name: 'filter bank over 2 MiB', N: 2, C: 200, O: 300, in: [1, 4, 5], kernel: [1, 3, 3], pad: [0, 1, 1] },
  { name: 'padding wider than the input', N: 2, C: 2, O: 3, in: [1, 2, 3], kernel: [1, 3, 3], pad: [0, 3, 3] },
  { name: 'one sample', N: 1, C: 5, O: 7, in: [1, 10, 10], kernel: [1, 3, 3], pad: [0, 1, 1] },
  { name: 'empty batch', N: 0, C: 3, O: 4, in: [1, 5, 5], kernel: [1, 3, 3] },
  // Stride-1 layers computed straight from flat zero-bordered planes (conv-flat.h): uneven
  // padding and kernel sides, dilation, filters that leave a partial register tile.
  { name: 'flat 3x5 window', N: 2, C: 8, O: 19, in: [1, 9, 20], kernel: [1, 3, 5], pad: [0, 1, 2] },
  { name: 'flat dilated', N: 2, C: 6, O: 17, in: [1, 30, 30], kernel: [1, 3, 3], pad: [0, 2, 2], dilation: [1, 2, 2] },
  // Stride-2 layers through the same kernel over phase planes: an odd-sided stem, uneven padding,
  // an even window, a padded 1x1 (maps of at least 128 flat positions: smaller ones take the
  // unfolding path when the batch has several samples, as the last case does).
  { name: 'flat stride 2, 7x7 stem on odd sides', N: 2, C: 3, O: 20, in: [1, 37, 35], kernel: [1, 7, 7], stride: [1, 2, 2], pad: [0, 3, 3] },
  { name: 'flat stride 2, uneven padding', N: 2, C: 5, O: 17, in: [1, 32, 31], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 0] },
  { name: 'flat stride 2, 4x4 window', N: 2, C: 4, O: 16, in: [1, 33, 33], kernel: [1, 4, 4], stride: [1, 2, 2], pad: [0, 1, 1] },
  { name: 'flat stride 2, padded 1x1', N: 2, C: 6, O: 16, in: [1, 26, 25], kernel: [1, 1, 1], stride: [1, 2, 2], pad: [0, 1, 1] },
  { name: 'batched 6x6 stride 2, unfolded', N: 4, C: 20, O: 33, in: [1, 6, 6], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1] },
  // 3x3 stride-1 layers on larger maps take Winograd F(2x2, 3x3) (conv-winograd.h): odd output
  // sides (a last tile half outside), no padding, tiles in several blocks.
  { name: 'winograd odd sides', N: 2, C: 24, O: 18, in: [1, 33, 27], kernel: [1, 3, 3], pad: [0, 1, 1] },
  { name: 'winograd unpadded', N: 1, C: 8, O: 16, in: [1, 30, 30], kernel: [1, 3, 3] },
  { name: 'winograd blocks', N: 2, C: 40, O: 24, in: [1, 40, 41], kernel: [1, 3, 3], pad: [0, 1, 1] },
  // Their data gradients run as the forward convolution of g with flipped, transposed filters
  // (padded 2 - P), through the same Winograd path: no padding, uneven padding, odd sides.
  { name: 'winograd data gradient, unpadded', N: 2, C: 20, O: 12, in: [1, 28, 27], kernel: [1, 3, 3] },
  { name: 'winograd data gradient, uneven padding', N: 2, C: 17, O: 9, in: [1, 25, 30], kernel: [1, 3, 3], pad: [0, 1, 0] },
  ...[
    // Batch-1 layers whose sample makes one chunk: with several threads its columns are unfolded
    // once and shared by every task, the GEMM split by filters or by columns.
    { name: 'batch 1, 7x7, more filters than columns', N: 1, C: 64, O: 96, in: [1, 7, 7], kernel: [1, 3, 3], pad: [0, 1, 1] },
    { name: 'batch 1, 14x14, more columns than filters', N: 1, C: 32, O: 16, in: [1, 14, 14], kernel: [1, 3, 3], pad: [0, 1, 1] },
    { name: 'batch 1, 1x1 on 7x7', N: 1, C: 128, O: 64, in: [1, 7, 7], kernel: [1, 1, 1] },
    // Staged rows over the budget of one task: the flat positions split into ranges.
    { name: 'batch 1, 3x5 positions in ranges', N: 1, C: 80, O: 20, in: [1, 40, 40], kernel: [1, 3, 5], pad: [0, 1, 2] },
    { name: 'batch 1, stride-2 positions in ranges', N: 1, C: 48, O: 20, in: [1, 60, 60], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1] },
    // Channels in blocks whose staged cells fit L1 (the last block shorter), filters not a multiple of the tile.
    { name: 'batch 1, stride-2 channels in blocks, uneven padding', N: 1, C: 37, O: 23, in: [1, 17, 19], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 0] },
    { name: 'batch 1, 1x1 stride-2 over 200 channels', N: 1, C: 200, O: 40, in: [1, 21, 21], kernel: [1, 1, 1], stride: [1, 2, 2] },
    { name: 'batch 1, winograd blocks', N: 1, C: 16, O: 32, in: [1, 30, 30], kernel: [1, 3, 3], pad: [0, 1, 1] },
    // Filter banks over 64K transformed elements take Winograd at batch 1 only, in blocks as many
    // as a multiple of the threads: channels and filters off multiples of 16, odd sides, no padding.
    { name: 'batch 1, winograd larger bank', N: 1, C: 72, O: 90, in: [1, 25, 26], kernel: [1, 3, 3], pad: [0, 1, 1] },
    { name: 'batch 1, winograd larger bank unpadded', N: 1, C: 100, O: 48, in: [1, 27, 28], kernel: [1, 3, 3] },
    // Blocks of whole vectors of tiles with the remainder in a longer last block (196 tiles as 48,
    // 48, 48 and 52 on AVX-512), or the remainder in its own short block (784 tiles).
    { name: 'batch 1, winograd remainder in the last block', N: 1, C: 40, O: 36, in: [1, 28, 28], kernel: [1, 3, 3], pad: [0, 1, 1] },
    { name: 'batch 1, winograd a short last block', N: 1, C: 16, O: 24, in: [1, 56, 56], kernel: [1, 3, 3], pad: [0, 1, 1] },
  ] satisfies Case[],
];
const BATCH1 = CASES.filter((c) => c.name.startsWith('batch 1'));

function plan(c: Case): ConvPlan {
  const stride = c.stride ?? [1, 1, 1];
  const pad = c.pad ?? [0, 0, 0];
  const dilation = c.dilation ?? [1, 1, 1];
  const out = [0, 1, 2].map((i) => Math.floor((c.in[i]! + 2 * pad[i]! - dilation[i]! * (c.kernel[i]! - 1) - 1) / stride[i]!) + 1) as V3;
  return { batch: c.N, channels: c.C, filters: c.O, in: c.in, out, kernel: c.kernel, stride, pad, dilation };
}

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

/** Every kernel's output on one case, for the active instruction set and thread count. */
function runAll(k: typeof nat, C: Ctor, p: ConvPlan, x: TypedArray, w: TypedArray, b: TypedArray, g: TypedArray): TypedArray[] {
  const yLen = p.batch * p.filters * prod(p.out);
  // Outputs start as garbage: every kernel must overwrite all of its output.
  const fresh = (n: number) => new C(n).fill(12345);
  const y = fresh(yLen);
  k.conv(y, x, w, null, p);
  const yb = fresh(yLen);
  k.conv(yb, x, w, b, p);
  const gx = fresh(x.length);
  k.convDataGrad(gx, g, w, p);
  const gw = fresh(w.length);
  k.convWeightGrad(gw, x, g, p);
  return [y, yb, gx, gw];
}

describe('native convolution kernels match ref', { skip }, () => {
  test('forward, bias, data and weight gradients on LeNet, ResNet and odd geometries', () => {
    for (const [dt, C] of FLOATS) {
      const tol = dt === 'float32' ? 2e-5 : 1e-12;
      for (const c of CASES) {
        const p = plan(c);
        const x = rand(C, c.N * c.C * prod(c.in));
        const w = rand(C, c.O * c.C * prod(c.kernel));
        const b = rand(C, c.O);
        const g = rand(C, c.N * c.O * prod(p.out));
        const want = runAll(refKernels, C, p, x, w, b, g);
        forEachIsa((isa) => {
          const got = runAll(nat, C, p, x, w, b, g);
          const names = ['conv', 'conv with bias', 'convDataGrad', 'convWeightGrad'];
          // Sums of up to C·K·N·L products of values in [-2, 2]: a tolerance relative to their scale.
          const scale = [c.C * prod(c.kernel), c.C * prod(c.kernel), c.O * prod(c.kernel), Math.max(1, c.N * prod(p.out))];
          for (let i = 0; i < 4; i++) close(got[i]!, want[i]!, tol, tol * 4 * scale[i]!, `${names[i]} ${dt} ${isa} ${c.name}`);
        });
      }
    }
  });

  test('infinities and NaN in the input reach the same outputs', () => {
    const c = CASES[1]!;
    const p = plan(c);
    for (const [dt, C] of FLOATS) {
      const x = withSpecials(rand(C, c.N * c.C * prod(c.in)));
      const w = rand(C, c.O * c.C * prod(c.kernel));
      const g = withSpecials(rand(C, c.N * c.O * prod(p.out)));
      const b = rand(C, c.O);
      const want = runAll(refKernels, C, p, x, w, b, g);
      const got = runAll(nat, C, p, x, w, b, g);
      for (let i = 0; i < 4; i++) close(got[i]!, want[i]!, 1e-4, 1e-3, `${dt} specials, output ${i}`);
    }
  });

  test('results do not depend on the thread count, bit for bit', () => {
    const C = Float32Array;
    for (const c of CASES) {
      const p = plan({ ...c, N: Math.max(c.N, 1) * 3 });
      const x = rand(C, p.batch * c.C * prod(c.in));
      const w = rand(C, c.O * c.C * prod(c.kernel));
      const b = rand(C, c.O);
      const g = rand(C, p.batch * c.O * prod(p.out));
      const one = withThreads(1, () => runAll(nat, C, p, x, w, b, g));
      for (const t of [2, 3, 5]) {
        const many = withThreads(t, () => runAll(nat, C, p, x, w, b, g));
        for (let i = 0; i < 4; i++) same(many[i]!, one[i]!, `${c.name}: 1 vs ${t} threads, output ${i}`);
      }
    }
  });

  test('batch-1 layers give the same bits on any thread count', () => {
    const C = Float32Array;
    for (const c of BATCH1) {
      const p = plan(c);
      const x = rand(C, c.C * prod(c.in));
      const w = rand(C, c.O * c.C * prod(c.kernel));
      const b = rand(C, c.O);
      const g = rand(C, c.O * prod(p.out));
      const one = withThreads(1, () => runAll(nat, C, p, x, w, b, g));
      for (const t of [2, 3, 5]) {
        const many = withThreads(t, () => runAll(nat, C, p, x, w, b, g));
        for (let i = 0; i < 4; i++) same(many[i]!, one[i]!, `${c.name}: 1 vs ${t} threads, output ${i}`);
      }
    }
  });

  test('the addon refuses plans that do not match the operands, and outputs that alias inputs', () => {
    const p = new Int32Array([1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    const f = (n: number) => new Float32Array(n);
    assert.equal(addon!.conv(0, f(1), f(9), f(9), null, p), true);
    assert.throws(() => addon!.conv(0, f(2), f(9), f(9), null, p), /plan does not match/);
    assert.throws(() => addon!.conv(0, f(1), f(9), f(9), f(2), p), /bias length/);
    assert.throws(() => addon!.conv(1, f(9), f(1), f(9), f(1), p), /only the forward kind takes a bias/);
    assert.throws(() => addon!.conv(3, f(1), f(9), f(9), null, p), /unknown kind/);
    const shared = f(18);
    assert.throws(() => addon!.conv(1, shared.subarray(0, 9), f(1), shared.subarray(8, 17), null, p), /shares memory/);
    assert.equal(addon!.conv(1, shared.subarray(0, 9), f(1), shared.subarray(9, 18), null, p), true);
    const bad = Int32Array.from(p);
    bad[9] = 0;
    assert.throws(() => addon!.conv(0, f(1), f(9), f(9), null, bad), /bad plan/);
    assert.equal(addon!.conv(0, new Int32Array(1), new Int32Array(9), new Int32Array(9), null, p), false);
  });
});
