// Direct forward convolution over flat zero-bordered planes, for 2-D layers with stride 1 and more
// taps than conv-direct.h takes (ResNet's 3x3 layers), included by conv-impl.h before the GEMM
// path. Unfolding such a layer (im2col), then packing the columns into the GEMM's panels, copies
// every input element K times twice; with 64 filters that is a quarter of the multiply-adds' time.
//
// Here a sample's channels are copied once into zero-bordered staging planes (conv-unfold.h's
// padRows) of row length Wq = W + 2 PW. Output cell (oh, ow) sits at flat position
// j = oh * Wq + ow, and tap (c, kh, kw) reads it at c * plane + j + kh * DH * Wq + kw * DW: a run of
// flat positions reads a contiguous run of the plane for every tap. A register tile of MR filters x
// NV vectors of flat positions accumulates every tap in order, straight from the planes and the
// filter rows; positions with ow >= OW (Wq - OW of every Wq, the borders) are computed and dropped.
//
// Stride 2 (no dilation) takes the same kernel after a space-to-depth staging: each channel is
// split into phase planes by the parity of the padded row and column (phase (a, b) holds padded
// cells (2r + a, 2s + b) at (r, s), rows of Wq = OW + (KW - 1) / 2), so output (oh, ow) at flat
// j = oh * Wq + ow reads tap (kh, kw) from phase (kh % 2, kw % 2) at j + (kh / 2) * Wq + kw / 2: a
// stride-1 layer again, with constant tap offsets (ResNet's 7x7 stem, its 3x3 and 1x1 stride-2
// layers, which the unfolding path ran at two thirds of the flat kernel's rate).
//
// Each output cell is one lane of one tile and sums its taps in one fixed order (then adds the
// bias) however the positions and filters are tiled, so the split over tasks, which follows the
// thread count, changes no bit.

// Kernel taps up to this many (the tap offsets live on the stack).
static constexpr int64_t kFlatMaxTaps = 64;

static bool flatStride2(const ConvGeo& g) {
  return g.SH == 2 && g.SW == 2 && g.DH == 1 && g.DW == 1;
}

// Staging geometry: per channel, ph x pw phase planes (1 x 1 at stride 1) of Hq rows of Wq, each
// `phase` elements, `plane` in all; flat outputs [0, Lf).
struct FlatPlan {
  int64_t Wq, Hq, ph, pw, phase, plane, Lf;
};

static FlatPlan flatPlan(const ConvGeo& g) {
  FlatPlan p;
  if (flatStride2(g)) {
    p.ph = g.KH > 1 ? 2 : 1, p.pw = g.KW > 1 ? 2 : 1;
    p.Wq = g.OW + (g.KW - 1) / 2;
    p.Hq = g.OH + (g.KH - 1) / 2;
  } else {
    p.ph = p.pw = 1;
    p.Wq = g.W + 2 * g.PW;
    p.Hq = g.H + 2 * g.PH;
  }
  p.phase = p.Hq * p.Wq;
  p.plane = p.ph * p.pw * p.phase;
  p.Lf = (g.OH - 1) * p.Wq + g.OW;
  return p;
}

// Below this many flat positions per sample, a batch of several samples takes the unfolding path:
// the flat kernel walks the whole filter bank once per sample, and on ResNet's 6x6 and 3x3 maps at
// batch 32 (41 and 12 positions, banks of 1.2-4.7 MB) that re-read made it slower than one GEMM
// over many samples' columns (256 -> 512 stride 2 on 6x6: 13.2 ms against 5.8; 256 x 256 on 6x6:
// 13.7 against 11.2; at 166 positions, 128 x 128 on 12x12, flat still wins, 11.4 against 11.9).
static constexpr int64_t kFlatMinPositionsBatched = 128;

