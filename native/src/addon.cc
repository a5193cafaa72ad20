// Node-API entry points of the tsgluon native backend.
//
// Every function takes the JavaScript typed arrays themselves (their data pointers, no copies)
// plus a few numbers or one small Int32Array plan, and returns true when it handled the call or
// false when the dtype is one it leaves to the reference backend. Arguments are validated
// (types, lengths, plan bounds) so a bad call throws instead of touching memory it should not.
// The instruction set, thread pool and allocator policy live in runtime.cc.
#define NAPI_VERSION 8
#include <napi.h>

#include <string>
#include <vector>

#include "clip.h"
#include "isa.h"
#include "movement.h"
#include "runtime.h"
#include "window.h"

namespace tsg {
namespace {

const char* const kUnaryNames[U_COUNT] = {TSG_UNARY_OPS(TSG_OP_NAME)};
const char* const kBinaryNames[B_COUNT] = {TSG_BINARY_OPS(TSG_OP_NAME)};
const char* const kReduceNames[R_COUNT] = {TSG_REDUCE_OPS(TSG_OP_NAME)};

struct Arr {
  int dt = -1;  // F32, F64, I32, U8, or -1 for any other typed array
  int elem = 0;
  size_t len = 0;
  void* data = nullptr;
};

bool getArr(napi_env env, napi_value v, Arr& a) {
  napi_typedarray_type t;
  if (napi_get_typedarray_info(env, v, &t, &a.len, &a.data, nullptr, nullptr) != napi_ok) return false;
  switch (t) {
    case napi_float32_array: a.dt = F32, a.elem = 4; break;
    case napi_float64_array: a.dt = F64, a.elem = 8; break;
    case napi_int32_array: a.dt = I32, a.elem = 4; break;
    case napi_uint8_array: a.dt = U8, a.elem = 1; break;
    default: a.dt = -1;
  }
  return a.dt >= 0;
}

Napi::Value fail(const Napi::Env& env, const std::string& msg) {
  Napi::TypeError::New(env, "tsgluon native: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reads typed arrays from info[first..first+n) into arrs; false (with an exception) on failure.
bool args(const Napi::CallbackInfo& info, size_t first, size_t n, Arr* arrs, const char* fn) {
  for (size_t i = 0; i < n; i++) {
    if (info.Length() <= first + i || !getArr(info.Env(), info[first + i], arrs[i])) {
      fail(info.Env(), std::string(fn) + ": argument " + std::to_string(first + i) +
                           " must be a Float32Array, Float64Array, Int32Array or Uint8Array");
      return false;
    }
  }
  return true;
}

int64_t num(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return -1;
  return info[i].As<Napi::Number>().Int64Value();
}

// Reads an Int32Array plan; returns nullptr (after throwing) when it is missing or too short.
const int32_t* plan(const Napi::CallbackInfo& info, size_t i, size_t minLen, size_t* len) {
  Arr a;
  if (info.Length() <= i || !getArr(info.Env(), info[i], a) || a.dt != I32 || a.len < minLen) {
    fail(info.Env(), "plan must be an Int32Array");
    return nullptr;
  }
  *len = a.len;
  return static_cast<const int32_t*>(a.data);
}

Napi::Value Bool(const Napi::Env& env, bool b) { return Napi::Boolean::New(env, b); }

// gemm(out, a, b, plan = [batch, m, n, k, transA, transB, aBatchStride, bBatchStride, mode], bias?)
// mode 0 overwrites out, 1 accumulates into it, 2 starts every row of out from bias (n values).
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr t[3];
  if (!args(info, 0, 3, t, "gemm")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 3, 9, &pl);
  if (p == nullptr) return env.Undefined();
  if (t[0].dt != t[1].dt || t[0].dt != t[2].dt) return fail(env, "gemm: dtypes differ");
  if (t[0].dt != F32 && t[0].dt != F64) return Bool(env, false);
  GemmArgs g{p[0], p[1], p[2], p[3], p[6], p[7], p[4] != 0, p[5] != 0, p[8] == 1};
  if (g.batch < 0 || g.m < 0 || g.n < 0 || g.k < 0 || g.aBatchStride < 0 || g.bBatchStride < 0)
    return fail(env, "gemm: negative extent in plan");
  if (p[8] == 2) {
    Arr bias;
    if (!args(info, 4, 1, &bias, "gemm")) return env.Undefined();
    if (bias.dt != t[0].dt) return fail(env, "gemm: the bias's dtype differs");
    if ((int64_t)bias.len < g.n) return fail(env, "gemm: bias too short");
    g.bias = bias.data;
  }
  if (g.batch > 0 && g.m > 0 && g.n > 0) {
    if ((int64_t)t[0].len < g.batch * g.m * g.n) return fail(env, "gemm: output too short");
    if (g.k > 0 && ((int64_t)t[1].len < (g.batch - 1) * g.aBatchStride + g.m * g.k ||
                    (int64_t)t[2].len < (g.batch - 1) * g.bBatchStride + g.k * g.n))
      return fail(env, "gemm: input too short for the plan");
  }
  if (t[0].dt == F32)
    gIsa->gemm_f32(kRuntime, static_cast<float*>(t[0].data), static_cast<const float*>(t[1].data),
                   static_cast<const float*>(t[2].data), g);
  else
    gIsa->gemm_f64(kRuntime, static_cast<double*>(t[0].data), static_cast<const double*>(t[1].data),
                   static_cast<const double*>(t[2].data), g);
  return Bool(env, true);
}

// unary(op, out, x)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t op = num(info, 0);
  Arr t[2];
  if (!args(info, 1, 2, t, "unary")) return env.Undefined();
  if (op < 0 || op >= U_COUNT) return fail(env, "unary: unknown op");
  if (t[0].dt != t[1].dt || t[0].len != t[1].len) return fail(env, "unary: operands differ in dtype or length");
  return Bool(env, gIsa->unary(kRuntime, t[0].dt, (int)op, t[0].data, t[1].data, (int64_t)t[0].len));
}

// Reads nd, then nops stride vectors of length nd after the shape, from plan p at offset 1.
bool broadcastPlan(const int32_t* p, size_t pl, int nops, const Arr* ops, size_t outLen, int* ndOut,
                   int64_t* shape, int64_t* const* strides) {
  int nd = p[0];
  if (nd < 0 || nd > kMaxDims || pl < (size_t)(1 + nd * (nops + 1))) return false;
  int64_t sh[kMaxDims], st[4][kMaxDims];
  const int64_t* in[4];
  int64_t total = 1;
  for (int d = 0; d < nd; d++) {
    sh[d] = p[1 + d];
    if (sh[d] < 0) return false;
    total *= sh[d];
  }
  if ((size_t)total != outLen) return false;
  for (int o = 0; o < nops; o++) {
    for (int d = 0; d < nd; d++) st[o][d] = p[1 + nd * (o + 1) + d];
    in[o] = st[o];
    if (total > 0) {
      int64_t lo, hi;
      viewExtent(nd, sh, st[o], 0, &lo, &hi);
      if (lo < 0 || hi >= (int64_t)ops[o].len) return false;
    }
  }
  *ndOut = mergeDims(nd, sh, nops, in, shape, strides);
  return true;
}

// binary(op, out, a, b, plan): plan[0] = -1 same shape, -2 b scalar, -3 a scalar, else
// [nd, shape..., aStrides..., bStrides...].
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t op = num(info, 0);
  Arr t[3];
  if (!args(info, 1, 3, t, "binary")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 4, 1, &pl);
  if (p == nullptr) return env.Undefined();
  if (op < 0 || op >= B_COUNT) return fail(env, "binary: unknown op");
  if (t[0].dt != t[1].dt || t[0].dt != t[2].dt) return fail(env, "binary: dtypes differ");
  const int64_t n = (int64_t)t[0].len;
  Bcast b;
  b.nd = 1;
  b.shape[0] = n;
  if (p[0] == -1 && t[1].len == t[0].len && t[2].len == t[0].len) b.as[0] = 1, b.bs[0] = 1;
  else if (p[0] == -2 && t[1].len == t[0].len && t[2].len == 1) b.as[0] = 1, b.bs[0] = 0;
  else if (p[0] == -3 && t[1].len == 1 && t[2].len == t[0].len) b.as[0] = 0, b.bs[0] = 1;
  else {
    int64_t* st[2] = {b.as, b.bs};
    if (p[0] < 0 || !broadcastPlan(p, pl, 2, t + 1, t[0].len, &b.nd, b.shape, st))
      return fail(env, "binary: plan does not match the operands");
  }
  return Bool(env, gIsa->binary(kRuntime, t[0].dt, (int)op, t[0].data, t[1].data, t[2].data, n, b));
}

// where(out, cond, a, b, plan = [nd, shape..., condStrides..., aStrides..., bStrides...])
Napi::Value Where(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr t[4];
  if (!args(info, 0, 4, t, "where")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 4, 1, &pl);
  if (p == nullptr) return env.Undefined();
  if (t[0].dt != t[2].dt || t[0].dt != t[3].dt) return fail(env, "where: dtypes differ");
  if (t[0].len == 0) return Bool(env, true);
  int nd;
  int64_t shape[kMaxDims], cs[kMaxDims], as[kMaxDims], bs[kMaxDims];
  int64_t* st[3] = {cs, as, bs};
  if (!broadcastPlan(p, pl, 3, t + 1, t[0].len, &nd, shape, st))
    return fail(env, "where: plan does not match the operands");
  return Bool(env, whereKernel(t[1].dt, t[0].elem, t[0].data, t[1].data, t[2].data, t[3].data, nd, shape, cs, as, bs));
}

// reduce(op, out, x, outer, reduce, inner) and argReduce(op, out, x, outer, reduce, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info, bool arg) {
  Napi::Env env = info.Env();
  int64_t op = num(info, 0);
  Arr t[2];
  if (!args(info, 1, 2, t, "reduce")) return env.Undefined();
  int64_t outer = num(info, 3), red = num(info, 4), inner = num(info, 5);
  if (op < 0 || op >= (arg ? 2 : R_COUNT)) return fail(env, "reduce: unknown op");
  if (outer < 0 || red < 0 || inner < 0 || (int64_t)t[0].len != outer * inner ||
      (int64_t)t[1].len != outer * red * inner)
    return fail(env, "reduce: plan does not match the operands");
  if (arg) {
    if (t[0].dt != I32) return fail(env, "argReduce: output must be an Int32Array");
    return Bool(env, gIsa->argreduce(kRuntime, t[1].dt, (int)op, static_cast<int32_t*>(t[0].data), t[1].data, outer,
                                     red, inner));
  }
  if (t[0].dt != t[1].dt) return fail(env, "reduce: dtypes differ");
  return Bool(env, gIsa->reduce(kRuntime, t[0].dt, (int)op, t[0].data, t[1].data, outer, red, inner));
}
Napi::Value ReduceFn(const Napi::CallbackInfo& info) { return Reduce(info, false); }
Napi::Value ArgReduceFn(const Napi::CallbackInfo& info) { return Reduce(info, true); }

