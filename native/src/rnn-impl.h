// Recurrent layers over a whole sequence (rnnForward / rnnBackward of src/backend/kernels.ts),
// compiled per instruction set (included by kernels-impl.h after gemm-impl.h, whose packing and
// micro-kernel it reuses). src/backend/ref/rnn.ts is the reference; the layouts are RnnPlan's.
//
// Per step the h2h product multiplies a small row-major A (the batch's h, read in place) by the
// same weight every step, so the weight is packed into micro-panels once per call, not once per
// step as a plain GEMM call would; the steps' products then only run the micro-kernel (split by
// panels across the pool when large enough). Each step's gates are one sweep in double, with
// branch-free vexp-based sigmoid and tanh so the loops vectorize. The weight gradients are single
// GEMMs over all steps after the loop.

static inline double rsig(double x) {
  const double e = vexp(-fabs(x));
  return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}
static inline double rtanh(double x) {
  const double e = vexp(-2.0 * fabs(x));
  const double t = (1.0 - e) / (1.0 + e);
  return x != x ? x : (x < 0 ? -t : t);
}

// 64-byte aligned scratch of n elements (aligned_alloc wants a multiple of the alignment).
template <typename T> static T* rnnAlloc(int64_t n) {
  return static_cast<T*>(aligned_alloc(64, (sizeof(T) * (size_t)n + 127) / 64 * 64));
}

// A weight packed once into the GEMM's NR-wide micro-panels over all of k.
template <typename T> struct Packed {
  T* data;
  int64_t k, n;
};

template <typename T> static Packed<T> packWhole(const T* b, bool trans, int64_t k, int64_t n) {
  using B = Blocking<T>;
  constexpr int NR = B::NRV * SimdOf<T>::S::W;
  Packed<T> p{rnnAlloc<T>(k * ((n + NR - 1) / NR * NR)), k, n};
  if (k > 0 && n > 0) packB<T, B>(p.data, b, trans ? k : n, trans, 0, k, 0, n);
  return p;
}

template <typename T> struct StepGemm {
  T* c;
  int64_t ldc;
  const T* a;  // m x k row-major
  const T* pad;  // the last partial MR-row sliver, zero-padded (or null)
  int64_t m;
  const Packed<T>* b;
  bool accumulate;
};

// Panels [task's share) of C (m x n) (+)= A * packed B.
template <typename T> static void stepGemmTask(void* ctx, int task, int ntasks) {
  using B = Blocking<T>;
  constexpr int MR = B::MR, NR = B::NRV * SimdOf<T>::S::W;
  auto& J = *static_cast<StepGemm<T>*>(ctx);
  const int64_t k = J.b->k, n = J.b->n, panels = (n + NR - 1) / NR;
  const int64_t p0 = partBound(panels, task, ntasks), p1 = partBound(panels, task + 1, ntasks);
  for (int64_t pc = 0; pc < k; pc += B::KC) {
    const int64_t kc = k - pc < B::KC ? k - pc : B::KC;
    const bool beta = J.accumulate || pc > 0;
    for (int64_t jp = p0; jp < p1; jp++) {
      const int64_t jr = jp * NR;
      const int nr = (int)(n - jr < NR ? n - jr : NR);
      const T* bp = J.b->data + jr * k + pc * NR;
      for (int64_t ir = 0; ir < J.m; ir += MR) {
        const int mr = (int)(J.m - ir < MR ? J.m - ir : MR);
        const T* ap = mr == MR ? J.a + ir * k + pc : J.pad + pc;
        microKernelEdge<T, B, true>(kc, ap, k, bp, J.c + ir * J.ldc + jr, J.ldc, mr, nr, beta);
      }
    }
  }
}

// C (m x n, row stride ldc) (+)= A (m x k, row-major) * B, B packed by packWhole.
template <typename T>
static void stepGemm(const Runtime& rt, T* c, int64_t ldc, const T* a, int64_t m, const Packed<T>& b, bool accumulate, T* pad) {
  using B = Blocking<T>;
  constexpr int MR = B::MR, NR = B::NRV * SimdOf<T>::S::W;
  if (m == 0 || b.n == 0) return;
  if (b.k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < b.n; j++) c[i * ldc + j] = T(0);
    return;
  }
  const int64_t full = m / MR * MR;
  if (full < m) {
    // The micro-kernel reads MR rows; the partial last sliver is copied into zero padding.
    memset(pad, 0, sizeof(T) * (size_t)(MR * b.k));
    memcpy(pad, a + full * b.k, sizeof(T) * (size_t)((m - full) * b.k));
  }
  StepGemm<T> job{c, ldc, a, pad, m, &b, accumulate};
  const int64_t panels = (b.n + NR - 1) / NR;
  int nt = rt.threads();
  if (m * b.n * b.k < kGemmParallelMin / 2 || nt <= 1) nt = 1;
  const int tasks = (int)(panels < nt ? panels : nt);
  if (tasks <= 1) stepGemmTask<T>(&job, 0, 1);
  else rt.run(tasks, stepGemmTask<T>, &job);
}

