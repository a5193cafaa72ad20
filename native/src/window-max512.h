// Max pooling over 2-D float planes with AVX-512 for window.cc, sixteen windows of an output row
// at a time: 3x3 windows at stride 2 with padding 0 or 1 per axis (ResNet's stem pooling), and
// 2x2 windows at stride 2 without padding (LeNet's). window.cc is compiled once for every CPU, so
// these functions carry their own target attribute and run only when the avx512 instruction set
// is the active one.
//
// 3x3: each input row of a window group is three masked loads; even and odd cells come apart by
// permutes, giving the window's three columns, and cells outside the input (padding, the end of
// a row) are masked out of the comparison rather than read. The rule is the general loop's: the
// first maximum in row-major order, or the first NaN. Folding each window row left to right and
// then the rows top to bottom picks the same cell, because "first NaN, else first maximum" is
// associative over consecutive runs. The forward keeps only the value; the gradient also tracks
// the cell index and adds the gradients output by output, in the general loop's order.
//
// 2x2: the windows partition the input, so the gradient is written rather than added: each cell
// gets 0 + its window's gradient where the window picked it, else 0 (window-2x2.h's rule, which
// the generic build keeps using).
#pragma once
#include <cmath>
#include <cstdint>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tsg {
namespace max512 {

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

// 3x3, planes [nc0, nc1): kind 2 writes out = maxPool(x); kind 3 adds gradient g at the maxima of x
// into gx = out (already zeroed by the caller).
TSG_AVX512 inline void planes3(int kind, float* out, const float* x, const float* g, int64_t H, int64_t W, int64_t OH,
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

// 2x2: which cell of each window (a, b on the first row, c, d on the second) is the first
// maximum or first NaN, as masks of the lanes picking b, c and d; m gets the maxima.
TSG_AVX512 inline void pick4(__m512 a, __m512 b, __m512 c, __m512 d, __m512* m, __mmask16* tb, __mmask16* tc,
                             __mmask16* td) {
  __m512 best = a;
  const __m512 v[3] = {b, c, d};
  __mmask16 t[3];
  for (int k = 0; k < 3; k++) {
    t[k] = _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q) & _mm512_cmp_ps_mask(v[k], best, _CMP_NLE_UQ);
    best = _mm512_mask_mov_ps(best, t[k], v[k]);
  }
  *m = best, *tb = t[0], *tc = t[1], *td = t[2];
}

// 2x2, planes [nc0, nc1) of H x W inputs and OH x OW outputs (2 * OH <= H, 2 * OW <= W): kind 2
// writes out = maxPool(x); kind 3 writes the gradient gx = out from g, zero outside every window.
TSG_AVX512 inline void planes2(int kind, float* out, const float* x, const float* g, int64_t H, int64_t W, int64_t OH,
                               int64_t OW, int64_t nc0, int64_t nc1) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t nc = nc0; nc < nc1; nc++) {
    const float* xs = x + nc * H * W;
    float* gx = out + nc * H * W;
    for (int64_t oh = 0; oh < OH; oh++) {
      const float* r0 = xs + 2 * oh * W;
      const float* r1 = r0 + W;
      for (int64_t ow = 0; ow < OW; ow += 16) {
        const int n = OW - ow < 16 ? (int)(OW - ow) : 16;
        const __mmask16 active = (__mmask16)((1u << n) - 1u);
        const __mmask16 m0 = (__mmask16)(n >= 8 ? 0xffffu : (1u << (2 * n)) - 1u);
        const __mmask16 m1 = (__mmask16)(n <= 8 ? 0u : (1u << (2 * n - 16)) - 1u);
        const int64_t c = 2 * ow;
        const __m512 p0 = _mm512_maskz_loadu_ps(m0, r0 + c), p1 = _mm512_maskz_loadu_ps(m1, r0 + c + 16);
        const __m512 q0 = _mm512_maskz_loadu_ps(m0, r1 + c), q1 = _mm512_maskz_loadu_ps(m1, r1 + c + 16);
        __m512 m;
        __mmask16 tb, tc, td;
        pick4(_mm512_permutex2var_ps(p0, even, p1), _mm512_permutex2var_ps(p0, odd, p1), _mm512_permutex2var_ps(q0, even, q1),
              _mm512_permutex2var_ps(q0, odd, q1), &m, &tb, &tc, &td);
        const int64_t o = (nc * OH + oh) * OW + ow;
        if (kind == 2) {
          _mm512_mask_storeu_ps(out + o, active, m);
          continue;
        }
        // The last of b, c, d that took the maximum is the picked cell; none: a.
        const __mmask16 sd = td, sc = tc & ~td, sb = tb & ~(tc | td), sa = (__mmask16)~(tb | tc | td);
        const __m512 v = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(active, g + o));
        const __m512 ga = _mm512_maskz_mov_ps(sa, v), gb = _mm512_maskz_mov_ps(sb, v);
        const __m512 gc = _mm512_maskz_mov_ps(sc, v), gd = _mm512_maskz_mov_ps(sd, v);
        float* g0 = gx + 2 * oh * W + c;
        float* g1 = g0 + W;
        _mm512_mask_storeu_ps(g0, m0, _mm512_permutex2var_ps(ga, lo, gb));
        _mm512_mask_storeu_ps(g0 + 16, m1, _mm512_permutex2var_ps(ga, hi, gb));
        _mm512_mask_storeu_ps(g1, m0, _mm512_permutex2var_ps(gc, lo, gd));
        _mm512_mask_storeu_ps(g1 + 16, m1, _mm512_permutex2var_ps(gc, hi, gd));
      }
      if (kind == 3)
        for (int64_t w = 2 * OW; w < W; w++) gx[2 * oh * W + w] = 0.f, gx[(2 * oh + 1) * W + w] = 0.f;
    }
    if (kind == 3)
      for (int64_t i = 2 * OH * W; i < H * W; i++) gx[i] = 0.f;
  }
}

#undef TSG_AVX512

#endif

}  // namespace max512
}  // namespace tsg