static bool flatForward(const ConvGeo& g) {
  const bool s1 = g.SH == 1 && g.SW == 1 && g.K > 1;
  const int64_t Wq = s1 ? g.W + 2 * g.PW : g.OW + (g.KW - 1) / 2;
  // The dropped border positions cost more than the unfolding saves on narrow maps.
  return padded2d(g) && (s1 || flatStride2(g)) && g.K <= kFlatMaxTaps && g.O >= 16 && g.OW * 4 >= Wq * 3 &&
         (g.N <= 1 || flatPlan(g).Lf >= kFlatMinPositionsBatched);
}

// Offset of tap (kh, kw) from a flat position, within a channel's staging.
static int64_t flatTap(const ConvGeo& g, const FlatPlan& p, int64_t kh, int64_t kw) {
  if (!flatStride2(g)) return kh * g.DH * p.Wq + kw * g.DW;
  return ((kh % 2) * p.pw + kw % 2) * p.phase + (kh / 2) * p.Wq + kw / 2;
}

// Channels [c0, c1) of the sample at xs into staging xp (channel c at (c - c0) * plane): the
// zero-bordered planes, or at stride 2 their phase planes (padded cell (2r + a, 2s + b) of
// phase (a, b) at row r, column s; cells past the padded input are zeros).
template <typename T> static void flatStage(T* xp, const T* xs, const ConvGeo& g, const FlatPlan& p, int64_t c0, int64_t c1) {
  if (!flatStride2(g)) return padRows(xp, xs, g, p.Wq, c0, c1, 0, p.Hq);
  for (int64_t c = c0; c < c1; c++)
    for (int64_t a = 0; a < p.ph; a++)
      for (int64_t b = 0; b < p.pw; b++)
        for (int64_t r = 0; r < p.Hq; r++) {
          T* d = xp + (c - c0) * p.plane + (a * p.pw + b) * p.phase + r * p.Wq;
          const int64_t ih = 2 * r + a - g.PH;
          if (ih < 0 || ih >= g.H) {
            zeroRun(d, p.Wq);
            continue;
          }
          // Column s reads input column 2s + b - PW: inside the row for s in [s0, s1).
          const int64_t s0 = imin(p.Wq, imax(0, cdiv(g.PW - b, 2))), s1 = imax(s0, imin(p.Wq, (g.W - 1 + g.PW - b) / 2 + 1));
          const T* src = xs + c * g.inSize + ih * g.W + 2 * s0 + b - g.PW;
          zeroRun(d, s0);
          int64_t s = s0;
          if constexpr (Stride2<T>::kVector) {
            // A vector reads 2 VW elements, the last one past its own: stop a vector early so
            // every read stays inside the row.
            using S = typename SimdOf<T>::S;
            for (; s + S::W < s1; s += S::W) S::store(d + s, Stride2<T>::load(src + 2 * (s - s0)));
          }
          for (; s < s1; s++) d[s] = src[2 * (s - s0)];
          zeroRun(d + s1, p.Wq - s1);
        }
}

// Elements after the last plane that a tile's vectors may read (positions past Lf, dropped).
template <typename T> static constexpr int64_t flatSlack() {
  return int64_t(Blocking<T>::NRV) * SimdOf<T>::S::W;
}

// Filters [o0, o0 + MR) at flat positions [j0, j0 + NV vectors), channels [c0, c1): the sums
// start from zero (first) or from out's partial sums, and end in out (MR rows of NV vectors), plus
// the bias after the last channel. A partial sum stored and loaded back is the same float, so a
// cell's chain of multiply-adds does not depend on where the channels are cut.
template <typename T, int MR, int NV>
static void flatTile(const ConvGeo& g, const T* xp, int64_t plane, const int64_t* taps, const T* w, const T* bias,
                     int64_t o0, int64_t j0, int64_t c0, int64_t c1, T* out) {
  using S = typename SimdOf<T>::S;
  using V = typename S::V;
  constexpr int VW = S::W, NT = Blocking<T>::NRV * VW;
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
    for (int j = 0; j < NV; j++) acc[i][j] = c0 == 0 ? S::zero() : S::load(out + i * NT + j * VW);
  const int64_t CK = g.CK, K = g.K;
  const T* wk = w + o0 * CK + c0 * K;
  const T* xc = xp + j0 + c0 * plane;
  for (int64_t c = c0; c < c1; c++, xc += plane)
    for (int64_t t = 0; t < K; t++, wk++) {
      const T* xr = xc + taps[t];
      V xv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; j++) xv[j] = S::load(xr + j * VW);
#pragma GCC unroll 8
      for (int i = 0; i < MR; i++) {
        const V wv = S::set1(wk[i * CK]);
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) acc[i][j] = S::fma(wv, xv[j], acc[i][j]);
      }
    }
  const bool end = c1 == g.C && bias != nullptr;
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++) {
    const V b = end ? S::set1(bias[o0 + i]) : S::zero();
#pragma GCC unroll 8
    for (int j = 0; j < NV; j++) S::store(out + i * NT + j * VW, end ? S::add(b, acc[i][j]) : acc[i][j]);
  }
}

