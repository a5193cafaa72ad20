// Batch normalization kernels over x viewed as (outer, channels, inner), compiled once per
// instruction set (included by kernels-impl.h). Arithmetic is in double precision as in
// src/backend/ref/norm.ts: the element-wise kernels (forward, data gradient) evaluate the
// reference's expressions in its order, so they give its bits for the same statistics; the
// per-channel sums (mean, variance, gradient statistics) accumulate in eight double lanes per run
// of `inner` elements (or, when runs are shorter than a vector, across channels, one lane per
// channel), summed in a fixed order. Tasks own ranges of channels, so results do not depend on
// the thread count.

template <typename T> static inline double invStd(const BnArgs& a, int64_t c) {
  return 1.0 / sqrt((double)static_cast<const T*>(a.var)[c] + a.eps);
}

// The summed terms of element idx of a channel centred on mu: x (mean); (x - mu)^2 (variance);
// g (x - mu) and g (gradient statistics).
template <typename T, int KIND> static inline int bnTerms(const T* x, const T* g, int64_t idx, double mu, double* v) {
  if constexpr (KIND == BN_MEAN) {
    v[0] = (double)x[idx];
    return 1;
  } else if constexpr (KIND == BN_VARIANCE) {
    const double d = (double)x[idx] - mu;
    v[0] = d * d;
    return 1;
  } else {
    v[0] = (double)g[idx] * ((double)x[idx] - mu);
    v[1] = (double)g[idx];
    return 2;
  }
}

template <int KIND> constexpr int bnSums() { return KIND == BN_GRAD_STATS ? 2 : 1; }

// Channel c's sums: eight lanes per run of `inner` (lane = position in the run mod 8), lanes
// then added in a fixed tree.
template <typename T, int KIND>
static void channelSums(const BnArgs& a, const T* x, const T* g, int64_t c, double mu, double* out) {
  constexpr int LN = 8, NS = bnSums<KIND>();
  double acc[NS][LN] = {};
  const int64_t inner = a.inner;
  for (int64_t o = 0; o < a.outer; o++) {
    const int64_t base = (o * a.channels + c) * inner;
    int64_t i = 0;
    for (; i + LN <= inner; i += LN)
      for (int l = 0; l < LN; l++) {
        double v[2];
        bnTerms<T, KIND>(x, g, base + i + l, mu, v);
        for (int s = 0; s < NS; s++) acc[s][l] += v[s];
      }
    for (int l = 0; i < inner; i++, l++) {
      double v[2];
      bnTerms<T, KIND>(x, g, base + i, mu, v);
      for (int s = 0; s < NS; s++) acc[s][l] += v[s];
    }
  }
  for (int s = 0; s < NS; s++) {
    for (int w = LN / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; l++) acc[s][l] += acc[s][l + w];
    out[s] = acc[s][0];
  }
}

// The same sums when runs are shorter than a vector (such as (N, C) data, inner 1): a block of
// channels side by side, each summed over its elements in order.
template <typename T, int KIND>
static void channelSumsAcross(const BnArgs& a, const T* x, const T* g, const T* mean, int64_t c0, int64_t c1, double* out) {
  constexpr int CB = 64, NS = bnSums<KIND>();
  for (int64_t cb = c0; cb < c1; cb += CB) {
    const int64_t n = imin(CB, c1 - cb);
    double acc[NS][CB] = {};
    double mu[CB];
    for (int64_t j = 0; j < n; j++) mu[j] = KIND == BN_MEAN ? 0.0 : (double)mean[cb + j];
    for (int64_t o = 0; o < a.outer; o++)
      for (int64_t i = 0; i < a.inner; i++) {
        const int64_t base = (o * a.channels + cb) * a.inner + i;
        for (int64_t j = 0; j < n; j++) {
          double v[2];
          bnTerms<T, KIND>(x, g, base + j * a.inner, mu[j], v);
          for (int s = 0; s < NS; s++) acc[s][j] += v[s];
        }
      }
    for (int64_t j = 0; j < n; j++)
      for (int s = 0; s < NS; s++) out[(cb + j - c0) * 2 + s] = acc[s][j];
  }
}

