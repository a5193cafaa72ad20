// Direct forward convolution for layers with few input taps (C · kernel area up to kDirectMaxTaps,
// such as LeNet's first layer: one channel, 5x5), 2-D, stride 1 and no dilation along W, included
// by conv-impl.h. Unfolding such a layer into columns costs as much as the multiplications, so each
// output row is computed straight from the sample's zero-bordered staging rows (conv-unfold.h's
// padRows): a register tile of MR filters x NV vectors of output columns accumulates every tap
// (c, kh, kw) in order, reading the input row at the tap's shift, then adds the bias as the GEMM
// path does (y = bias + the sum). Units are samples; each output element is computed by one unit.

static constexpr int64_t kDirectMaxTaps = 32;

static bool directForward(const ConvGeo& g) {
  return padded2d(g) && g.SW == 1 && g.DW == 1 && g.CK <= kDirectMaxTaps && g.OW >= 4;
}

template <typename T> struct ConvDirectJob {
  const Runtime* rt;
  const ConvGeo* g;
  int64_t nPer;
  T* y;
  const T* x;
  const T* w;
  const T* bias;
  const FusedArgs* epi;
};

// Filters [o0, o0 + MR) of output row oh, columns [ow0, ow0 + NV vectors) clipped to OW.
template <typename T, int MR, int NV>
static void directTile(const ConvGeo& g, const T* xp, int64_t plane, int64_t Wq, const T* w, const T* bias, T* yrow,
                       int64_t oh, int64_t o0, int64_t ow0) {
  using S = typename SimdOf<T>::S;
  using V = typename S::V;
  constexpr int VW = S::W;
  V acc[MR][NV];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = S::zero();
  const int64_t CK = g.CK, KH = g.KH, KW = g.KW, rowStep = g.DH * Wq;
  const T* wk = w + o0 * CK;
  const T* xc = xp + oh * g.SH * Wq + ow0;
  for (int64_t c = 0; c < g.C; c++, xc += plane)
    for (int64_t kh = 0; kh < KH; kh++) {
      const T* xr = xc + kh * rowStep;
      for (int64_t kw = 0; kw < KW; kw++, wk++) {
        V xv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) xv[j] = S::load(xr + kw + j * VW);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
          const V wv = S::set1(wk[i * CK]);
#pragma GCC unroll 4
          for (int j = 0; j < NV; j++) acc[i][j] = S::fma(wv, xv[j], acc[i][j]);
        }
      }
    }
  const int64_t n = imin(NV * VW, g.OW - ow0);
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    T* dst = yrow + (o0 + i) * g.L + ow0;
    const V b = bias == nullptr ? S::zero() : S::set1(bias[o0 + i]);
    if (n == NV * VW) {
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) S::store(dst + j * VW, bias == nullptr ? acc[i][j] : S::add(b, acc[i][j]));
      continue;
    }
    alignas(64) T out[NV * VW];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) S::store(out + j * VW, bias == nullptr ? acc[i][j] : S::add(b, acc[i][j]));
    for (int64_t k = 0; k < n; k++) dst[k] = out[k];
  }
}

// All filters of one output row: tiles of six filters (fewer for the last) by two vectors, then
// one vector for a short remainder.
template <typename T, int MR>
static void directRowFilters(const ConvGeo& g, const T* xp, int64_t plane, int64_t Wq, const T* w, const T* bias, T* yrow,
                             int64_t oh, int64_t o0) {
  constexpr int VW = SimdOf<T>::S::W;
  int64_t ow0 = 0;
  for (; g.OW - ow0 > VW; ow0 += 2 * VW) directTile<T, MR, 2>(g, xp, plane, Wq, w, bias, yrow, oh, o0, ow0);
  if (ow0 < g.OW) directTile<T, MR, 1>(g, xp, plane, Wq, w, bias, yrow, oh, o0, ow0);
}

template <typename T>
static void directRow(const ConvGeo& g, const T* xp, int64_t plane, int64_t Wq, const T* w, const T* bias, T* yrow, int64_t oh) {
  int64_t o0 = 0;
  for (; o0 + 6 <= g.O; o0 += 6) directRowFilters<T, 6>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
  switch (g.O - o0) {
    case 5: return directRowFilters<T, 5>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
    case 4: return directRowFilters<T, 4>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
    case 3: return directRowFilters<T, 3>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
    case 2: return directRowFilters<T, 2>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
    case 1: return directRowFilters<T, 1>(g, xp, plane, Wq, w, bias, yrow, oh, o0);
    default: return;
  }
}

template <typename T> static void convDirectTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvDirectJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const PadPlan pp = padPlan<T>(g);
  const int64_t Hq = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1, plane = Hq * pp.Wq;
  T* xp = static_cast<T*>(J.rt->scratch(4, sizeof(T) * (size_t)(g.C * plane + kIm2colSlack)));
  const int64_t n1 = imin(g.N, (task + 1) * J.nPer);
  for (int64_t n = task * J.nPer; n < n1; n++) {
    padRows(xp, J.x + n * g.C * g.inSize, g, pp.Wq, 0, g.C, 0, Hq);
    T* yn = J.y + n * g.O * g.L;
    for (int64_t oh = 0; oh < g.OH; oh++) directRow(g, xp, plane, pp.Wq, J.w, J.bias, yn + oh * g.OW, oh);
    fusedRegion<T>(*J.rt, J.epi, g.O, g.L, n, 0, g.O, 0, g.L);
  }
}

template <typename T>
static void convDirect(const Runtime& rt, const ConvGeo& g, T* y, const T* x, const T* w, const T* bias, const FusedArgs* epi) {
  const int nt = rt.threads();
  const int64_t tasks = imin(g.N, nt > 1 ? 4 * (int64_t)nt : 1);
  ConvDirectJob<T> job{&rt, &g, cdiv(g.N, tasks), y, x, w, bias, epi};
  const int64_t ntasks = cdiv(g.N, job.nPer);
  if (ntasks <= 1 || nt <= 1) {
    for (int64_t t = 0; t < ntasks; t++) convDirectTask<T>(&job, (int)t, (int)ntasks);
  } else {
    rt.run((int)ntasks, convDirectTask<T>, &job);
  }
}
