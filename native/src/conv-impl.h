// Convolution forward, data gradient and weight gradient, compiled once per instruction set
// (included by kernels-impl.h after gemm-impl.h). Each call splits its work into units that run
// on the pool; a unit unfolds the windows it needs (im2col) into a cache-sized per-thread buffer
// and runs the GEMM on it at once, so the unfolded columns never exist for the whole batch:
//
//   forward      y[n] = W · cols(x[n])            unit: samples x output rows x filters
//   data grad    gx[n] = col2im(Wᵀ · g[n])        unit: one sample x input channels
//   weight grad  gWᵀ = Σ cols(x[n]) · g[n]ᵀ       unit: a fixed run of samples x channels
//
// A 1x1 convolution with stride 1 and no padding reads x (and writes gx) in place. Every output
// element is computed by one unit with the GEMM's fixed k blocking, and the weight gradient sums
// its sample chunks in a fixed order (chunks and partial sums depend on the shapes only), so the
// results are bitwise identical for any thread count.

#include "conv-unfold.h"
#include "conv-direct.h"
#include "conv-flat.h"
#include "conv-winograd.h"

// Unfolded columns per unit, in bytes: the buffer and the GEMM's packed panels share L2.
static constexpr int64_t kConvColsBytes = int64_t(256) << 10;
// Weight gradients up to this many elements sum fixed runs of samples into separate partials
// (the batch is the only parallel axis of a small filter bank such as LeNet's 6 x 25). Each
// partial holds a vector of lanes per element, so the bound keeps it within a quarter of L2: at
// 64K elements (64 x 64 x 3x3) the 2.4 MB of lanes were streamed through memory once per chunk
// and the dot path ran at half the GEMM's speed (23.7 vs 11.2 ms at batch 32, 24x24).
static constexpr int64_t kConvSmallWeight = int64_t(1) << 13;
static constexpr int64_t kConvMaxPartials = 8;

// How a call's samples and output rows are cut into chunks: nb samples with all their rows, or
// one sample and `rows` of its output rows.
struct ConvChunks {
  int64_t nb, rows, groups, rowChunks;
  int64_t count() const { return groups * rowChunks; }
};

// Columns a chunk should hold at least (the GEMM's N in the forward and data gradient, its K in
// the weight gradient): fewer leave the micro-kernel's panels part empty and re-read the filters
// for a handful of columns (a 3x3 map has 9 columns per sample; its filter bank can be 9 MB).
static constexpr int64_t kConvMinCols = 256;

// Chunks of about max(kConvMinCols, budget / ck) columns, ck being the column height: whole
// samples side by side when a sample has fewer columns, else one sample's rows in runs. Shapes
// only decide, never the thread count (the weight gradient's sums follow the chunks).
static ConvChunks convChunks(const ConvGeo& g, int64_t ck, int64_t budget, bool wholeSamples = false,
                             int64_t minCols = kConvMinCols) {
  ConvChunks c;
  const int64_t want = imax(minCols, budget / imax(1, ck));
  if (g.L >= want || g.N <= 1 || g.L == 0) {
    c.nb = 1;
    c.rows = wholeSamples ? g.R : imax(1, imin(g.R, want / imax(1, g.OW)));
  } else {
    c.nb = cdiv(g.N, cdiv(g.N * g.L, want));
    c.rows = g.R;
  }
  c.groups = cdiv(g.N, c.nb);
  c.rowChunks = cdiv(g.R, imax(1, c.rows));
  return c;
}

// ---- forward ----------------------------------------------------------------------------------

template <typename T> struct ConvFwdJob {
  const Runtime* rt;
  const ConvGeo* g;
  ConvChunks ch;
  int64_t oPer, oChunks;
  T* y;
  const T* x;
  const T* xEnd;
  const T* w;
  const T* bias;
  const FusedArgs* epi;
};

