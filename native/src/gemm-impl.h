// BLIS-style GEMM, compiled once per instruction set (included by kernels-impl.h inside a
// per-ISA namespace; TSG_ISA is 512, 256, 128 (WebAssembly SIMD, native/wasm) or 0).
//
// C (m x n) = op(A) (m x k) * op(B) (k x n), all row-major. Loops, outermost first: rows in MC
// blocks, k in KC blocks (pack the MC x KC block of A into MR-tall micro-panels), columns in NC
// blocks (pack the KC x NC block of B, sized for L2, into NR-wide micro-panels), then for each A
// micro-panel (kept in L1) every B micro-panel, through an MR x NR register-blocked micro-kernel
// whose vectors run along the rows of C. Packing hides every transpose variant and zero-pads the
// edges; a row-major A needs none (the micro-kernel broadcasts from its rows in place, and only a
// partial last sliver is copied).
//
// Every element of C is summed over k in the same order whatever the tiling and partition, so
// splitting the work across threads never changes a bit of the result.

#if TSG_ISA == 512
struct SimdF {
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
};
struct SimdD {
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(double x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
};
// 6 x 4 accumulators + 4 B vectors + 1 broadcast. Six rows, not the more common 14: a C tile's
// rows are n elements apart, and with n a power of two 14 rows collide in one 8-way L1 set.
// KC x NR of B streams from L2 (the KC x NC block lives there), the 6 x KC sliver of A stays in L1.
template <typename T> struct Blocking { static constexpr int MR = 6, NRV = 4, KC = 512, MC = 1536, NC = 256; };
template <> struct Blocking<double> { static constexpr int MR = 6, NRV = 4, KC = 256, MC = 1536, NC = 256; };
// 8 x 1 accumulators for C with few columns (n < 48 floats): eight rows, so that a row-major A is
// read in place (readsAInPlace) instead of packed (at 12 rows, packing the 256 x 256 A of the MLP
// step's 256 -> 10 layer cost as much as its multiply-adds; 8 chains still cover the FMA latency).
template <typename T> struct Narrow { static constexpr int MR = 8, NRV = 1, KC = 512, MC = 1536, NC = 1024; };
template <> struct Narrow<double> { static constexpr int MR = 12, NRV = 1, KC = 256, MC = 1536, NC = 1024; };
#elif TSG_ISA == 256
struct SimdF {
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
};
struct SimdD {
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(double x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
};
// 6 x 2 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers. The packed
// KC x NC block of B takes 256 KiB, half of a Zen 3 core's 512 KiB L2,
// leaving room for the A slivers and C: at NC = 512 it filled the whole L2 and its panels came back
// from L3 for every sliver (dW1 of the MLP step, 256 x 784 x 256: about 4% more CPU time).
template <typename T> struct Blocking { static constexpr int MR = 6, NRV = 2, KC = 256, MC = 1536, NC = 256; };
template <> struct Blocking<double> { static constexpr int MR = 6, NRV = 2, KC = 256, MC = 1536, NC = 256; };
template <typename T> using Narrow = Blocking<T>;
#elif TSG_ISA == 128
#include "simd128.h"
#else
template <typename T> struct SimdS {
  using V = T;
  static constexpr int W = 1;
  static V zero() { return T(0); }
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V set1(T x) { return x; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
};
using SimdF = SimdS<float>;
using SimdD = SimdS<double>;
template <typename T> struct Blocking { static constexpr int MR = 4, NRV = 8, KC = 256, MC = 1536, NC = 512; };
template <typename T> using Narrow = Blocking<T>;
#endif

template <typename T> struct SimdOf { using S = SimdF; };
template <> struct SimdOf<double> { using S = SimdD; };

// C[0:MR, 0:NR] (+)= Ap (MR x kc, packed) * Bp (kc x NR, packed); a partial tile goes through a
// local buffer so the same arithmetic produces every element. The A sliver is either interleaved
// (ROWS false: Ap[p * MR + i]) or row by row (ROWS true: Ap[i * kc + p]); broadcasts do not need
// contiguity, and the row layout makes packing a row-major A a plain copy. Consecutive steps of the
// B panel are ldbp apart: NR when packed, the row stride of B when read in place. With `row`, the
// tile is added to that row vector (a bias, C's first k-block) instead of to C. Only the first NV of
// the NRV vector columns are computed: an edge panel with few live columns (n = 784 leaves 16 of
// a 64-wide panel) skips the padding's multiply-adds, and every live element gets the same ones.
template <typename T, typename B, bool ROWS, int NV = B::NRV>
static void microKernel(int64_t kc, const T* __restrict Ap, int64_t lda, const T* __restrict Bp, T* C,
                        int64_t ldc, int mr, int nr, bool beta, int64_t ldbp, const T* row) {
  using S = typename SimdOf<T>::S;
  using V = typename S::V;
  constexpr int MR = B::MR, NRV = NV, W = S::W, NR = B::NRV * W;
  V c[MR][NRV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
    for (int j = 0; j < NRV; j++) c[i][j] = S::zero();
  for (int64_t p = 0; p < kc; p++) {
    V b[NRV];
#pragma GCC unroll 8
    for (int j = 0; j < NRV; j++) b[j] = S::load(Bp + j * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      V a = S::set1(ROWS ? Ap[i * lda] : Ap[i]);
#pragma GCC unroll 8
      for (int j = 0; j < NRV; j++) c[i][j] = S::fma(a, b[j], c[i][j]);
    }
    Ap += ROWS ? 1 : MR;
    Bp += ldbp;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
      for (int j = 0; j < NRV; j++) {
        T* dst = C + i * ldc + j * W;
        if (row != nullptr) S::store(dst, S::add(S::load(row + j * W), c[i][j]));
        else S::store(dst, beta ? S::add(S::load(dst), c[i][j]) : c[i][j]);
      }
    return;
  }
  alignas(64) T tile[MR * NR];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NRV; j++) S::store(tile + i * NR + j * W, c[i][j]);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++)
      C[i * ldc + j] = row != nullptr ? row[j] + tile[i * NR + j] : beta ? C[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
}

// Runs the micro-kernel computing only the vector columns that hold live columns of C;
// ldbp < 0 means a packed panel (steps NR apart).
template <typename T, typename B, bool ROWS, int NV = B::NRV>
static void microKernelEdge(int64_t kc, const T* Ap, int64_t lda, const T* Bp, T* C, int64_t ldc, int mr, int nr,
                            bool beta, int64_t ldbp = -1, const T* row = nullptr) {
  constexpr int W = SimdOf<T>::S::W;
  if (ldbp < 0) ldbp = B::NRV * W;
  if constexpr (NV > 1) {
    if (nr <= (NV - 1) * W)
      return microKernelEdge<T, B, ROWS, NV - 1>(kc, Ap, lda, Bp, C, ldc, mr, nr, beta, ldbp, row);
  }
  microKernel<T, B, ROWS, NV>(kc, Ap, lda, Bp, C, ldc, mr, nr, beta, ldbp, row);
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-tall micro-panels, zero-padding the last one.
template <typename T, typename B>
static void packA(T* __restrict dst, const T* __restrict a, int64_t lda, bool trans, int64_t i0, int64_t mc,
                  int64_t p0, int64_t kc) {
  constexpr int MR = B::MR;
  if (trans) {
    // Row p of the stored A holds MR consecutive elements of each sliver: one fixed-size copy
    // (two moves, not MR scalar ones), in blocks of 16 rows so that the block's cache lines stay
    // in L1 while every sliver takes its part. (Row by row over all slivers instead, the writes,
    // a sliver apart, fell into two L1 sets.) dW1 = dHᵀ X of the MLP step: packing went from 4.4%
    // to 2.9% of the product's time.
    for (int64_t pb = 0; pb < kc; pb += 16) {
      const int64_t pe = kc - pb < 16 ? kc - pb : 16;
      for (int64_t ir = 0; ir < mc; ir += MR) {
        const int64_t mr = mc - ir < MR ? mc - ir : MR;
        T* d = dst + ir * kc + pb * MR;
        const T* s = a + (p0 + pb) * lda + i0 + ir;
        if (mr == MR) {
          for (int64_t p = 0; p < pe; p++) memcpy(d + p * MR, s + p * lda, sizeof(T) * MR);
        } else {
          for (int64_t p = 0; p < pe; p++) {
            int64_t i = 0;
            for (; i < mr; i++) d[p * MR + i] = s[p * lda + i];
            for (; i < MR; i++) d[p * MR + i] = T(0);
          }
        }
      }
    }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t mr = mc - ir < MR ? mc - ir : MR;
    T* d = dst + ir * kc;
    for (int64_t i = 0; i < mr; i++) {
      const T* s = a + (i0 + ir + i) * lda + p0;
      for (int64_t p = 0; p < kc; p++) d[p * MR + i] = s[p];
    }
    for (int64_t i = mr; i < MR; i++)
      for (int64_t p = 0; p < kc; p++) d[p * MR + i] = T(0);
  }
}

// Packs a row-major (not transposed) A[i0:i0+mc, p0:p0+kc] into MR-row slivers stored row by row
// (the ROWS layout of microKernel): each row is one contiguous copy.
template <typename T, typename B>
static void packARows(T* __restrict dst, const T* __restrict a, int64_t lda, int64_t i0, int64_t mc, int64_t p0,
                      int64_t kc) {
  constexpr int MR = B::MR;
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t mr = mc - ir < MR ? mc - ir : MR;
    T* d = dst + ir * kc;
    for (int64_t i = 0; i < MR; i++) {
      if (i < mr) memcpy(d + i * kc, a + (i0 + ir + i) * lda + p0, sizeof(T) * (size_t)kc);
      else memset(d + i * kc, 0, sizeof(T) * (size_t)kc);
    }
  }
}

#if TSG_ISA == 512
// dst[q * ldd + r] = src[r * lds + q] for a 16 x 16 block, in registers (unpack, then 128-bit
// lane shuffles).
// (GCC 12 warns about the intrinsics' own undefined pass-through operand; nothing here is unset.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
static inline void transpose16(float* dst, int64_t ldd, const float* src, int64_t lds) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; i++) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
  for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * ldd, r[i]);
}
#pragma GCC diagnostic pop
#endif

