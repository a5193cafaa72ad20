// Unfolding windows into columns (im2col) and its adjoint (col2im) for the convolution kernels of
// conv-impl.h, compiled once per instruction set.
//
// Column layout: row (c - c0) * K + tap, column s * span + (r - r0) * OW + ow for sample s of a
// chunk and output row r (one (od, oh) pair), span = (r1 - r0) * OW; entries whose window cell
// falls in the padding are zero.
//
// 2-D windows take a padded path: a sample's input rows are first copied into a zero-bordered
// staging buffer wide enough for every tap's vector reads, so each output row of a tap is a fixed
// number of whole-vector copies with no clipping (stride 2 deinterleaves two vectors). The adjoint
// adds into a zeroed staging buffer the same way and copies its interior back, so gx is written
// once. Other ranks take the general path, which clips each tap's rows to the input.

struct ConvGeo {
  int64_t N, C, O, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, PD, PH, PW, DD, DH, DW;
  int64_t K, CK, L, R, inSize;
  bool pointwise;  // 1x1x1 window, stride 1, no padding: the columns are x itself
};

static ConvGeo convGeo(const ConvArgs& a) {
  ConvGeo g;
  g.N = a.batch, g.C = a.channels, g.O = a.filters;
  g.D = a.in[0], g.H = a.in[1], g.W = a.in[2];
  g.OD = a.out[0], g.OH = a.out[1], g.OW = a.out[2];
  g.KD = a.kernel[0], g.KH = a.kernel[1], g.KW = a.kernel[2];
  g.SD = a.stride[0], g.SH = a.stride[1], g.SW = a.stride[2];
  g.PD = a.pad[0], g.PH = a.pad[1], g.PW = a.pad[2];
  g.DD = a.dilation[0], g.DH = a.dilation[1], g.DW = a.dilation[2];
  g.K = g.KD * g.KH * g.KW;
  g.CK = g.C * g.K;
  g.R = g.OD * g.OH;
  g.L = g.R * g.OW;
  g.inSize = g.D * g.H * g.W;
  g.pointwise = g.K == 1 && g.SD == 1 && g.SH == 1 && g.SW == 1 && g.PD == 0 && g.PH == 0 && g.PW == 0;
  return g;
}

static inline int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// Output positions o in [lo, hi) whose input cell o * stride - pad + offset lies in [0, size).
static inline void convValid(int64_t outLen, int64_t size, int64_t stride, int64_t pad, int64_t offset,
                             int64_t* lo, int64_t* hi) {
  const int64_t shift = pad - offset;
  *lo = shift > 0 ? (shift + stride - 1) / stride : 0;
  const int64_t top = size - 1 + shift;
  *hi = top < 0 ? 0 : imin(outLen, top / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

template <typename T> static inline void zeroRun(T* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = T(0);
}

// d[0:n) = s[0:n), in vector moves (a loop GCC would turn into a memmove call per short run).
template <typename T> static inline void copyRun(T* __restrict d, const T* __restrict s, int64_t n) {
  using S = typename SimdOf<T>::S;
  int64_t i = 0;
  for (; i + S::W <= n; i += S::W) S::store(d + i, S::load(s + i));
  for (; i < n; i++) d[i] = s[i];
}

// The general unfold (any rank): channels [c0, c1) and output rows [r0, r1) of samples
// [n0, n0 + nb), laid out as im2colChunk describes; rows are clipped to the input per tap. With
// unit stride along W, each output row is whole vector moves and stores of zeros that may run up
// to one vector past the row's end (see im2colChunk); reads stay below xEnd (rows too close to
// it take the element loop).
// Zeroes n elements at d in whole vectors (up to one vector past the end, see im2colChunk).
template <typename T> static inline void zeroVectors(T* d, int64_t n) {
  using S = typename SimdOf<T>::S;
  for (int64_t i = 0; i < n; i += S::W) S::store(d + i, S::zero());
}

// Output rows whose windows lie inside x along H and D: row i's columns [w0, w1) copy NV vectors
// from src + i * step (unit stride), the columns outside [w0, w1) are zeros.
template <typename T, int NV>
static void copyRows(T* d, int64_t OW, const T* src, int64_t step, int64_t rows, int64_t w0, int64_t w1, int64_t nv) {
  using S = typename SimdOf<T>::S;
  constexpr int VW = S::W;
  const bool left = w0 > 0, right = w1 < OW;
  for (int64_t i = 0; i < rows; i++, d += OW, src += step) {
    if (left) zeroVectors(d, w0);
    if (NV > 0) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) S::store(d + w0 + v * VW, S::load(src + w0 + v * VW));
    } else {
      for (int64_t v = 0; v < nv; v++) S::store(d + w0 + v * VW, S::load(src + w0 + v * VW));
    }
    if (right) zeroVectors(d + w1, OW - w1);
  }
}