// Fills rows [o0, o1) of a C block (row stride ldc, span columns) with the bias, so the GEMM
// accumulates onto it: y = bias + W·cols in the same order wherever the block lands.
template <typename T> static void fillBias(T* c, int64_t ldc, const T* bias, int64_t o0, int64_t o1, int64_t span) {
  for (int64_t o = o0; o < o1; o++) {
    T* r = c + (o - o0) * ldc;
    const T v = bias[o];
    for (int64_t j = 0; j < span; j++) r[j] = v;
  }
}

template <typename T> static void convFwdTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvFwdJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  int64_t u = task;
  const int64_t oi = u % J.oChunks;
  u /= J.oChunks;
  const int64_t ri = u % J.ch.rowChunks, gi = u / J.ch.rowChunks;
  const int64_t n0 = gi * J.ch.nb, nb = imin(g.N, n0 + J.ch.nb) - n0;
  const int64_t r0 = ri * J.ch.rows, r1 = imin(g.R, r0 + J.ch.rows);
  const int64_t o0 = oi * J.oPer, o1 = imin(g.O, o0 + J.oPer);
  const int64_t span = (r1 - r0) * g.OW, ncols = nb * span;
  const T* b;
  int64_t ldb;
  if (g.pointwise && nb == 1) {
    b = J.x + n0 * g.C * g.inSize + r0 * g.OW;
    ldb = g.L;
  } else {
    ldb = ncols + SimdOf<T>::S::W;
    T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(g.CK * ldb + kIm2colSlack)));
    im2colChunk(*J.rt, cols, ldb, J.x, J.xEnd, g, n0, nb, 0, g.C, r0, r1);
    b = cols;
  }
  const bool acc = J.bias != nullptr;
  if (nb == 1) {
    T* c = J.y + (n0 * g.O + o0) * g.L + r0 * g.OW;
    if (acc) fillBias(c, g.L, J.bias, o0, o1, span);
    gemmSerial<T>(*J.rt, c, g.L, J.w + o0 * g.CK, g.CK, false, b, ldb, false, o1 - o0, span, g.CK, acc);
    fusedRegion<T>(*J.rt, J.epi, g.O, g.L, n0, o0, o1, r0 * g.OW, r1 * g.OW);
    return;
  }
  // Several samples share one GEMM (their columns side by side); its result is staged, then each
  // sample's block is copied to its place in y.
  T* c = static_cast<T*>(J.rt->scratch(3, sizeof(T) * (size_t)((o1 - o0) * ncols)));
  if (acc) fillBias(c, ncols, J.bias, o0, o1, ncols);
  gemmSerial<T>(*J.rt, c, ncols, J.w + o0 * g.CK, g.CK, false, b, ldb, false, o1 - o0, ncols, g.CK, acc);
  for (int64_t s = 0; s < nb; s++) {
    for (int64_t o = o0; o < o1; o++)
      copyRun(J.y + ((n0 + s) * g.O + o) * g.L + r0 * g.OW, c + (o - o0) * ncols + s * span, span);
    fusedRegion<T>(*J.rt, J.epi, g.O, g.L, n0 + s, o0, o1, r0 * g.OW, r1 * g.OW);
  }
}

// ---- forward of a small batch, one sample at a time ---------------------------------------------
//
// A sample whose columns make fewer chunks than there are tasks to hand out (batch-1 inference of
// a 14x14 or 7x7 layer) is unfolded once into columns shared by all tasks, the unfolding split by
// channel ranges, then the GEMM y[n] = W · cols is split by filter ranges (when the filter bank is
// the larger operand: each task reads only its rows of it) or by column ranges. Splitting filters
// over per-task unfoldings instead repeated the whole unfolding in every task. The split changes
// no bit: every element is still bias + the sum over k in the GEMM's fixed order.