// softmax(op, out, x, y, outer, len, inner): op 0 softmax, 1 logSoftmax, 2/3 their gradients
// (x = g, y = forward output); y is ignored (pass x) for op 0 and 1.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t op = num(info, 0);
  Arr t[3];
  if (!args(info, 1, 3, t, "softmax")) return env.Undefined();
  int64_t outer = num(info, 4), len = num(info, 5), inner = num(info, 6);
  if (op < 0 || op > 3) return fail(env, "softmax: unknown op");
  if (t[0].dt != t[1].dt || t[0].dt != t[2].dt) return fail(env, "softmax: dtypes differ");
  if (outer < 0 || len < 0 || inner < 0 || (int64_t)t[0].len != outer * len * inner || t[1].len != t[0].len ||
      t[2].len != t[0].len)
    return fail(env, "softmax: plan does not match the operands");
  return Bool(env, gIsa->softmax(kRuntime, t[0].dt, (int)op, t[0].data, t[1].data, t[2].data, outer, len, inner));
}

// cast(out, x)
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr t[2];
  if (!args(info, 0, 2, t, "cast")) return env.Undefined();
  if (t[0].len != t[1].len) return fail(env, "cast: lengths differ");
  return Bool(env, castKernel(t[0].dt, t[0].data, t[1].dt, t[1].data, (int64_t)t[0].len));
}

