/**
 * Reference batched matrix multiply. Loops are ordered so the innermost one walks contiguous
 * memory for every transpose variant, and blocked over k so a panel of B stays in cache.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { MatmulPlan } from '../kernels.js';

const KB = 128;

export function matmul(out: TypedArray, a: TypedArray, b: TypedArray, plan: MatmulPlan): void {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate } = plan;
  for (let t = 0; t < batch; t++) {
    const ao = t * aBatchStride;
    const bo = t * bBatchStride;
    const oo = t * m * n;
    if (!accumulate) out.fill(0, oo, oo + m * n);
    if (transB) {
      // out[i, j] = sum_p A(i, p) * B[j, p]: the dot product walks rows of B.
      const arow = new Float64Array(k);
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) arow[p] = transA ? a[ao + p * m + i]! : a[ao + i * k + p]!;
        for (let j = 0; j < n; j++) {
          const bb = bo + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += arow[p]! * b[bb + p]!;
          out[oo + i * n + j]! += s;
        }
      }
      continue;
    }
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p0 = 0; p0 < k; p0 += KB) {
        const p1 = Math.min(k, p0 + KB);
        for (let p = p0; p < p1; p++) {
          const aip = transA ? a[ao + p * m + i]! : a[ao + i * k + p]!;
          const bb = bo + p * n;
          for (let j = 0; j < n; j++) acc[j]! += aip * b[bb + j]!;
        }
      }
      const row = oo + i * n;
      for (let j = 0; j < n; j++) out[row + j]! += acc[j]!;
    }
  }
}
