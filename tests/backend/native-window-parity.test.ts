/**
 * The native window kernels (im2col, col2im, max and average pooling and their gradients) against
 * the reference backend: padding, stride, dilation, ceil mode, 1-D/2-D/3-D windows, NaN, and the
 * 2x2 stride-2 and 3x3 stride-2 paths; pooling gradients overwrite their output.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, nat, rand, same, skip, withSpecials } from './parity-helpers.js';

describe('native window kernels match ref', { skip }, () => {
  test('im2col, col2im, max and average pooling with their gradients (padding, stride, dilation, ceil mode)', () => {
    type V3 = [number, number, number];
    const outLen = (n: number, k: number, s: number, p: number, d: number, ceil: boolean) => {
      const span = n + 2 * p - d * (k - 1) - 1;
      return (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    };
    const cases: { batch: number; channels: number; in: V3; kernel: V3; stride: V3; pad: V3; dilation: V3; ceil: boolean }[] = [
      { batch: 2, channels: 3, in: [1, 7, 9], kernel: [1, 3, 3], stride: [1, 1, 1], pad: [0, 1, 1], dilation: [1, 1, 1], ceil: false },
      { batch: 1, channels: 2, in: [1, 17, 17], kernel: [1, 3, 2], stride: [1, 2, 3], pad: [0, 1, 0], dilation: [1, 2, 1], ceil: true },
      { batch: 3, channels: 1, in: [1, 1, 255], kernel: [1, 1, 5], stride: [1, 1, 2], pad: [0, 0, 2], dilation: [1, 1, 1], ceil: true },
      { batch: 1, channels: 2, in: [5, 6, 7], kernel: [2, 3, 2], stride: [2, 1, 2], pad: [1, 1, 0], dilation: [1, 1, 2], ceil: false },
      { batch: 16, channels: 6, in: [1, 28, 28], kernel: [1, 5, 5], stride: [1, 1, 1], pad: [0, 2, 2], dilation: [1, 1, 1], ceil: false },
      // 2x2 windows at stride 2 (the branch-free path): an exact cover, and odd extents whose last
      // row and column no window reaches.
      { batch: 3, channels: 4, in: [1, 10, 12], kernel: [1, 2, 2], stride: [1, 2, 2], pad: [0, 0, 0], dilation: [1, 1, 1], ceil: false },
      { batch: 2, channels: 3, in: [1, 9, 11], kernel: [1, 2, 2], stride: [1, 2, 2], pad: [0, 0, 0], dilation: [1, 1, 1], ceil: false },
      // ResNet's 3x3 / stride 2 / pad 1 max pooling: interior windows four at a time, the border
      // ones by the general loop.
      { batch: 2, channels: 3, in: [1, 24, 27], kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1], dilation: [1, 1, 1], ceil: false },
    ];
    for (const [dt, C] of FLOATS) {
      for (const c of cases) {
        const out = [0, 1, 2].map((i) => outLen(c.in[i]!, c.kernel[i]!, c.stride[i]!, c.pad[i]!, c.dilation[i]!, c.ceil)) as V3;
        const plan = { ...c, out };
        const planes = c.batch * c.channels;
        const inSize = planes * c.in[0] * c.in[1] * c.in[2];
        const L = planes * out[0] * out[1] * out[2];
        const K = c.kernel[0] * c.kernel[1] * c.kernel[2];
        const x = withSpecials(rand(C, inSize));
        const what = `${dt} ${JSON.stringify(c)}`;
        const cw = new C(L * K);
        const cg = new C(L * K);
        refKernels.im2col(cw, x, plan);
        nat.im2col(cg, x, plan);
        same(cg, cw, `im2col ${what}`);
        const gw = new C(inSize);
        const gg = new C(inSize);
        refKernels.col2im(gw, cw, plan);
        nat.col2im(gg, cw, plan);
        close(gg, gw, 1e-6, 1e-6, `col2im ${what}`);
        const poolPlan = { ...plan, dilation: [1, 1, 1] as V3, out: [0, 1, 2].map((i) => outLen(c.in[i]!, c.kernel[i]!, c.stride[i]!, Math.min(c.pad[i]!, Math.floor(c.kernel[i]! / 2)), 1, c.ceil)) as V3, pad: [0, 1, 2].map((i) => Math.min(c.pad[i]!, Math.floor(c.kernel[i]! / 2))) as V3 };
        const PL = planes * poolPlan.out[0] * poolPlan.out[1] * poolPlan.out[2];
        const g = rand(C, PL);
        for (const dplan of [plan, poolPlan]) {
          const n = planes * dplan.out[0] * dplan.out[1] * dplan.out[2];
          const gd = g.length === n ? g : rand(C, n);
          const mw = new C(n);
          const mg = new C(n);
          refKernels.maxPool(mw, x, dplan);
          nat.maxPool(mg, x, dplan);
          same(mg, mw, `maxPool ${what}`);
          // Gradient outputs start as garbage: the kernels overwrite every cell.
          const mgw = new C(inSize).fill(7);
          const mgg = new C(inSize).fill(7);
          refKernels.maxPoolGrad(mgw, gd, x, dplan);
          nat.maxPoolGrad(mgg, gd, x, dplan);
          close(mgg, mgw, 1e-6, 1e-6, `maxPoolGrad ${what}`);
        }
        for (const countIncludePad of [false, true]) {
          const ap = { ...poolPlan, countIncludePad };
          const aw = new C(PL);
          const ag = new C(PL);
          refKernels.avgPool(aw, x, ap);
          nat.avgPool(ag, x, ap);
          same(ag, aw, `avgPool pad=${countIncludePad} ${what}`);
          const agw = new C(inSize).fill(7);
          const agg = new C(inSize).fill(7);
          refKernels.avgPoolGrad(agw, g, ap);
          nat.avgPoolGrad(agg, g, ap);
          same(agg, agw, `avgPoolGrad pad=${countIncludePad} ${what}`);
        }
      }
    }
    assert.throws(() => addon!.window(0, new Float32Array(3), new Float32Array(3), new Float32Array(3), new Int32Array(21)), /bad plan/);
  });

});
