// Convolution and pooling kernels over (N, C, D, H, W) arrays (1-D and 2-D ops arrive with
// leading spatial extents of 1), matching src/backend/kernels.ts's WindowPlan.
#pragma once
#include <cstdint>

#include "isa.h"

namespace tsg {

struct WindowPlan {
  int64_t batch, channels;
  int64_t in[3], out[3], kernel[3], stride[3], pad[3], dilation[3];
  bool countIncludePad;
};

// kind: 0 im2col(cols, x), 1 col2im(gx, cols), 2 maxPool(out, x), 3 maxPoolGrad(gx, g, x),
// 4 avgPool(out, x), 5 avgPoolGrad(gx, g). Outputs of 0 and 1 arrive zeroed (accumulated into);
// the others are overwritten. False for dtypes other than float32/float64.
bool windowKernel(const Runtime& rt, int dt, int kind, void* out, const void* x, const void* y, const WindowPlan& p);

}  // namespace tsg