#if TSG_ISA == 256
// dst[q * ldd + r] = src[r * lds + q] for an 8 x 8 block, in registers.
static inline void transpose8(float* dst, int64_t ldd, const float* src, int64_t lds) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-wide micro-panels, zero-padding the last one.
template <typename T, typename B>
static void packB(T* __restrict dst, const T* __restrict b, int64_t ldb, bool trans, int64_t p0, int64_t kc,
                  int64_t j0, int64_t nc) {
  constexpr int NR = B::NRV * SimdOf<T>::S::W;
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t nr = nc - jr < NR ? nc - jr : NR;
    T* d = dst + jr * kc;
    if (trans) {
      // Transposed in 16-step blocks of p: one cache line of each source row, and 16 rows of
      // the panel, stay hot in L1 while a block is copied.
      const T* s = b + (j0 + jr) * ldb + p0;
      int64_t pb = 0;
#if TSG_ISA == 512
      if (sizeof(T) == 4 && nr == NR)
        for (; pb + 16 <= kc; pb += 16)
          for (int64_t jb = 0; jb < NR; jb += 16)
            transpose16(reinterpret_cast<float*>(d) + pb * NR + jb, NR,
                        reinterpret_cast<const float*>(s) + jb * ldb + pb, ldb);
#elif TSG_ISA == 256
      if (sizeof(T) == 4 && nr == NR)
        for (; pb + 16 <= kc; pb += 16)
          for (int64_t jb = 0; jb < NR; jb += 8) {
            transpose8(reinterpret_cast<float*>(d) + pb * NR + jb, NR, reinterpret_cast<const float*>(s) + jb * ldb + pb, ldb);
            transpose8(reinterpret_cast<float*>(d) + (pb + 8) * NR + jb, NR,
                       reinterpret_cast<const float*>(s) + jb * ldb + pb + 8, ldb);
          }
#endif
      for (; pb < kc; pb += 16) {
        const int64_t pe = kc - pb < 16 ? kc - pb : 16;
        for (int64_t j = 0; j < NR; j++) {
          T* dj = d + pb * NR + j;
          if (j < nr) {
            const T* sj = s + j * ldb + pb;
            for (int64_t q = 0; q < pe; q++) dj[q * NR] = sj[q];
          } else {
            for (int64_t q = 0; q < pe; q++) dj[q * NR] = T(0);
          }
        }
      }
    } else if (nr == NR) {
      // A full panel row is NRV vector moves; written as such because GCC turns a copy loop
      // into a call to memmove per row, which costs more than the copy (6600 calls for a
      // 256 x 784 B).
      using S = typename SimdOf<T>::S;
      for (int64_t p = 0; p < kc; p++) {
        const T* s = b + (p0 + p) * ldb + j0 + jr;
#pragma GCC unroll 8
        for (int v = 0; v < B::NRV; v++) S::store(d + p * NR + v * S::W, S::load(s + v * S::W));
      }
    } else {
      for (int64_t p = 0; p < kc; p++) {
        const T* s = b + (p0 + p) * ldb + j0 + jr;
        int64_t j = 0;
        for (; j < nr; j++) d[p * NR + j] = s[j];
        for (; j < NR; j++) d[p * NR + j] = T(0);
      }
    }
  }
}