// copyStrided(dst, src, plan = [nd, dstOffset, srcOffset, shape..., dstStrides..., srcStrides...])
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr t[2];
  if (!args(info, 0, 2, t, "copyStrided")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 2, 3, &pl);
  if (p == nullptr) return env.Undefined();
  if (t[0].elem != t[1].elem) return fail(env, "copyStrided: element sizes differ");
  int nd = p[0];
  if (nd < 0 || nd > kMaxDims || pl < (size_t)(3 + 3 * nd)) return fail(env, "copyStrided: bad plan");
  int64_t shape[kMaxDims], ds[kMaxDims], ss[kMaxDims];
  for (int d = 0; d < nd; d++) {
    shape[d] = p[3 + d];
    ds[d] = p[3 + nd + d];
    ss[d] = p[3 + 2 * nd + d];
    if (shape[d] < 0) return fail(env, "copyStrided: bad plan");
    if (shape[d] == 0) return Bool(env, true);
  }
  int64_t lo, hi;
  viewExtent(nd, shape, ds, p[1], &lo, &hi);
  if (lo < 0 || hi >= (int64_t)t[0].len) return fail(env, "copyStrided: destination view out of bounds");
  viewExtent(nd, shape, ss, p[2], &lo, &hi);
  if (lo < 0 || hi >= (int64_t)t[1].len) return fail(env, "copyStrided: source view out of bounds");
  if (nd == 0) {
    shape[0] = 1, ds[0] = 0, ss[0] = 0;
    nd = 1;
  }
  copyStrided(t[0].elem, t[0].data, p[1], ds, t[1].data, p[2], ss, nd, shape);
  return Bool(env, true);
}

// gather(kind, out, x, idx, outer, axisLen, inner): kind 0 take, 1 takeGrad, 2 pick, 3 pickGrad.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t kind = num(info, 0);
  Arr t[3];
  if (!args(info, 1, 3, t, "gather")) return env.Undefined();
  int64_t outer = num(info, 4), axisLen = num(info, 5), inner = num(info, 6);
  if (kind < 0 || kind > 3 || t[2].dt != I32) return fail(env, "gather: bad kind or index array");
  if (t[0].dt != t[1].dt) return fail(env, "gather: dtypes differ");
  if (outer < 0 || axisLen < 0 || inner < 0) return fail(env, "gather: bad plan");
  const int64_t nIdx = (int64_t)t[2].len;
  const int64_t big = outer * axisLen * inner;
  const int64_t small = (kind < 2) ? outer * nIdx * inner : outer * inner;
  // take/pick: out is the small side; the gradients write into the big side.
  const bool grad = kind == 1 || kind == 3;
  if ((int64_t)t[0].len != (grad ? big : small) || (int64_t)t[1].len != (grad ? small : big) ||
      (kind >= 2 && nIdx != outer * inner))
    return fail(env, "gather: plan does not match the operands");
  const int32_t* idx = static_cast<const int32_t*>(t[2].data);
  for (int64_t i = 0; i < nIdx; i++)
    if (idx[i] < 0 || idx[i] >= axisLen) return fail(env, "gather: index out of range");
  return Bool(env, gatherKernel((int)kind, t[0].dt, t[0].elem, t[0].data, t[1].data, idx, nIdx, outer, axisLen, inner));
}