template <typename T>
static void im2colGeneral(T* dst, int64_t ldd, const T* x, const T* xEnd, const ConvGeo& g, int64_t n0, int64_t nb,
                          int64_t c0, int64_t c1, int64_t r0, int64_t r1) {
  constexpr int VW = SimdOf<T>::S::W;
  const int64_t OW = g.OW, OH = g.OH, SW = g.SW, HW = g.H * g.W, inSize = g.inSize;
  const int64_t span = (r1 - r0) * OW, sampleStride = g.C * inSize;
  const int64_t dStep = g.SD * HW, hStep = g.SH * g.W;
  for (int64_t c = c0; c < c1; c++) {
    T* row = dst + (c - c0) * g.K * ldd;
    for (int64_t kd = 0; kd < g.KD; kd++)
      for (int64_t kh = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++, row += ldd) {
          int64_t w0, w1, h0, h1, d0, d1;
          convValid(OW, g.W, SW, g.PW, kw * g.DW, &w0, &w1);
          convValid(OH, g.H, g.SH, g.PH, kh * g.DH, &h0, &h1);
          convValid(g.OD, g.D, g.SD, g.PD, kd * g.DD, &d0, &d1);
          const int64_t nv = (w1 - w0 + VW - 1) / VW;
          // The input cell of output row (od, oh) at column ow: base + od * dStep + oh * hStep + ow * SW.
          const int64_t base = (kd * g.DD - g.PD) * HW + (kh * g.DH - g.PH) * g.W + kw * g.DW - g.PW;
          for (int64_t s = 0; s < nb; s++) {
            const T* xc = x + (n0 + s) * sampleStride + c * inSize + base;
            T* d = row + s * span;
            // Rows r0..r1 by depth slice od: zeros outside [d0, d1) x [h0, h1), copies inside.
            for (int64_t r = r0; r < r1;) {
              const int64_t od = r / OH, ohA = r - od * OH, ohB = imin(OH, ohA + (r1 - r));
              const int64_t n = ohB - ohA;
              if (od < d0 || od >= d1 || h0 >= h1) {
                zeroVectors(d, n * OW);
              } else {
                const int64_t a = imax(ohA, h0), b = imax(a, imin(ohB, h1));
                zeroVectors(d, (a - ohA) * OW);
                T* dr = d + (a - ohA) * OW;
                const T* sr = xc + od * dStep + a * hStep;
                int64_t rows = b - a;
                // Rows whose vector reads would pass the end of x take the element loop.
                int64_t fastRows = SW == 1 ? rows : 0;
                while (fastRows > 0 && sr + (fastRows - 1) * hStep + w0 + nv * VW > xEnd) fastRows--;
                switch (nv) {
                  case 1: copyRows<T, 1>(dr, OW, sr, hStep, fastRows, w0, w1, nv); break;
                  case 2: copyRows<T, 2>(dr, OW, sr, hStep, fastRows, w0, w1, nv); break;
                  case 3: copyRows<T, 3>(dr, OW, sr, hStep, fastRows, w0, w1, nv); break;
                  case 4: copyRows<T, 4>(dr, OW, sr, hStep, fastRows, w0, w1, nv); break;
                  default: copyRows<T, 0>(dr, OW, sr, hStep, fastRows, w0, w1, nv);
                }
                for (int64_t i = fastRows; i < rows; i++) {
                  T* e = dr + i * OW;
                  const T* f = sr + i * hStep;
                  for (int64_t ow = 0; ow < w0; ow++) e[ow] = T(0);
                  for (int64_t ow = w0; ow < w1; ow++) e[ow] = f[ow * SW];
                  for (int64_t ow = w1; ow < OW; ow++) e[ow] = T(0);
                }
                zeroVectors(dr + rows * OW, (ohB - b) * OW);
              }
              d += n * OW;
              r += n;
            }
          }
        }
  }
}