// Row-layout slivers for a row-major A with few rows per sliver (the wide kernel): A is read in
// place, not packed. The narrow kernel's 12 row offsets would not stay in registers.
template <typename B> static inline bool readsAInPlace(bool transA) { return !transA && B::MR <= 8; }

// One matrix product restricted to rows [i0, i1) and columns [j0, j1) of C, with explicit
// leading dimensions (row strides of the stored matrices: A is m x k, or k x m when transA; B is
// k x n, or n x k when transB; C is m x n). With `shared`, op(B) is already packed there by
// packAllB (all its columns, row stride `sharedLd`) and is not packed again. With `bias` (n
// values, accumulate false) the first k-block adds its products to the bias instead of to C.
template <typename T, typename B>
static void gemmBlock(const Runtime& rt, T* c, int64_t ldc, const T* a, int64_t lda, const T* b, int64_t ldb,
                      int64_t k, bool transA, bool transB, bool accumulate, int64_t i0, int64_t i1, int64_t j0,
                      int64_t j1, const T* shared = nullptr, int64_t sharedLd = 0, const T* bias = nullptr) {
  constexpr int MR = B::MR, NR = B::NRV * SimdOf<T>::S::W;
  const bool rows = readsAInPlace<B>(transA);
  // With at most two slivers of rows each B panel is used at most twice, and copying it costs
  // about as much as its multiply-adds (dW = dYᵀ H of a 10-class output layer): a row-major B
  // is then read in place, all but a partial last panel (which would read past the row).
  const bool bInPlace = !transB && shared == nullptr && i1 - i0 <= 2 * MR;
  const int64_t ncMax = B::NC < j1 - j0 ? B::NC : j1 - j0;
  const int64_t mcMax = B::MC < i1 - i0 ? B::MC : i1 - i0;
  const int64_t kcMax = B::KC < k ? B::KC : k;
  T* bp = shared != nullptr ? nullptr : static_cast<T*>(rt.scratch(0, sizeof(T) * (size_t)(kcMax * ((ncMax + NR - 1) / NR * NR))));
  T* ap = static_cast<T*>(rt.scratch(1, sizeof(T) * (size_t)(kcMax * ((mcMax + MR - 1) / MR * MR))));
  for (int64_t ic = i0; ic < i1; ic += B::MC) {
    int64_t mc = i1 - ic < B::MC ? i1 - ic : B::MC;
    for (int64_t pc = 0; pc < k; pc += B::KC) {
      int64_t kc = k - pc < B::KC ? k - pc : B::KC;
      bool beta = accumulate || pc > 0;
      // Full row slivers are read in place; only a partial last one is copied (zero-padded).
      if (rows) {
        const int64_t full = mc / MR * MR;
        if (full < mc) packARows<T, B>(ap + full * kc, a, lda, ic + full, mc - full, pc, kc);
      } else {
        packA<T, B>(ap, a, lda, transA, ic, mc, pc, kc);
      }
      for (int64_t jc = j0; jc < j1; jc += B::NC) {
        int64_t nc = j1 - jc < B::NC ? j1 - jc : B::NC;
        const T* bb = bp;
        const int64_t ncFull = bInPlace ? nc / NR * NR : 0;
        if (shared != nullptr) bb = shared + pc * sharedLd + jc * kc;
        else if (ncFull < nc) packB<T, B>(bp + ncFull * kc, b, ldb, transB, pc, kc, jc + ncFull, nc - ncFull);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          int mr = (int)(mc - ir < MR ? mc - ir : MR);
          for (int64_t jr = 0; jr < nc; jr += NR) {
            int nr = (int)(nc - jr < NR ? nc - jr : NR);
            T* ct = c + (ic + ir) * ldc + jc + jr;
            const bool inPlace = jr < ncFull;
            const T* bt = inPlace ? b + pc * ldb + jc + jr : bb + jr * kc;
            const int64_t ldbp = inPlace ? ldb : -1;
            const T* row = bias != nullptr && pc == 0 ? bias + jc + jr : nullptr;
            if (!rows) microKernelEdge<T, B, false>(kc, ap + ir * kc, 0, bt, ct, ldc, mr, nr, beta, ldbp, row);
            else if (mr == MR)
              microKernelEdge<T, B, true>(kc, a + (ic + ir) * lda + pc, lda, bt, ct, ldc, mr, nr, beta, ldbp, row);
            else microKernelEdge<T, B, true>(kc, ap + ir * kc, kc, bt, ct, ldc, mr, nr, beta, ldbp, row);
          }
        }
      }
    }
  }
}

