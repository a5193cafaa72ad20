// Winograd F(2x2, 3x3) forward convolution for 3x3 layers with stride 1 and no dilation, up to 64
// filters x 64 channels (128 x 128 at batch 1), on maps of at least kWinoMinTiles 2x2 output tiles (ResNet's 56x56
// layers), included by conv-impl.h before the direct paths. Each 4x4 input patch d (stride 2) becomes V = Bᵀ d B, each
// filter g becomes U = G g Gᵀ, and for each of the 16 positions ξ of the transformed tiles the
// products over channels are one GEMM, M[ξ] (O x tiles) = U[ξ] (O x C) · V[ξ] (C x tiles); then
// each tile's 2x2 outputs are Aᵀ M A (+ bias). 16 multiply-adds per channel and tile instead of 36.
//
// Work is cut into blocks of tiles sized so the block's V and M stay in L2: a block stages its
// input rows (conv-unfold.h's padRows), writes V straight into the GEMM's packed panel layout (no
// packing pass), runs the 16 GEMMs (gemm-impl.h's gemmBlock, always the wide kernel, so every
// element of M is the same sum over channels in the same order whatever the block), then the
// output transform. U is computed once per call. Each output element therefore goes through the
// same operations whatever the blocks or the thread count: the split changes no bit.

static constexpr int64_t kWinoMinTiles = 144;
// Bytes of V and M per block (both 16 x tiles x channels or filters).
static constexpr int64_t kWinoBlockBytes = int64_t(1) << 19;

// Transformed filters (16 x O x C) up to this many elements: every block re-reads all of them, and
// with more they stop sharing L2 with the block and the direct path of conv-flat.h is faster
// (measured on an AVX-512 core with 2 MB of L2). At batch 1 the 128 x 128 layer on 28x28 (1 MB)
// still gains from Winograd (1.11 ms against 1.44 on one thread, 0.71 against 0.84 on two);
// ResNet-18's 256 x 256 on 14x14 (49 tiles, 4 MB) loses.
static constexpr int64_t kWinoMaxFilterElems = int64_t(1) << 16;
static constexpr int64_t kWinoMaxFilterElemsBatch1 = int64_t(1) << 18;

static bool winogradForward(const ConvGeo& g) {
  const int64_t maxU = g.N == 1 ? kWinoMaxFilterElemsBatch1 : kWinoMaxFilterElems;
  return padded2d(g) && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.C >= 8 &&
         g.O >= 16 && 16 * g.O * g.C <= maxU && cdiv(g.OH, 2) * cdiv(g.OW, 2) >= kWinoMinTiles;
}

template <typename T> struct ConvWinoJob {
  const Runtime* rt;
  const ConvGeo* g;
  int64_t TH, TW, tiles, perBlock, blocks, Wq, ldv;  // ldv: V's packed row stride (tiles padded to panels)
  T* y;
  T* u;  // 16 x O x C
  const T* x;
  const T* w;
  const T* bias;
};

// U[ξ][o][c] = (G g Gᵀ)[ξ] for filters [o0, o1), G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]. Runs of
// kWinoLanes channels go side by side in lanes (the filters gathered into f first), so each U row
// is written in runs rather than one element per row in turn (that scatter cost a sixth of the
// layer's time at batch 1); every lane does the same operations as one channel alone.
static constexpr int64_t kWinoLanes = 16;

template <typename T> static void winoFilterTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<ConvWinoJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t o0 = g.O * task / ntasks, o1 = g.O * (task + 1) / ntasks, OC = g.O * g.C;
  constexpr int64_t NL = kWinoLanes;
  const T h = T(0.5);
  for (int64_t o = o0; o < o1; o++)
    for (int64_t c0 = 0; c0 < g.C; c0 += NL) {
      const int64_t nl = imin(NL, g.C - c0);
      T f[9][NL] = {}, t[4][3][NL], u[16][NL];
      for (int64_t l = 0; l < nl; l++)
        for (int k = 0; k < 9; k++) f[k][l] = J.w[(o * g.C + c0 + l) * 9 + k];
      for (int j = 0; j < 3; j++)
        for (int64_t l = 0; l < NL; l++) {
          t[0][j][l] = f[j][l];
          t[1][j][l] = h * (f[j][l] + f[3 + j][l] + f[6 + j][l]);
          t[2][j][l] = h * (f[j][l] - f[3 + j][l] + f[6 + j][l]);
          t[3][j][l] = f[6 + j][l];
        }
      for (int i = 0; i < 4; i++)
        for (int64_t l = 0; l < NL; l++) {
          u[i * 4 + 0][l] = t[i][0][l];
          u[i * 4 + 1][l] = h * (t[i][0][l] + t[i][1][l] + t[i][2][l]);
          u[i * 4 + 2][l] = h * (t[i][0][l] - t[i][1][l] + t[i][2][l]);
          u[i * 4 + 3][l] = t[i][2][l];
        }
      T* dst = J.u + o * g.C + c0;
      for (int xi = 0; xi < 16; xi++) copyRun(dst + xi * OC, u[xi], nl);
    }
}

