// Gradient clipping by global norm (clip.cc); the contract is clipGlobalNorm in
// src/backend/kernels.ts and the reference is src/backend/ref/clip.ts.
#pragma once
#include <cstdint>

namespace tsg {

// One float array of clipGlobalNorm: dt F32 or F64 (isa.h), n elements.
struct ClipArray {
  int dt;
  int64_t n;
  void* data;
};

// Returns the joint L2 norm of the arrays (squares summed in double) and, when it is finite and
// maxNorm / (norm + 1e-8) < 1, scales every array by that factor in place.
double clipGlobalNorm(const ClipArray* arrays, int count, double maxNorm);

}  // namespace tsg
