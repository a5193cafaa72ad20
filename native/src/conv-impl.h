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

// Unfolds channels [c0, c1) and output rows [r0, r1) (a row is one (od, oh)) of samples
// [n0, n0 + nb) of x: column s * span + (r - r0) * OW + ow of row (c - c0) * K + tap, at
// dst + row * ldd (span = (r1 - r0) * OW, ldd >= nb * span). Padding gives zeros.
//
// With unit stride along W, each output row is whole vector moves and stores of zeros that may run
// up to one vector past the row's end: rows are written in increasing address order, so the next
// row overwrites the excess, and the buffer needs one vector of slack after its last row. Reads
// stay below xEnd (rows too close to it take the element loop).
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
static void im2colChunk(T* dst, int64_t ldd, const T* x, const T* xEnd, const ConvGeo& g, int64_t n0, int64_t nb,
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

// Elements of slack a buffer filled by im2colChunk needs after its last row.
static constexpr int64_t kIm2colSlack = 16;

// The adjoint: adds each column entry of channels [c0, c1) (all output rows, row stride lds) back
// to the cell of the sample's gx it was read from, in the reference's order (channel, tap, row).
template <typename T>
static void col2imRows(T* __restrict gx, const T* __restrict src, int64_t lds, const ConvGeo& g, int64_t c0,
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

// Unfolded columns per unit, in bytes: the buffer and the GEMM's packed panels share L2.
static constexpr int64_t kConvColsBytes = int64_t(256) << 10;
// Weight gradients up to this many elements sum fixed runs of samples into separate partials
// (the batch is the only parallel axis of a small filter bank such as LeNet's 6 x 25).
static constexpr int64_t kConvSmallWeight = int64_t(1) << 16;
static constexpr int64_t kConvMaxPartials = 8;

// How a call's samples and output rows are cut into chunks: nb samples with all their rows, or
// one sample and `rows` of its output rows.
struct ConvChunks {
  int64_t nb, rows, groups, rowChunks;
  int64_t count() const { return groups * rowChunks; }
};

static ConvChunks convChunks(const ConvGeo& g, int64_t colsPerRow, int64_t budget) {
  ConvChunks c;
  const int64_t perSample = imax(1, colsPerRow * g.R);
  if (perSample <= budget) {
    c.nb = imax(1, imin(g.N, budget / perSample));
    c.rows = g.R;
  } else {
    c.nb = 1;
    c.rows = imax(1, imin(g.R, budget / imax(1, colsPerRow)));
  }
  c.groups = cdiv(g.N, c.nb);
  c.rowChunks = cdiv(g.R, c.rows);
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
    T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(g.CK * ncols + kIm2colSlack)));
    im2colChunk(cols, ncols, J.x, J.xEnd, g, n0, nb, 0, g.C, r0, r1);
    b = cols;
    ldb = ncols;
  }
  const bool acc = J.bias != nullptr;
  if (nb == 1) {
    T* c = J.y + (n0 * g.O + o0) * g.L + r0 * g.OW;
    if (acc) fillBias(c, g.L, J.bias, o0, o1, span);
    gemmSerial<T>(*J.rt, c, g.L, J.w + o0 * g.CK, g.CK, false, b, ldb, false, o1 - o0, span, g.CK, acc);
    return;
  }
  // Several samples share one GEMM (their columns side by side); its result is staged, then each
  // sample's block is copied to its place in y.
  T* c = static_cast<T*>(J.rt->scratch(3, sizeof(T) * (size_t)((o1 - o0) * ncols)));
  if (acc) fillBias(c, ncols, J.bias, o0, o1, ncols);
  gemmSerial<T>(*J.rt, c, ncols, J.w + o0 * g.CK, g.CK, false, b, ldb, false, o1 - o0, ncols, g.CK, acc);
  for (int64_t s = 0; s < nb; s++)
    for (int64_t o = o0; o < o1; o++)
      copyRun(J.y + ((n0 + s) * g.O + o) * g.L + r0 * g.OW, c + (o - o0) * ncols + s * span, span);
}