template <typename T, int MR, int NV = Blocking<T>::NRV>
static void flatTileAny(int mr, int nv, const ConvGeo& g, const T* xp, int64_t plane, const int64_t* taps, const T* w,
                        const T* bias, int64_t o0, int64_t j0, int64_t c0, int64_t c1, T* out) {
  if constexpr (MR > 1) {
    if (mr < MR) return flatTileAny<T, MR - 1, NV>(mr, nv, g, xp, plane, taps, w, bias, o0, j0, c0, c1, out);
  }
  if constexpr (NV > 1) {
    if (nv < NV) return flatTileAny<T, MR, NV - 1>(mr, nv, g, xp, plane, taps, w, bias, o0, j0, c0, c1, out);
  }
  flatTile<T, MR, NV>(g, xp, plane, taps, w, bias, o0, j0, c0, c1, out);
}

// Staged bytes that one block of channels of a tile's positions may take (half of a 48 KiB L1).
static constexpr int64_t kFlatL1Bytes = int64_t(24) << 10;
// Output bytes a range gathers before its epilogue runs over them (while they sit in L2).
static constexpr int64_t kFlatEpiBytes = int64_t(256) << 10;

// Channels per block: those whose staged cells under one tile of positions fit kFlatL1Bytes, so
// that every filter tile reads them from L1 (with filters outer, each filter tile streamed the
// range's whole staging from L2 again, and the 3x3 stride-2 layers ran at half the FMA peak).
template <typename T> static int64_t flatChannelBlock(const ConvGeo& g, const FlatPlan& p) {
  constexpr int64_t NT = Blocking<T>::NRV * SimdOf<T>::S::W;
  const int64_t rows = flatStride2(g) ? (g.KH - 1) / 2 : (g.KH - 1) * g.DH;
  const int64_t perChannel = sizeof(T) * p.ph * p.pw * (NT + rows * p.Wq + g.KW * g.DW);
  return imax(1, imin(g.C, kFlatL1Bytes / perChannel));
}

// Positions [j, j + n) of the rows of filters [o0, o1) in out (row stride NT) into y: the kept
// runs (flat p is (p / Wq, p % Wq), kept while p % Wq < OW).
template <typename T>
static void flatKeep(const ConvGeo& g, const FlatPlan& fp, T* y, const T* out, int64_t o0, int64_t o1, int64_t j, int64_t n) {
  constexpr int64_t NT = Blocking<T>::NRV * SimdOf<T>::S::W;
  for (int64_t p = j; p < j + n;) {
    const int64_t oh = p / fp.Wq, ow = p - oh * fp.Wq;
    const int64_t run = imin(j + n - p, fp.Wq - ow);
    const int64_t keep = imax(0, imin(run, g.OW - ow));
    for (int64_t o = o0; o < o1; o++) {
      T* dst = y + o * g.L + oh * g.OW + ow;
      const T* src = out + (o - o0) * NT + (p - j);
      for (int64_t q = 0; q < keep; q++) dst[q] = src[q];
    }
    p += run;
  }
}

// Filter bytes of a range above which it keeps each filter tile's rows in cache instead (the
// weights, not the staged cells, then bound the time: ResNet's 4.7 MB bank on a 7x7 map).
static constexpr int64_t kFlatBlockWeights = int64_t(1) << 20;

