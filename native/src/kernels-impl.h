// The float kernels, written once and compiled per instruction set: an ISA translation unit
// defines TSG_ISA (512, 256, 128 for WebAssembly SIMD or 0), TSG_NS (its namespace) and TSG_TABLE (the IsaTable it
// exports), then includes this file. Simple loops are left to the compiler's vectorizer, which
// the per-file -m flags point at the right registers; libm supplies the transcendental functions.
//
// Semantics follow src/backend/ref exactly (NaN propagation of max/min/relu, halves rounded away
// from zero, floor modulo); float32 sums and softmax normalizers accumulate in double as the
// reference does. Only C library functions and templates local to this namespace are used (see
// isa.h for why).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if TSG_ISA == 512 || TSG_ISA == 256
#include <immintrin.h>
#endif
#include "isa.h"

namespace tsg {
namespace TSG_NS {

#include "gemm-impl.h"

static inline float fexp(float x) { return expf(x); }
static inline double fexp(double x) { return exp(x); }

// exp in double without a library call, so loops over it vectorize: x = k ln2 + r with
// |r| <= ln2 / 2 (k rounded by the 1.5 * 2^52 trick, ln2 split in fdlibm's exact high part and a
// low part), exp(r) by its Taylor polynomial to degree 13 (truncation below 1e-17), then 2^k
// applied as two powers of two built from bits, so results down to the subnormals are rounded
// once. Within 2 ulp of a correctly rounded exp; NaN, infinities, overflow and underflow as libm.
static inline double bitsToDouble(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return d;
}
static inline uint64_t doubleToBits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}
static inline double vexp(double x) {
  const double shift = 6755399441055744.0;
  const double cx = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
  const double k = (cx * 1.4426950408889634 + shift) - shift;
  const double r = (cx - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const double k1 = (k * 0.5 + shift) - shift;
  const double k2 = k - k1;
  const uint64_t base = doubleToBits(shift);
  const double s1 = bitsToDouble((doubleToBits(k1 + shift) - base + 1023) << 52);
  const double s2 = bitsToDouble((doubleToBits(k2 + shift) - base + 1023) << 52);
  return p * s1 * s2;
}

// JavaScript's Math.pow differs from C's pow in two corners: a NaN exponent always gives NaN, and
// (+-1) ** (+-Infinity) is NaN rather than 1.
static inline double jsPow(double x, double y) {
  if (y != y || ((x == 1.0 || x == -1.0) && (y == INFINITY || y == -INFINITY))) return NAN;
  return pow(x, y);
}

// Splits [0, n) into at most threads() static slices when n is large enough to pay for the pool.
template <typename F> struct RangeJob {
  F* f;
  int64_t n;
};
template <typename F> static void rangeTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<RangeJob<F>*>(ctx);
  int64_t lo = J.n * task / ntasks, hi = J.n * (task + 1) / ntasks;
  if (lo < hi) (*J.f)(lo, hi);
}
template <typename F> static void parallelRange(const Runtime& rt, int64_t n, int64_t grain, F f) {
  int nt = rt.threads();
  if (n < 2 * grain || nt <= 1) {
    f(int64_t(0), n);
    return;
  }
  // A few tasks per thread, so a thread the OS is slow to schedule leaves its share to the others.
  int64_t tasks = n / grain;
  if (tasks > 4 * nt) tasks = 4 * nt;
  // Whole rounds of tasks: 3 tasks on 2 threads leave one thread twice the other's work.
  tasks = tasks < nt ? nt : tasks / nt * nt;
  RangeJob<F> job{&f, n};
  rt.run((int)tasks, rangeTask<F>, &job);
}

// Elements per thread below which element-wise work stays on the calling thread. 2^15: the MLP
// step's 256 x 256 activations (relu, its gradient, the bias sums) split on 2 threads; in the
// step their outputs are fresh, uncached memory, and each core brings in its half (eager MLP
// step at 2 threads, 2^18 against 2^15 in alternating runs: 1.59 -> 1.41 and 1.55 -> 1.44 ms).
static constexpr int64_t kCheapGrain = int64_t(1) << 15;
static constexpr int64_t kCostlyGrain = int64_t(1) << 14;

template <typename T, typename F>
static void map1(const Runtime& rt, T* __restrict out, const T* __restrict x, int64_t n, int64_t grain, F f) {
  parallelRange(rt, n, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) out[i] = f(x[i]);
  });
}

