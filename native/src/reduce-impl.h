// Reductions, arg-reductions and the softmax family over an (outer, len, inner) view; included
// by kernels-impl.h inside the per-ISA namespace. Accumulation is in double for both float
// dtypes. Work is split over whole output elements (or fixed-size chunks combined in a fixed
// order), so no result depends on the number of threads.

struct SumOp {
  static constexpr int LANES = 8;
  static double init() { return 0.0; }
  static double step(double acc, double v) { return acc + v; }
};
struct ProdOp {
  static constexpr int LANES = 1;  // sequential, like the reference
  static double init() { return 1.0; }
  static double step(double acc, double v) { return acc * v; }
};
struct MaxOp {
  static constexpr int LANES = 8;
  static double init() { return -INFINITY; }
  static double step(double acc, double v) { return (v > acc || v != v) ? v : acc; }
};
struct MinOp {
  static constexpr int LANES = 8;
  static double init() { return INFINITY; }
  static double step(double acc, double v) { return (v < acc || v != v) ? v : acc; }
};

template <typename Op, typename T> static double reduceRow(const T* x, int64_t n) {
  constexpr int L = Op::LANES;
  double lane[L];
  for (int j = 0; j < L; j++) lane[j] = Op::init();
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; j++) lane[j] = Op::step(lane[j], (double)x[i + j]);
  for (int j = 1; j < L; j++) lane[0] = Op::step(lane[0], lane[j]);
  for (; i < n; i++) lane[0] = Op::step(lane[0], (double)x[i]);
  return lane[0];
}

static constexpr int64_t kChunk = 256;         // inner elements reduced together
static constexpr int64_t kSumChunk = 1 << 15;  // elements per partial of a whole-array sum

template <typename Op, typename T>
static void reduceT(const Runtime& rt, T* out, const T* x, int64_t outer, int64_t reduce, int64_t inner) {
  if (inner == 1) {
    if (outer == 1 && reduce >= 4 * kSumChunk && Op::LANES > 1) {
      int64_t nchunks = (reduce + kSumChunk - 1) / kSumChunk;
      double* part = static_cast<double*>(rt.scratch(0, sizeof(double) * (size_t)nchunks));
      parallelRange(rt, nchunks, 4, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; c++) {
          int64_t lo = c * kSumChunk, hi = lo + kSumChunk < reduce ? lo + kSumChunk : reduce;
          part[c] = reduceRow<Op>(x + lo, hi - lo);
        }
      });
      double acc = Op::init();
      for (int64_t c = 0; c < nchunks; c++) acc = Op::step(acc, part[c]);
      out[0] = T(acc);
      return;
    }
    int64_t grain = kCheapGrain / (reduce > 0 ? reduce : 1);
    parallelRange(rt, outer, grain > 0 ? grain : 1, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; o++) out[o] = T(reduceRow<Op>(x + o * reduce, reduce));
    });
    return;
  }
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  int64_t grain = kCheapGrain / ((reduce > 0 ? reduce : 1) * kChunk);
  parallelRange(rt, outer * chunks, grain > 0 ? grain : 1, [&](int64_t w0, int64_t w1) {
    double acc[kChunk];
    for (int64_t w = w0; w < w1; w++) {
      int64_t o = w / chunks, i0 = (w % chunks) * kChunk;
      int64_t len = inner - i0 < kChunk ? inner - i0 : kChunk;
      for (int64_t i = 0; i < len; i++) acc[i] = Op::init();
      for (int64_t r = 0; r < reduce; r++) {
        const T* row = x + (o * reduce + r) * inner + i0;
        for (int64_t i = 0; i < len; i++) acc[i] = Op::step(acc[i], (double)row[i]);
      }
      T* dst = out + o * inner + i0;
      for (int64_t i = 0; i < len; i++) dst[i] = T(acc[i]);
    }
  });
}

template <typename T>
static bool reduceD(const Runtime& rt, int op, T* out, const T* x, int64_t outer, int64_t reduce, int64_t inner) {
  switch (op) {
    case R_SUM: reduceT<SumOp>(rt, out, x, outer, reduce, inner); return true;
    case R_PROD: reduceT<ProdOp>(rt, out, x, outer, reduce, inner); return true;
    case R_MAX: reduceT<MaxOp>(rt, out, x, outer, reduce, inner); return true;
    case R_MIN: reduceT<MinOp>(rt, out, x, outer, reduce, inner); return true;
    default: return false;
  }
}

static bool reduceAny(const Runtime& rt, int dt, int op, void* out, const void* x, int64_t outer, int64_t reduce,
                      int64_t inner) {
  if (outer * inner == 0) return true;
  if (dt == F32) return reduceD(rt, op, static_cast<float*>(out), static_cast<const float*>(x), outer, reduce, inner);
  if (dt == F64)
    return reduceD(rt, op, static_cast<double*>(out), static_cast<const double*>(x), outer, reduce, inner);
  return false;
}