// Where element (p, j) of a k x n operand lives in gemmBlock's packed layout (row stride ld:
// for each KC block of k, every NR-wide panel of its rows).
template <typename T> static inline int64_t packedAt(int64_t p, int64_t j, int64_t k, int64_t ld) {
  constexpr int64_t KC = Blocking<T>::KC, NR = Blocking<T>::NRV * SimdOf<T>::S::W;
  const int64_t pc = p / KC * KC, kc = imin(KC, k - pc);
  return pc * ld + (j - j % NR) * kc + (p - pc) * NR + j % NR;
}

// a - b, exactly (the simd wrappers have no subtraction; -1 · b is exact, so one rounding).
template <typename S> static inline typename S::V vsub(typename S::V a, typename S::V b) {
  return S::fma(S::set1(-1), b, a);
}

// Row length of the input transform's work rows: whole vectors, and room for the even/odd loads
// (two vectors from an even offset) past the last tile.
template <typename T> static inline int64_t winoRowLen(int64_t TW) {
  constexpr int64_t VW = SimdOf<T>::S::W;
  return cdiv(2 * (TW + 1), 2 * VW) * 2 * VW + 2 * VW;
}

// One channel's transformed tiles [j0, j1): tmp[ξ * ld + j - j0], ld >= j1 - j0 + VW. plane holds
// the channel's staged rows from row 2 th0 on (th0 = j0's tile row, row stride Wq); work holds 8 rows
// of Wr. Each tile row's four patch rows are combined (Bᵀ d) along whole rows, split into even and
// odd columns, combined again across columns (· B) for all the row's tiles at once. Every step runs
// in whole vectors along the row (a 14- or 7-tile row in scalars cost more than the GEMMs): lanes
// past a row's tiles land in the next row's columns, rewritten when that row comes, or in the slack
// past the last; lanes past the staged row's end only reach scratch.
template <typename T>
static void winoInputPlane(const T* plane, int64_t Wq, int64_t TW, int64_t j0, int64_t j1, T* tmp, int64_t ld, T* work) {
  using S = typename SimdOf<T>::S;
  constexpr int64_t VW = S::W;
  const int64_t th0 = j0 / TW, th1 = (j1 - 1) / TW + 1, nb = ld, Wr = winoRowLen<T>(TW), Wh = Wr / 2;
  if constexpr (Stride2<T>::kVector) {
    // Straight from the staged rows: each vector of tiles loads the even and odd columns of its
    // four patch rows (and those one tile on), so the row and column combinations stay in
    // registers. (Through the work rows, the split's loads straddled stores just made and waited
    // on them: a sixth of the transform.) The same operations on the same values as below.
    using V = typename S::V;
    for (int64_t th = th0; th < th1; th++) {
      const T* d0 = plane + 2 * (th - th0) * Wq;
      const T *d1 = d0 + Wq, *d2 = d1 + Wq, *d3 = d2 + Wq;
      const int64_t a = imax(j0, th * TW) - th * TW, b = imin(j1, (th + 1) * TW) - th * TW, off = th * TW - j0;
      for (int64_t k = a; k < b; k += VW) {
        V r[4][4];  // [row combination][columns 2k, 2k + 1, 2k + 2, 2k + 3 on in steps of 2]
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
          const V A = Stride2<T>::load(d0 + 2 * k + c), B = Stride2<T>::load(d1 + 2 * k + c);
          const V E = Stride2<T>::load(d2 + 2 * k + c), F = Stride2<T>::load(d3 + 2 * k + c);
          r[0][c] = vsub<S>(A, E);
          r[1][c] = S::add(B, E);
          r[2][c] = vsub<S>(E, B);
          r[3][c] = vsub<S>(B, F);
        }
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
          T* t0 = tmp + (i * 4) * nb + off + k;
          S::store(t0, vsub<S>(r[i][0], r[i][2]));
          S::store(t0 + nb, S::add(r[i][1], r[i][2]));
          S::store(t0 + 2 * nb, vsub<S>(r[i][2], r[i][1]));
          S::store(t0 + 3 * nb, vsub<S>(r[i][1], r[i][3]));
        }
      }
    }
    return;
  }
  T* rt = work;         // 4 row-combined rows of Wr
  T* eo = rt + 4 * Wr;  // their even and odd columns, Wh each
  for (int64_t th = th0; th < th1; th++) {
    const T* d0 = plane + 2 * (th - th0) * Wq;
    const T *d1 = d0 + Wq, *d2 = d1 + Wq, *d3 = d2 + Wq;
    for (int64_t q = 0; q < Wq; q += VW) {
      const typename S::V a = S::load(d0 + q), b = S::load(d1 + q), e = S::load(d2 + q), f = S::load(d3 + q);
      S::store(rt + q, vsub<S>(a, e));
      S::store(rt + Wr + q, S::add(b, e));
      S::store(rt + 2 * Wr + q, vsub<S>(e, b));
      S::store(rt + 3 * Wr + q, vsub<S>(b, f));
    }
    for (int i = 0; i < 4; i++) {
      const T* r = rt + i * Wr;
      T* E = eo + 2 * i * Wh;
      T* O = E + Wh;
      if constexpr (Stride2<T>::kVector) {
        for (int64_t k = 0; k <= TW; k += VW) {
          S::store(E + k, Stride2<T>::load(r + 2 * k));
          S::store(O + k, Stride2<T>::load(r + 2 * k + 1));
        }
      } else {
        for (int64_t k = 0; k <= TW; k++) E[k] = r[2 * k], O[k] = r[2 * k + 1];
      }
    }
    // This row's tiles within [j0, j1), at tmp columns j - j0.
    const int64_t a = imax(j0, th * TW) - th * TW, b = imin(j1, (th + 1) * TW) - th * TW, off = th * TW - j0;
    for (int i = 0; i < 4; i++) {
      const T* E = eo + 2 * i * Wh;
      const T* O = E + Wh;
      T* t0 = tmp + (i * 4) * nb + off;
      T *t1 = t0 + nb, *t2 = t1 + nb, *t3 = t2 + nb;
      for (int64_t k = a; k < b; k += VW) {
        const typename S::V e0 = S::load(E + k), e1 = S::load(E + k + 1), o0 = S::load(O + k), o1 = S::load(O + k + 1);
        S::store(t0 + k, vsub<S>(e0, e1));
        S::store(t1 + k, S::add(o0, e1));
        S::store(t2 + k, vsub<S>(e1, o0));
        S::store(t3 + k, vsub<S>(o0, o1));
      }
    }
  }
}

