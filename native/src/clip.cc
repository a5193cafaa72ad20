// Gradient clipping by global norm in two memory-bound passes (sum of squares, then scaling only
// when needed), replacing a JavaScript loop over every gradient element. Memory-bound, so it is
// compiled once for the baseline instruction set. The sum uses eight partial sums (independent
// additions the CPU overlaps); it differs from the reference's sequential sum only by rounding.
// Scaling rounds each product once to the array's dtype, exactly as the reference does.
#include "clip.h"

#include <cmath>

#include "isa.h"

namespace tsg {
namespace {

template <typename T> double sumSquares(const T* x, int64_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) s[k] += (double)x[i + k] * (double)x[i + k];
  for (; i < n; i++) s[0] += (double)x[i] * (double)x[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

template <typename T> void scaleBy(T* x, int64_t n, double scale) {
  for (int64_t i = 0; i < n; i++) x[i] = (T)((double)x[i] * scale);
}

}  // namespace

double clipGlobalNorm(const ClipArray* arrays, int count, double maxNorm) {
  double sq = 0;
  for (int a = 0; a < count; a++) {
    const ClipArray& c = arrays[a];
    sq += c.dt == F32 ? sumSquares(static_cast<const float*>(c.data), c.n) : sumSquares(static_cast<const double*>(c.data), c.n);
  }
  const double total = std::sqrt(sq);
  const double scale = maxNorm / (total + 1e-8);
  if (std::isfinite(total) && scale < 1) {
    for (int a = 0; a < count; a++) {
      const ClipArray& c = arrays[a];
      if (c.dt == F32) scaleBy(static_cast<float*>(c.data), c.n, scale);
      else scaleBy(static_cast<double*>(c.data), c.n, scale);
    }
  }
  return total;
}

}  // namespace tsg
