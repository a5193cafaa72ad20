// Byte-moving kernels and dtype conversion (see movement.h).
#include "movement.h"

#include <cmath>
#include <cstring>

#include "isa.h"

namespace tsg {

int mergeDims(int nd, const int64_t* shape, int nops, const int64_t* const* strides, int64_t* shapeOut,
              int64_t* const* stridesOut) {
  // Build from the innermost axis outwards, then reverse.
  int64_t rs[kMaxDims];
  int64_t rst[4][kMaxDims];
  int n = 0;
  for (int d = nd - 1; d >= 0; d--) {
    if (shape[d] == 1) continue;
    if (n > 0) {
      bool ok = true;
      for (int o = 0; o < nops && ok; o++) ok = strides[o][d] == rst[o][n - 1] * rs[n - 1];
      if (ok) {
        rs[n - 1] *= shape[d];
        continue;
      }
    }
    rs[n] = shape[d];
    for (int o = 0; o < nops; o++) rst[o][n] = strides[o][d];
    n++;
  }
  if (n == 0) {
    shapeOut[0] = 1;
    for (int o = 0; o < nops; o++) stridesOut[o][0] = 0;
    return 1;
  }
  for (int i = 0; i < n; i++) {
    shapeOut[i] = rs[n - 1 - i];
    for (int o = 0; o < nops; o++) stridesOut[o][i] = rst[o][n - 1 - i];
  }
  return n;
}

void viewExtent(int nd, const int64_t* shape, const int64_t* strides, int64_t offset, int64_t* lo, int64_t* hi) {
  *lo = *hi = offset;
  for (int d = 0; d < nd; d++) {
    int64_t span = (shape[d] - 1) * strides[d];
    if (span < 0) *lo += span;
    else *hi += span;
  }
}

template <typename E>
static void copyT(E* dst, const int64_t* ds, const E* src, const int64_t* ss, int nd, const int64_t* shape) {
  const int64_t len = shape[nd - 1], dl = ds[nd - 1], sl = ss[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= shape[d];
  int64_t idx[kMaxDims] = {0};
  int64_t di = 0, si = 0;
  for (int64_t r = 0; r < rows; r++) {
    if (dl == 1 && sl == 1) std::memcpy(dst + di, src + si, sizeof(E) * (size_t)len);
    else
      for (int64_t j = 0; j < len; j++) dst[di + j * dl] = src[si + j * sl];
    for (int d = nd - 2; d >= 0; d--) {
      di += ds[d];
      si += ss[d];
      if (++idx[d] < shape[d]) break;
      di -= ds[d] * shape[d];
      si -= ss[d] * shape[d];
      idx[d] = 0;
    }
  }
}

void copyStrided(int elemSize, void* dst, int64_t dstOff, const int64_t* dstStrides, const void* src,
                 int64_t srcOff, const int64_t* srcStrides, int nd, const int64_t* shape) {
  int64_t sh[kMaxDims], d2[kMaxDims], s2[kMaxDims];
  const int64_t* in[2] = {dstStrides, srcStrides};
  int64_t* out[2] = {d2, s2};
  int n = mergeDims(nd, shape, 2, in, sh, out);
  switch (elemSize) {
    case 1: copyT(static_cast<uint8_t*>(dst) + dstOff, d2, static_cast<const uint8_t*>(src) + srcOff, s2, n, sh); break;
    case 4: copyT(static_cast<uint32_t*>(dst) + dstOff, d2, static_cast<const uint32_t*>(src) + srcOff, s2, n, sh); break;
    default: copyT(static_cast<uint64_t*>(dst) + dstOff, d2, static_cast<const uint64_t*>(src) + srcOff, s2, n, sh);
  }
}

template <typename C, typename E>
static void whereT(E* out, const C* cond, const E* a, const E* b, int nd, const int64_t* shape, const int64_t* cs,
                   const int64_t* as, const int64_t* bs) {
  const int64_t len = shape[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= shape[d];
  int64_t idx[kMaxDims] = {0};
  int64_t ci = 0, ai = 0, bi = 0;
  const int64_t cl = cs[nd - 1], al = as[nd - 1], bl = bs[nd - 1];
  for (int64_t r = 0; r < rows; r++) {
    E* o = out + r * len;
    for (int64_t j = 0; j < len; j++) o[j] = cond[ci + j * cl] != 0 ? a[ai + j * al] : b[bi + j * bl];
    for (int d = nd - 2; d >= 0; d--) {
      ci += cs[d];
      ai += as[d];
      bi += bs[d];
      if (++idx[d] < shape[d]) break;
      ci -= cs[d] * shape[d];
      ai -= as[d] * shape[d];
      bi -= bs[d] * shape[d];
      idx[d] = 0;
    }
  }
}

template <typename E>
static bool whereE(int condDt, E* out, const void* cond, const E* a, const E* b, int nd, const int64_t* shape,
                   const int64_t* cs, const int64_t* as, const int64_t* bs) {
  switch (condDt) {
    case F32: whereT(out, static_cast<const float*>(cond), a, b, nd, shape, cs, as, bs); return true;
    case F64: whereT(out, static_cast<const double*>(cond), a, b, nd, shape, cs, as, bs); return true;
    case I32: whereT(out, static_cast<const int32_t*>(cond), a, b, nd, shape, cs, as, bs); return true;
    case U8: whereT(out, static_cast<const uint8_t*>(cond), a, b, nd, shape, cs, as, bs); return true;
    default: return false;
  }
}

bool whereKernel(int condDt, int elemSize, void* out, const void* cond, const void* a, const void* b, int nd,
                 const int64_t* shape, const int64_t* cs, const int64_t* as, const int64_t* bs) {
  switch (elemSize) {
    case 1:
      return whereE(condDt, static_cast<uint8_t*>(out), cond, static_cast<const uint8_t*>(a),
                    static_cast<const uint8_t*>(b), nd, shape, cs, as, bs);
    case 4:
      return whereE(condDt, static_cast<uint32_t*>(out), cond, static_cast<const uint32_t*>(a),
                    static_cast<const uint32_t*>(b), nd, shape, cs, as, bs);
    default:
      return whereE(condDt, static_cast<uint64_t*>(out), cond, static_cast<const uint64_t*>(a),
                    static_cast<const uint64_t*>(b), nd, shape, cs, as, bs);
  }
}

// ECMAScript ToInt32 / ToUint8 of a truncated value: modular, NaN and infinities become 0.
static inline int32_t toInt32(double v) {
  if (v > -2147483649.0 && v < 2147483648.0) return (int32_t)v;
  if (!std::isfinite(v)) return 0;
  double r = std::fmod(std::trunc(v), 4294967296.0);
  if (r < 0) r += 4294967296.0;
  return (int32_t)(uint32_t)r;
}
static inline uint8_t toUint8(double v) {
  if (v > -1.0 && v < 256.0) return (uint8_t)(int)v;
  if (!std::isfinite(v)) return 0;
  double r = std::fmod(std::trunc(v), 256.0);
  if (r < 0) r += 256.0;
  return (uint8_t)r;
}

template <typename O, typename I> static void convert(O* out, const I* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = static_cast<O>(x[i]);
}
template <typename I> static void convertInt32(int32_t* out, const I* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = toInt32((double)x[i]);
}
template <typename I> static void convertUint8(uint8_t* out, const I* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = toUint8((double)x[i]);
}

template <typename O> static bool castTo(O* out, int inDt, const void* x, int64_t n) {
  switch (inDt) {
    case F32: convert(out, static_cast<const float*>(x), n); return true;
    case F64: convert(out, static_cast<const double*>(x), n); return true;
    case I32: convert(out, static_cast<const int32_t*>(x), n); return true;
    case U8: convert(out, static_cast<const uint8_t*>(x), n); return true;
    default: return false;
  }
}

bool castKernel(int outDt, void* out, int inDt, const void* x, int64_t n) {
  if (outDt == inDt) {
    static const int sizes[] = {4, 8, 4, 1};
    std::memmove(out, x, (size_t)n * sizes[outDt]);
    return true;
  }
  switch (outDt) {
    case F32: return castTo(static_cast<float*>(out), inDt, x, n);
    case F64: return castTo(static_cast<double*>(out), inDt, x, n);
    case I32: {
      auto* o = static_cast<int32_t*>(out);
      if (inDt == F32) convertInt32(o, static_cast<const float*>(x), n);
      else if (inDt == F64) convertInt32(o, static_cast<const double*>(x), n);
      else convert(o, static_cast<const uint8_t*>(x), n);
      return true;
    }
    case U8: {
      auto* o = static_cast<uint8_t*>(out);
      if (inDt == F32) convertUint8(o, static_cast<const float*>(x), n);
      else if (inDt == F64) convertUint8(o, static_cast<const double*>(x), n);
      else for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)(uint32_t)static_cast<const int32_t*>(x)[i];
      return true;
    }
    default: return false;
  }
}

template <typename T>
static void scatterAdd(int kind, T* gx, const T* g, const int32_t* idx, int64_t nIdx, int64_t outer,
                       int64_t axisLen, int64_t inner) {
  if (kind == 1) {
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < nIdx; j++) {
        T* to = gx + (o * axisLen + idx[j]) * inner;
        const T* from = g + (o * nIdx + j) * inner;
        for (int64_t i = 0; i < inner; i++) to[i] += from[i];
      }
    return;
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) gx[(o * axisLen + idx[o * inner + i]) * inner + i] += g[o * inner + i];
}

template <typename E>
static void pickT(E* out, const E* x, const int32_t* idx, int64_t outer, int64_t axisLen, int64_t inner) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) out[o * inner + i] = x[(o * axisLen + idx[o * inner + i]) * inner + i];
}