template <typename T> struct ConvSharedJob {
  const Runtime* rt;
  const ConvGeo* g;
  int64_t n, ld, per, parts;
  bool byFilters;
  T* y;
  T* cols;
  const T* x;
  const T* xEnd;
  const T* w;
  const T* bias;
  const FusedArgs* epi;
};

template <typename T> static void convSharedUnfoldTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<ConvSharedJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t c0 = g.C * task / ntasks, c1 = g.C * (task + 1) / ntasks;
  if (c0 < c1) im2colChunk(*J.rt, J.cols + c0 * g.K * J.ld, J.ld, J.x, J.xEnd, g, J.n, 1, c0, c1, 0, g.R);
}

template <typename T> static void convSharedGemmTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvSharedJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const T* b = J.cols != nullptr ? J.cols : J.x + J.n * g.C * g.inSize;
  const int64_t ldb = J.cols != nullptr ? J.ld : g.L;
  T* y = J.y + J.n * g.O * g.L;
  int64_t o0 = 0, o1 = g.O, j0 = 0, j1 = g.L;
  if (J.byFilters) {
    o0 = imin(g.O, task * J.per), o1 = imin(g.O, o0 + J.per);
  } else {
    j0 = imin(g.L, task * J.per), j1 = imin(g.L, j0 + J.per);
  }
  if (o0 >= o1 || j0 >= j1) return;
  if (J.bias != nullptr) fillBias(y + o0 * g.L + j0, g.L, J.bias, o0, o1, j1 - j0);
  gemmSerial<T>(*J.rt, y + o0 * g.L + j0, g.L, J.w + o0 * g.CK, g.CK, false, b + j0, ldb, false, o1 - o0, j1 - j0, g.CK,
                J.bias != nullptr);
  fusedRegion<T>(*J.rt, J.epi, g.O, g.L, J.n, o0, o1, j0, j1);
}

template <typename T>
static void convForwardShared(const Runtime& rt, const ConvGeo& g, int64_t tasks, T* y, const T* x, const T* w, const T* bias,
                              const FusedArgs* epi) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NRV * SimdOf<T>::S::W;
  ConvSharedJob<T> job{&rt, &g, 0, g.L + SimdOf<T>::S::W, 0, 0, g.O >= g.L, y, nullptr, x, x + g.N * g.C * g.inSize, w, bias, epi};
  // Whole micro-panels per task: MR filters or NR columns.
  const int64_t unit = job.byFilters ? MR : NR, units = cdiv(job.byFilters ? g.O : g.L, unit);
  job.per = cdiv(units, imin(units, tasks)) * unit;
  job.parts = cdiv(job.byFilters ? g.O : g.L, job.per);
  if (!g.pointwise) {
    job.cols = static_cast<T*>(malloc(sizeof(T) * (size_t)(g.CK * job.ld + kIm2colSlack)));
    if (job.cols == nullptr) abort();
  }
  for (int64_t n = 0; n < g.N; n++) {
    job.n = n;
    if (job.cols != nullptr) rt.run((int)imin(tasks, g.C), convSharedUnfoldTask<T>, &job);
    rt.run((int)job.parts, convSharedGemmTask<T>, &job);
  }
  free(job.cols);
}

