// Sliding-window kernels for convolution and pooling (see window.h). Loops and semantics mirror
// src/backend/ref/conv.ts: for each kernel offset the range of in-bounds output positions is
// computed once, so inner loops carry no bounds checks. Each (n, c) plane is independent, which
// is how the work is split across threads: every output element is written by one thread in the
// reference order, so results are bitwise those of one thread.
#include "window.h"

#include "window-2x2.h"
#include "window-max512.h"
#if defined(__x86_64__)
#include "runtime.h"
#endif

#include <algorithm>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tsg {
namespace {

inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// Output positions o in [lo, hi) with 0 <= o * stride - pad + offset < size.
inline void validRange(int64_t outLen, int64_t size, int64_t stride, int64_t pad, int64_t offset, int64_t* lo,
                       int64_t* hi) {
  const int64_t shift = pad - offset;
  *lo = shift > 0 ? ceilDiv(shift, stride) : 0;
  *hi = std::min(outLen, floorDiv(size - 1 + shift, stride) + 1);
  if (*hi < *lo) *hi = *lo;
}

// The clipped window [lo, hi) along one axis for output position o (lo on the dilation grid).
inline void windowBounds(int64_t o, int64_t stride, int64_t pad, int64_t size, int64_t k, int64_t dil, int64_t* lo,
                         int64_t* hi) {
  const int64_t start = o * stride - pad;
  *lo = start < 0 ? start + ceilDiv(-start, dil) * dil : start;
  *hi = std::min(start + (k - 1) * dil + 1, size);
}

inline int64_t extent(int64_t o, int64_t s, int64_t p, int64_t size, int64_t k, bool includePad) {
  const int64_t start = o * s - p;
  const int64_t end = std::min(start + k, size + p);
  return includePad ? end - start : std::min(end, size) - std::max(start, int64_t(0));
}

template <typename T> struct Job {
  int kind;
  T* out;
  const T* x;
  const T* y;
  const WindowPlan* p;
  int64_t planes;
};

// Pooling whose windows all lie inside the input (no padding, no window running past the end):
// the common 2x2 / 3x3 case. Same arithmetic and visiting order as the general loop in planes(),
// without per-output clipping, divisor and bounds arithmetic.
inline bool inside(const WindowPlan& P) {
  for (int a = 0; a < 3; a++)
    if (P.pad[a] != 0 || P.dilation[a] != 1 || (P.out[a] - 1) * P.stride[a] + P.kernel[a] > P.in[a]) return false;
  return true;
}

// Float max pooling and its gradient while the avx512 instruction set is active (window-max512.h).
template <typename T> inline bool maxAvx512(int kind) {
#if defined(__x86_64__)
  return sizeof(T) == 4 && (kind == 2 || kind == 3) && gIsa == &kIsaAvx512;
#else
  (void)kind;
  return false;
#endif
}

// 3x3 windows at stride 2 over 2-D planes, padding 0 or 1 (window-max512.h).
inline bool threeByThree(const WindowPlan& P) {
  return P.in[0] == 1 && P.out[0] == 1 && P.kernel[0] == 1 && P.pad[0] == 0 && P.kernel[1] == 3 && P.kernel[2] == 3 &&
         P.stride[1] == 2 && P.stride[2] == 2 && P.pad[1] <= 1 && P.pad[2] <= 1 && P.dilation[1] == 1 &&
         P.dilation[2] == 1 && P.in[1] * P.in[2] < (int64_t(1) << 31);
}

// 2x2 windows at stride 2 over 2-D planes, no padding (window-2x2.h).
inline bool twoByTwo(const WindowPlan& P) {
  return P.in[0] == 1 && P.out[0] == 1 && P.kernel[0] == 1 && P.pad[0] == 0 && P.kernel[1] == 2 && P.kernel[2] == 2 &&
         P.stride[1] == 2 && P.stride[2] == 2 && P.pad[1] == 0 && P.pad[2] == 0 && P.dilation[1] == 1 &&
         P.dilation[2] == 1 && 2 * P.out[1] <= P.in[1] && 2 * P.out[2] <= P.in[2];
}

template <typename T, int KH, int KW>
void poolInside(const Job<T>& J, int64_t nc0, int64_t nc1, int64_t kh_, int64_t kw_) {
  const WindowPlan& P = *J.p;
  const int64_t D = P.in[0], H = P.in[1], W = P.in[2], OD = P.out[0], OH = P.out[1], OW = P.out[2];
  const int64_t KD = P.kernel[0], kh = KH > 0 ? KH : kh_, kw = KW > 0 ? KW : kw_;
  const int64_t SD = P.stride[0], SH = P.stride[1], SW = P.stride[2];
  const int64_t L = OD * OH * OW, inSize = D * H * W;
  const double div = (double)(KD * kh * kw);
  for (int64_t nc = nc0; nc < nc1; nc++) {
    const int64_t base = nc * inSize;
    int64_t o = nc * L;
    for (int64_t od = 0; od < OD; od++)
      for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t rowBase = (od * SD * H + oh * SH) * W;
        for (int64_t ow = 0; ow < OW; ow++, o++) {
          const int64_t w0 = rowBase + ow * SW;
          if (J.kind == 2 || J.kind == 3) {
            const T* xs = (J.kind == 2 ? J.x : J.y) + base;
            T best = xs[w0];
            int64_t at = w0;
            bool nan = best != best;
            for (int64_t d = 0; d < KD && !nan; d++)
              for (int64_t h = 0; h < kh && !nan; h++) {
                const int64_t r = w0 + (d * H + h) * W;
                for (int64_t w = (d == 0 && h == 0) ? 1 : 0; w < kw; w++) {
                  const T v = xs[r + w];
                  if (v != v) {
                    best = v, at = r + w, nan = true;
                    break;
                  }
                  if (v > best) best = v, at = r + w;
                }
              }
            if (J.kind == 2) J.out[o] = best;
            else J.out[base + at] += J.x[o];
          } else if (J.kind == 4) {
            const T* xs = J.x + base + w0;
            double s = 0;
            for (int64_t d = 0; d < KD; d++)
              for (int64_t h = 0; h < kh; h++)
                for (int64_t w = 0; w < kw; w++) s += (double)xs[(d * H + h) * W + w];
            J.out[o] = T(s / div);
          } else {
            T* r0 = J.out + base + w0;
            const double v = (double)J.x[o] / div;
            for (int64_t d = 0; d < KD; d++)
              for (int64_t h = 0; h < kh; h++)
                for (int64_t w = 0; w < kw; w++) {
                  T* c = r0 + (d * H + h) * W + w;
                  *c = T((double)*c + v);
                }
          }
        }
      }
  }
}