bool gatherKernel(int kind, int dt, int elemSize, void* out, const void* x, const int32_t* idx, int64_t nIdx,
                  int64_t outer, int64_t axisLen, int64_t inner) {
  if (kind == 0) {
    const size_t row = (size_t)inner * elemSize;
    auto* o = static_cast<uint8_t*>(out);
    auto* s = static_cast<const uint8_t*>(x);
    for (int64_t oo = 0; oo < outer; oo++)
      for (int64_t j = 0; j < nIdx; j++)
        std::memcpy(o + (oo * nIdx + j) * row, s + (oo * axisLen + idx[j]) * row, row);
    return true;
  }
  if (kind == 2) {
    switch (elemSize) {
      case 1: pickT(static_cast<uint8_t*>(out), static_cast<const uint8_t*>(x), idx, outer, axisLen, inner); break;
      case 4: pickT(static_cast<uint32_t*>(out), static_cast<const uint32_t*>(x), idx, outer, axisLen, inner); break;
      default: pickT(static_cast<uint64_t*>(out), static_cast<const uint64_t*>(x), idx, outer, axisLen, inner);
    }
    return true;
  }
  if (dt == F32) scatterAdd(kind, static_cast<float*>(out), static_cast<const float*>(x), idx, nIdx, outer, axisLen, inner);
  else if (dt == F64)
    scatterAdd(kind, static_cast<double*>(out), static_cast<const double*>(x), idx, nIdx, outer, axisLen, inner);
  else return false;
  return true;
}

}  // namespace tsg
