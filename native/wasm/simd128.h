// The GEMM's vector types and blocking for WebAssembly SIMD128 (included by gemm-impl.h when
// TSG_ISA is 128). f32x4 and f64x2 vectors; the multiply-add is one relaxed-SIMD madd when the
// module is built with -mrelaxed-simd (TSG_WASM_RELAXED), which engines on FMA hardware fuse, and a
// multiply then an add otherwise. V8 keeps v128 values in xmm0-14 of x86-64 (xmm15 is its scratch)
// and its register allocator loads every broadcast of a k step before the multiply-adds that use
// them, so a tile fits only if accumulators + B vectors + all MR broadcasts <= 15: 3 x 3
// accumulators, 3 B vectors, 3 broadcasts. The AVX2-style 6 x 2 tile (12 + 2 + 6) spilled five
// accumulators to the stack in every k step in Chromium 156 (a store-to-load chain per step) and
// ran at 70% of the 3 x 3 tile's speed (bench:browser, n = 512, one thread; docs/browser.md).
#include <wasm_simd128.h>

struct SimdF {
  using V = v128_t;
  static constexpr int W = 4;
  static V zero() { return wasm_f32x4_const_splat(0.0f); }
  static V load(const float* p) { return wasm_v128_load(p); }
  static void store(float* p, V v) { wasm_v128_store(p, v); }
  static V set1(float x) { return wasm_f32x4_splat(x); }
#if TSG_WASM_RELAXED
  static V fma(V a, V b, V c) { return wasm_f32x4_relaxed_madd(a, b, c); }
#else
  static V fma(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
#endif
  static V add(V a, V b) { return wasm_f32x4_add(a, b); }
};
struct SimdD {
  using V = v128_t;
  static constexpr int W = 2;
  static V zero() { return wasm_f64x2_const_splat(0.0); }
  static V load(const double* p) { return wasm_v128_load(p); }
  static void store(double* p, V v) { wasm_v128_store(p, v); }
  static V set1(double x) { return wasm_f64x2_splat(x); }
#if TSG_WASM_RELAXED
  static V fma(V a, V b, V c) { return wasm_f64x2_relaxed_madd(a, b, c); }
#else
  static V fma(V a, V b, V c) { return wasm_f64x2_add(wasm_f64x2_mul(a, b), c); }
#endif
  static V add(V a, V b) { return wasm_f64x2_add(a, b); }
};
// TSG_WASM_MR, _NRV, _KC, _NC override the float tile and blocks, for measuring other shapes.
#ifndef TSG_WASM_MR
#define TSG_WASM_MR 3
#endif
#ifndef TSG_WASM_NRV
#define TSG_WASM_NRV 3
#endif
#ifndef TSG_WASM_KC
#define TSG_WASM_KC 256
#endif
#ifndef TSG_WASM_NC
#define TSG_WASM_NC 512
#endif
// NC is rounded down to whole micro-panels (NR = NRV * 16 / sizeof(T) columns): a row split's shared
// packed B (packAllBTask) is addressed by column, which must fall on a panel boundary.
template <typename T> struct Blocking {
  static constexpr int MR = TSG_WASM_MR, NRV = TSG_WASM_NRV, KC = TSG_WASM_KC, MC = 1536;
  static constexpr int NC = TSG_WASM_NC / (NRV * 16 / (int)sizeof(T)) * (NRV * 16 / (int)sizeof(T));
};
template <typename T> using Narrow = Blocking<T>;
// conv-unfold.h's masked taps: the mask lanes are all ones or all zeros, so a bitwise and.
static inline v128_t laneAnd(v128_t m, v128_t v) { return wasm_v128_and(m, v); }
