// One row of C times op(B) with B stored transposed (n x k): a Dense layer at batch 1, such as
// ResNet's 512 -> 1000 classifier. gemmWith would pack all of B (a copy of the whole weight) to do
// one row of multiply-adds; here each 16 x 16 block of B is transposed in registers and used at
// once, so the weight is read once and never written. (Included by gemm-impl.h under AVX-512.)
//
// Every element's sum is the micro-kernel's: per KC block of k one FMA chain over p from zero,
// added to C after the block when accumulating or past the first block. A row computed here is
// therefore bit for bit the same row of a batched product, and the split across threads (whole
// groups of outputs per task) never changes a bit.

static constexpr int kGemvGroup = 4;  // 16-output blocks in flight: four FMA chains hide the latency
static constexpr int64_t kGemvAhead = 64;  // prefetch distance along a row of B, in floats

// C[0, j0:j1) (+)= a (1 x k) * B[j0:j1, :]ᵀ, B row-major n x k.
static void gemvTransB(float* c, const float* a, const float* b, int64_t k, bool accumulate, int64_t j0,
                       int64_t j1) {
  constexpr int64_t KC = Blocking<float>::KC;
  static_assert(Blocking<float>::KC == Narrow<float>::KC, "one chain length for both kernels");
  alignas(64) float tile[kGemvGroup][16 * 16];
  for (int64_t jg = j0; jg < j1; jg += 16 * kGemvGroup) {
    const int64_t rows = j1 - jg < 16 * kGemvGroup ? j1 - jg : 16 * kGemvGroup;
    const int blocks = (int)((rows + 15) / 16);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = k - pc < KC ? k - pc : KC;
      __m512 acc[kGemvGroup];
      for (int g = 0; g < kGemvGroup; g++) acc[g] = _mm512_setzero_ps();
      for (int64_t pb = 0; pb < kc; pb += 16) {
        const int pe = (int)(kc - pb < 16 ? kc - pb : 16);
        for (int g = 0; g < blocks; g++) {
          const int64_t j = jg + 16 * g;
          const int live = (int)(j1 - j < 16 ? j1 - j : 16);
          const float* src = b + j * k + pc + pb;
          // Each of the group's 64 rows is a stream of its own, more than the hardware prefetcher
          // follows: ask for every row's line kGemvAhead floats on (a weight read once per call
          // comes from memory).
          for (int r = 0; r < live; r++) _mm_prefetch(reinterpret_cast<const char*>(src + r * k + kGemvAhead), _MM_HINT_T0);
          if (live == 16 && pe == 16) {
            transpose16(tile[g], 16, src, k);
            continue;
          }
          for (int q = 0; q < pe; q++)
            for (int r = 0; r < 16; r++) tile[g][q * 16 + r] = r < live ? src[r * k + q] : 0.0f;
        }
        for (int q = 0; q < pe; q++) {
          const __m512 av = _mm512_set1_ps(a[pc + pb + q]);
          for (int g = 0; g < blocks; g++) acc[g] = _mm512_fmadd_ps(av, _mm512_load_ps(tile[g] + q * 16), acc[g]);
        }
      }
      const bool beta = accumulate || pc > 0;
      for (int g = 0; g < blocks; g++) {
        float* dst = c + jg + 16 * g;
        const int live = (int)(j1 - (jg + 16 * g) < 16 ? j1 - (jg + 16 * g) : 16);
        const __mmask16 mask = (__mmask16)((1u << live) - 1u);
        const __m512 old = _mm512_maskz_loadu_ps(mask, dst);
        _mm512_mask_storeu_ps(dst, mask, beta ? _mm512_add_ps(old, acc[g]) : acc[g]);
      }
    }
  }
}

struct GemvJob {
  float* c;
  const float* a;
  const float* b;
  const GemmArgs* g;
};

static void gemvTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<GemvJob*>(ctx);
  const int64_t groups = (J.g->n + 16 * kGemvGroup - 1) / (16 * kGemvGroup);
  int64_t j0 = groups * task / ntasks * 16 * kGemvGroup, j1 = groups * (task + 1) / ntasks * 16 * kGemvGroup;
  if (j1 > J.g->n) j1 = J.g->n;
  if (j0 < j1) gemvTransB(J.c, J.a, J.b, J.g->k, J.g->accumulate, j0, j1);
}

// Whether gemmWith hands a float product to gemvTransB: one row (A's layout does not matter for
// a single row), B transposed, one matrix, and enough columns for a 16-wide block.
static inline bool gemvApplies(const GemmArgs& g) { return g.batch == 1 && g.m == 1 && g.transB && g.n >= 16; }

// Below this many multiply-adds the weight (a quarter of this in floats, 256 KiB) is read faster
// than the pool wakes.
static constexpr int64_t kGemvParallelMin = int64_t(1) << 16;

static void gemv(const Runtime& rt, float* c, const float* a, const float* b, const GemmArgs& g) {
  GemvJob job{c, a, b, &g};
  const int64_t groups = (g.n + 16 * kGemvGroup - 1) / (16 * kGemvGroup);
  int nt = g.n * g.k < kGemvParallelMin ? 1 : rt.threads();
  if (nt > groups) nt = (int)groups;
  if (nt <= 1) gemvTask(&job, 0, 1);
  else rt.run(nt, gemvTask, &job);
}

// gemm()'s entry: true when the product was done here (float only; other types take gemmWith).
template <typename T> static inline bool gemvTry(const Runtime&, T*, const T*, const T*, const GemmArgs&) { return false; }
static inline bool gemvTry(const Runtime& rt, float* c, const float* a, const float* b, const GemmArgs& g) {
  if (!gemvApplies(g)) return false;
  gemv(rt, c, a, b, g);
  return true;
}