template <typename T> static void convForward(const Runtime& rt, const ConvGeo& g, T* y, const T* x, const T* w, const T* bias) {
  const int nt = rt.threads();
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  ConvChunks ch = convChunks(g, g.CK * g.OW, budget);
  // Enough units for every thread: fewer samples per unit, then fewer rows, then filter ranges.
  while (ch.count() < want && ch.nb > 1) {
    ch.nb = cdiv(ch.nb, 2);
    ch.groups = cdiv(g.N, ch.nb);
  }
  if (ch.count() < want && ch.nb == 1 && ch.rows > 1) {
    ch.rows = imax(1, cdiv(g.R, cdiv(want, ch.groups)));
    ch.rowChunks = cdiv(g.R, ch.rows);
  }
  int64_t oChunks = 1;
  if (ch.count() < want) oChunks = imax(1, imin(cdiv(want, ch.count()), g.O / 16));
  const int64_t oPer = cdiv(g.O, oChunks);
  oChunks = cdiv(g.O, oPer);
  ConvFwdJob<T> job{&rt, &g, ch, oPer, oChunks, y, x, x + g.N * g.C * g.inSize, w, bias};
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
  int64_t cPer, cChunks;
  T* gx;
  const T* gy;
  const T* w;
};

template <typename T> static void convDataTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvDataJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t n = task / J.cChunks, c0 = (task % J.cChunks) * J.cPer, c1 = imin(g.C, c0 + J.cPer);
  T* gxn = J.gx + n * g.C * g.inSize;
  const T* gn = J.gy + n * g.O * g.L;
  if (g.pointwise) {
    gemmSerial<T>(*J.rt, gxn + c0 * g.inSize, g.inSize, J.w + c0, g.CK, true, gn, g.L, false, c1 - c0, g.L, g.O, false);
    return;
  }
  T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)((c1 - c0) * g.K * g.L)));
  gemmSerial<T>(*J.rt, cols, g.L, J.w + c0 * g.K, g.CK, true, gn, g.L, false, (c1 - c0) * g.K, g.L, g.O, false);
  zeroRun(gxn + c0 * g.inSize, (c1 - c0) * g.inSize);
  col2imRows(gxn, cols, g.L, g, c0, c1);
}

template <typename T> static void convDataGrad(const Runtime& rt, const ConvGeo& g, T* gx, const T* gy, const T* w) {
  const int nt = rt.threads();
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  int64_t cPer = g.pointwise ? g.C : imax(1, imin(g.C, budget / imax(1, g.K * g.L)));
  int64_t cChunks = cdiv(g.C, cPer);
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  if (g.N * cChunks < want && g.C > 1) {
    cPer = imax(1, cdiv(g.C, cdiv(want, g.N)));
    cChunks = cdiv(g.C, cPer);
  }
  ConvDataJob<T> job{&rt, &g, cPer, cChunks, gx, gy, w};
  const int64_t tasks = g.N * cChunks;
  if (tasks == 1 || nt <= 1) {
    for (int64_t t = 0; t < tasks; t++) convDataTask<T>(&job, (int)t, (int)tasks);
  } else {
    rt.run((int)tasks, convDataTask<T>, &job);
  }
}

// ---- weight gradient --------------------------------------------------------------------------

template <typename T> struct ConvWeightJob {
  const Runtime* rt;
  const ConvGeo* g;
  ConvChunks ch;
  int64_t partials, cPer, cChunks;
  T* acc;  // partials x (CK x O), the transposed gradient
  const T* x;
  const T* xEnd;
  const T* gy;
};

template <typename T> static void convWeightTask(void* ctx, int task, int) {
  auto& J = *static_cast<ConvWeightJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t p = task / J.cChunks, c0 = (task % J.cChunks) * J.cPer, c1 = imin(g.C, c0 + J.cPer);
  const int64_t q0 = J.ch.count() * p / J.partials, q1 = J.ch.count() * (p + 1) / J.partials;
  T* dst = J.acc + p * g.CK * g.O + c0 * g.K * g.O;
  const int64_t m = (c1 - c0) * g.K;
  if (q0 == q1) {
    zeroRun(dst, m * g.O);
    return;
  }
  for (int64_t q = q0; q < q1; q++) {
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
      T* cols = static_cast<T*>(J.rt->scratch(2, sizeof(T) * (size_t)(m * ncols + kIm2colSlack)));
      im2colChunk(cols, ncols, J.x, J.xEnd, g, n0, nb, c0, c1, r0, r1);
      a = cols;
      lda = ncols;
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
    gemmSerial<T>(*J.rt, dst, g.O, a, lda, false, b, ldb, true, m, g.O, ncols, q > q0);
  }
}