// Filters [o0, o1) x flat positions [j0, j1) of sample n into y (the sample's output). When the
// staged cells under a tile of positions overflow L1, the range's filters fit in L2 and it has
// several tiles of positions: per tile of positions, per
// block of channels, every filter tile (the block's staged cells stay in L1 across the filters;
// the partial sums wait in a per-thread buffer of (o1 - o0) x NT), the epilogue (or none) every
// kFlatEpiBytes of output while it is still in cache (run once over a whole sample, it read the
// cells back from memory: a twentieth of the network's time at batch 1). Otherwise filter tiles
// outer, each over all positions with every channel, then the epilogue over the tile's rows (the
// stem's 3 channels gain nothing from the blocks, and writing 64 output rows a tile at a time
// cost it a fifth of its time). The
// valid cells among flat positions [j0, j1) are one contiguous run of y's cells.
template <typename T>
static void flatRange(const Runtime& rt, const FusedArgs* epi, int64_t sample, const ConvGeo& g, const FlatPlan& fp, const T* xp,
                      const T* w, const T* bias, T* y, int64_t o0, int64_t o1, int64_t j0, int64_t j1) {
  constexpr int MR = Blocking<T>::MR, VW = SimdOf<T>::S::W, NT = Blocking<T>::NRV * VW;
  int64_t taps[kFlatMaxTaps];
  for (int64_t kh = 0, t = 0; kh < g.KH; kh++)
    for (int64_t kw = 0; kw < g.KW; kw++, t++) taps[t] = flatTap(g, fp, kh, kw);
  auto cell = [&](int64_t j) { return j / fp.Wq * g.OW + imin(j % fp.Wq, g.OW); };
  const int64_t cb = flatChannelBlock<T>(g, fp);
  const bool blocked = cb < g.C && j1 - j0 > NT && (int64_t)sizeof(T) * (o1 - o0) * g.CK <= kFlatBlockWeights;
  const int64_t rows = blocked ? cdiv(o1 - o0, MR) * MR : MR;
  T* out = static_cast<T*>(rt.scratch(2, sizeof(T) * (size_t)(rows * NT)));
  if (!blocked) {
    for (int64_t o = o0; o < o1; o += MR) {
      const int64_t oe = imin(o1, o + MR);
      for (int64_t j = j0; j < j1; j += NT) {
        const int64_t n = imin(NT, j1 - j);
        flatTileAny<T, MR>((int)(oe - o), (int)cdiv(n, VW), g, xp, fp.plane, taps, w, bias, o, j, 0, g.C, out);
        flatKeep(g, fp, y, out, o, oe, j, n);
      }
      fusedRegion<T>(rt, epi, g.O, g.L, sample, o, oe, cell(j0), cell(j1));
    }
    return;
  }
  int64_t pending = cell(j0);
  for (int64_t j = j0; j < j1; j += NT) {
    const int64_t n = imin(NT, j1 - j);
    for (int64_t c = 0; c < g.C; c += cb)
      for (int64_t o = o0; o < o1; o += MR)
        flatTileAny<T, MR>((int)imin(MR, o1 - o), (int)cdiv(n, VW), g, xp, fp.plane, taps, w, bias, o, j, c,
                           imin(g.C, c + cb), out + (o - o0) * NT);
    flatKeep(g, fp, y, out, o0, o1, j, n);
    const int64_t done = cell(j + n);
    if (j + n >= j1 || (int64_t)sizeof(T) * (o1 - o0) * (done - pending) >= kFlatEpiBytes) {
      fusedRegion<T>(rt, epi, g.O, g.L, sample, o0, o1, pending, done);
      pending = done;
    }
  }
}

// Staged elements per task's range of positions: about what one core's L2 share holds.
static constexpr int64_t kFlatRangeElems = int64_t(64) << 10;