template <typename T, typename B>
static void gemmRange(const Runtime& rt, T* c, const T* a, const T* b, int64_t m, int64_t n, int64_t k,
                      bool transA, bool transB, bool accumulate, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                      const T* shared = nullptr, int64_t sharedLd = 0, const T* bias = nullptr) {
  gemmBlock<T, B>(rt, c, n, a, transA ? m : k, b, transB ? k : n, k, transA, transB, accumulate, i0, i1, j0, j1,
                  shared, sharedLd, bias);
}

// The columns of C padded to whole micro-panels: the row stride of a fully packed op(B).
template <typename T, typename B> static inline int64_t paddedColumns(int64_t n) {
  constexpr int NR = B::NRV * SimdOf<T>::S::W;
  return (n + NR - 1) / NR * NR;
}

template <typename T> struct GemmJob {
  const Runtime* rt;
  T* c;
  const T* a;
  const T* b;
  const GemmArgs* g;
  bool splitBatch, splitN;
  int64_t batch;  // the matrix index when not splitting the batch
  T* shared;      // a row split's op(B), packed once for every task (packAllBTask), or null
};

static inline int64_t partBound(int64_t units, int task, int ntasks) { return units * task / ntasks; }

template <typename T, typename B> static void gemmTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<GemmJob<T>*>(ctx);
  const GemmArgs& g = *J.g;
  const T* bias = static_cast<const T*>(g.bias);
  constexpr int MR = B::MR, NR = B::NRV * SimdOf<T>::S::W;
  if (J.splitBatch) {
    for (int64_t t = partBound(g.batch, task, ntasks); t < partBound(g.batch, task + 1, ntasks); t++)
      gemmRange<T, B>(*J.rt, J.c + t * g.m * g.n, J.a + t * g.aBatchStride, J.b + t * g.bBatchStride, g.m, g.n, g.k,
                   g.transA, g.transB, g.accumulate, 0, g.m, 0, g.n, nullptr, 0, bias);
    return;
  }
  const int64_t t = J.batch;
  T* c = J.c + t * g.m * g.n;
  const T* a = J.a + t * g.aBatchStride;
  const T* b = J.b + t * g.bBatchStride;
  if (J.splitN) {
    int64_t panels = (g.n + NR - 1) / NR;
    int64_t j0 = partBound(panels, task, ntasks) * NR, j1 = partBound(panels, task + 1, ntasks) * NR;
    if (j1 > g.n) j1 = g.n;
    if (j0 < j1)
      gemmRange<T, B>(*J.rt, c, a, b, g.m, g.n, g.k, g.transA, g.transB, g.accumulate, 0, g.m, j0, j1, nullptr, 0, bias);
  } else {
    int64_t panels = (g.m + MR - 1) / MR;
    int64_t i0 = partBound(panels, task, ntasks) * MR, i1 = partBound(panels, task + 1, ntasks) * MR;
    if (i1 > g.m) i1 = g.m;
    if (i0 < i1)
      gemmRange<T, B>(*J.rt, c, a, b, g.m, g.n, g.k, g.transA, g.transB, g.accumulate, i0, i1, 0, g.n, J.shared,
                      paddedColumns<T, B>(g.n), bias);
  }
}