// Runs fn(i0, i1) over row ranges of the batch, in parallel when a step's gates are large.
template <typename F> static void rowsOf(const Runtime& rt, int64_t N, int64_t width, F f) {
  int64_t grain = (int64_t(1) << 15) / (width > 0 ? width : 1);
  parallelRange(rt, N, grain < 1 ? 1 : grain, f);
}

// One step's gates for one batch row, in double; separate functions with restrict-qualified
// pointers so that GCC vectorizes each loop (vexp is branch-free).
template <typename T>
static void lstmStep(int64_t H, const T* __restrict x, const T* __restrict b, const T* __restrict g,
                     const T* __restrict cprev, T* __restrict w, T* __restrict c, T* __restrict h) {
  for (int64_t j = 0; j < H; j++) {
    const T ig = T(rsig((double)x[j] + (double)b[j] + (double)g[j]));
    const T fg = T(rsig((double)x[H + j] + (double)b[H + j] + (double)g[H + j]));
    const T gg = T(rtanh((double)x[2 * H + j] + (double)b[2 * H + j] + (double)g[2 * H + j]));
    const T og = T(rsig((double)x[3 * H + j] + (double)b[3 * H + j] + (double)g[3 * H + j]));
    const T cj = T((double)fg * (double)cprev[j] + (double)ig * (double)gg);
    const T tc = T(rtanh((double)cj));
    w[j] = ig, w[H + j] = fg, w[2 * H + j] = gg, w[3 * H + j] = og, w[4 * H + j] = tc;
    c[j] = cj;
    h[j] = T((double)og * (double)tc);
  }
}

template <typename T>
static void gruStep(int64_t H, const T* __restrict x, const T* __restrict b, const T* __restrict g,
                    const T* __restrict hprev, T* __restrict w, T* __restrict h) {
  for (int64_t j = 0; j < H; j++) {
    const T rg = T(rsig((double)x[j] + (double)b[j] + (double)g[j]));
    const T zg = T(rsig((double)x[H + j] + (double)b[H + j] + (double)g[H + j]));
    const T hhn = T((double)b[2 * H + j] + (double)g[2 * H + j]);
    const T ng = T(rtanh((double)x[2 * H + j] + (double)rg * (double)hhn));
    w[j] = rg, w[H + j] = zg, w[2 * H + j] = ng, w[3 * H + j] = hhn;
    h[j] = T((1.0 - (double)zg) * (double)ng + (double)zg * (double)hprev[j]);
  }
}

template <typename T>
static void rnnStep(int64_t H, bool tanhAct, const T* __restrict x, const T* __restrict b, const T* __restrict g,
                    T* __restrict h) {
  if (tanhAct) {
    for (int64_t j = 0; j < H; j++) h[j] = T(rtanh((double)x[j] + (double)b[j] + (double)g[j]));
  } else {
    for (int64_t j = 0; j < H; j++) {
      const double v = (double)x[j] + (double)b[j] + (double)g[j];
      h[j] = (v > 0 || v != v) ? T(v) : T(0);
    }
  }
}

