// The fused element-wise kernel (included by kernels-impl.h inside an ISA namespace). The output
// is walked in segments of at most kFusedSegment elements over which every per-channel input is
// one value (channels along an axis with elements after it) or consecutive values (channels on
// the last axis). Each step runs the very loop of its standalone kernel (unaryT, binaryT) on the
// segment, into a thread-private register of the output's dtype, so every result is rounded as
// the standalone kernel stores it and a fused chain gives the same bits as the unfused one. A
// BatchNorm step repeats batchNormForward's double-precision arithmetic (src/backend/ref/norm.ts).

static constexpr int64_t kFusedSegment = 1024;

template <typename T>
static void fusedSegment(const Runtime& rt, const FusedArgs& f, T* regs, int64_t at, int64_t len, int64_t chan, int64_t j0) {
  const T* ptr[64];
  int64_t st[64];
  for (int i = 0; i < f.nin; i++) {
    const T* x = static_cast<const T*>(f.inputs[i]);
    const int l = f.layouts[i];
    if (l == 0) ptr[i] = x + at, st[i] = 1;
    else if (l == 1) ptr[i] = x, st[i] = 0;
    else if (f.inner > 1) ptr[i] = x + chan, st[i] = 0;
    else ptr[i] = x + j0, st[i] = 1;
  }
  for (int s = 0; s < f.nsteps; s++) {
    const FusedStepC& p = f.steps[s];
    T* dst = s == f.nsteps - 1 ? static_cast<T*>(f.out) + at : regs + (int64_t)s * kFusedSegment;
    if (p.kind == FK_UNARY) {
      unaryT(rt, p.op, dst, ptr[p.arg[0]], len);
    } else if (p.kind == FK_BINARY) {
      Bcast b;
      b.nd = 1;
      b.shape[0] = len;
      b.as[0] = st[p.arg[0]];
      b.bs[0] = st[p.arg[1]];
      binaryT(rt, p.op, dst, ptr[p.arg[0]], ptr[p.arg[1]], len, b);
    } else {
      const T *x = ptr[p.arg[0]], *mu = ptr[p.arg[1]], *var = ptr[p.arg[2]], *g = ptr[p.arg[3]], *be = ptr[p.arg[4]];
      const int64_t sx = st[p.arg[0]], sm = st[p.arg[1]], sv = st[p.arg[2]], sg = st[p.arg[3]], sb = st[p.arg[4]];
      if ((sm | sv | sg | sb) == 0) {
        // One channel over the whole segment: its scale and shift once, not per element (the
        // square root and division dominated this step otherwise).
        const double m0 = (double)mu[0];
        const double scale = (1.0 / sqrt((double)var[0] + p.eps)) * (p.scale ? (double)g[0] : 1.0);
        const double shift = p.center ? (double)be[0] : 0.0;
        if (sx == 1)
          for (int64_t j = 0; j < len; j++) dst[j] = T(((double)x[j] - m0) * scale + shift);
        else
          for (int64_t j = 0; j < len; j++) dst[j] = T(((double)x[j * sx] - m0) * scale + shift);
      } else {
        for (int64_t j = 0; j < len; j++) {
          const double scale = (1.0 / sqrt((double)var[j * sv] + p.eps)) * (p.scale ? (double)g[j * sg] : 1.0);
          const double shift = p.center ? (double)be[j * sb] : 0.0;
          dst[j] = T(((double)x[j * sx] - (double)mu[j * sm]) * scale + shift);
        }
      }
    }
    ptr[f.nin + s] = dst;
    st[f.nin + s] = 1;
  }
}

template <typename T> static bool fusedT(const Runtime& rt, const FusedArgs& f) {
  bool channel = false;
  for (int i = 0; i < f.nin; i++) channel = channel || f.layouts[i] == 2;
  const int64_t run = channel ? (f.inner > 1 ? f.inner : f.channels) : (f.size > 0 ? f.size : 1);
  const int64_t perRun = (run + kFusedSegment - 1) / kFusedSegment;
  const int64_t segments = f.size / run * perRun;
  parallelRange(rt, segments, kCheapGrain / kFusedSegment, [&](int64_t s0, int64_t s1) {
    T* regs = static_cast<T*>(rt.scratch(0, sizeof(T) * (size_t)(f.nsteps * kFusedSegment)));
    for (int64_t seg = s0; seg < s1; seg++) {
      const int64_t r = seg / perRun, j0 = (seg % perRun) * kFusedSegment;
      const int64_t len = run - j0 < kFusedSegment ? run - j0 : kFusedSegment;
      fusedSegment(rt, f, regs, r * run + j0, len, r % f.channels, j0);
    }
  });
  return true;
}

static bool fusedAny(const Runtime& rt, int dt, const FusedArgs& f) {
  if (dt == F32) return fusedT<float>(rt, f);
  if (dt == F64) return fusedT<double>(rt, f);
  return false;
}

// The epilogue of a fused convolution (conv-impl.h): the chain f applied in place to filters
// [o0, o1) x output cells [j0, j1) of sample n of y (f.out, N x O x L), by the task that has just
// computed them, so they are read back from cache rather than memory. Per-channel inputs are per
// filter (inner L, channels O; with L = 1, inner 1 and runs of O). Elements go through
// fusedSegment's arithmetic, element by element, so the bits are those of the fused kernel run on
// the finished output whatever the regions (and so whatever the thread count).
template <typename T>
static void fusedRegion(const Runtime& rt, const FusedArgs* f, int64_t O, int64_t L, int64_t n, int64_t o0, int64_t o1, int64_t j0,
                        int64_t j1) {
  if (f == nullptr || o0 >= o1 || j0 >= j1) return;
  bool channel = false;
  for (int i = 0; i < f->nin; i++) channel = channel || f->layouts[i] == 2;
  T* regs = static_cast<T*>(rt.scratch(0, sizeof(T) * (size_t)(f->nsteps * kFusedSegment)));
  if (j0 == 0 && j1 == L && (L == 1 || !channel)) {
    // Whole rows: one contiguous run; a per-channel input here has L = 1 (element at = filter).
    const int64_t a = (n * O + o0) * L, b = (n * O + o1) * L;
    for (int64_t at = a; at < b; at += kFusedSegment)
      fusedSegment(rt, *f, regs, at, b - at < kFusedSegment ? b - at : kFusedSegment, 0, at - n * O * L);
    return;
  }
  for (int64_t o = o0; o < o1; o++) {
    const int64_t base = (n * O + o) * L;
    for (int64_t j = j0; j < j1; j += kFusedSegment)
      fusedSegment(rt, *f, regs, base + j, j1 - j < kFusedSegment ? j1 - j : kFusedSegment, o, j);
  }
}