// argmax (sign 1) / argmin (sign -1): the first index of the extreme; a NaN wins at once.
template <typename T>
static void argReduceT(const Runtime& rt, bool isMax, int32_t* out, const T* x, int64_t outer, int64_t reduce,
                       int64_t inner) {
  int64_t grain = kCheapGrain / (reduce > 0 ? reduce : 1);
  parallelRange(rt, outer * inner, grain > 0 ? grain : 1, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; w++) {
      int64_t o = w / inner, i = w % inner;
      const T* p = x + o * reduce * inner + i;
      T best = p[0];
      int32_t at = 0;
      for (int64_t r = 1; r < reduce && best == best; r++) {
        T v = p[r * inner];
        if ((isMax ? v > best : v < best) || v != v) {
          best = v;
          at = (int32_t)r;
        }
      }
      out[w] = at;
    }
  });
}

static bool argReduceAny(const Runtime& rt, int dt, int op, int32_t* out, const void* x, int64_t outer,
                         int64_t reduce, int64_t inner) {
  if (outer * inner == 0) return true;
  if (reduce == 0) return false;
  if (dt == F32) argReduceT(rt, op == 0, out, static_cast<const float*>(x), outer, reduce, inner);
  else if (dt == F64) argReduceT(rt, op == 0, out, static_cast<const double*>(x), outer, reduce, inner);
  else return false;
  return true;
}

// One (outer index, chunk of up to kChunk inner positions) block of the softmax family.
template <typename T>
static void softmaxBlock(int op, T* out, const T* x, const T* y, int64_t base, int64_t len, int64_t inner,
                         int64_t cw) {
  double a[kChunk], s[kChunk];
  if (op == 0 || op == 1) {
    for (int64_t i = 0; i < cw; i++) a[i] = -INFINITY, s[i] = 0;
    for (int64_t r = 0; r < len; r++) {
      const T* row = x + base + r * inner;
      for (int64_t i = 0; i < cw; i++) {
        double v = row[i];
        a[i] = (v > a[i] || v != v) ? v : a[i];
      }
    }
    for (int64_t r = 0; r < len; r++) {
      const T* row = x + base + r * inner;
      T* orow = out + base + r * inner;
      for (int64_t i = 0; i < cw; i++) {
        double e = exp((double)row[i] - a[i]);
        if (op == 0) orow[i] = T(e);
        s[i] += e;
      }
    }
    if (op == 1)
      for (int64_t i = 0; i < cw; i++) a[i] += log(s[i]);
    for (int64_t r = 0; r < len; r++) {
      const T* row = x + base + r * inner;
      T* orow = out + base + r * inner;
      if (op == 0)
        for (int64_t i = 0; i < cw; i++) orow[i] = T((double)orow[i] / s[i]);
      else
        for (int64_t i = 0; i < cw; i++) orow[i] = T((double)row[i] - a[i]);
    }
    return;
  }
  // Gradients: x is g, y the forward output.
  for (int64_t i = 0; i < cw; i++) s[i] = 0;
  for (int64_t r = 0; r < len; r++) {
    const T* g = x + base + r * inner;
    const T* yr = y + base + r * inner;
    if (op == 2)
      for (int64_t i = 0; i < cw; i++) s[i] += (double)g[i] * (double)yr[i];
    else
      for (int64_t i = 0; i < cw; i++) s[i] += (double)g[i];
  }
  for (int64_t r = 0; r < len; r++) {
    const T* g = x + base + r * inner;
    const T* yr = y + base + r * inner;
    T* orow = out + base + r * inner;
    if (op == 2)
      for (int64_t i = 0; i < cw; i++) orow[i] = T((double)yr[i] * ((double)g[i] - s[i]));
    else
      for (int64_t i = 0; i < cw; i++) orow[i] = T((double)g[i] - exp((double)yr[i]) * s[i]);
  }
}