// epi: the fused epilogue (or null), applied by each path to every output region as it finishes.
template <typename T>
static void convForward(const Runtime& rt, const ConvGeo& g, T* y, const T* x, const T* w, const T* bias, const FusedArgs* epi) {
  if (directForward(g)) return convDirect(rt, g, y, x, w, bias, epi);
  if (winogradForward(g)) return convWinograd(rt, g, y, x, w, bias, epi);
  if (flatForward(g)) return convFlat(rt, g, y, x, w, bias, epi);
  const int nt = rt.threads();
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  ConvChunks ch = convChunks(g, g.CK, budget);
  if (ch.nb == 1 && ch.count() < want && g.N < want) return convForwardShared(rt, g, want, y, x, w, bias, epi);
  // Output rows in even runs (28 rows in runs of 9 left a run of 1 and a thread idle for a third).
  if (ch.nb == 1 && ch.rowChunks > 1) ch.rows = cdiv(g.R, ch.rowChunks);
  // Enough units for every thread: filter ranges when the bank is large (each unit then reads
  // only its rows of it), else fewer samples or rows per unit.
  int64_t oChunks = 1;
  if (ch.count() < want && g.O >= 64) oChunks = imin(cdiv(want, ch.count()), g.O / 32);
  while (ch.count() * oChunks < want && ch.nb > 1) {
    ch.nb = cdiv(ch.nb, 2);
    ch.groups = cdiv(g.N, ch.nb);
  }
  if (ch.count() * oChunks < want && ch.nb == 1 && ch.rows > 1) {
    ch.rows = imax(1, cdiv(g.R, cdiv(want, ch.groups * oChunks)));
    ch.rowChunks = cdiv(g.R, ch.rows);
  }
  if (ch.count() * oChunks < want) oChunks = imax(1, imin(cdiv(want, ch.count()), g.O / 16));
  const int64_t oPer = cdiv(g.O, oChunks);
  oChunks = cdiv(g.O, oPer);
  ConvFwdJob<T> job{&rt, &g, ch, oPer, oChunks, y, x, x + g.N * g.C * g.inSize, w, bias, epi};
  const int64_t tasks = ch.count() * oChunks;
  if (tasks == 1 || nt <= 1) {
    for (int64_t t = 0; t < tasks; t++) convFwdTask<T>(&job, (int)t, (int)tasks);
  } else {
    rt.run((int)tasks, convFwdTask<T>, &job);
  }
}

// ---- data gradient ----------------------------------------------------------------------------

template <typename T> struct ConvDataJob {
  const Runtime* rt;
  const ConvGeo* g;
  ConvChunks ch;  // whole samples only
  int64_t cPer, cChunks;
  T* gx;
  const T* gy;
  const T* w;
};

// Unit: a group of samples x a range of input channels. cols (their C·K rows x the samples'
// columns side by side) = Wᵀ · g of the group, then each sample's columns are folded back.
template <typename T> static void convDataTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvDataJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t gi = task / J.cChunks, c0 = (task % J.cChunks) * J.cPer, c1 = imin(g.C, c0 + J.cPer);
  const int64_t n0 = gi * J.ch.nb, nb = imin(g.N, n0 + J.ch.nb) - n0, ncols = nb * g.L, m = (c1 - c0) * g.K;
  const T* b = J.gy + n0 * g.O * g.L;
  if (nb == 1 && g.pointwise) {
    gemmSerial<T>(*J.rt, J.gx + (n0 * g.C + c0) * g.inSize, g.inSize, J.w + c0, g.CK, true, b, g.L, false, m, g.L, g.O, false);
    return;
  }
  if (nb > 1) {
    T* gt = static_cast<T*>(J.rt->scratch(3, sizeof(T) * (size_t)(g.O * ncols)));
    for (int64_t o = 0; o < g.O; o++)
      for (int64_t s = 0; s < nb; s++) copyRun(gt + o * ncols + s * g.L, J.gy + ((n0 + s) * g.O + o) * g.L, g.L);
    b = gt;
  }
  // Guards before and after the columns, for col2im's shifted reads.
  T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(m * ncols + 2 * kIm2colSlack))) + kIm2colSlack;
  gemmSerial<T>(*J.rt, cols, ncols, J.w + c0 * g.K, g.CK, true, b, nb > 1 ? ncols : g.L, false, m, ncols, g.O, false);
  for (int64_t s = 0; s < nb; s++) col2imChannels(*J.rt, J.gx + (n0 + s) * g.C * g.inSize, cols + s * g.L, ncols, g, c0, c1);
}