// Max pooling over output columns [owA, owB) of one output row whose windows lie inside the
// input (window rows start at offset r0, columns at ow * SW - PW): the first maximum in row-major
// order, or the first NaN, without branches. kind 2 writes the maxima at out[o0 ...]; kind 3 adds
// g[o0 ...] to gx (base-relative cells), output by output in order as the general loop does.
template <typename T, int K>
void maxRowInside(int kind, T* out, const T* xs, const T* g, int64_t r0, int64_t W, int64_t SW, int64_t PW, int64_t owA,
                  int64_t owB, int64_t o0, int64_t kw_, int64_t kh_ = 0) {
  const int64_t kh = K > 0 ? K : kh_, kw = K > 0 ? K : kw_;
  int64_t ow = owA;
#if defined(__SSE2__)
  // float, 3x3 at stride 2 (ResNet's stem pooling): four windows at a time, each window column a
  // shuffle of two loads (the even or odd cells of a run of the row); the cell index travels in
  // an integer vector. The loads of a row reach 10 cells past the group's first window start,
  // which must stay inside that input row (the loop condition).
  if constexpr (sizeof(T) == 4 && K == 3) {
    if (SW == 2) {
      const float* f = reinterpret_cast<const float*>(xs);
      for (; ow + 4 <= owB && ow * 2 - PW + 10 <= W; ow += 4) {
        const int64_t c = r0 + ow * 2 - PW;
        __m128 best = _mm_setzero_ps();
        __m128i at = _mm_setzero_si128();
        const __m128i step = _mm_set_epi32(6, 4, 2, 0);
        for (int h = 0; h < 3; h++) {
          const float* rp = f + c + h * W;
          const __m128 p0 = _mm_loadu_ps(rp), p1 = _mm_loadu_ps(rp + 4), p2 = _mm_loadu_ps(rp + 2), p3 = _mm_loadu_ps(rp + 6);
          const __m128 cols[3] = {_mm_shuffle_ps(p0, p1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(p0, p1, _MM_SHUFFLE(3, 1, 3, 1)),
                                  _mm_shuffle_ps(p2, p3, _MM_SHUFFLE(2, 0, 2, 0))};
          for (int w = 0; w < 3; w++) {
            const __m128 v = cols[w];
            const __m128i idx = _mm_add_epi32(_mm_set1_epi32((int32_t)(h * W + w)), step);
            if (h == 0 && w == 0) {
              best = v, at = idx;
              continue;
            }
            const __m128 take = _mm_and_ps(_mm_cmpord_ps(best, best), _mm_or_ps(_mm_cmpgt_ps(v, best), _mm_cmpunord_ps(v, v)));
            best = _mm_or_ps(_mm_and_ps(take, v), _mm_andnot_ps(take, best));
            const __m128i t = _mm_castps_si128(take);
            at = _mm_or_si128(_mm_and_si128(t, idx), _mm_andnot_si128(t, at));
          }
        }
        if (kind == 2) {
          _mm_storeu_ps(reinterpret_cast<float*>(out) + o0 + ow - owA, best);
        } else {
          alignas(16) int32_t a[4];
          _mm_store_si128(reinterpret_cast<__m128i*>(a), at);
          for (int j = 0; j < 4; j++) out[c + a[j]] += g[o0 + ow - owA + j];
        }
      }
    }
  }
#endif
  for (; ow < owB; ow++) {
    const int64_t c = r0 + ow * SW - PW;
    T best = xs[c];
    int64_t at = c;
    // Bitwise & and |, not && and ||: no short-circuit branches on data.
#pragma GCC unroll 4
    for (int64_t h = 0; h < kh; h++)
#pragma GCC unroll 4
      for (int64_t w = 0; w < kw; w++) {
        const int64_t i = c + h * W + w;
        const T v = xs[i];
        const bool take = (i != c) & (best == best) & ((v > best) | (v != v));
        best = take ? v : best;
        at = take ? i : at;
      }
    if (kind == 2) out[o0 + ow - owA] = best;
    else out[at] += g[o0 + ow - owA];
  }
}

template <typename T> void planes(const Job<T>& J, int64_t nc0, int64_t nc1) {
  const WindowPlan& P = *J.p;
  const int64_t D = P.in[0], H = P.in[1], W = P.in[2], OD = P.out[0], OH = P.out[1], OW = P.out[2];
  const int64_t KD = P.kernel[0], KH = P.kernel[1], KW = P.kernel[2], SD = P.stride[0], SH = P.stride[1],
                SW = P.stride[2], PD = P.pad[0], PH = P.pad[1], PW = P.pad[2], DD = P.dilation[0],
                DH = P.dilation[1], DW = P.dilation[2];
  const int64_t L = OD * OH * OW, K = KD * KH * KW, inSize = D * H * W;
  if (J.kind == 0 || J.kind == 1) {
    const bool fwd = J.kind == 0;
    for (int64_t nc = nc0; nc < nc1; nc++) {
      const int64_t xBase = nc * inSize;
      for (int64_t kd = 0; kd < KD; kd++) {
        int64_t d0, d1;
        validRange(OD, D, SD, PD, kd * DD, &d0, &d1);
        for (int64_t kh = 0; kh < KH; kh++) {
          int64_t h0, h1;
          validRange(OH, H, SH, PH, kh * DH, &h0, &h1);
          for (int64_t kw = 0; kw < KW; kw++) {
            int64_t w0, w1;
            validRange(OW, W, SW, PW, kw * DW, &w0, &w1);
            const int64_t row = (nc * K + (kd * KH + kh) * KW + kw) * L;
            for (int64_t od = d0; od < d1; od++) {
              const int64_t id = od * SD - PD + kd * DD;
              for (int64_t oh = h0; oh < h1; oh++) {
                const int64_t ih = oh * SH - PH + kh * DH;
                const int64_t xRow = xBase + (id * H + ih) * W - PW + kw * DW;
                const int64_t cRow = row + (od * OH + oh) * OW;
                if (fwd) {
                  T* dst = J.out + cRow;
                  const T* src = J.x + xRow;
                  if (SW == 1)
                    for (int64_t ow = w0; ow < w1; ow++) dst[ow] = src[ow];
                  else
                    for (int64_t ow = w0; ow < w1; ow++) dst[ow] = src[ow * SW];
                } else {
                  T* dst = J.out + xRow;
                  const T* src = J.x + cRow;
                  if (SW == 1)
                    for (int64_t ow = w0; ow < w1; ow++) dst[ow] += src[ow];
                  else
                    for (int64_t ow = w0; ow < w1; ow++) dst[ow * SW] += src[ow];
                }
              }
            }
          }
        }
      }
    }
    return;
  }
#if defined(__x86_64__)
  if (maxAvx512<T>(J.kind) && twoByTwo(P)) {
    max512::planes2(J.kind, reinterpret_cast<float*>(J.out), reinterpret_cast<const float*>(J.kind == 2 ? J.x : J.y),
                    reinterpret_cast<const float*>(J.x), H, W, OH, OW, nc0, nc1);
    return;
  }
#endif
  if (twoByTwo(P)) {
    pool2x2::planes(J.kind, J.out, J.x, J.y, H, W, OH, OW, nc0, nc1);
    return;
  }
  // Gradients overwrite gx: each task zeroes its planes, then scatters into them.
  if (J.kind == 3 || J.kind == 5)
    for (int64_t i = nc0 * inSize; i < nc1 * inSize; i++) J.out[i] = T(0);
#if defined(__x86_64__)
  if (maxAvx512<T>(J.kind) && threeByThree(P)) {
    max512::planes3(J.kind, reinterpret_cast<float*>(J.out), reinterpret_cast<const float*>(J.kind == 2 ? J.x : J.y),
                    reinterpret_cast<const float*>(J.x), H, W, OH, OW, P.pad[1], P.pad[2], nc0, nc1);
    return;
  }
#endif
  if (inside(P)) {
    if (P.kernel[1] == 2 && P.kernel[2] == 2) poolInside<T, 2, 2>(J, nc0, nc1, 2, 2);
    else if (P.kernel[1] == 3 && P.kernel[2] == 3) poolInside<T, 3, 3>(J, nc0, nc1, 3, 3);
    else poolInside<T, 0, 0>(J, nc0, nc1, P.kernel[1], P.kernel[2]);
    return;
  }
  const bool includePad = P.countIncludePad;
  // Max pooling over 2-D planes without dilation (ResNet's 3x3 / stride 2 / pad 1): windows that
  // lie wholly inside the input take the branch-free row loop; the border ones the loop below.
  const bool fastMax = (J.kind == 2 || J.kind == 3) && D == 1 && OD == 1 && KD == 1 && DH == 1 && DW == 1;
  int64_t ohA = 0, ohB = 0, owA = 0, owB = 0;
  if (fastMax) {
    ohA = (PH + SH - 1) / SH, ohB = std::min(OH, (H - KH + PH) / SH + 1);
    owA = (PW + SW - 1) / SW, owB = std::min(OW, (W - KW + PW) / SW + 1);
    if (H < KH || ohB < ohA) ohB = ohA;
    if (W < KW || owB < owA) owB = owA;
  }
  for (int64_t nc = nc0; nc < nc1; nc++) {
    const int64_t base = nc * inSize;
    int64_t o = nc * L;
    for (int64_t od = 0; od < OD; od++) {
      for (int64_t oh = 0; oh < OH; oh++) {
        for (int64_t ow = 0; ow < OW; ow++, o++) {
          if (fastMax && oh >= ohA && oh < ohB && ow == owA && owB > owA) {
            const T* xs = J.kind == 2 ? J.x : J.y;
            const int64_t r0 = base + (oh * SH - PH) * W;
            if (KH == 3 && KW == 3) maxRowInside<T, 3>(J.kind, J.out, xs, J.x, r0, W, SW, PW, owA, owB, o, KW);
            else if (KH == 2 && KW == 2) maxRowInside<T, 2>(J.kind, J.out, xs, J.x, r0, W, SW, PW, owA, owB, o, KW);
            else maxRowInside<T, 0>(J.kind, J.out, xs, J.x, r0, W, SW, PW, owA, owB, o, KW, KH);
            o += owB - owA - 1;
            ow = owB - 1;
            continue;
          }
          if (J.kind == 2 || J.kind == 3) {
            int64_t d0, d1, h0, h1, w0, w1;
            windowBounds(od, SD, PD, D, KD, DD, &d0, &d1);
            windowBounds(oh, SH, PH, H, KH, DH, &h0, &h1);
            windowBounds(ow, SW, PW, W, KW, DW, &w0, &w1);
            const T* xs = J.kind == 2 ? J.x : J.y;
            T best = -INFINITY;
            int64_t at = -1;
            for (int64_t d = d0; d < d1 && !(at >= 0 && best != best); d += DD)
              for (int64_t h = h0; h < h1 && !(at >= 0 && best != best); h += DH) {
                const int64_t r = (d * H + h) * W;
                for (int64_t w = w0; w < w1; w += DW) {
                  const T v = xs[base + r + w];
                  if (v > best || at < 0 || v != v) {
                    best = v;
                    at = r + w;
                    if (v != v) break;
                  }
                }
              }
            if (J.kind == 2) J.out[o] = at < 0 ? T(-INFINITY) : xs[base + at];
            else if (at >= 0) J.out[base + at] += J.x[o];
          } else {
            int64_t d0, d1, h0, h1, w0, w1;
            windowBounds(od, SD, PD, D, KD, 1, &d0, &d1);
            windowBounds(oh, SH, PH, H, KH, 1, &h0, &h1);
            windowBounds(ow, SW, PW, W, KW, 1, &w0, &w1);
            const double div = (double)(extent(od, SD, PD, D, KD, includePad) * extent(oh, SH, PH, H, KH, includePad) *
                                        extent(ow, SW, PW, W, KW, includePad));
            if (J.kind == 4) {
              double s = 0;
              for (int64_t d = d0; d < d1; d++)
                for (int64_t h = h0; h < h1; h++) {
                  const T* r = J.x + base + (d * H + h) * W;
                  for (int64_t w = w0; w < w1; w++) s += (double)r[w];
                }
              J.out[o] = div > 0 ? T(s / div) : T(0);
            } else {
              if (div <= 0) continue;
              const double v = (double)J.x[o] / div;
              for (int64_t d = d0; d < d1; d++)
                for (int64_t h = h0; h < h1; h++) {
                  T* r = J.out + base + (d * H + h) * W;
                  for (int64_t w = w0; w < w1; w++) r[w] = T((double)r[w] + v);
                }
            }
          }
        }
      }
    }
  }
}

template <typename T> void task(void* ctx, int t, int nt) {
  auto& J = *static_cast<Job<T>*>(ctx);
  planes(J, J.planes * t / nt, J.planes * (t + 1) / nt);
}

template <typename T> void runT(const Runtime& rt, int kind, T* out, const T* x, const T* y, const WindowPlan& p) {
  Job<T> J{kind, out, x, y, &p, p.batch * p.channels};
  const int64_t perPlane = p.kernel[0] * p.kernel[1] * p.kernel[2] * p.out[0] * p.out[1] * p.out[2] +
                           p.in[0] * p.in[1] * p.in[2];
  const int nt = rt.threads();
  int64_t tasks = J.planes * perPlane / (int64_t(1) << 15);
  if (tasks > 4 * nt) tasks = 4 * nt;
  if (tasks > J.planes) tasks = J.planes;
  if (nt <= 1 || tasks <= 1) planes(J, 0, J.planes);
  else rt.run((int)tasks, task<T>, &J);
}

}  // namespace

bool windowKernel(const Runtime& rt, int dt, int kind, void* out, const void* x, const void* y, const WindowPlan& p) {
  if (p.batch * p.channels == 0) return true;
  if (dt == F32)
    runT(rt, kind, static_cast<float*>(out), static_cast<const float*>(x), static_cast<const float*>(y), p);
  else if (dt == F64)
    runT(rt, kind, static_cast<double*>(out), static_cast<const double*>(x), static_cast<const double*>(y), p);
  else return false;
  return true;
}

}  // namespace tsg