template <typename T, int KIND> static void bnStats(const BnArgs& a, int64_t c0, int64_t c1) {
  const T* x = static_cast<const T*>(a.x);
  const T* g = static_cast<const T*>(a.g);
  const T* mean = static_cast<const T*>(a.mean);
  T* out = static_cast<T*>(a.out);
  const double m = (double)(a.outer * a.inner);
  const int64_t C = a.channels;
  auto store = [&](int64_t c, const double* r) {
    if constexpr (KIND == BN_GRAD_STATS) {
      out[c] = T(r[0] * invStd<T>(a, c));
      out[C + c] = T(r[1]);
    } else {
      out[c] = T(r[0] / m);
    }
  };
  if (a.inner >= 8) {
    for (int64_t c = c0; c < c1; c++) {
      double r[2];
      channelSums<T, KIND>(a, x, g, c, KIND == BN_MEAN ? 0.0 : (double)mean[c], r);
      store(c, r);
    }
    return;
  }
  double* r = static_cast<double*>(malloc(sizeof(double) * 2 * (size_t)(c1 - c0)));
  if (r == nullptr) abort();
  channelSumsAcross<T, KIND>(a, x, g, mean, c0, c1, r);
  for (int64_t c = c0; c < c1; c++) store(c, r + (c - c0) * 2);
  free(r);
}

template <typename T> struct BnJob {
  const BnArgs* a;
  int kind;
};

template <typename T> static void bnChannels(const BnArgs& a, int kind, int64_t c0, int64_t c1) {
  if (kind == BN_FORWARD || kind == BN_GRAD_DATA) {
    const T* x = static_cast<const T*>(a.x);
    const T* g = static_cast<const T*>(a.g);
    const T* mean = static_cast<const T*>(a.mean);
    const T* gamma = static_cast<const T*>(a.gamma);
    const T* beta = static_cast<const T*>(a.beta);
    const T* sums = static_cast<const T*>(a.sums);
    T* out = static_cast<T*>(a.out);
    const double m = (double)(a.outer * a.inner);
    const int64_t C = a.channels;
    for (int64_t c = c0; c < c1; c++) {
      const double mu = mean[c], s = invStd<T>(a, c);
      const double k = s * (gamma == nullptr ? 1.0 : (double)gamma[c]);
      const double shift = beta == nullptr ? 0.0 : (double)beta[c];
      const double meanG = sums == nullptr ? 0.0 : (double)sums[C + c] / m;
      const double meanGxhat = sums == nullptr ? 0.0 : (double)sums[c] / m;
      for (int64_t o = 0; o < a.outer; o++) {
        const int64_t base = (o * C + c) * a.inner;
        const T* __restrict xr = x + base;
        T* __restrict yr = out + base;
        if (kind == BN_FORWARD) {
          for (int64_t i = 0; i < a.inner; i++) yr[i] = T(((double)xr[i] - mu) * k + shift);
        } else if (sums == nullptr) {
          const T* __restrict gr = g + base;
          for (int64_t i = 0; i < a.inner; i++) yr[i] = T((double)gr[i] * k);
        } else {
          const T* __restrict gr = g + base;
          for (int64_t i = 0; i < a.inner; i++) yr[i] = T(k * ((double)gr[i] - meanG - ((double)xr[i] - mu) * s * meanGxhat));
        }
      }
    }
    return;
  }
  if (kind == BN_MEAN) bnStats<T, BN_MEAN>(a, c0, c1);
  else if (kind == BN_VARIANCE) bnStats<T, BN_VARIANCE>(a, c0, c1);
  else bnStats<T, BN_GRAD_STATS>(a, c0, c1);
}

template <typename T> static void bnTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<BnJob<T>*>(ctx);
  const int64_t C = J.a->channels;
  bnChannels<T>(*J.a, J.kind, C * task / ntasks, C * (task + 1) / ntasks);
}

template <typename T> static void bnRun(const Runtime& rt, int kind, const BnArgs& a) {
  const int64_t total = a.outer * a.channels * a.inner;
  if (total == 0 && kind != BN_MEAN && kind != BN_VARIANCE && kind != BN_GRAD_STATS) return;
  BnJob<T> job{&a, kind};
  const int nt = rt.threads();
  int64_t tasks = total / kCostlyGrain;
  if (tasks > 4 * (int64_t)nt) tasks = 4 * (int64_t)nt;
  if (tasks > a.channels) tasks = a.channels;
  if (nt <= 1 || tasks <= 1) bnChannels<T>(a, kind, 0, a.channels);
  else rt.run((int)tasks, bnTask<T>, &job);
}

static bool batchNormAny(const Runtime& rt, int dt, int kind, const BnArgs& a) {
  if (dt == F32) bnRun<float>(rt, kind, a);
  else if (dt == F64) bnRun<double>(rt, kind, a);
  else return false;
  return true;
}