// At stride 1 without dilation, gx is the forward convolution of g with the filters transposed
// and rotated half a turn (w'[c][o] = w[o][c] read backwards), padded K - 1 - P, which gives gx
// the input's size. When that convolution takes Winograd (64 x 64 3x3 layers on 24x24 maps and
// up), it runs there instead of the GEMM and col2im: 12.0 -> 7.9 ms at batch 32 on 24x24. Through
// the forward's other paths (flat, unfolding GEMM) the 128-512 channel layers gained nothing.
template <typename T> static bool convDataGradWinograd(const Runtime& rt, const ConvGeo& g, T* gx, const T* gy, const T* w) {
  if (!padded2d(g) || g.SH != 1 || g.SW != 1 || g.DH != 1 || g.DW != 1 || g.PH > g.KH - 1 || g.PW > g.KW - 1) return false;
  const ConvArgs a{g.N, g.O, g.C, {1, g.OH, g.OW}, {1, g.H, g.W}, {1, g.KH, g.KW}, {1, 1, 1},
                   {0, g.KH - 1 - g.PH, g.KW - 1 - g.PW}, {1, 1, 1}};
  const ConvGeo f = convGeo(a);
  if (!winogradForward(f)) return false;
  T* wt = static_cast<T*>(malloc(sizeof(T) * (size_t)(g.O * g.CK)));
  if (wt == nullptr) abort();
  for (int64_t o = 0; o < g.O; o++)
    for (int64_t c = 0; c < g.C; c++)
      for (int64_t k = 0; k < g.K; k++) wt[(c * g.O + o) * g.K + (g.K - 1 - k)] = w[(o * g.C + c) * g.K + k];
  convWinograd<T>(rt, f, gx, gy, wt, nullptr, nullptr);
  free(wt);
  return true;
}

template <typename T> static void convDataGrad(const Runtime& rt, const ConvGeo& g, T* gx, const T* gy, const T* w) {
  if (convDataGradWinograd(rt, g, gx, gy, w)) return;
  const int nt = rt.threads();
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  ConvChunks ch = convChunks(g, g.CK, budget, true);
  int64_t cPer = g.pointwise && ch.nb == 1 ? g.C : imax(1, imin(g.C, budget / imax(1, g.K * ch.nb * g.L)));
  int64_t cChunks = cdiv(g.C, cPer);
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  if (ch.groups * cChunks < want && g.C > 1) {
    cPer = imax(1, cdiv(g.C, cdiv(want, ch.groups)));
    cChunks = cdiv(g.C, cPer);
  }
  ConvDataJob<T> job{&rt, &g, ch, cPer, cChunks, gx, gy, w};
  const int64_t tasks = ch.groups * cChunks;
  if (tasks == 1 || nt <= 1) {
    for (int64_t t = 0; t < tasks; t++) convDataTask<T>(&job, (int)t, (int)tasks);
  } else {
    rt.run((int)tasks, convDataTask<T>, &job);
  }
}

// ---- weight gradient --------------------------------------------------------------------------
//
// Small filter banks (O·C·K up to kConvSmallWeight, LeNet's or a stem's) take dot products: every
// (o, k) pair accumulates g row o times column row k in vector lanes over the chunk's columns, and
// the lanes are summed once at the end. A fixed number of partials (shapes only) each run a fixed
// run of chunks, so the batch is the parallel axis. Larger banks take the GEMM gWᵀ = cols · gᵀ with
// the channels split across tasks, then one transposition.

#if TSG_ISA == 512
static constexpr int kDotRO = 4, kDotRK = 6;
#else
static constexpr int kDotRO = 3, kDotRK = 4;
#endif