// Packs op(B) of the job's matrix whole, in gemmBlock's layout (for each KC block of k, every
// micro-panel of NR columns), into J.shared: a share of the micro-panels per task. A row split
// then packs B once instead of once per task.
template <typename T, typename B> static void packAllBTask(void* ctx, int task, int ntasks) {
  auto& J = *static_cast<GemmJob<T>*>(ctx);
  const GemmArgs& g = *J.g;
  constexpr int NR = B::NRV * SimdOf<T>::S::W;
  const int64_t panels = (g.n + NR - 1) / NR, ld = paddedColumns<T, B>(g.n);
  int64_t j0 = partBound(panels, task, ntasks) * NR, j1 = partBound(panels, task + 1, ntasks) * NR;
  if (j1 > g.n) j1 = g.n;
  if (j0 >= j1) return;
  const T* b = J.b + J.batch * g.bBatchStride;
  for (int64_t pc = 0; pc < g.k; pc += B::KC) {
    const int64_t kc = g.k - pc < B::KC ? g.k - pc : B::KC;
    packB<T, B>(J.shared + pc * ld + j0 * kc, b, g.transB ? g.k : g.n, g.transB, pc, kc, j0, j1 - j0);
  }
}

#if TSG_ISA == 512
#include "gemv512.h"
#endif