// window(kind, out, x, y, plan = [batch, channels, in[3], out[3], kernel[3], stride[3], pad[3],
// dilation[3], countIncludePad]); kinds as in window.h, y used by maxPoolGrad only (pass x).
Napi::Value Window(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t kind = num(info, 0);
  Arr t[3];
  if (!args(info, 1, 3, t, "window")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 4, 21, &pl);
  if (p == nullptr) return env.Undefined();
  if (kind < 0 || kind > 5) return fail(env, "window: unknown kind");
  if (t[0].dt != t[1].dt || t[0].dt != t[2].dt) return fail(env, "window: dtypes differ");
  WindowPlan w;
  w.batch = p[0];
  w.channels = p[1];
  for (int i = 0; i < 3; i++) {
    w.in[i] = p[2 + i], w.out[i] = p[5 + i], w.kernel[i] = p[8 + i];
    w.stride[i] = p[11 + i], w.pad[i] = p[14 + i], w.dilation[i] = p[17 + i];
    if (w.in[i] < 0 || w.out[i] < 0 || w.pad[i] < 0 || w.kernel[i] < 1 || w.stride[i] < 1 || w.dilation[i] < 1)
      return fail(env, "window: bad plan");
  }
  w.countIncludePad = p[20] != 0;
  if (w.batch < 0 || w.channels < 0) return fail(env, "window: bad plan");
  const int64_t planes = w.batch * w.channels;
  const int64_t inLen = planes * w.in[0] * w.in[1] * w.in[2];
  const int64_t outLen = planes * w.out[0] * w.out[1] * w.out[2];
  const int64_t colLen = outLen * w.kernel[0] * w.kernel[1] * w.kernel[2];
  static const int kSmall[6] = {0, 1, 0, 1, 0, 1};  // which of (out, x) is the input-sized side
  int64_t want0, want1;
  if (kind <= 1) want0 = kind == 0 ? colLen : inLen, want1 = kind == 0 ? inLen : colLen;
  else want0 = kSmall[kind] ? inLen : outLen, want1 = kSmall[kind] ? outLen : inLen;
  if ((int64_t)t[0].len != want0 || (int64_t)t[1].len != want1 || (kind == 3 && (int64_t)t[2].len != inLen))
    return fail(env, "window: plan does not match the operands");
  return Bool(env, windowKernel(kRuntime, t[0].dt, (int)kind, t[0].data, t[1].data, t[2].data, w));
}

// batchNorm(kind, out, x, g, mean, var, gamma, beta, sums, dims = [outer, channels, inner], eps):
// the kernels of bn-impl.h (isa.h lists the kinds and the operands each reads; pass null for the
// others). The output may not share memory with an operand.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t kind = num(info, 0);
  if (kind < 0 || kind >= BN_COUNT) return fail(env, "batchNorm: unknown kind");
  Arr t[8];
  bool has[8];
  for (int i = 0; i < 8; i++) {
    has[i] = info.Length() > (size_t)(1 + i) && !info[1 + i].IsNull() && !info[1 + i].IsUndefined();
    if (has[i] && !getArr(env, info[1 + i], t[i])) return fail(env, "batchNorm: operands must be typed arrays or null");
  }
  size_t pl;
  const int32_t* p = plan(info, 9, 3, &pl);
  if (p == nullptr) return env.Undefined();
  if (info.Length() < 11 || !info[10].IsNumber()) return fail(env, "batchNorm: eps must be a number");
  BnArgs a;
  a.outer = p[0], a.channels = p[1], a.inner = p[2];
  a.eps = info[10].As<Napi::Number>().DoubleValue();
  if (a.outer < 0 || a.channels < 0 || a.inner < 0) return fail(env, "batchNorm: bad dims");
  const int64_t total = a.outer * a.channels * a.inner, C = a.channels;
  // Required operands per kind (out, x, g, mean, var, gamma, beta, sums) and their lengths.
  static const bool need[BN_COUNT][8] = {{1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 0, 1, 0, 0, 0, 0}, {1, 1, 0, 1, 1, 0, 0, 0},
                                         {1, 1, 1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 0, 0, 0}};
  static const bool allowed[BN_COUNT][8] = {{1, 1, 0, 0, 0, 0, 0, 0}, {1, 1, 0, 1, 0, 0, 0, 0}, {1, 1, 0, 1, 1, 1, 1, 0},
                                            {1, 1, 1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 0, 1}};
  const int64_t outLen = kind == BN_MEAN || kind == BN_VARIANCE ? C : kind == BN_GRAD_STATS ? 2 * C : total;
  const int64_t len[8] = {outLen, total, total, C, C, C, C, 2 * C};
  for (int i = 0; i < 8; i++) {
    if (need[kind][i] && !has[i]) return fail(env, "batchNorm: missing operand");
    if (has[i] && !allowed[kind][i]) return fail(env, "batchNorm: unexpected operand");
    if (has[i] && ((int64_t)t[i].len != len[i] || t[i].dt != t[0].dt)) return fail(env, "batchNorm: operands do not match the dims");
    const char* o0 = static_cast<const char*>(t[0].data);
    const char* q0 = static_cast<const char*>(t[i].data);
    if (i > 0 && has[i] && t[0].len > 0 && t[i].len > 0 && q0 < o0 + t[0].len * t[0].elem && o0 < q0 + t[i].len * t[i].elem)
      return fail(env, "batchNorm: the output shares memory with an operand");
  }
  if (t[0].dt != F32 && t[0].dt != F64) return Bool(env, false);
  a.out = t[0].data;
  const void* const* ptr[7] = {&a.x, &a.g, &a.mean, &a.var, &a.gamma, &a.beta, &a.sums};
  for (int i = 1; i < 8; i++) *const_cast<const void**>(ptr[i - 1]) = has[i] ? t[i].data : nullptr;
  return Bool(env, gIsa->batchNorm(kRuntime, t[0].dt, (int)kind, a));
}

// True when the byte ranges [a, a + n) and [b, b + n) overlap.
bool overlaps(const void* a, const void* b, size_t n) {
  const char* x = static_cast<const char*>(a);
  const char* y = static_cast<const char*>(b);
  return n > 0 && x < y + n && y < x + n;
}