// V[ξ] (C x the block's tiles, packed) for tiles [j0, j1) of sample n: each channel's transformed
// tiles, copied out panel by panel.
template <typename T>
static void winoInput(const ConvWinoJob<T>& J, T* v, T* tmp, const T* xs, int64_t j0, int64_t j1) {
  constexpr int64_t NR = Blocking<T>::NRV * SimdOf<T>::S::W;
  const ConvGeo& g = *J.g;
  const int64_t th0 = j0 / J.TW, th1 = (j1 - 1) / J.TW + 1, q0 = 2 * th0, rows = 2 * (th1 - th0) + 2;
  const int64_t nb = j1 - j0, ld = nb + SimdOf<T>::S::W, Wq = J.Wq, Wr = winoRowLen<T>(J.TW), vStride = g.C * J.ldv;
  T* xp = static_cast<T*>(J.rt->scratch(4, sizeof(T) * (size_t)(g.C * rows * Wq + Wr)));
  padRows(xp, xs, g, Wq, 0, g.C, q0, q0 + rows);
  for (int64_t c = 0; c < g.C; c++) {
    winoInputPlane(xp + c * rows * Wq, Wq, J.TW, j0, j1, tmp, ld, tmp + 16 * ld);
    for (int xi = 0; xi < 16; xi++)
      for (int64_t j = 0; j < nb; j += NR)
        copyRun(v + xi * vStride + packedAt<T>(c, j, g.C, J.ldv), tmp + xi * ld + j, imin(NR, nb - j));
  }
}

