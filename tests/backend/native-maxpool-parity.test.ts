/**
 * Max pooling's fast paths against the reference backend, bit for bit, values and gradients:
 * 3x3 windows at stride 2 with padding 0 or 1 (ResNet's stem; sixteen windows at a time under
 * avx512) and 2x2 at stride 2, on rows wider than one vector group, with ceil-mode windows
 * running past the end, many ties (the first maximum in row-major order wins, ±0 included) and
 * NaN, on every instruction set and on 1, 2 and 3 threads.
 */
import { describe, test } from 'node:test';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, forEachIsa, g, nat, same, skip, withSpecials, withThreads } from './parity-helpers.js';

type V3 = [number, number, number];
const outLen = (n: number, k: number, s: number, p: number, ceil: boolean): number => {
  const span = n + 2 * p - k;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o -= 1;
  return o;
};

/** Values on a coarse grid, so windows often hold equal maxima; ±0 and specials sprinkled in. */
function tied(C: Float32ArrayConstructor | Float64ArrayConstructor, n: number): Float32Array | Float64Array {
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(g.nextFloat() * 4) - 2;
  for (let i = 0; i < n; i += 13) a[i] = g.nextFloat() < 0.5 ? -0 : 0;
  for (let i = 5; i < n; i += 97) a[i] = NaN;
  return withSpecials(a);
}

describe('native max pooling fast paths match ref bitwise', { skip }, () => {
  test('3x3 stride 2 (padding 0 and 1) and 2x2 stride 2, values and gradients', () => {
    const shapes: { batch: number; channels: number; hw: [number, number]; k: number; pad: number; ceil: boolean }[] = [
      { batch: 1, channels: 5, hw: [23, 75], k: 3, pad: 1, ceil: false },
      { batch: 2, channels: 3, hw: [20, 66], k: 3, pad: 1, ceil: true },
      { batch: 1, channels: 4, hw: [17, 40], k: 3, pad: 0, ceil: true },
      { batch: 2, channels: 2, hw: [9, 34], k: 3, pad: 0, ceil: false },
      { batch: 1, channels: 3, hw: [4, 3], k: 3, pad: 1, ceil: true },
      { batch: 3, channels: 2, hw: [28, 70], k: 2, pad: 0, ceil: false },
      { batch: 2, channels: 3, hw: [11, 37], k: 2, pad: 0, ceil: false },
    ];
    for (const [dt, C] of FLOATS) {
      for (const s of shapes) {
        const out: V3 = [1, outLen(s.hw[0], s.k, 2, s.pad, s.ceil), outLen(s.hw[1], s.k, 2, s.pad, s.ceil)];
        const plan = { batch: s.batch, channels: s.channels, in: [1, ...s.hw] as V3, out, kernel: [1, s.k, s.k] as V3, stride: [1, 2, 2] as V3, pad: [0, s.pad, s.pad] as V3, dilation: [1, 1, 1] as V3 };
        const planes = s.batch * s.channels;
        const x = tied(C, planes * s.hw[0] * s.hw[1]);
        const n = planes * out[1] * out[2];
        const gy = tied(C, n).map((v) => (Number.isNaN(v) ? 1 : v + 0.25));
        const want = new C(n);
        refKernels.maxPool(want, x, plan);
        const wantGrad = new C(x.length);
        refKernels.maxPoolGrad(wantGrad, gy, x, plan);
        forEachIsa((isa) => {
          for (const threads of [1, 2, 3]) {
            const what = `${dt} ${isa} ${threads} threads ${JSON.stringify(s)}`;
            withThreads(threads, () => {
              const got = new C(n).fill(7);
              nat.maxPool(got, x, plan);
              same(got, want, `maxPool ${what}`);
              const grad = new C(x.length).fill(7);
              nat.maxPoolGrad(grad, gy, x, plan);
              same(grad, wantGrad, `maxPoolGrad ${what}`);
            });
          }
        });
      }
    }
  });
});