template <typename T>
static void rnnForwardT(const Runtime& rt, T* out, T* ws, const T* xproj, const T* whh, const T* bhh, const T* h0,
                        const T* c0, const T* whr, const RnnArgs& a) {
  const int64_t T_ = a.T, N = a.N, H = a.H, P = a.P;
  const int G = a.mode == 2 ? 4 : a.mode == 3 ? 3 : 1;
  const int64_t GH = G * H, S = a.mode == 2 ? P + H : H, W = a.mode == 2 ? 5 * H : a.mode == 3 ? 4 * H : 0;
  const bool proj = P != H;
  Packed<T> bw = packWhole(whh, true, P, GH);
  Packed<T> br = proj ? packWhole(whr, true, H, P) : Packed<T>{nullptr, 0, 0};
  T* hp = rnnAlloc<T>(N * P);
  T* hh = rnnAlloc<T>(N * GH);
  T* r = proj ? rnnAlloc<T>(N * H) : nullptr;
  T* hproj = proj ? rnnAlloc<T>(N * P) : nullptr;
  T* pad = rnnAlloc<T>(Blocking<T>::MR * (P > H ? P : H));
  memcpy(hp, h0, sizeof(T) * (size_t)(N * P));
  for (int64_t s = 0; s < T_; s++) {
    const int64_t t = a.reverse ? T_ - 1 - s : s, tp = a.reverse ? t + 1 : t - 1;
    stepGemm(rt, hh, GH, hp, N, bw, false, pad);
    rowsOf(rt, N, GH, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) {
        const T* x = xproj + (t * N + i) * GH;
        const T* g = hh + i * GH;
        T* o = out + (t * N + i) * S;
        T* w = ws + (t * N + i) * W;
        if (a.mode == 2) lstmStep(H, x, bhh, g, s == 0 ? c0 + i * H : out + (tp * N + i) * S + P, w, o + P, proj ? r + i * H : o);
        else if (a.mode == 3) gruStep(H, x, bhh, g, hp + i * P, w, o);
        else rnnStep(H, a.mode == 1, x, bhh, g, o);
      }
    });
    if (proj) {
      stepGemm(rt, hproj, P, r, N, br, false, pad);
      for (int64_t i = 0; i < N; i++) memcpy(out + (t * N + i) * S, hproj + i * P, sizeof(T) * (size_t)P);
    }
    for (int64_t i = 0; i < N; i++) memcpy(hp + i * P, out + (t * N + i) * S, sizeof(T) * (size_t)P);
  }
  free(bw.data), free(br.data), free(hp), free(hh), free(r), free(hproj), free(pad);
}