template <typename T> struct ConvFlatJob {
  const Runtime* rt;
  const ConvGeo* g;
  FlatPlan fp;
  int64_t n, oPer, oChunks, jPer;
  T* y;
  T* xp;  // the shared staging planes of sample n, or null (each task stages its own samples)
  const T* x;
  const T* w;
  const T* bias;
  const FusedArgs* epi;
};

template <typename T> static void flatPadTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<ConvFlatJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t c0 = g.C * task / ntasks, c1 = g.C * (task + 1) / ntasks;
  if (c0 < c1) flatStage(J.xp + c0 * J.fp.plane, J.x + J.n * g.C * g.inSize, g, J.fp, c0, c1);
}

template <typename T> static void flatRangeTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvFlatJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t oi = task % J.oChunks, ji = task / J.oChunks;
  const int64_t o0 = oi * J.oPer, o1 = imin(g.O, o0 + J.oPer), j0 = ji * J.jPer, j1 = imin(J.fp.Lf, j0 + J.jPer);
  if (o0 >= o1 || j0 >= j1) return;
  flatRange(*J.rt, J.epi, J.n, g, J.fp, J.xp, J.w, J.bias, J.y + J.n * g.O * g.L, o0, o1, j0, j1);
}

// A whole sample per task: staged into the task's own scratch.
template <typename T> static void flatSampleTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvFlatJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const size_t bytes = sizeof(T) * (size_t)(g.C * J.fp.plane + flatSlack<T>());
  T* xp = static_cast<T*>(J.rt->scratch(4, bytes));
  zeroRun(xp + g.C * J.fp.plane, flatSlack<T>());
  flatStage(xp, J.x + task * g.C * g.inSize, g, J.fp, 0, g.C);
  flatRange(*J.rt, J.epi, task, g, J.fp, xp, J.w, J.bias, J.y + task * g.O * g.L, 0, g.O, 0, J.fp.Lf);
}

template <typename T>
static void convFlat(const Runtime& rt, const ConvGeo& g, T* y, const T* x, const T* w, const T* bias, const FusedArgs* epi) {
  constexpr int MR = Blocking<T>::MR, NT = Blocking<T>::NRV * SimdOf<T>::S::W;
  const int nt = rt.threads();
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  ConvFlatJob<T> job{&rt, &g, flatPlan(g), 0, g.O, 1, 0, y, nullptr, x, w, bias, epi};
  if (nt > 1 && g.N >= want) {
    rt.run((int)g.N, flatSampleTask<T>, &job);
    return;
  }
  // Ranges of positions whose staged rows fit the budget, then filter ranges (whole tiles) until
  // every thread has work: each task reads only its filters' rows.
  const int64_t tiles = cdiv(job.fp.Lf, NT);
  job.jPer = imax(1, imin(tiles, kFlatRangeElems / imax(1, g.C * job.fp.ph * job.fp.pw * job.fp.Wq) * job.fp.Wq / NT)) * NT;
  const int64_t jChunks = cdiv(job.fp.Lf, job.jPer), oTiles = cdiv(g.O, MR);
  if (jChunks < want) job.oChunks = imin(oTiles, cdiv(want, jChunks));
  job.oPer = cdiv(oTiles, job.oChunks) * MR;
  job.oChunks = cdiv(g.O, job.oPer);
  const int64_t tasks = job.oChunks * jChunks;
  job.xp = static_cast<T*>(malloc(sizeof(T) * (size_t)(g.C * job.fp.plane + flatSlack<T>())));
  if (job.xp == nullptr) abort();
  zeroRun(job.xp + g.C * job.fp.plane, flatSlack<T>());
  for (int64_t n = 0; n < g.N; n++) {
    job.n = n;
    if (nt <= 1) {
      flatPadTask<T>(&job, 0, 1);
      for (int64_t t = 0; t < tasks; t++) flatRangeTask<T>(&job, (int)t, (int)tasks);
      continue;
    }
    rt.run((int)imin(want, g.C), flatPadTask<T>, &job);
    rt.run((int)tasks, flatRangeTask<T>, &job);
  }
  free(job.xp);
}