// Reads and checks a convolution's operands: out, a, b at info[base..base+3), the bias (or null)
// at base + 3, the plan at base + 4. 0 after throwing, 1 for a dtype left to the reference
// kernels, 2 when c and the arrays are ready.
int convOperands(const Napi::CallbackInfo& info, size_t base, int64_t kind, Arr* t, Arr& bias, bool& hasBias, ConvArgs& c) {
  Napi::Env env = info.Env();
  if (!args(info, base, 3, t, "conv")) return 0;
  hasBias = info.Length() > base + 3 && !info[base + 3].IsNull() && !info[base + 3].IsUndefined();
  if (hasBias && !getArr(env, info[base + 3], bias)) return fail(env, "conv: bias must be a typed array or null"), 0;
  size_t pl;
  const int32_t* p = plan(info, base + 4, 21, &pl);
  if (p == nullptr) return 0;
  if (kind < 0 || kind >= CONV_COUNT) return fail(env, "conv: unknown kind"), 0;
  if (t[0].dt != t[1].dt || t[0].dt != t[2].dt || (hasBias && bias.dt != t[0].dt)) return fail(env, "conv: dtypes differ"), 0;
  if (hasBias && kind != CONV_FORWARD) return fail(env, "conv: only the forward kind takes a bias"), 0;
  c.batch = p[0], c.channels = p[1], c.filters = p[2];
  if (c.batch < 0 || c.channels < 0 || c.filters < 0) return fail(env, "conv: bad plan"), 0;
  int64_t inSize = 1, outSize = 1, k = 1;
  for (int i = 0; i < 3; i++) {
    c.in[i] = p[3 + i], c.out[i] = p[6 + i], c.kernel[i] = p[9 + i];
    c.stride[i] = p[12 + i], c.pad[i] = p[15 + i], c.dilation[i] = p[18 + i];
    if (c.in[i] < 0 || c.out[i] < 0 || c.pad[i] < 0 || c.kernel[i] < 1 || c.stride[i] < 1 || c.dilation[i] < 1)
      return fail(env, "conv: bad plan"), 0;
    inSize *= c.in[i], outSize *= c.out[i], k *= c.kernel[i];
  }
  const int64_t xLen = c.batch * c.channels * inSize, yLen = c.batch * c.filters * outSize;
  const int64_t wLen = c.filters * c.channels * k;
  const int64_t want[CONV_COUNT][3] = {{yLen, xLen, wLen}, {xLen, yLen, wLen}, {wLen, xLen, yLen}};
  for (int i = 0; i < 3; i++)
    if ((int64_t)t[i].len != want[kind][i]) return fail(env, "conv: plan does not match the operands"), 0;
  if (hasBias && (int64_t)bias.len != c.filters) return fail(env, "conv: bias length must equal the filter count"), 0;
  const char* o0 = static_cast<const char*>(t[0].data);
  const char* o1 = o0 + t[0].len * (size_t)t[0].elem;
  for (int i = 1; i < 3; i++) {
    const char* i0 = static_cast<const char*>(t[i].data);
    if (o1 > o0 && i0 + t[i].len * (size_t)t[i].elem > o0 && i0 < o1 && t[i].len > 0)
      return fail(env, "conv: the output shares memory with an input"), 0;
  }
  return t[0].dt == F32 || t[0].dt == F64 ? 2 : 1;
}

// conv(kind, out, a, b, bias or null, plan = [batch, channels, filters, in[3], out[3], kernel[3],
// stride[3], pad[3], dilation[3]]): the convolution kernels of conv-impl.h (isa.h lists the kinds
// and operands). The output may not share memory with an input: every kind overwrites it.
Napi::Value Conv(const Napi::CallbackInfo& info) {
  Arr t[3], bias;
  bool hasBias = false;
  ConvArgs c;
  const int r = convOperands(info, 1, num(info, 0), t, bias, hasBias, c);
  if (r < 2) return r == 0 ? info.Env().Undefined() : Bool(info.Env(), false);
  return Bool(info.Env(), gIsa->conv(kRuntime, t[0].dt, (int)num(info, 0), t[0].data, t[1].data, t[2].data,
                                     hasBias ? bias.data : nullptr, c, nullptr));
}

