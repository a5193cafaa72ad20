// 2x2 pooling windows with stride 2 and no padding (LeNet's, VGG's and most CNNs' pooling), for
// window.cc: one pair of input rows per output row, written branch-free so the compiler
// vectorizes across the row. The gradients write every cell of gx they cover (the windows
// partition it), so no zeroed output and no scatter are needed; the same values as the general
// loops, including the first-NaN rule of max pooling and 0 + v rounding of the accumulation.
#pragma once
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tsg {
namespace pool2x2 {

// Which of the window's cells (a, b on the first row, c, d on the second) max pooling picks: the
// first maximum in row-major order, or the first NaN.
template <typename T> inline int pick(T a, T b, T c, T d, T* best) {
  T m = a;
  int at = 0;
  bool take = m == m && (b > m || b != b);
  m = take ? b : m, at = take ? 1 : at;
  take = m == m && (c > m || c != c);
  m = take ? c : m, at = take ? 2 : at;
  take = m == m && (d > m || d != d);
  m = take ? d : m, at = take ? 3 : at;
  *best = m;
  return at;
}

template <typename T> void maxRow(T* __restrict out, const T* __restrict r0, const T* __restrict r1, int64_t OW) {
  for (int64_t ow = 0; ow < OW; ow++) {
    T m;
    pick(r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1], &m);
    out[ow] = m;
  }
}

template <typename T>
void maxGradRow(T* __restrict g0, T* __restrict g1, const T* __restrict r0, const T* __restrict r1,
                const T* __restrict gy, int64_t OW) {
  int64_t ow = 0;
#if defined(__SSE2__)
  // Four windows at a time: deinterleave each row pair into the a, b, c, d cells, track the first
  // maximum (or first NaN) with masks, and interleave the routed gradients back.
  if constexpr (sizeof(T) == 4) {
    const float* f0 = reinterpret_cast<const float*>(r0);
    const float* f1 = reinterpret_cast<const float*>(r1);
    const float* fg = reinterpret_cast<const float*>(gy);
    float* o0 = reinterpret_cast<float*>(g0);
    float* o1 = reinterpret_cast<float*>(g1);
    const __m128 ones = _mm_castsi128_ps(_mm_set1_epi32(-1)), zero = _mm_setzero_ps();
    for (; ow + 4 <= OW; ow += 4) {
      const __m128 p0 = _mm_loadu_ps(f0 + 2 * ow), p1 = _mm_loadu_ps(f0 + 2 * ow + 4);
      const __m128 q0 = _mm_loadu_ps(f1 + 2 * ow), q1 = _mm_loadu_ps(f1 + 2 * ow + 4);
      const __m128 a = _mm_shuffle_ps(p0, p1, _MM_SHUFFLE(2, 0, 2, 0)), b = _mm_shuffle_ps(p0, p1, _MM_SHUFFLE(3, 1, 3, 1));
      const __m128 c = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(2, 0, 2, 0)), d = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(3, 1, 3, 1));
      __m128 m = a;
      const __m128 tb = _mm_and_ps(_mm_cmpord_ps(m, m), _mm_or_ps(_mm_cmpgt_ps(b, m), _mm_cmpunord_ps(b, b)));
      m = _mm_or_ps(_mm_and_ps(tb, b), _mm_andnot_ps(tb, m));
      const __m128 tc = _mm_and_ps(_mm_cmpord_ps(m, m), _mm_or_ps(_mm_cmpgt_ps(c, m), _mm_cmpunord_ps(c, c)));
      m = _mm_or_ps(_mm_and_ps(tc, c), _mm_andnot_ps(tc, m));
      const __m128 td = _mm_and_ps(_mm_cmpord_ps(m, m), _mm_or_ps(_mm_cmpgt_ps(d, m), _mm_cmpunord_ps(d, d)));
      const __m128 sc = _mm_andnot_ps(td, tc), sb = _mm_andnot_ps(_mm_or_ps(tc, td), tb);
      const __m128 sa = _mm_andnot_ps(_mm_or_ps(_mm_or_ps(tb, tc), td), ones);
      const __m128 v = _mm_add_ps(zero, _mm_loadu_ps(fg + ow));
      const __m128 ga = _mm_and_ps(sa, v), gb = _mm_and_ps(sb, v), gc = _mm_and_ps(sc, v), gd = _mm_and_ps(td, v);
      _mm_storeu_ps(o0 + 2 * ow, _mm_unpacklo_ps(ga, gb));
      _mm_storeu_ps(o0 + 2 * ow + 4, _mm_unpackhi_ps(ga, gb));
      _mm_storeu_ps(o1 + 2 * ow, _mm_unpacklo_ps(gc, gd));
      _mm_storeu_ps(o1 + 2 * ow + 4, _mm_unpackhi_ps(gc, gd));
    }
  }