// The general adjoint (any rank): adds each column entry of channels [c0, c1) (all output rows,
// row stride lds) back to the cell of the sample's gx it was read from, in the reference's order
// (channel, tap, row).
template <typename T>
static void col2imGeneral(T* __restrict gx, const T* __restrict src, int64_t lds, const ConvGeo& g, int64_t c0,
                          int64_t c1) {
  for (int64_t c = c0; c < c1; c++) {
    T* gc = gx + c * g.inSize;
    const T* row = src + (c - c0) * g.K * lds;
    for (int64_t kd = 0; kd < g.KD; kd++)
      for (int64_t kh = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++, row += lds) {
          int64_t w0, w1, h0, h1, d0, d1;
          convValid(g.OW, g.W, g.SW, g.PW, kw * g.DW, &w0, &w1);
          convValid(g.OH, g.H, g.SH, g.PH, kh * g.DH, &h0, &h1);
          convValid(g.OD, g.D, g.SD, g.PD, kd * g.DD, &d0, &d1);
          for (int64_t od = d0; od < d1; od++)
            for (int64_t oh = h0; oh < h1; oh++) {
              const int64_t id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
              T* __restrict d = gc + (id * g.H + ih) * g.W - g.PW + kw * g.DW;
              const T* __restrict s = row + (od * g.OH + oh) * g.OW;
              if (g.SW == 1)
                for (int64_t ow = w0; ow < w1; ow++) d[ow] += s[ow];
              else
                for (int64_t ow = w0; ow < w1; ow++) d[ow * g.SW] += s[ow];
            }
        }
  }
}


// Elements of slack a buffer filled by im2colChunk needs after its last row.
static constexpr int64_t kIm2colSlack = 64;

// Whether the padded 2-D path applies (depth 1 everywhere).
static inline bool padded2d(const ConvGeo& g) { return g.D == 1 && g.KD == 1 && g.OD == 1 && g.PD == 0; }

// Loads p[0], p[2], ..., p[2 (W - 1)]: one vector of every other element.
template <typename T> struct Stride2 {
  static constexpr bool kVector = false;
};
#if TSG_ISA == 256
template <> struct Stride2<float> {
  static constexpr bool kVector = true;
  static __m256 load(const float* p) {
    const __m256 s = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
  }
};
template <> struct Stride2<double> {
  static constexpr bool kVector = true;
  static __m256d load(const double* p) {
    return _mm256_permute4x64_pd(_mm256_unpacklo_pd(_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)), _MM_SHUFFLE(3, 1, 2, 0));
  }
};
#elif TSG_ISA == 512
template <> struct Stride2<float> {
  static constexpr bool kVector = true;
  static __m512 load(const float* p) {
    const __m512i idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), idx, _mm512_loadu_ps(p + 16));
  }
};
template <> struct Stride2<double> {
  static constexpr bool kVector = true;
  static __m512d load(const double* p) {
    const __m512i idx = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_pd(_mm512_loadu_pd(p), idx, _mm512_loadu_pd(p + 8));
  }
};
#endif

