// 3x3 max pooling at stride 2 over 2-D float planes, padding 0 or 1 per axis (ResNet's stem
// pooling), with AVX-512 for window.cc: sixteen windows of an output row at a time. window.cc is
// compiled once for every CPU, so these functions carry their own target attribute and run only
// when the avx512 instruction set is the active one.
//
// Each input row of a window group is three masked loads; even and odd cells come apart by
// permutes, giving the window's three columns, and cells outside the input (padding, the end of
// a row) are masked out of the comparison rather than read. The rule is the general loop's: the
// first maximum in row-major order, or the first NaN. Folding each window row left to right and
// then the rows top to bottom picks the same cell, because "first NaN, else first maximum" is
// associative over consecutive runs. The forward keeps only the value; the gradient also tracks
// the cell index and adds the gradients output by output, in the general loop's order.
#pragma once
#include <cmath>
#include <cstdint>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tsg {
namespace max3 {

#if defined(__x86_64__)

#define TSG_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

// Lanes k of a 16-lane load at row offset s with 0 <= s + k < W.
TSG_AVX512 inline __mmask16 inRow(int64_t s, int64_t W) {
  const int64_t lo = s < 0 ? -s : 0, hi = W - s < 16 ? W - s : 16;
  if (hi <= lo) return 0;
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// One output row's windows [ow0, ow0 + n) folded over the window rows [h0, h1) of plane xs. kGrad
// false: writes the maxima to out; true: adds g's entries to gx at the picked cells.
template <bool kGrad>
TSG_AVX512 inline void group(const float* xs, int64_t W, int64_t h0, int64_t h1, int64_t c, int n, float* out,
                             float* gx, const float* g) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i next = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  const __m512i lane2 = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
  const __mmask16 active = (__mmask16)((1u << n) - 1u);
  const __mmask16 m0 = inRow(c, W), m1 = inRow(c + 16, W), m2 = inRow(c + 32, W);
  // Lane j's columns are c + 2j + w: which of them lie inside the row, for the active lanes.
  __mmask16 cv[3];
  for (int w = 0; w < 3; w++) {
    const __m512i col = _mm512_add_epi32(lane2, _mm512_set1_epi32((int32_t)(c + w)));
    cv[w] = active & _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32((int32_t)W));
  }
  __m512 best = _mm512_setzero_ps();
  __m512i at = _mm512_setzero_si512();
  for (int64_t h = h0; h < h1; h++) {
    const float* r = xs + h * W + c;
    const __m512 a = _mm512_maskz_loadu_ps(m0, r), b = _mm512_maskz_loadu_ps(m1, r + 16);
    const __m512 e = _mm512_permutex2var_ps(a, even, b);
    const __m512 cols[3] = {e, _mm512_permutex2var_ps(a, odd, b), _mm512_permutex2var_ps(e, next, _mm512_maskz_loadu_ps(m2, r + 32))};
    // The row's first maximum (or NaN) over its cells inside the input.
    __m512 rb = cols[0];
    __m512i ra = _mm512_set1_epi32(0);
    __mmask16 have = cv[0];
    for (int w = 1; w < 3; w++) {
      const __mmask16 take = cv[w] & ~(have & ~(_mm512_cmp_ps_mask(rb, rb, _CMP_ORD_Q) & _mm512_cmp_ps_mask(cols[w], rb, _CMP_NLE_UQ)));
      rb = _mm512_mask_mov_ps(rb, take, cols[w]);
      if (kGrad) ra = _mm512_mask_mov_epi32(ra, take, _mm512_set1_epi32(w));
      have |= cv[w];
    }
    if (kGrad) ra = _mm512_add_epi32(ra, _mm512_set1_epi32((int32_t)(h * W + c)));
    if (h == h0) {
      best = rb;
      if (kGrad) at = ra;
      continue;
    }
    const __mmask16 take = _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q) & _mm512_cmp_ps_mask(rb, best, _CMP_NLE_UQ);
    best = _mm512_mask_mov_ps(best, take, rb);
    if (kGrad) at = _mm512_mask_mov_epi32(at, take, ra);
  }
  // A window with no cell inside the input (never made by the pooling op): -inf, no gradient.
  const __mmask16 some = h1 > h0 ? (__mmask16)(cv[0] | cv[1] | cv[2]) : (__mmask16)0;
  if (!kGrad) {
    _mm512_mask_storeu_ps(out, active, _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), some, best));
    return;
  }
  alignas(64) int32_t cell[16];
  _mm512_store_si512(cell, _mm512_add_epi32(at, lane2));
  for (int j = 0; j < n; j++)
    if ((some >> j) & 1) gx[cell[j]] += g[j];
}

// Planes [nc0, nc1): kind 2 writes out = maxPool(x); kind 3 adds gradient g at the maxima of x
// into gx = out (already zeroed by the caller).
TSG_AVX512 inline void planes(int kind, float* out, const float* x, const float* g, int64_t H, int64_t W, int64_t OH,
                              int64_t OW, int64_t PH, int64_t PW, int64_t nc0, int64_t nc1) {
  for (int64_t nc = nc0; nc < nc1; nc++) {
    const float* xs = x + nc * H * W;
    for (int64_t oh = 0; oh < OH; oh++) {
      const int64_t top = oh * 2 - PH;
      const int64_t h0 = top < 0 ? 0 : top, h1 = top + 3 < H ? top + 3 : H;
      const int64_t o = (nc * OH + oh) * OW;
      for (int64_t ow = 0; ow < OW; ow += 16) {
        const int n = OW - ow < 16 ? (int)(OW - ow) : 16;
        const int64_t c = ow * 2 - PW;
        if (kind == 2) group<false>(xs, W, h0, h1, c, n, out + o + ow, nullptr, nullptr);
        else group<true>(xs, W, h0, h1, c, n, nullptr, out + nc * H * W, g + o + ow);
      }
    }
  }
}

#undef TSG_AVX512

#endif

}  // namespace max3
}  // namespace tsg