// acc[i][j] += lanes of g row i times x row j over n elements (n a multiple of the vector width).
template <typename T, int RO, int RK>
static void dotTile(const T* g, int64_t ldg, const T* x, int64_t ldx, int64_t n, T* acc, int64_t accStride) {
  using S = typename SimdOf<T>::S;
  using V = typename S::V;
  constexpr int VW = S::W;
  V a[RO][RK];
#pragma GCC unroll 6
  for (int i = 0; i < RO; i++)
#pragma GCC unroll 6
    for (int j = 0; j < RK; j++) a[i][j] = S::load(acc + (i * accStride + j) * VW);
  for (int64_t p = 0; p < n; p += VW) {
    V gv[RO];
#pragma GCC unroll 6
    for (int i = 0; i < RO; i++) gv[i] = S::load(g + i * ldg + p);
#pragma GCC unroll 6
    for (int j = 0; j < RK; j++) {
      const V xv = S::load(x + j * ldx + p);
#pragma GCC unroll 6
      for (int i = 0; i < RO; i++) a[i][j] = S::fma(gv[i], xv, a[i][j]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < RO; i++)
#pragma GCC unroll 6
    for (int j = 0; j < RK; j++) S::store(acc + (i * accStride + j) * VW, a[i][j]);
}

template <typename T, int RO, int RK = kDotRK>
static void dotTileAny(int ro, int rk, const T* g, int64_t ldg, const T* x, int64_t ldx, int64_t n, T* acc,
                       int64_t accStride) {
  if constexpr (RO > 1) {
    if (ro < RO) return dotTileAny<T, RO - 1, RK>(ro, rk, g, ldg, x, ldx, n, acc, accStride);
  }
  if constexpr (RK > 1) {
    if (rk < RK) return dotTileAny<T, RO, RK - 1>(ro, rk, g, ldg, x, ldx, n, acc, accStride);
  }
  dotTile<T, RO, RK>(g, ldg, x, ldx, n, acc, accStride);
}

template <typename T> struct ConvWeightJob {
  const Runtime* rt;
  const ConvGeo* g;
  ConvChunks ch;
  int64_t partials, cPer, cChunks;
  T* acc;  // dot path: partials x O x CK vectors of lanes; GEMM path: the CK x O transposed gradient
  const T* x;
  const T* xEnd;
  const T* gy;
};

template <typename T> static void convWeightDotTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvWeightJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  constexpr int VW = SimdOf<T>::S::W;
  const int64_t q0 = J.ch.count() * task / J.partials, q1 = J.ch.count() * (task + 1) / J.partials;
  T* acc = J.acc + task * g.O * g.CK * VW;
  zeroRun(acc, g.O * g.CK * VW);
  for (int64_t q = q0; q < q1; q++) {
    const int64_t gi = q / J.ch.rowChunks, ri = q % J.ch.rowChunks;
    const int64_t n0 = gi * J.ch.nb, nb = imin(g.N, n0 + J.ch.nb) - n0;
    const int64_t r0 = ri * J.ch.rows, r1 = imin(g.R, r0 + J.ch.rows);
    const int64_t span = (r1 - r0) * g.OW, ncols = nb * span, len = cdiv(ncols, VW) * VW, ld = len + VW;
    // Rows padded with zeros to whole vectors: columns, and g gathered to the same layout.
    T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(g.CK * ld + kIm2colSlack)));
    T* gt = static_cast<T*>(J.rt->scratch(3, sizeof(T) * (size_t)(g.O * ld)));
    im2colChunk(*J.rt, cols, ld, J.x, J.xEnd, g, n0, nb, 0, g.C, r0, r1);
    for (int64_t k = 0; k < g.CK; k++) zeroRun(cols + k * ld + ncols, len - ncols);
    for (int64_t o = 0; o < g.O; o++) {
      for (int64_t s = 0; s < nb; s++) copyRun(gt + o * ld + s * span, J.gy + ((n0 + s) * g.O + o) * g.L + r0 * g.OW, span);
      zeroRun(gt + o * ld + ncols, len - ncols);
    }
    for (int64_t o = 0; o < g.O; o += kDotRO)
      for (int64_t k = 0; k < g.CK; k += kDotRK)
        dotTileAny<T, kDotRO>((int)imin(kDotRO, g.O - o), (int)imin(kDotRK, g.CK - k), gt + o * ld, ld, cols + k * ld, ld, len,
                              acc + (o * g.CK + k) * VW, g.CK);
  }
}