// The staging rows of the padded path: width Wq covers the padding and every vector a tap reads.
struct PadPlan {
  int64_t Wq, nv;  // staging row length; vectors per output row
};

template <typename T> static PadPlan padPlan(const ConvGeo& g) {
  constexpr int VW = SimdOf<T>::S::W;
  PadPlan p;
  p.nv = cdiv(g.OW, VW);
  const int64_t reach = (g.KW - 1) * g.DW + (g.SW <= 2 ? g.SW * p.nv * VW : (g.OW - 1) * g.SW + 1);
  p.Wq = imax(g.W + 2 * g.PW, reach);
  return p;
}

// Staging rows [q0, q1) (padded coordinates: input row q - PH) of channels [c0, c1) of the sample
// at xs: PW zeros, the input row, zeros to Wq; rows outside the input are zeros.
template <typename T>
static void padRows(T* xp, const T* xs, const ConvGeo& g, int64_t Wq, int64_t c0, int64_t c1, int64_t q0, int64_t q1) {
  for (int64_t c = c0; c < c1; c++)
    for (int64_t q = q0; q < q1; q++) {
      T* d = xp + ((c - c0) * (q1 - q0) + q - q0) * Wq;
      const int64_t ih = q - g.PH;
      if (ih < 0 || ih >= g.H) {
        zeroRun(d, Wq);
        continue;
      }
      zeroRun(d, g.PW);
      copyRun(d + g.PW, xs + c * g.inSize + ih * g.W, g.W);
      zeroRun(d + g.PW + g.W, Wq - g.PW - g.W);
    }
}

// One tap's output rows from staging: d row i (stride OW) gets OW elements from src + i * step
// with stride SW, in whole vectors for SW 1 and 2 (the excess past OW is overwritten later).
// NV > 0 fixes the vector count (short rows, the common case, unroll completely).
template <typename T, int NV>
static void tapRowsN(T* d, int64_t OW, const T* src, int64_t step, int64_t rows, int64_t SW, int64_t nv) {
  using S = typename SimdOf<T>::S;
  constexpr int VW = S::W;
  const int64_t n = NV > 0 ? NV : nv;
  if (SW == 1) {
    for (int64_t i = 0; i < rows; i++, d += OW, src += step)
#pragma GCC unroll 4
      for (int64_t v = 0; v < n; v++) S::store(d + v * VW, S::load(src + v * VW));
    return;
  }
  if constexpr (Stride2<T>::kVector) {
    if (SW == 2) {
      for (int64_t i = 0; i < rows; i++, d += OW, src += step)
#pragma GCC unroll 4
        for (int64_t v = 0; v < n; v++) S::store(d + v * VW, Stride2<T>::load(src + 2 * v * VW));
      return;
    }
  }
  for (int64_t i = 0; i < rows; i++, d += OW, src += step)
    for (int64_t ow = 0; ow < OW; ow++) d[ow] = src[ow * SW];
}

template <typename T>
static void tapRows(T* d, int64_t OW, const T* src, int64_t step, int64_t rows, int64_t SW, int64_t nv) {
  switch (nv) {
    case 1: return tapRowsN<T, 1>(d, OW, src, step, rows, SW, nv);
    case 2: return tapRowsN<T, 2>(d, OW, src, step, rows, SW, nv);
    case 3: return tapRowsN<T, 3>(d, OW, src, step, rows, SW, nv);
    case 4: return tapRowsN<T, 4>(d, OW, src, step, rows, SW, nv);
    default: return tapRowsN<T, 0>(d, OW, src, step, rows, SW, nv);
  }
}