template <typename T> struct ConvReduceJob {
  const ConvGeo* g;
  int64_t partials;
  const T* acc;
  T* gw;
};

// gw[o][k] = the sum over partials, in order, of acc[p][k][o]; tasks own ranges of filters.
template <typename T> static void convReduceTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<ConvReduceJob<T>*>(ctx);
  const ConvGeo& g = *J.g;
  const int64_t o0 = g.O * task / ntasks, o1 = g.O * (task + 1) / ntasks;
  const int64_t stride = g.CK * g.O;
  for (int64_t k0 = 0; k0 < g.CK; k0 += 64) {
    const int64_t k1 = imin(g.CK, k0 + 64);
    for (int64_t o = o0; o < o1; o++) {
      T* dst = J.gw + o * g.CK;
      for (int64_t k = k0; k < k1; k++) {
        const T* s = J.acc + k * g.O + o;
        T v = s[0];
        for (int64_t p = 1; p < J.partials; p++) v += s[p * stride];
        dst[k] = v;
      }
    }
  }
}

template <typename T> static void convWeightGrad(const Runtime& rt, const ConvGeo& g, T* gw, const T* x, const T* gy) {
  const int nt = rt.threads();
  const int64_t budget = kConvColsBytes / (int64_t)sizeof(T);
  const ConvChunks ch = convChunks(g, g.CK * g.OW, budget);
  const bool small = g.O * g.CK <= kConvSmallWeight;
  const int64_t partials = small ? imax(1, imin(ch.count(), kConvMaxPartials)) : 1;
  int64_t cPer = g.C, cChunks = 1;
  const int64_t want = nt > 1 ? 2 * (int64_t)nt : 1;
  if (partials < want && g.C > 1) {
    cPer = imax(1, cdiv(g.C, cdiv(want, partials)));
    cChunks = cdiv(g.C, cPer);
  }
  T* acc = static_cast<T*>(malloc(sizeof(T) * (size_t)(partials * g.CK * g.O)));
  if (acc == nullptr) abort();
  ConvWeightJob<T> job{&rt, &g, ch, partials, cPer, cChunks, acc, x, x + g.N * g.C * g.inSize, gy};
  const int64_t tasks = partials * cChunks;
  if (tasks == 1 || nt <= 1) {
    for (int64_t t = 0; t < tasks; t++) convWeightTask<T>(&job, (int)t, (int)tasks);
  } else {
    rt.run((int)tasks, convWeightTask<T>, &job);
  }
  ConvReduceJob<T> red{&g, partials, acc, gw};
  const int64_t rtasks = nt > 1 && g.O * g.CK >= (int64_t(1) << 15) ? imin(g.O, 2 * (int64_t)nt) : 1;
  if (rtasks == 1) convReduceTask<T>(&red, 0, 1);
  else rt.run((int)rtasks, convReduceTask<T>, &red);
  free(acc);
}

template <typename T>
static void convT(const Runtime& rt, int kind, T* out, const T* a, const T* b, const T* bias, const ConvArgs& args) {
  const ConvGeo g = convGeo(args);
  if (kind == CONV_FORWARD) {
    if (g.N * g.O * g.L > 0) convForward(rt, g, out, a, b, bias);
  } else if (kind == CONV_DATA_GRAD) {
    if (g.N * g.C * g.inSize > 0) convDataGrad(rt, g, out, a, b);
  } else if (g.O * g.CK > 0) {
    convWeightGrad(rt, g, out, a, b);
  }
}

static bool convAny(const Runtime& rt, int dt, int kind, void* out, const void* a, const void* b, const void* bias,
                    const ConvArgs& args) {
  if (dt == F32)
    convT(rt, kind, static_cast<float*>(out), static_cast<const float*>(a), static_cast<const float*>(b),
          static_cast<const float*>(bias), args);
  else if (dt == F64)
    convT(rt, kind, static_cast<double*>(out), static_cast<const double*>(a), static_cast<const double*>(b),
          static_cast<const double*>(bias), args);
  else
    return false;
  return true;
}