// optimizer(kind, weight, grad, s0, s1, s2, params): a fused update (isa.h lists the kinds, the
// states and the Float64Array params of each); unused states are null. Returns false (the
// wrappers then run the reference kernel) for integer dtypes, mixed dtypes, and arrays that share
// memory, whose element-by-element semantics the vectorized loops do not promise.
Napi::Value Optimizer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t kind = num(info, 0);
  if (kind < 0 || kind >= OPT_COUNT) return fail(env, "optimizer: unknown kind");
  static const int kStates[OPT_COUNT] = {1, 2, 3, 1};    // state slots the kind may use
  static const int kRequired[OPT_COUNT] = {0, 2, 1, 1};  // leading slots it must get
  static const size_t kParams[OPT_COUNT] = {6, 9, 9, 5};
  Arr t[5];
  bool has[5] = {true, true, false, false, false};
  if (!args(info, 1, 2, t, "optimizer")) return env.Undefined();
  for (int s = 0; s < 3; s++) {
    const size_t i = 3 + s;
    if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) continue;
    if (s >= kStates[kind]) return fail(env, "optimizer: too many state arrays for this kind");
    if (!args(info, i, 1, t + 2 + s, "optimizer")) return env.Undefined();
    has[2 + s] = true;
  }
  for (int s = 0; s < kRequired[kind]; s++)
    if (!has[2 + s]) return fail(env, "optimizer: a required state array is missing");
  napi_typedarray_type pt;
  size_t plen = 0;
  void* pdata = nullptr;
  if (info.Length() < 7 || napi_get_typedarray_info(env, info[6], &pt, &plen, &pdata, nullptr, nullptr) != napi_ok ||
      pt != napi_float64_array || plen < kParams[kind])
    return fail(env, "optimizer: params must be a Float64Array of the kind's hyper-parameters");
  OptimArgs a{};
  a.kind = (int)kind;
  a.n = (int64_t)t[0].len;
  for (size_t i = 0; i < kParams[kind]; i++) a.p[i] = static_cast<const double*>(pdata)[i];
  if (kind == OPT_RMSPROP) {
    // p[8] says centered: it needs both extra states; plain RMSProp ignores them.
    if (a.p[8] != 0 && !(has[3] && has[4])) return fail(env, "optimizer: centered RMSProp needs the gbar and delta states");
    if (a.p[8] == 0) has[3] = has[4] = false;
  }
  for (int i = 1; i < 5; i++) {
    if (!has[i]) continue;
    if (t[i].len != t[0].len) return fail(env, "optimizer: weight, gradient and states differ in length");
    if (t[i].dt != t[0].dt) return Bool(env, false);
  }
  const size_t bytes = t[0].len * (size_t)t[0].elem;
  for (int i = 0; i < 5; i++)
    for (int j = i + 1; j < 5; j++)
      if (has[i] && has[j] && overlaps(t[i].data, t[j].data, bytes)) return Bool(env, false);
  a.w = t[0].data;
  a.g = t[1].data;
  a.s0 = has[2] ? t[2].data : nullptr;
  a.s1 = has[3] ? t[3].data : nullptr;
  a.s2 = has[4] ? t[4].data : nullptr;
  return Bool(env, gIsa->optim(kRuntime, t[0].dt, a));
}

// True when a has exactly x * y * z elements (false on overflow).
bool lenIs(const Arr& a, int64_t x, int64_t y, int64_t z = 1) {
  int64_t xy, n;
  if (__builtin_mul_overflow(x, y, &xy) || __builtin_mul_overflow(xy, z, &n)) return false;
  return (int64_t)a.len == n;
}

// rnn(kind, a0, ..., a7, plan = [mode, T, N, H, P, reverse]): kind 0 rnnForward with arrays
// (out, ws, xproj, whh, bhh, h0, c0, whr), kind 1 rnnBackward with (grads, dout, out, ws, whh,
// h0, c0, whr); modes 0 rnn_relu, 1 rnn_tanh, 2 lstm, 3 gru (RnnPlan in src/backend/kernels.ts).
Napi::Value Rnn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t kind = num(info, 0);
  Arr t[8];
  if (!args(info, 1, 8, t, "rnn")) return env.Undefined();
  size_t pl;
  const int32_t* p = plan(info, 9, 6, &pl);
  if (p == nullptr) return env.Undefined();
  RnnArgs a{p[0], p[1], p[2], p[3], p[4], p[5] != 0};
  if (kind < 0 || kind > 1 || a.mode < 0 || a.mode > 3) return fail(env, "rnn: unknown kind or mode");
  if (a.T < 0 || a.N < 0 || a.H < 1 || a.P < 1 || (a.mode != 2 && a.P != a.H)) return fail(env, "rnn: bad plan");
  for (int i = 1; i < 8; i++)
    if (t[i].dt != t[0].dt) return fail(env, "rnn: dtypes differ");
  if (t[0].dt != F32 && t[0].dt != F64) return Bool(env, false);
  const int64_t G = a.mode == 2 ? 4 : a.mode == 3 ? 3 : 1, GH = G * a.H;
  const int64_t S = a.mode == 2 ? a.P + a.H : a.H, W = a.mode == 2 ? 5 * a.H : a.mode == 3 ? 4 * a.H : 0;
  const int64_t cLen = a.mode == 2 ? a.N * a.H : 0, rLen = a.P != a.H ? a.P * a.H : 0;
  // Arrays shared by both kinds, by position: ws, whh, h0, c0, whr.
  const int ws = kind == 0 ? 1 : 3, whh = kind == 0 ? 3 : 4;
  bool ok = lenIs(t[ws], a.T, a.N, W) && lenIs(t[whh], GH, a.P) && lenIs(t[5], a.N, a.P) && lenIs(t[6], cLen, 1) &&
            lenIs(t[7], rLen, 1);
  if (kind == 0) {
    ok = ok && lenIs(t[0], a.T, a.N, S) && lenIs(t[2], a.T, a.N, GH) && lenIs(t[4], GH, 1);
  } else {
    const int64_t total = a.T * a.N * GH + GH * a.P + GH + a.N * a.P + cLen + rLen;
    ok = ok && lenIs(t[0], total, 1) && lenIs(t[1], a.T, a.N, S) && lenIs(t[2], a.T, a.N, S);
  }
  if (!ok) return fail(env, "rnn: array lengths do not match the plan");
  void* ptrs[8];
  for (int i = 0; i < 8; i++) ptrs[i] = t[i].data;
  return Bool(env, gIsa->rnn(kRuntime, t[0].dt, (int)kind, ptrs, a));
}