template <typename T> static bool unaryT(const Runtime& rt, int op, T* out, const T* x, int64_t n) {
  // Constants are written as T(0) / T(1) inside the lambdas, never captured: a captured float
  // could alias `out`, which stops the vectorizer.
  const int64_t C = kCheapGrain, E = kCostlyGrain;
  switch (op) {
    case U_NEG: map1(rt, out, x, n, C, [](T v) { return -v; }); break;
    case U_ABS: map1(rt, out, x, n, C, [](T v) { return v < 0 ? -v : (v == 0 ? T(0) : v); }); break;
    case U_SIGN: map1(rt, out, x, n, C, [](T v) { return v > 0 ? T(1) : v < 0 ? T(-1) : v; }); break;
    case U_EXP: map1(rt, out, x, n, E, [](T v) { return fexp(v); }); break;
    case U_LOG: map1(rt, out, x, n, E, [](T v) { return T(log((double)v)); }); break;
    case U_LOG2: map1(rt, out, x, n, E, [](T v) { return T(log2((double)v)); }); break;
    case U_LOG10: map1(rt, out, x, n, E, [](T v) { return T(log10((double)v)); }); break;
    case U_LOG1P: map1(rt, out, x, n, E, [](T v) { return T(log1p((double)v)); }); break;
    case U_EXPM1: map1(rt, out, x, n, E, [](T v) { return T(expm1((double)v)); }); break;
    case U_SQRT: map1(rt, out, x, n, C, [](T v) { return T(sqrt((double)v)); }); break;
    case U_RSQRT: map1(rt, out, x, n, C, [](T v) { return T(1.0 / sqrt((double)v)); }); break;
    case U_CBRT: map1(rt, out, x, n, E, [](T v) { return T(cbrt((double)v)); }); break;
    case U_SQUARE: map1(rt, out, x, n, C, [](T v) { return v * v; }); break;
    case U_RECIP: map1(rt, out, x, n, C, [](T v) { return T(1) / v; }); break;
    case U_SIN: map1(rt, out, x, n, E, [](T v) { return T(sin((double)v)); }); break;
    case U_COS: map1(rt, out, x, n, E, [](T v) { return T(cos((double)v)); }); break;
    case U_TAN: map1(rt, out, x, n, E, [](T v) { return T(tan((double)v)); }); break;
    case U_ASIN: map1(rt, out, x, n, E, [](T v) { return T(asin((double)v)); }); break;
    case U_ACOS: map1(rt, out, x, n, E, [](T v) { return T(acos((double)v)); }); break;
    case U_ATAN: map1(rt, out, x, n, E, [](T v) { return T(atan((double)v)); }); break;
    case U_SINH: map1(rt, out, x, n, E, [](T v) { return T(sinh((double)v)); }); break;
    case U_COSH: map1(rt, out, x, n, E, [](T v) { return T(cosh((double)v)); }); break;
    case U_TANH: map1(rt, out, x, n, E, [](T v) { return T(tanh((double)v)); }); break;
    case U_ASINH: map1(rt, out, x, n, E, [](T v) { return T(asinh((double)v)); }); break;
    case U_ACOSH: map1(rt, out, x, n, E, [](T v) { return T(acosh((double)v)); }); break;
    case U_ATANH: map1(rt, out, x, n, E, [](T v) { return T(atanh((double)v)); }); break;
    case U_SIGMOID:
      // One branch-free vexp of -|x| (never overflows) serves both halves, so the loop vectorizes.
      map1(rt, out, x, n, E, [](T v) {
        double d = v;
        double e = vexp(-fabs(d));
        return T(d >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
      });
      break;
    case U_RELU: map1(rt, out, x, n, C, [](T v) { return (v > 0 || v != v) ? v : T(0); }); break;
    case U_SOFTRELU:
      map1(rt, out, x, n, E, [](T v) {
        double d = v;
        return T((d > 0 ? d : 0.0) + log1p(exp(-fabs(d))));
      });
      break;
    case U_ERF: map1(rt, out, x, n, E, [](T v) { return T(erf((double)v)); }); break;
    case U_FLOOR: map1(rt, out, x, n, C, [](T v) { return T(floor((double)v)); }); break;
    case U_CEIL: map1(rt, out, x, n, C, [](T v) { return T(ceil((double)v)); }); break;
    case U_ROUND: map1(rt, out, x, n, C, [](T v) { return T(round((double)v)); }); break;
    case U_TRUNC: map1(rt, out, x, n, C, [](T v) { return T(trunc((double)v)); }); break;
    case U_NOT: map1(rt, out, x, n, C, [](T v) { return v == 0 ? T(1) : T(0); }); break;
    default: return false;
  }
  return true;
}

// Walks the broadcast plan row by row (the last merged axis is the row): rows [r0, r1), and in
// each only the columns [j0, j1).
template <typename T, typename F>
static void bcastRows(T* __restrict out, const T* a, const T* b, const Bcast& p, int64_t r0, int64_t r1, int64_t j0,
                      int64_t j1, F f) {
  const int nd = p.nd;
  const int64_t len = p.shape[nd - 1], sa = p.as[nd - 1], sb = p.bs[nd - 1];
  const int64_t w = j1 - j0;
  int64_t idx[32];
  int64_t ai = 0, bi = 0, rem = r0;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = rem % p.shape[d];
    rem /= p.shape[d];
    ai += idx[d] * p.as[d];
    bi += idx[d] * p.bs[d];
  }
  for (int64_t r = r0; r < r1; r++) {
    T* o = out + r * len + j0;
    const T* pa = a + ai + j0 * sa;
    const T* pb = b + bi + j0 * sb;
    if (sa == 1 && sb == 1) {
      for (int64_t j = 0; j < w; j++) o[j] = f(pa[j], pb[j]);
    } else if (sa == 1 && sb == 0) {
      const T y = *pb;
      for (int64_t j = 0; j < w; j++) o[j] = f(pa[j], y);
    } else if (sa == 0 && sb == 1) {
      const T x = *pa;
      for (int64_t j = 0; j < w; j++) o[j] = f(x, pb[j]);
    } else {
      for (int64_t j = 0; j < w; j++) o[j] = f(pa[j * sa], pb[j * sb]);
    }
    for (int d = nd - 2; d >= 0; d--) {
      ai += p.as[d];
      bi += p.bs[d];
      if (++idx[d] < p.shape[d]) break;
      ai -= p.as[d] * p.shape[d];
      bi -= p.bs[d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

// Short rows are shared out whole; a row of at least two grains (a same-shape operation merges
// into a single row) is cut into column pieces, so it too runs on every thread. Each element is
// computed alone, so the split never changes a result.
template <typename T, typename F>
static void map2(const Runtime& rt, T* out, const T* a, const T* b, int64_t n, const Bcast& p, int64_t grain, F f) {
  const int64_t len = p.shape[p.nd - 1];
  const int64_t rows = n / len;
  if (len >= 2 * grain) {
    const int64_t pieces = len / grain;
    parallelRange(rt, rows * pieces, 1, [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; w++) {
        const int64_t r = w / pieces, s = w % pieces;
        bcastRows(out, a, b, p, r, r + 1, len * s / pieces, len * (s + 1) / pieces, f);
      }
    });
    return;
  }
  int64_t rowGrain = grain / len;
  if (rowGrain < 1) rowGrain = 1;
  parallelRange(rt, rows, rowGrain, [&](int64_t r0, int64_t r1) { bcastRows(out, a, b, p, r0, r1, 0, len, f); });
}

template <typename T>
static bool binaryT(const Runtime& rt, int op, T* out, const T* a, const T* b, int64_t n, const Bcast& p) {
  const int64_t C = kCheapGrain, E = kCostlyGrain;
#define TSG_B(OP, G, EXPR) \
  case OP: map2(rt, out, a, b, n, p, G, [](T x, T y) { return EXPR; }); break;
  switch (op) {
    TSG_B(B_ADD, C, x + y)
    TSG_B(B_SUB, C, x - y)
    TSG_B(B_MUL, C, x * y)
    TSG_B(B_DIV, C, x / y)
    TSG_B(B_POW, E, T(jsPow((double)x, (double)y)))
    TSG_B(B_MAX, C, (x > y || x != x) ? x : y)
    TSG_B(B_MIN, C, (x < y || x != x) ? x : y)
    TSG_B(B_MOD, E, T((double)x - floor((double)x / (double)y) * (double)y))
    TSG_B(B_ATAN2, E, T(atan2((double)x, (double)y)))
    TSG_B(B_HYPOT, E, T(hypot((double)x, (double)y)))
    TSG_B(B_EQ, C, x == y ? T(1) : T(0))
    TSG_B(B_NE, C, x != y ? T(1) : T(0))
    TSG_B(B_GT, C, x > y ? T(1) : T(0))
    TSG_B(B_GE, C, x >= y ? T(1) : T(0))
    TSG_B(B_LT, C, x < y ? T(1) : T(0))
    TSG_B(B_LE, C, x <= y ? T(1) : T(0))
    TSG_B(B_AND, C, (x != 0 && y != 0) ? T(1) : T(0))
    TSG_B(B_OR, C, (x != 0 || y != 0) ? T(1) : T(0))
    TSG_B(B_XOR, C, ((x != 0) != (y != 0)) ? T(1) : T(0))
    TSG_B(B_RELUG, C, y > 0 ? x : T(0))
    TSG_B(B_SIGG, C, T((double)x * (double)y * (1.0 - (double)y)))
    TSG_B(B_TANHG, C, T((double)x * (1.0 - (double)y * (double)y)))
    TSG_B(B_SOFTRELUG, E,
          T(y >= 0 ? (double)x / (1.0 + exp(-(double)y)) : (double)x * exp((double)y) / (1.0 + exp((double)y))))
    default: return false;
  }
#undef TSG_B
  return true;
}

#include "reduce-impl.h"
#include "optim-impl.h"
#include "fused-impl.h"
#include "conv-impl.h"
#include "bn-impl.h"
#include "rnn-impl.h"

static bool unaryAny(const Runtime& rt, int dt, int op, void* out, const void* x, int64_t n) {
  if (dt == F32) return unaryT(rt, op, static_cast<float*>(out), static_cast<const float*>(x), n);
  if (dt == F64) return unaryT(rt, op, static_cast<double*>(out), static_cast<const double*>(x), n);
  return false;
}

static bool binaryAny(const Runtime& rt, int dt, int op, void* out, const void* a, const void* b, int64_t n,
                      const Bcast& p) {
  if (n == 0) return true;
  if (dt == F32)
    return binaryT(rt, op, static_cast<float*>(out), static_cast<const float*>(a), static_cast<const float*>(b), n, p);
  if (dt == F64)
    return binaryT(rt, op, static_cast<double*>(out), static_cast<const double*>(a), static_cast<const double*>(b), n,
                   p);
  return false;
}

static void gemmF32(const Runtime& rt, float* c, const float* a, const float* b, const GemmArgs& g) {
  gemm<float>(rt, c, a, b, g);
}
static void gemmF64(const Runtime& rt, double* c, const double* a, const double* b, const GemmArgs& g) {
  gemm<double>(rt, c, a, b, g);
}

// Twelve independent accumulator chains cover the FMA latency of two pipes; the result feeds a
// volatile sink so the loop cannot be removed.
static double fmaLoop(int64_t iters) {
  using S = SimdF;
  typename S::V acc[12];
  for (int i = 0; i < 12; i++) acc[i] = S::set1(float(i) * 1e-3f);
  const typename S::V m = S::set1(0.999999f), a = S::set1(1e-7f);
  for (int64_t it = 0; it < iters; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = S::fma(acc[i], m, a);
  alignas(64) float out[S::W];
  for (int i = 1; i < 12; i++) acc[0] = S::add(acc[0], acc[i]);
  S::store(out, acc[0]);
  volatile float sink = out[0];
  (void)sink;
  return 2.0 * 12 * S::W * (double)iters;
}

}  // namespace TSG_NS

extern const IsaTable TSG_TABLE = {
    TSG_NAME, TSG_NS::gemmF32, TSG_NS::gemmF64, TSG_NS::unaryAny, TSG_NS::binaryAny,
    TSG_NS::reduceAny, TSG_NS::argReduceAny, TSG_NS::softmaxAny, TSG_NS::optimAny, TSG_NS::convAny,
    TSG_NS::batchNormAny, TSG_NS::fusedAny, TSG_NS::rnnAny, TSG_NS::fmaLoop,
};

}  // namespace tsg