// Unfolds channels [c0, c1), output rows [r0, r1) of samples [n0, n0 + nb) of x into dst (row
// stride ldd >= nb * span + one vector, so the last sample's excess stays inside its row), with
// kIm2colSlack elements after the last row.
template <typename T>
static void im2colChunk(const Runtime& rt, T* dst, int64_t ldd, const T* x, const T* xEnd, const ConvGeo& g,
                        int64_t n0, int64_t nb, int64_t c0, int64_t c1, int64_t r0, int64_t r1) {
  if (!padded2d(g)) return im2colGeneral(dst, ldd, x, xEnd, g, n0, nb, c0, c1, r0, r1);
  const PadPlan pp = padPlan<T>(g);
  const int64_t q0 = r0 * g.SH, q1 = (r1 - 1) * g.SH + (g.KH - 1) * g.DH + 1, plane = (q1 - q0) * pp.Wq;
  T* xp = static_cast<T*>(rt.scratch(4, sizeof(T) * (size_t)((c1 - c0) * plane)));
  const int64_t span = (r1 - r0) * g.OW, rows = r1 - r0, step = g.SH * pp.Wq;
  for (int64_t s = 0; s < nb; s++) {
    padRows(xp, x + (n0 + s) * g.C * g.inSize, g, pp.Wq, c0, c1, q0, q1);
    for (int64_t c = c0; c < c1; c++)
      for (int64_t kh = 0; kh < g.KH; kh++)
        for (int64_t kw = 0; kw < g.KW; kw++) {
          T* d = dst + ((c - c0) * g.K + kh * g.KW + kw) * ldd + s * span;
          const T* src = xp + (c - c0) * plane + (r0 * g.SH + kh * g.DH - q0) * pp.Wq + kw * g.DW;
          tapRows(d, g.OW, src, step, rows, g.SW, pp.nv);
        }
  }
}

// Lane masks: all bits set (keep) or clear, applied with a bitwise and (the generic build uses
// 1 and 0 and a select).
#if TSG_ISA == 512
static inline __m512 laneAnd(__m512 m, __m512 v) { return _mm512_and_ps(m, v); }
static inline __m512d laneAnd(__m512d m, __m512d v) { return _mm512_and_pd(m, v); }
#elif TSG_ISA == 256
static inline __m256 laneAnd(__m256 m, __m256 v) { return _mm256_and_ps(m, v); }
static inline __m256d laneAnd(__m256d m, __m256d v) { return _mm256_and_pd(m, v); }
#else
template <typename T> static inline T laneAnd(T m, T v) { return m != T(0) ? v : T(0); }
#endif
template <typename T> static inline T laneKeep(bool keep) {
#if TSG_ISA == 0
  return keep ? T(1) : T(0);
#else
  T t;
  memset(&t, keep ? 0xff : 0, sizeof(T));
  return t;
#endif
}

// Stride-1 adjoint of one sample's channels [c0, c1) into zeroed staging planes (row length Wq):
// each staging row of (kh, oh) stays in registers while the KW taps' column rows are added to it
// in order, each read shifted by kw · DW with the lanes outside the tap's columns masked off, so
// every cell receives the reference's sums in its order (a masked lane adds +0, which changes
// nothing). The shifted reads reach up to one vector before and after a column row: the caller's
// buffer (src) carries kIm2colSlack elements of guard on both sides. False when the masks would
// not fit the stack.
template <typename T>
static bool col2imRowsInRegisters(T* gp, int64_t plane, int64_t Wq, const T* src, int64_t lds, const ConvGeo& g, int64_t c0,
                                  int64_t c1) {
  using S = typename SimdOf<T>::S;
  constexpr int VW = S::W;
  const int64_t OW = g.OW, KW = g.KW, DW = g.DW, span = (KW - 1) * DW + OW, nvec = cdiv(span, VW);
  constexpr int64_t kMaxMask = 1024;
  if (KW * nvec * VW > kMaxMask || nvec * VW > Wq + VW || (KW - 1) * DW + VW > kIm2colSlack) return false;
  alignas(64) T mask[kMaxMask];
  for (int64_t kw = 0; kw < KW; kw++)
    for (int64_t v = 0; v < nvec; v++)
      for (int l = 0; l < VW; l++) {
        const int64_t ow = v * VW + l - kw * DW;
        mask[(kw * nvec + v) * VW + l] = laneKeep<T>(ow >= 0 && ow < OW);
      }
  for (int64_t c = c0; c < c1; c++)
    for (int64_t kh = 0; kh < g.KH; kh++)
      for (int64_t oh = 0; oh < g.OH; oh++) {
        T* row = gp + (c - c0) * plane + (oh * g.SH + kh * g.DH) * Wq;
        const T* taps = src + ((c - c0) * g.K + kh * KW) * lds + oh * OW;
        for (int64_t v = 0; v < nvec; v++) {
          // The last vector may pass Wq: it only adds zeros there, inside the staging slack.
          typename S::V acc = S::load(row + v * VW);
          for (int64_t kw = 0; kw < KW; kw++)
            acc = S::add(acc, laneAnd(S::load(mask + (kw * nvec + v) * VW), S::load(taps + kw * lds + v * VW - kw * DW)));
          S::store(row + v * VW, acc);
        }
      }
  return true;
}

