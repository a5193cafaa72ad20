// Data-movement kernels that work on any dtype by element size (strided copy, where, gathers)
// and dtype conversion. They move bytes rather than compute, so they are compiled once, for the
// baseline instruction set; the float kernels live in kernels-impl.h.
#pragma once
#include <cstdint>

namespace tsg {

constexpr int kMaxDims = 32;

// Drops unit axes and merges adjacent axes that are contiguous in every operand, so the loops
// below run long inner rows. Returns the new rank (at least 1).
int mergeDims(int nd, const int64_t* shape, int nops, const int64_t* const* strides, int64_t* shapeOut,
              int64_t* const* stridesOut);

// Smallest and largest element offset a strided view touches (shape entries all > 0).
void viewExtent(int nd, const int64_t* shape, const int64_t* strides, int64_t offset, int64_t* lo, int64_t* hi);

void copyStrided(int elemSize, void* dst, int64_t dstOff, const int64_t* dstStrides, const void* src,
                 int64_t srcOff, const int64_t* srcStrides, int nd, const int64_t* shape);

// out = cond != 0 ? a : b with merged three-way broadcast strides; cond of dtype condDt.
bool whereKernel(int condDt, int elemSize, void* out, const void* cond, const void* a, const void* b, int nd,
                 const int64_t* shape, const int64_t* cs, const int64_t* as, const int64_t* bs);

// Converts n elements between the four dtypes with JavaScript's typed-array semantics.
bool castKernel(int outDt, void* out, int inDt, const void* x, int64_t n);

// kind: 0 take, 1 takeGrad, 2 pick, 3 pickGrad. Gradients only for float dtypes (returns false).
bool gatherKernel(int kind, int dt, int elemSize, void* out, const void* x, const int32_t* idx, int64_t nIdx,
                  int64_t outer, int64_t axisLen, int64_t inner);

}  // namespace tsg