// clipGlobalNorm(arrays, maxNorm): the joint norm of float arrays, scaling them when above maxNorm;
// false when an array is not float32 or float64.
Napi::Value ClipGlobalNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsNumber()) return fail(env, "clipGlobalNorm: takes (arrays, maxNorm)");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<ClipArray> arrays(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    Arr a;
    if (!getArr(env, list.Get(i), a)) return fail(env, "clipGlobalNorm: element " + std::to_string(i) + " is not a typed array");
    if (a.dt != F32 && a.dt != F64) return Bool(env, false);
    arrays[i] = ClipArray{a.dt, (int64_t)a.len, a.data};
  }
  return Napi::Number::New(env, clipGlobalNorm(arrays.data(), (int)arrays.size(), info[1].As<Napi::Number>().DoubleValue()));
}

// Storage behind a FusedArgs read from JavaScript.
struct FusedParsed {
  const void* inputs[32];
  size_t bytes[32];
  int32_t layouts[32];
  FusedStepC steps[32];
  FusedArgs fa;
};

// Reads and checks a fused chain into `out` of `size` elements: inputs[], layouts, code, eps at
// info[at..at+4), then inner and channels; with self >= 0, input `self` is `out` itself (not in
// the list). 0 after throwing, 1 for a dtype left to the reference kernels, 2 when f.fa is ready.
// Everything is checked before any memory is touched.
int fusedOperands(const Napi::CallbackInfo& info, size_t at, const Arr& out, int64_t size, int64_t inner, int64_t channels,
                  FusedParsed& f, int64_t self = -1) {
  Napi::Env env = info.Env();
  if (info.Length() < at + 4 || !info[at].IsArray()) return fail(env, "fused: inputs must be an array of typed arrays"), 0;
  Napi::Array list = info[at].As<Napi::Array>();
  const uint32_t nin = list.Length() + (self >= 0 ? 1 : 0);
  if (self >= (int64_t)nin) return fail(env, "convFused: the output's register is not an input"), 0;
  size_t ll, cl;
  const int32_t* layouts = plan(info, at + 1, nin, &ll);
  if (layouts == nullptr) return 0;
  const int32_t* code = plan(info, at + 2, 8, &cl);
  if (code == nullptr) return 0;
  Arr epsArr;
  napi_typedarray_type et;
  if (napi_get_typedarray_info(env, info[at + 3], &et, &epsArr.len, &epsArr.data, nullptr, nullptr) != napi_ok || et != napi_float64_array)
    return fail(env, "fused: eps must be a Float64Array"), 0;
  const int nsteps = (int)(cl / 8);
  if (nin > 32 || nsteps < 1 || nsteps > 32 || epsArr.len < (size_t)nsteps) return fail(env, "fused: at most 32 inputs and 1 to 32 steps"), 0;
  if (size < 0 || inner < 1 || channels < 1 || out.len != (size_t)size) return fail(env, "fused: sizes do not match the output"), 0;
  if (out.dt != F32 && out.dt != F64) return 1;
  for (uint32_t i = 0; i < nin; i++) {
    Arr a = out;
    if (i != self && !getArr(env, list.Get(i - (self >= 0 && i > self ? 1 : 0)), a))
      return fail(env, "fused: every input must be a typed array"), 0;
    if (a.dt != out.dt) return 1;
    const int l = layouts[i];
    const size_t want = l == 0 ? (size_t)size : l == 1 ? 1 : l == 2 ? (size_t)channels : 0;
    if (want == 0 && !(l == 0 && size == 0)) return fail(env, "fused: unknown input layout"), 0;
    if (a.len < want) return fail(env, "fused: an input is shorter than its layout needs"), 0;
    f.inputs[i] = a.data;
    f.bytes[i] = a.len * (size_t)a.elem;
    f.layouts[i] = l;
  }
  bool channel = false;
  for (uint32_t i = 0; i < nin; i++) channel = channel || layouts[i] == 2;
  const int64_t run = channel ? (inner > 1 ? inner : channels) : 1;
  if (channel && (size % run != 0 || (inner > 1 && size % (inner * channels) != 0) || (inner == 1 && size % channels != 0)))
    return fail(env, "fused: the output size is not a whole number of channel runs"), 0;
  for (int s = 0; s < nsteps; s++) {
    const int32_t* c = code + 8 * s;
    FusedStepC& p = f.steps[s];
    p.kind = c[0];
    p.op = c[1];
    const int nargs = p.kind == FK_UNARY ? 1 : p.kind == FK_BINARY ? 2 : p.kind == FK_BATCHNORM ? 5 : -1;
    if (nargs < 0) return fail(env, "fused: unknown step kind"), 0;
    if ((p.kind == FK_UNARY && (p.op < 0 || p.op >= U_COUNT)) || (p.kind == FK_BINARY && (p.op < 0 || p.op >= B_COUNT)))
      return fail(env, "fused: unknown op"), 0;
    for (int k = 0; k < 5; k++) {
      p.arg[k] = k < nargs ? c[2 + k] : 0;
      if (p.arg[k] < 0 || p.arg[k] >= (int)nin + s) return fail(env, "fused: a step reads a register not yet written"), 0;
    }
    p.scale = (c[7] & 1) != 0;
    p.center = (c[7] & 2) != 0;
    p.eps = static_cast<const double*>(epsArr.data)[s];
  }
  f.fa = FusedArgs{size, inner, channels, (int)nin, nsteps, f.inputs, f.layouts, f.steps, out.data};
  return 2;
}