// Below this many multiply-adds per call, waking the pool costs more than it saves.
static constexpr int64_t kGemmParallelMin = int64_t(1) << 19;
// The time to pack one element of op(A) (a strided read, a copy into a panel), in multiply-adds
// of the micro-kernel (about a quarter of a nanosecond against 85 GFLOP/s), and the cost of the
// extra pass over the pool that a shared packing of op(B) takes (a few microseconds).
static constexpr double kPackCost = 12;
static constexpr double kPackPassCost = 200000;

template <typename T, typename B>
static void gemmWith(const Runtime& rt, T* c, const T* a, const T* b, const GemmArgs& g) {
  constexpr int MR = B::MR, NR = B::NRV * SimdOf<T>::S::W;
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  if (g.k == 0) {
    if (!g.accumulate)
      for (int64_t i = 0; i < g.batch * g.m * g.n; i++) c[i] = T(0);
    return;
  }
  const int64_t work = g.m * g.n * g.k;
  int nt = rt.threads();
  if (work * g.batch < kGemmParallelMin) nt = 1;
  GemmJob<T> job{&rt, c, a, b, &g, false, false, 0, nullptr};
  if (nt > 1 && g.batch >= nt && (work < (int64_t(1) << 24) || g.batch % nt == 0)) {
    job.splitBatch = true;
    rt.run((int)(g.batch < 4 * nt ? g.batch : 4 * nt), gemmTask<T, B>, &job);
    return;
  }
  // One task per thread, two or four when each task is long enough: finer tasks let a thread the
  // OS preempts hand over more of the work, but below 2^26 multiply-adds a thread they cost more
  // than they save (the MLP step's 256 x 784 x 256 products at 2 threads, quiet machine: 1 task
  // per thread 333 and 348 us, 2 tasks 347 and 427 us). A column split packs op(B) once (each task
  // its own columns) but op(A) in every task, unless A is read in place; a row split packs op(B)
  // once, shared, in a first parallel pass, then op(A) once (each task its own rows), and each
  // task then reads the panels the other threads packed, from their caches: that traffic costs
  // about as much as packing B again. Split along the dimension with the lower estimated cost:
  // the multiply-adds over how evenly the rows or columns divide among the tasks (the largest
  // task's share, a partial last micro-panel counted as partial), plus the packing.
  const int64_t perThread = work / nt;
  const int tasks = (perThread >= (int64_t(1) << 27) ? 4 : perThread >= (int64_t(1) << 26) ? 2 : 1) * nt;
  int64_t pn = (g.n + NR - 1) / NR, pm = (g.m + MR - 1) / MR;
  auto eff = [tasks](int64_t p, int64_t unit, int64_t size) {
    const int64_t used = p < tasks ? p : tasks;
    int64_t most = 0;
    for (int64_t t = 0; t < used; t++) {
      int64_t hi = partBound(p, (int)t + 1, (int)used) * unit;
      int64_t ext = (hi < size ? hi : size) - partBound(p, (int)t, (int)used) * unit;
      if (ext > most) most = ext;
    }
    return (double)size / (double)(tasks * most);
  };
  auto repeats = [tasks](int64_t p) { return (double)((p < tasks ? p : tasks) - 1); };
  const bool aInPlace = readsAInPlace<B>(g.transA);
  const double costN =
      (double)work / eff(pn, NR, g.n) + kPackCost * (aInPlace ? 0.0 : (double)(g.m * g.k)) * repeats(pn);
  const double costM = (double)work / eff(pm, MR, g.m) + kPackPassCost + kPackCost * (double)(g.k * g.n);
  job.splitN = nt == 1 || costN <= costM;
  int64_t units = job.splitN ? pn : pm;
  int ntasks = nt == 1 ? 1 : (int)(units < tasks ? units : tasks);
  if (!job.splitN && ntasks > 1)
    job.shared = static_cast<T*>(rt.scratch(0, sizeof(T) * (size_t)(g.k * paddedColumns<T, B>(g.n))));
  for (int64_t t = 0; t < g.batch; t++) {
    job.batch = t;
    if (ntasks == 1) {
      gemmTask<T, B>(&job, 0, 1);
      continue;
    }
    if (job.shared != nullptr) rt.run(pn < nt ? (int)pn : nt, packAllBTask<T, B>, &job);
    rt.run(ntasks, gemmTask<T, B>, &job);
  }
}