template <typename T>
static void rnnBackwardT(const Runtime& rt, T* grads, const T* dout, const T* out, const T* ws, const T* whh,
                         const T* h0, const T* c0, const T* whr, const RnnArgs& a) {
  const int64_t T_ = a.T, N = a.N, H = a.H, P = a.P;
  const int G = a.mode == 2 ? 4 : a.mode == 3 ? 3 : 1;
  const int64_t GH = G * H, S = a.mode == 2 ? P + H : H, W = a.mode == 2 ? 5 * H : a.mode == 3 ? 4 * H : 0;
  const bool proj = P != H;
  const int64_t oWhh = T_ * N * GH, oBhh = oWhh + GH * P, oH0 = oBhh + GH, oC0 = oH0 + N * P;
  const int64_t oWhr = oC0 + (a.mode == 2 ? N * H : 0);
  Packed<T> bw = packWhole(whh, false, GH, P);
  Packed<T> br = proj ? packWhole(whr, false, P, H) : Packed<T>{nullptr, 0, 0};
  T* dhhAll = a.mode == 3 ? rnnAlloc<T>(T_ * N * GH) : grads;
  T* dh = rnnAlloc<T>(N * P);
  T* dc = rnnAlloc<T>(N * H);
  T* dht = rnnAlloc<T>(N * P);
  T* dr = proj ? rnnAlloc<T>(N * H) : dht;
  T* hpAll = rnnAlloc<T>(T_ * N * P);
  T* dhAll = proj ? rnnAlloc<T>(T_ * N * P) : nullptr;
  T* rAll = proj ? rnnAlloc<T>(T_ * N * H) : nullptr;
  T* pad = rnnAlloc<T>(Blocking<T>::MR * (GH > P ? GH : P));
  memset(dh, 0, sizeof(T) * (size_t)(N * P));
  memset(dc, 0, sizeof(T) * (size_t)(N * H));
  for (int64_t s = T_ - 1; s >= 0; s--) {
    const int64_t t = a.reverse ? T_ - 1 - s : s, tp = a.reverse ? t + 1 : t - 1;
    T* hpt = hpAll + t * N * P;
    for (int64_t i = 0; i < N; i++) {
      memcpy(hpt + i * P, s == 0 ? h0 + i * P : out + (tp * N + i) * S, sizeof(T) * (size_t)P);
      const T* d = dout + (t * N + i) * S;
      for (int64_t j = 0; j < P; j++) dht[i * P + j] = d[j] + dh[i * P + j];
    }
    if (proj) {
      memcpy(dhAll + t * N * P, dht, sizeof(T) * (size_t)(N * P));
      stepGemm(rt, dr, H, dht, N, br, false, pad);
    }
    rowsOf(rt, N, GH, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) {
        T* gx = grads + (t * N + i) * GH;
        const T* o = out + (t * N + i) * S;
        const T* w = ws + (t * N + i) * W;
        if (a.mode == 2) {
          const T* cprev = s == 0 ? c0 + i * H : out + (tp * N + i) * S + P;
          const T* d = dr + i * H;
          T* dci = dc + i * H;
          T* ri = proj ? rAll + (t * N + i) * H : nullptr;
          const T* dcOut = dout + (t * N + i) * S + P;
          for (int64_t j = 0; j < H; j++) {
            const T ig = w[j], fg = w[H + j], gg = w[2 * H + j], og = w[3 * H + j], tc = w[4 * H + j];
            if (ri) ri[j] = og * tc;
            const T dct = dcOut[j] + dci[j] + d[j] * og * (T(1) - tc * tc);
            gx[j] = dct * gg * ig * (T(1) - ig);
            gx[H + j] = dct * cprev[j] * fg * (T(1) - fg);
            gx[2 * H + j] = dct * ig * (T(1) - gg * gg);
            gx[3 * H + j] = d[j] * tc * og * (T(1) - og);
            dci[j] = dct * fg;
          }
        } else if (a.mode == 3) {
          const T* d = dht + i * P;
          const T* hpi = hpt + i * P;
          T* gh = dhhAll + (t * N + i) * GH;
          for (int64_t j = 0; j < H; j++) {
            const T rg = w[j], zg = w[H + j], ng = w[2 * H + j], hhn = w[3 * H + j];
            const T dnp = d[j] * (T(1) - zg) * (T(1) - ng * ng);
            const T drp = dnp * hhn * rg * (T(1) - rg);
            const T dzp = d[j] * (hpi[j] - ng) * zg * (T(1) - zg);
            gx[j] = drp, gx[H + j] = dzp, gx[2 * H + j] = dnp;
            gh[j] = drp, gh[H + j] = dzp, gh[2 * H + j] = dnp * rg;
          }
        } else {
          const T* d = dht + i * P;
          for (int64_t j = 0; j < H; j++)
            gx[j] = a.mode == 0 ? (o[j] > 0 ? d[j] : T(0)) : d[j] * (T(1) - o[j] * o[j]);
        }
      }
    });
    // dh_{t-1} = dhh_t · W_h2h, plus z ⊙ dh_t for the GRU.
    if (a.mode == 3) {
      for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < P; j++) dh[i * P + j] = dht[i * P + j] * ws[(t * N + i) * W + H + j];
    }
    stepGemm(rt, dh, P, dhhAll + t * N * GH, N, bw, a.mode == 3, pad);
  }
  memcpy(grads + oH0, dh, sizeof(T) * (size_t)(N * P));
  if (a.mode == 2) memcpy(grads + oC0, dc, sizeof(T) * (size_t)(N * H));
  GemmArgs gw{1, GH, P, T_ * N, 0, 0, true, false, false};
  gemm<T>(rt, grads + oWhh, dhhAll, hpAll, gw);
  double* acc = static_cast<double*>(aligned_alloc(64, sizeof(double) * (size_t)GH + 64));
  for (int64_t g = 0; g < GH; g++) acc[g] = 0;
  for (int64_t k = 0; k < T_ * N; k++) {
    const T* row = dhhAll + k * GH;
    for (int64_t g = 0; g < GH; g++) acc[g] += (double)row[g];
  }
  for (int64_t g = 0; g < GH; g++) grads[oBhh + g] = T(acc[g]);
  if (proj) {
    GemmArgs gr{1, P, H, T_ * N, 0, 0, true, false, false};
    gemm<T>(rt, grads + oWhr, dhAll, rAll, gr);
  }
  free(acc), free(bw.data), free(br.data), free(dh), free(dc), free(dht), free(hpAll), free(pad);
  if (proj) free(dr), free(dhAll), free(rAll);
  if (a.mode == 3) free(dhhAll);
}

// kind 0 forward (arrays: out, ws, xproj, whh, bhh, h0, c0, whr), 1 backward (grads, dout, out,
// ws, whh, h0, c0, whr); lengths were checked by addon.cc.
static bool rnnAny(const Runtime& rt, int dt, int kind, void* const* p, const RnnArgs& a) {
#define TSG_RNN(T)                                                                                                    \
  if (kind == 0)                                                                                                      \
    rnnForwardT<T>(rt, (T*)p[0], (T*)p[1], (const T*)p[2], (const T*)p[3], (const T*)p[4], (const T*)p[5],            \
                   (const T*)p[6], (const T*)p[7], a);                                                                \
  else                                                                                                                \
    rnnBackwardT<T>(rt, (T*)p[0], (const T*)p[1], (const T*)p[2], (const T*)p[3], (const T*)p[4], (const T*)p[5],     \
                    (const T*)p[6], (const T*)p[7], a);                                                               \
  return true;
  if (dt == F32) { TSG_RNN(float) }
  if (dt == F64) { TSG_RNN(double) }
#undef TSG_RNN
  return false;
}