// fused(out, inputs[], layouts, code, eps, size, inner, channels): a fused element-wise chain.
// code holds 8 numbers per step: kind, op, five argument registers, flags (1 scale, 2 center);
// eps one number per step.
Napi::Value Fused(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr out;
  if (!args(info, 0, 1, &out, "fused")) return env.Undefined();
  if (info.Length() < 8) return fail(env, "fused: inputs must be an array of typed arrays");
  FusedParsed f;
  const int r = fusedOperands(info, 1, out, num(info, 5), num(info, 6), num(info, 7), f);
  if (r < 2) return r == 0 ? env.Undefined() : Bool(env, false);
  return Bool(env, gIsa->fused(kRuntime, out.dt, f.fa));
}

// convFused(y, x, w, bias or null, convPlan, inputs[], layouts, code, eps, inner, channels, self):
// the forward convolution, then a fused chain applied in place to y region by region as the kernel
// finishes it (conv-impl.h). The chain's input `self` (not in the list) is the convolution's
// output; the others may not share memory with y. Per-channel inputs must be per filter.
Napi::Value ConvFused(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr t[3], bias;
  bool hasBias = false;
  ConvArgs c;
  int r = convOperands(info, 0, CONV_FORWARD, t, bias, hasBias, c);
  if (r == 0) return env.Undefined();
  FusedParsed f;
  const int64_t L = c.out[0] * c.out[1] * c.out[2];
  if (info.Length() < 12 || num(info, 11) < 0) return fail(env, "convFused: the output's register is not an input");
  const int r2 = fusedOperands(info, 5, t[0], (int64_t)t[0].len, num(info, 9), num(info, 10), f, num(info, 11));
  if (r2 == 0) return env.Undefined();
  const char* y0 = static_cast<const char*>(t[0].data);
  const char* y1 = y0 + t[0].len * (size_t)t[0].elem;
  for (int i = 0; r2 == 2 && i < f.fa.nin; i++) {
    const char* i0 = static_cast<const char*>(f.inputs[i]);
    if (i != num(info, 11) && f.bytes[i] > 0 && i0 < y1 && y0 < i0 + f.bytes[i])
      return fail(env, "convFused: an input of the chain shares memory with the output");
    if (f.layouts[i] == 2 && (f.fa.inner != L || f.fa.channels != c.filters))
      return fail(env, "convFused: per-channel inputs must be per filter");
  }
  if (r < 2 || r2 < 2) return Bool(env, false);
  return Bool(env, gIsa->conv(kRuntime, t[0].dt, CONV_FORWARD, t[0].data, t[1].data, t[2].data, hasBias ? bias.data : nullptr, c, &f.fa));
}

// fmaLoop(iters): float32 FMA throughput probe on the calling thread; returns the flops done.
Napi::Value FmaLoop(const Napi::CallbackInfo& info) {
  int64_t iters = num(info, 0);
  if (iters < 0) return fail(info.Env(), "fmaLoop: iters must be a non-negative number");
  return Napi::Number::New(info.Env(), gIsa->fmaLoop(iters));
}

Napi::Value GetIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), gIsa->name); }

// setIsa(name): switches the kernels to a lower instruction set (for tests); false if unusable.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) return fail(info.Env(), "setIsa: name must be a string");
  return Bool(info.Env(), selectIsa(info[0].As<Napi::String>().Utf8Value()));
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), runtimeThreads()); }

// setNumThreads(n): rebuilds the pool with n threads (1 <= n <= kMaxThreads). Returns "" on
// success, else why the OS refused the threads (the previous pool stays in service).
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = num(info, 0);
  if (n < 1 || n > kMaxThreads) return fail(info.Env(), "setNumThreads: n must be an integer in [1, 1024]");
  return Napi::String::New(info.Env(), setThreads((int)n));
}

Napi::Array names(const Napi::Env& env, const char* const* list, int n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) a.Set(i, Napi::String::New(env, list[i]));
  return a;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  initRuntime();
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("reduce", Napi::Function::New(env, ReduceFn, "reduce"));
  exports.Set("argReduce", Napi::Function::New(env, ArgReduceFn, "argReduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("cast", Napi::Function::New(env, Cast, "cast"));
  exports.Set("copyStrided", Napi::Function::New(env, CopyStrided, "copyStrided"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("window", Napi::Function::New(env, Window, "window"));
  exports.Set("conv", Napi::Function::New(env, Conv, "conv"));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm, "batchNorm"));
  exports.Set("optimizer", Napi::Function::New(env, Optimizer, "optimizer"));
  exports.Set("fused", Napi::Function::New(env, Fused, "fused"));
  exports.Set("convFused", Napi::Function::New(env, ConvFused, "convFused"));
  exports.Set("rnn", Napi::Function::New(env, Rnn, "rnn"));
  exports.Set("clipGlobalNorm", Napi::Function::New(env, ClipGlobalNorm, "clipGlobalNorm"));
  exports.Set("fmaLoop", Napi::Function::New(env, FmaLoop, "fmaLoop"));
  exports.Set("isa", Napi::Function::New(env, GetIsa, "isa"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads, "numThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("unaryOps", names(env, kUnaryNames, U_COUNT));
  exports.Set("binaryOps", names(env, kBinaryNames, B_COUNT));
  exports.Set("reduceOps", names(env, kReduceNames, R_COUNT));
  return exports;
}

}  // namespace
}  // namespace tsg

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tsg::Init(env, exports); }

NODE_API_MODULE(tsgluon, InitModule)