// Whether C with n columns takes the narrow micro-kernel.
template <typename T> static inline bool narrowGemm(int64_t n) {
  return n < 3 * Narrow<T>::NRV * SimdOf<T>::S::W && Narrow<T>::NRV != Blocking<T>::NRV;
}

template <typename T> static void gemm(const Runtime& rt, T* c, const T* a, const T* b, const GemmArgs& g) {
  bool noEpilogue = g.bias != nullptr && g.k == 0;
#if TSG_ISA == 512
  noEpilogue = noEpilogue || (g.bias != nullptr && sizeof(T) == sizeof(float) && gemvApplies(g));
#endif
  if (noEpilogue) {
    // Paths without a bias epilogue (no products, the matrix-vector kernel): the bias rows first,
    // then the products accumulated onto them, the same additions in the same order.
    const T* bias = static_cast<const T*>(g.bias);
    for (int64_t r = 0; r < g.batch * g.m; r++)
      for (int64_t j = 0; j < g.n; j++) c[r * g.n + j] = bias[j];
    GemmArgs rest = g;
    rest.bias = nullptr;
    rest.accumulate = true;
    return gemm(rt, c, a, b, rest);
  }
#if TSG_ISA == 512
  if (gemvTry(rt, c, a, b, g)) return;
#endif
  if (narrowGemm<T>(g.n))
    gemmWith<T, Narrow<T>>(rt, c, a, b, g);
  else
    gemmWith<T, Blocking<T>>(rt, c, a, b, g);
}

// C (m x n, row stride ldc) (+)= op(A) op(B) on the calling thread, for kernels that split their
// own work (convolution): the same blocking and summation order as gemm().
template <typename T>
static void gemmSerial(const Runtime& rt, T* c, int64_t ldc, const T* a, int64_t lda, bool transA, const T* b,
                       int64_t ldb, bool transB, int64_t m, int64_t n, int64_t k, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = T(0);
    return;
  }
  if (narrowGemm<T>(n))
    gemmBlock<T, Narrow<T>>(rt, c, ldc, a, lda, b, ldb, k, transA, transB, accumulate, 0, m, 0, n);
  else
    gemmBlock<T, Blocking<T>>(rt, c, ldc, a, lda, b, ldb, k, transA, transB, accumulate, 0, m, 0, n);
}