// gw[o][k] = the lanes of the partials' accumulators, added partial by partial, then summed in a
// fixed tree.
template <typename T> static void convWeightDotReduce(const ConvGeo& g, int64_t partials, const T* acc, T* gw) {
  using S = typename SimdOf<T>::S;
  constexpr int VW = S::W;
  const int64_t stride = g.O * g.CK * VW;
  for (int64_t i = 0; i < g.O * g.CK; i++) {
    typename S::V v = S::load(acc + i * VW);
    for (int64_t p = 1; p < partials; p++) v = S::add(v, S::load(acc + p * stride + i * VW));
    alignas(64) T lanes[VW];
    S::store(lanes, v);
    for (int w = VW / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; l++) lanes[l] += lanes[l + w];
    gw[i] = lanes[0];
  }
}

template <typename T> static void convWeightGemmTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvWeightJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t c0 = task * J.cPer, c1 = imin(g.C, c0 + J.cPer);
  T* dst = J.acc + c0 * g.K * g.O;
  const int64_t m = (c1 - c0) * g.K;
  for (int64_t q = 0; q < J.ch.count(); q++) {
    const int64_t gi = q / J.ch.rowChunks, ri = q % J.ch.rowChunks;
    const int64_t n0 = gi * J.ch.nb, nb = imin(g.N, n0 + J.ch.nb) - n0;
    const int64_t r0 = ri * J.ch.rows, r1 = imin(g.R, r0 + J.ch.rows);
    const int64_t span = (r1 - r0) * g.OW, ncols = nb * span;
    const T *a, *b;
    int64_t lda, ldb;
    if (g.pointwise && nb == 1) {
      a = J.x + (n0 * g.C + c0) * g.inSize + r0 * g.OW;
      lda = g.L;
    } else {
      lda = ncols + SimdOf<T>::S::W;
      T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(m * lda + kIm2colSlack)));
      im2colChunk(*J.rt, cols, lda, J.x, J.xEnd, g, n0, nb, c0, c1, r0, r1);
      a = cols;
    }
    if (nb == 1) {
      b = J.gy + n0 * g.O * g.L + r0 * g.OW;
      ldb = g.L;
    } else {
      T* gt = static_cast<T*>(J.rt->scratch(3, sizeof(T) * (size_t)(g.O * ncols)));
      for (int64_t o = 0; o < g.O; o++)
        for (int64_t s = 0; s < nb; s++) copyRun(gt + o * ncols + s * span, J.gy + ((n0 + s) * g.O + o) * g.L + r0 * g.OW, span);
      b = gt;
      ldb = ncols;
    }
    gemmSerial<T>(*J.rt, dst, g.O, a, lda, false, b, ldb, true, m, g.O, ncols, q > 0);
  }
}

template <typename T> struct ConvTransposeJob {
  const ConvGeo* g;
  const T* src;  // CK x O
  T* gw;         // O x CK
};

// gw[o][k] = src[k][o], in blocks of 64 k per filter; tasks own ranges of filters.
template <typename T> static void convTransposeTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<ConvTransposeJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t o0 = g.O * task / ntasks, o1 = g.O * (task + 1) / ntasks;
  for (int64_t k0 = 0; k0 < g.CK; k0 += 64) {
    const int64_t k1 = imin(g.CK, k0 + 64);
    for (int64_t o = o0; o < o1; o++)
      for (int64_t k = k0; k < k1; k++) J.gw[o * g.CK + k] = J.src[k * g.O + o];
  }
}