// Column entries of channels [c0, c1) (all output rows, row stride lds) added back into gx of one
// sample (overwritten: channels [c0, c1) of gx end up holding exactly the sums). Each cell receives
// its taps in the reference's order.
template <typename T>
static void col2imChannels(const Runtime& rt, T* gx, const T* src, int64_t lds, const ConvGeo& g, int64_t c0, int64_t c1) {
  if (!padded2d(g)) {
    zeroRun(gx + c0 * g.inSize, (c1 - c0) * g.inSize);
    return col2imGeneral(gx, src, lds, g, c0, c1);
  }
  using S = typename SimdOf<T>::S;
  constexpr int VW = S::W;
  const PadPlan pp = padPlan<T>(g);
  const int64_t Hq = imax(g.H + 2 * g.PH, (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1), plane = Hq * pp.Wq;
  T* gp = static_cast<T*>(rt.scratch(4, sizeof(T) * (size_t)((c1 - c0) * plane + kIm2colSlack)));
  zeroRun(gp, (c1 - c0) * plane + kIm2colSlack);
  const int64_t OW = g.OW, OH = g.OH, SW = g.SW, KH = g.KH, KW = g.KW, step = g.SH * pp.Wq;
  if (SW == 1 && col2imRowsInRegisters(gp, plane, pp.Wq, src, lds, g, c0, c1)) {
    for (int64_t c = c0; c < c1; c++)
      for (int64_t ih = 0; ih < g.H; ih++)
        copyRun(gx + c * g.inSize + ih * g.W, gp + (c - c0) * plane + (ih + g.PH) * pp.Wq + g.PW, g.W);
    return;
  }
  const int64_t full = SW == 1 ? OW / VW * VW : 0;
  for (int64_t c = c0; c < c1; c++)
    for (int64_t kh = 0; kh < KH; kh++)
      for (int64_t kw = 0; kw < KW; kw++) {
        const T* __restrict s = src + ((c - c0) * g.K + kh * KW + kw) * lds;
        T* __restrict d = gp + (c - c0) * plane + kh * g.DH * pp.Wq + kw * g.DW;
        if (SW == 1) {
          for (int64_t oh = 0; oh < OH; oh++, s += OW, d += step) {
            for (int64_t i = 0; i < full; i += VW) S::store(d + i, S::add(S::load(d + i), S::load(s + i)));
            for (int64_t ow = full; ow < OW; ow++) d[ow] += s[ow];
          }
        } else {
          for (int64_t oh = 0; oh < OH; oh++, s += OW, d += step)
            for (int64_t ow = 0; ow < OW; ow++) d[ow * SW] += s[ow];
        }
      }
  for (int64_t c = c0; c < c1; c++)
    for (int64_t ih = 0; ih < g.H; ih++)
      copyRun(gx + c * g.inSize + ih * g.W, gp + (c - c0) * plane + (ih + g.PH) * pp.Wq + g.PW, g.W);
}