#endif
  for (; ow < OW; ow++) {
    T m;
    const int at = pick(r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1], &m);
    const T v = T(0) + gy[ow];
    g0[2 * ow] = at == 0 ? v : T(0);
    g0[2 * ow + 1] = at == 1 ? v : T(0);
    g1[2 * ow] = at == 2 ? v : T(0);
    g1[2 * ow + 1] = at == 3 ? v : T(0);
  }
}

template <typename T> void avgRow(T* __restrict out, const T* __restrict r0, const T* __restrict r1, int64_t OW) {
  for (int64_t ow = 0; ow < OW; ow++) {
    const double s = (((0.0 + (double)r0[2 * ow]) + (double)r0[2 * ow + 1]) + (double)r1[2 * ow]) + (double)r1[2 * ow + 1];
    out[ow] = T(s / 4.0);
  }
}

template <typename T> void avgGradRow(T* __restrict g0, T* __restrict g1, const T* __restrict gy, int64_t OW) {
  for (int64_t ow = 0; ow < OW; ow++) {
    const T v = T(0.0 + (double)gy[ow] / 4.0);
    g0[2 * ow] = v, g0[2 * ow + 1] = v, g1[2 * ow] = v, g1[2 * ow + 1] = v;
  }
}

// kind as in window.h (2 maxPool, 3 maxPoolGrad, 4 avgPool, 5 avgPoolGrad) over planes
// [nc0, nc1) of H x W inputs and OH x OW outputs. Gradient cells outside every window (an odd
// last row or column) are set to zero.
template <typename T>
void planes(int kind, T* out, const T* x, const T* y, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t nc0,
            int64_t nc1) {
  const int64_t inSize = H * W, L = OH * OW;
  for (int64_t nc = nc0; nc < nc1; nc++) {
    if (kind == 2 || kind == 4) {
      const T* xs = x + nc * inSize;
      for (int64_t oh = 0; oh < OH; oh++) {
        T* o = out + nc * L + oh * OW;
        if (kind == 2) maxRow(o, xs + 2 * oh * W, xs + (2 * oh + 1) * W, OW);
        else avgRow(o, xs + 2 * oh * W, xs + (2 * oh + 1) * W, OW);
      }
      continue;
    }
    T* gx = out + nc * inSize;
    const T* gy = x + nc * L;
    for (int64_t oh = 0; oh < OH; oh++) {
      T* g0 = gx + 2 * oh * W;
      T* g1 = g0 + W;
      if (kind == 3) maxGradRow(g0, g1, y + nc * inSize + 2 * oh * W, y + nc * inSize + (2 * oh + 1) * W, gy + oh * OW, OW);
      else avgGradRow(g0, g1, gy + oh * OW, OW);
      for (int64_t w = 2 * OW; w < W; w++) g0[w] = T(0), g1[w] = T(0);
    }
    for (int64_t i = 2 * OH * W; i < inSize; i++) gx[i] = T(0);
  }
}

}  // namespace pool2x2
}  // namespace tsg