// The softmax family along contiguous rows (inner == 1, the usual last-axis case). Rows are taken
// in blocks of about 512 elements: the row maxima and sums run per row in the reference's order,
// while the exps of the whole block go through vexp in one flat loop that vectorizes even when
// rows are short (a 10-class softmax).
template <typename T>
static void softmaxRows(int op, T* __restrict out, const T* x, const T* y, int64_t rows, int64_t len) {
  constexpr int64_t B = 512;
  double e[B], c[B];
  if (len > B) {
    // Long rows: one row at a time, its exps in B-sized pieces.
    for (int64_t o = 0; o < rows; o++) {
      T* orow = out + o * len;
      const T* xr = x + o * len;
      const T* yr = y + o * len;
      double s = 0;
      if (op == 0 || op == 1) {
        double a = -INFINITY;
        for (int64_t r = 0; r < len; r++) {
          double v = xr[r];
          a = (v > a || v != v) ? v : a;
        }
        for (int64_t r0 = 0; r0 < len; r0 += B) {
          const int64_t w = len - r0 < B ? len - r0 : B;
          for (int64_t i = 0; i < w; i++) e[i] = vexp((double)xr[r0 + i] - a);
          if (op == 0)
            for (int64_t i = 0; i < w; i++) orow[r0 + i] = T(e[i]);
          for (int64_t i = 0; i < w; i++) s += e[i];
        }
        if (op == 0)
          for (int64_t r = 0; r < len; r++) orow[r] = T((double)orow[r] / s);
        else {
          const double lse = a + log(s);
          for (int64_t r = 0; r < len; r++) orow[r] = T((double)xr[r] - lse);
        }
      } else if (op == 2) {
        for (int64_t r = 0; r < len; r++) s += (double)xr[r] * (double)yr[r];
        for (int64_t r = 0; r < len; r++) orow[r] = T((double)yr[r] * ((double)xr[r] - s));
      } else {
        for (int64_t r = 0; r < len; r++) s += (double)xr[r];
        for (int64_t r = 0; r < len; r++) orow[r] = T((double)xr[r] - vexp((double)yr[r]) * s);
      }
    }
    return;
  }
  const int64_t per = len > 0 ? B / len : rows;
  for (int64_t o0 = 0; o0 < rows; o0 += per) {
    const int64_t nr = rows - o0 < per ? rows - o0 : per;
    const int64_t n = nr * len, base = o0 * len;
    const T* xb = x + base;
    const T* yb = y + base;
    T* ob = out + base;
    if (op == 2) {
      for (int64_t o = 0; o < nr; o++) {
        double s = 0;
        for (int64_t r = 0; r < len; r++) s += (double)xb[o * len + r] * (double)yb[o * len + r];
        for (int64_t r = 0; r < len; r++) c[o * len + r] = s;
      }
      for (int64_t i = 0; i < n; i++) ob[i] = T((double)yb[i] * ((double)xb[i] - c[i]));
      continue;
    }
    if (op == 3) {
      for (int64_t o = 0; o < nr; o++) {
        double s = 0;
        for (int64_t r = 0; r < len; r++) s += (double)xb[o * len + r];
        for (int64_t r = 0; r < len; r++) c[o * len + r] = s;
      }
      for (int64_t i = 0; i < n; i++) e[i] = vexp((double)yb[i]);
      for (int64_t i = 0; i < n; i++) ob[i] = T((double)xb[i] - e[i] * c[i]);
      continue;
    }
    // Forward: c holds each element's row maximum, then its row's normalizer.
    for (int64_t o = 0; o < nr; o++) {
      double a = -INFINITY;
      for (int64_t r = 0; r < len; r++) {
        double v = xb[o * len + r];
        a = (v > a || v != v) ? v : a;
      }
      for (int64_t r = 0; r < len; r++) c[o * len + r] = a;
    }
    for (int64_t i = 0; i < n; i++) e[i] = vexp((double)xb[i] - c[i]);
    for (int64_t o = 0; o < nr; o++) {
      double s = 0;
      for (int64_t r = 0; r < len; r++) s += e[o * len + r];
      const double v = op == 0 ? s : c[o * len] + log(s);
      for (int64_t r = 0; r < len; r++) c[o * len + r] = v;
    }
    if (op == 0)
      for (int64_t i = 0; i < n; i++) ob[i] = T((double)T(e[i]) / c[i]);
    else
      for (int64_t i = 0; i < n; i++) ob[i] = T((double)xb[i] - c[i]);
  }
}

template <typename T>
static void softmaxT(const Runtime& rt, int op, T* out, const T* x, const T* y, int64_t outer, int64_t len,
                     int64_t inner) {
  if (inner == 1) {
    int64_t grain = kCostlyGrain / (len > 0 ? len : 1);
    parallelRange(rt, outer, grain > 0 ? grain : 1, [&](int64_t o0, int64_t o1) {
      softmaxRows(op, out + o0 * len, x + o0 * len, y + o0 * len, o1 - o0, len);
    });
    return;
  }
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  int64_t grain = kCostlyGrain / ((len > 0 ? len : 1) * (inner < kChunk ? inner : kChunk));
  parallelRange(rt, outer * chunks, grain > 0 ? grain : 1, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; w++) {
      int64_t o = w / chunks, i0 = (w % chunks) * kChunk;
      int64_t cw = inner - i0 < kChunk ? inner - i0 : kChunk;
      softmaxBlock(op, out, x, y, o * len * inner + i0, len, inner, cw);
    }
  });
}

static bool softmaxAny(const Runtime& rt, int dt, int op, void* out, const void* x, const void* y, int64_t outer,
                       int64_t len, int64_t inner) {
  if (outer * len * inner == 0) return true;
  if (dt == F32)
    softmaxT(rt, op, static_cast<float*>(out), static_cast<const float*>(x), static_cast<const float*>(y), outer,
             len, inner);
  else if (dt == F64)
    softmaxT(rt, op, static_cast<double*>(out), static_cast<const double*>(x), static_cast<const double*>(y), outer,
             len, inner);
  else return false;
  return true;
}