// The 2x2 outputs of tiles [j, j + lanes) of one filter: Aᵀ M A + bias, A = [1 0; 1 1; 1 -1; 0 -1].
template <typename T, typename S>
static inline void winoOutVec(const T* mo, int64_t MS, int64_t j, typename S::V b, T* y00, T* y01, T* y10, T* y11) {
  using V = typename S::V;
  V s[2][4];
  for (int k = 0; k < 4; k++) {
    const V m0 = S::load(mo + k * MS + j), m1 = S::load(mo + (4 + k) * MS + j), m2 = S::load(mo + (8 + k) * MS + j),
            m3 = S::load(mo + (12 + k) * MS + j);
    s[0][k] = S::add(S::add(m0, m1), m2);
    s[1][k] = vsub<S>(vsub<S>(m1, m2), m3);
  }
  S::store(y00 + j, S::add(b, S::add(S::add(s[0][0], s[0][1]), s[0][2])));
  S::store(y01 + j, S::add(b, vsub<S>(vsub<S>(s[0][1], s[0][2]), s[0][3])));
  S::store(y10 + j, S::add(b, S::add(S::add(s[1][0], s[1][1]), s[1][2])));
  S::store(y11 + j, S::add(b, vsub<S>(vsub<S>(s[1][1], s[1][2]), s[1][3])));
}

// y of tiles [j0, j1) of sample n from M (16 x O x nb, each row padded by a vector).
template <typename T>
static void winoOutput(const ConvWinoJob<T>& J, T* yn, const T* m, T* tmp, int64_t j0, int64_t j1) {
  using S = typename SimdOf<T>::S;
  constexpr int64_t VW = S::W;
  const ConvGeo& g = *J.g;
  const int64_t nb = j1 - j0, MS = g.O * nb, TW = J.TW, nv = cdiv(nb, VW) * VW;
  T* y00 = tmp;
  T *y01 = y00 + nv, *y10 = y01 + nv, *y11 = y10 + nv;
  for (int64_t o = 0; o < g.O; o++) {
    const T* mo = m + o * nb;
    const typename S::V b = S::set1(J.bias == nullptr ? T(0) : J.bias[o]);
    // The last vector may read past this filter's row (into the next, or M's slack): its extra
    // lanes are dropped.
    for (int64_t j = 0; j < nb; j += VW) winoOutVec<T, S>(mo, MS, j, b, y00, y01, y10, y11);
    // Row by row of tiles, the pairs of columns interleaved in plain loops (per cell, with a
    // division for its row and tests for the edges, this scatter took a tenth of the layer).
    T* yo = yn + o * g.L;
    for (int64_t th = j0 / TW; th * TW < j1; th++) {
      const int64_t tw0 = imax(j0, th * TW) - th * TW, tw1 = imin(j1, (th + 1) * TW) - th * TW;
      // Tiles up to `pairs` have both columns inside the map (an odd width cuts the last one).
      const int64_t pairs = tw1 == TW && g.OW % 2 == 1 ? tw1 - 1 : tw1, t0 = th * TW - j0;
      T* r0 = yo + 2 * th * g.OW;
      const T *a0 = y00 + t0, *a1 = y01 + t0;
      for (int64_t tw = tw0; tw < pairs; tw++) r0[2 * tw] = a0[tw], r0[2 * tw + 1] = a1[tw];
      if (pairs < tw1) r0[2 * pairs] = a0[pairs];
      if (2 * th + 1 >= g.OH) continue;
      T* r1 = r0 + g.OW;
      const T *b0 = y10 + t0, *b1 = y11 + t0;
      for (int64_t tw = tw0; tw < pairs; tw++) r1[2 * tw] = b0[tw], r1[2 * tw + 1] = b1[tw];
      if (pairs < tw1) r1[2 * pairs] = b0[pairs];
    }
  }
}

// Block `task` of all samples' tiles: input transform, 16 GEMMs, output transform.
template <typename T> static void winoBlockTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvWinoJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t n = task / J.blocks, bi = task % J.blocks;
  const int64_t j0 = bi * J.perBlock, j1 = bi == J.blocks - 1 ? J.tiles : j0 + J.perBlock, nb = j1 - j0;
  T* v = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(16 * g.C * J.ldv)));
  constexpr int64_t VW = SimdOf<T>::S::W;
  const int64_t Wr = winoRowLen<T>(J.TW), mElems = 16 * g.O * nb + VW;
  const size_t tmpElems = (size_t)(16 * (nb + VW) + 4 * Wr + 4 * Wr + 4 * VW);
  T* m = static_cast<T*>(J.rt->scratch(3, sizeof(T) * ((size_t)mElems + tmpElems)));
  T* tmp = m + mElems;
  winoInput(J, v, tmp, J.x + n * g.C * g.inSize, j0, j1);
  for (int xi = 0; xi < 16; xi++)
    gemmBlock<T, Blocking<T>>(*J.rt, m + xi * g.O * nb, nb, J.u + xi * g.O * g.C, g.C, nullptr, 0, g.C, false, false, false,
                              0, g.O, 0, nb, v + xi * g.C * J.ldv, J.ldv);
  winoOutput(J, J.y + n * g.O * g.L, m, tmp, j0, j1);
}

