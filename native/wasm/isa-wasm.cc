// The float kernels compiled for WebAssembly SIMD128 (scripts/build-wasm.mjs builds this file
// with -msimd128, and once more with -mrelaxed-simd and TSG_WASM_RELAXED for engines that have
// relaxed SIMD). The module holds one kernel table, exported under the generic table's name.
#define TSG_ISA 128
#define TSG_NS wasm
#define TSG_TABLE kIsaGeneric
#if TSG_WASM_RELAXED
#define TSG_NAME "wasm-relaxed-simd"
#else
#define TSG_NAME "wasm-simd128"
#endif
#include "kernels-impl.h"