template <typename T> static void convWeightGrad(const Runtime& rt, const ConvGeo& g, T* gw, const T* x, const T* gy) {
  const int nt = rt.threads();
  constexpr int VW = SimdOf<T>::S::W;
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  const ConvChunks ch = convChunks(g, g.CK, budget);
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  if (g.O * g.CK <= kConvSmallWeight) {
    const int64_t partials = imax(1, imin(ch.count(), kConvMaxPartials));
    T* acc = static_cast<T*>(malloc(sizeof(T) * (size_t)(partials * g.O * g.CK * VW)));
    if (acc == nullptr) abort();
    ConvWeightJob<T> job{&rt, &g, ch, partials, g.C, 1, acc, x, x + g.N * g.C * g.inSize, gy};
    if (partials == 1 || nt <= 1) {
      for (int64_t t = 0; t < partials; t++) convWeightDotTask<T>(&job, (int)t, (int)partials);
    } else {
      rt.run((int)partials, convWeightDotTask<T>, &job);
    }
    convWeightDotReduce(g, partials, acc, gw);
    free(acc);
    return;
  }
  int64_t cPer = g.C;
  if (g.C > 1 && nt > 1) cPer = imax(1, cdiv(g.C, want));
  const int64_t cChunks = cdiv(g.C, cPer);
  // Each chunk's product is added onto gWᵀ, which a bank over L2 (512 x 512 x 3x3: 9.4 MB) streams
  // through memory twice per chunk: such banks take more columns per chunk, a kConvMinCols per MiB.
  const int64_t perMiB = (g.O * g.CK * (int64_t)sizeof(T)) >> 20;
  const ConvChunks gch = perMiB > 1 ? convChunks(g, g.CK, budget, false, kConvMinCols * perMiB) : ch;
  T* acc = static_cast<T*>(malloc(sizeof(T) * (size_t)(g.CK * g.O)));
  if (acc == nullptr) abort();
  ConvWeightJob<T> job{&rt, &g, gch, 1, cPer, cChunks, acc, x, x + g.N * g.C * g.inSize, gy};
  if (cChunks == 1 || nt <= 1) {
    for (int64_t t = 0; t < cChunks; t++) convWeightGemmTask<T>(&job, (int)t, (int)cChunks);
  } else {
    rt.run((int)cChunks, convWeightGemmTask<T>, &job);
  }
  ConvTransposeJob<T> tr{&g, acc, gw};
  const int64_t ttasks = nt > 1 && g.O * g.CK >= (int64_t(1) << 15) ? imin(g.O, 2 * (int64_t)nt) : 1;
  if (ttasks == 1) convTransposeTask<T>(&tr, 0, 1);
  else rt.run((int)ttasks, convTransposeTask<T>, &tr);
  free(acc);
}

template <typename T>
static void convT(const Runtime& rt, int kind, T* out, const T* a, const T* b, const T* bias, const ConvArgs& args,
                  const FusedArgs* epi) {
  const ConvGeo g = convGeo(args);
  if (kind == CONV_FORWARD) {
    if (g.N * g.O * g.L > 0) convForward(rt, g, out, a, b, bias, epi);
  } else if (kind == CONV_DATA_GRAD) {
    if (g.N * g.C * g.inSize > 0) convDataGrad(rt, g, out, a, b);
  } else if (g.O * g.CK > 0) {
    convWeightGrad(rt, g, out, a, b);
  }
}

static bool convAny(const Runtime& rt, int dt, int kind, void* out, const void* a, const void* b, const void* bias,
                    const ConvArgs& args, const FusedArgs* epi) {
  if (dt == F32)
    convT(rt, kind, static_cast<float*>(out), static_cast<const float*>(a), static_cast<const float*>(b),
          static_cast<const float*>(bias), args, epi);
  else if (dt == F64)
    convT(rt, kind, static_cast<double*>(out), static_cast<const double*>(a), static_cast<const double*>(b),
          static_cast<const double*>(bias), args, epi);
  else
    return false;
  return true;
}