// Blocks of perBlock tiles, the last one taking the remainder (or its own block), picked for the
// least time on nt threads claiming blocks in order: a block costs its tiles' vectors (the GEMMs
// run whole vectors of tiles) plus half a vector of fixed work. Blocks of whole vectors matter:
// at batch 1, 196 tiles (128 x 128 on 28x28) in four blocks of 49 ran 16 vectors where 48, 48, 48
// and 52 run 13; 784 tiles (64 x 64 on 56x56) in fourteen blocks of 56 ran 56 where blocks of 64
// run 49. Blocks take up to maxPer tiles (the V and M of one stay in L2), the last one less than
// twice that. The blocks change no bit.
template <typename T> static void winoBlocks(ConvWinoJob<T>& J, int64_t maxPer, int nt) {
  constexpr int64_t VW = SimdOf<T>::S::W, NR = Blocking<T>::NRV * VW;
  const int64_t tiles = J.tiles;
  double best = 0;
  J.perBlock = J.blocks = 0;
  for (int64_t per = VW; per <= imax(VW, maxPer); per += VW)
    for (int merge = 0; merge < 2; merge++) {
      const int64_t blocks = merge ? imax(1, tiles / per) : cdiv(tiles, per);
      const int64_t last = tiles - (blocks - 1) * per;
      // Every block to the thread that frees first.
      double busy[64] = {};
      const int lanes = (int)imin(imax(1, nt), 64);
      for (int64_t b = 0; b < blocks; b++) {
        int t = 0;
        for (int i = 1; i < lanes; i++)
          if (busy[i] < busy[t]) t = i;
        busy[t] += (double)cdiv(b == blocks - 1 ? last : per, VW) + 0.5;
      }
      double span = 0;
      for (int i = 0; i < lanes; i++) span = busy[i] > span ? busy[i] : span;
      // Ties go to the larger blocks.
      if (J.blocks == 0 || span <= best + 1e-9) best = span, J.perBlock = per, J.blocks = blocks;
    }
  const int64_t widest = imax(J.perBlock, tiles - (J.blocks - 1) * J.perBlock);
  J.ldv = cdiv(widest, NR) * NR;
}

template <typename T>
static void convWinograd(const Runtime& rt, const ConvGeo& g, T* y, const T* x, const T* w, const T* bias, const FusedArgs* epi) {
  constexpr int64_t NR = Blocking<T>::NRV * SimdOf<T>::S::W;
  const int nt = rt.threads();
  ConvWinoJob<T> job{&rt, &g, cdiv(g.OH, 2), cdiv(g.OW, 2), 0, 0, 0, 0, 0, y, nullptr, x, w, bias};
  job.tiles = job.TH * job.TW;
  job.Wq = imax(g.W + 2 * g.PW, 2 * job.TW + 2);
  const int64_t fit = kWinoBlockBytes / (int64_t)(sizeof(T) * 16 * (g.C + g.O));
  winoBlocks<T>(job, imin(cdiv(job.tiles, NR) * NR, imax(1, fit / NR) * NR), g.N == 1 ? nt : 1);
  job.u = static_cast<T*>(malloc(sizeof(T) * (size_t)(16 * g.O * g.C)));
  if (job.u == nullptr) abort();
  const int64_t tasks = g.N * job.blocks;
  if (nt <= 1) {
    winoFilterTask<T>(&job, 0, 1);
    for (int64_t t = 0; t < tasks; t++) winoBlockTask<T>(&job, (int)t, (int)tasks);
  } else {
    rt.run((int)imin(2 * (int64_t)nt, g.O), winoFilterTask<T>, &job);
    rt.run((int)tasks, winoBlockTask<T>, &job);
  }
  free(job.u);
  // The epilogue as one pass after the blocks: a block's cells are short runs of two output rows
  // per filter, on which the chain's loops cost more than a pass over the (L2-sized) output.
  if (epi != nullptr) fusedT<T>(rt, *epi);
}
