// The contract between the Node-API glue (addon.cc) and the kernels compiled once per
// instruction set (isa_avx512.cc, isa_avx2.cc, isa_generic.cc).
//
// Each ISA translation unit includes kernels-impl.h inside its own namespace and exports one
// IsaTable of plain function pointers. Only C types cross this boundary: no std templates are
// instantiated in the ISA translation units, so the linker can never pick an AVX-512 copy of an
// inline function for the generic path (the classic one-definition-rule trap of multi-ISA builds).
#pragma once
#include <cstddef>
#include <cstdint>

#include "op-names.h"

namespace tsg {

// Runs fn(ctx, task, ntasks) for every task in [0, ntasks) across the pool (any number of tasks;
// threads claim them as they come free) and returns when all are done. A task's work must be a
// fixed function of its index, never of the thread running it: then results are deterministic.
struct Runtime {
  int (*threads)();
  void (*run)(int ntasks, void (*fn)(void* ctx, int task, int ntasks), void* ctx);
  // A 64-byte aligned buffer private to the calling thread, reused across calls (slots 0 to 4:
  // 0 and 1 belong to the GEMM, 2 to 4 to the convolution kernels that call it).
  void* (*scratch)(int slot, size_t bytes);
};

// Element-wise and reduction op codes (op-names.h lists them with their JavaScript names).
enum UnaryOp { TSG_UNARY_OPS(TSG_OP_ENUM) U_COUNT };
enum BinaryOp { TSG_BINARY_OPS(TSG_OP_ENUM) B_COUNT };
enum ReduceOp { TSG_REDUCE_OPS(TSG_OP_ENUM) R_COUNT };

struct GemmArgs {
  int64_t batch, m, n, k;
  int64_t aBatchStride, bBatchStride;
  bool transA, transB, accumulate;
  // A row of n values (the GEMM's dtype) that every row of C starts from, or null: C = bias +
  // op(A) op(B), the same bits as copying the bias into C and accumulating.
  const void* bias = nullptr;
};

enum DT { F32 = 0, F64 = 1, I32 = 2, U8 = 3 };

// Fused optimizer updates (optim-impl.h). p holds the hyper-parameters, in this order:
//   OPT_SGD     lr, wd, rescale, clip, momentum, nesterov           s0 = mom or null
//   OPT_ADAM    lr (bias-corrected), wd, rescale, clip, beta1, beta2, epsilon, decoupled, decay
//                                                                   s0 = mean, s1 = var
//   OPT_RMSPROP lr, wd, rescale, clip, gamma1, gamma2, epsilon, clipWeights
//                                                                   s0 = n, s1 = gbar, s2 = delta (null: plain)
//   OPT_ADAGRAD lr, wd, rescale, clip, epsilon                      s0 = history
// Every array has n elements of one dtype and none overlaps another (addon.cc checks).
enum OptimKind { OPT_SGD, OPT_ADAM, OPT_RMSPROP, OPT_ADAGRAD, OPT_COUNT };
struct OptimArgs {
  int kind;
  int64_t n;
  void* w;
  const void* g;
  void* s0;
  void* s1;
  void* s2;
  double p[9];
};

// Convolution geometry over (N, C, D, H, W) inputs (1-D and 2-D arrive with leading extents of
// 1): C input channels, O filters, output extents already validated by the op layer.
struct ConvArgs {
  int64_t batch, channels, filters;
  int64_t in[3], out[3], kernel[3], stride[3], pad[3], dilation[3];
};
// conv kinds (conv-impl.h): every one overwrites its whole output.
//   CONV_FORWARD     out = y (N, O, *out), a = x, b = w (O, C, *kernel), bias (O) or null
//   CONV_DATA_GRAD   out = gx (N, C, *in), a = g (N, O, *out), b = w
//   CONV_WEIGHT_GRAD out = gw (O, C, *kernel), a = x, b = g
enum ConvKind { CONV_FORWARD, CONV_DATA_GRAD, CONV_WEIGHT_GRAD, CONV_COUNT };

// Batch normalization over x viewed as (outer, channels, inner) (bn-impl.h; semantics of
// src/backend/kernels.ts): out and the operands each kind reads, the others null.
//   BN_MEAN        out (C) = mean of each channel of x
//   BN_VARIANCE    out (C) = biased variance around mean
//   BN_FORWARD     out = (x - mean) / sqrt(var + eps) * gamma + beta (gamma, beta may be null)
//   BN_GRAD_STATS  out (2C) = [Σ g x̂, Σ g] per channel, from g, x, mean, var
//   BN_GRAD_DATA   out = the input's gradient from g, x, mean, var, gamma (or null), sums (or null)
enum BnKind { BN_MEAN, BN_VARIANCE, BN_FORWARD, BN_GRAD_STATS, BN_GRAD_DATA, BN_COUNT };
struct BnArgs {
  int64_t outer, channels, inner;
  double eps;
  void* out;
  const void *x, *g, *mean, *var, *gamma, *beta, *sums;
};

// A fused element-wise chain (hybridize's fusion; src/backend/kernels.ts FusedPlan). Registers
// 0..nin-1 are the inputs, read per layout (0 full, 1 scalar, 2 per channel: element j reads
// channel (j / inner) % channels); step s writes register nin + s, the last one the output.
enum FusedKind { FK_UNARY, FK_BINARY, FK_BATCHNORM };
struct FusedStepC {
  int kind;
  int op;       // UnaryOp / BinaryOp code
  int arg[5];   // registers: unary x; binary a, b; batchNorm x, mean, variance, gamma, beta
  bool scale;   // batchNorm: multiply by gamma
  bool center;  // batchNorm: add beta
  double eps;
};
struct FusedArgs {
  int64_t size, inner, channels;
  int nin, nsteps;
  const void* const* inputs;
  const int* layouts;
  const FusedStepC* steps;
  void* out;
};

struct Bcast {
  int nd;  // after dimension merging; 0 means a single element
  int64_t shape[32];
  int64_t as[32], bs[32];
};

// One recurrent layer direction over a sequence (rnn-impl.h; RnnPlan in src/backend/kernels.ts).
struct RnnArgs {
  int mode;  // 0 rnn_relu, 1 rnn_tanh, 2 lstm, 3 gru
  int64_t T, N, H, P;
  bool reverse;
};

struct IsaTable {
  const char* name;
  void (*gemm_f32)(const Runtime&, float* c, const float* a, const float* b, const GemmArgs&);
  void (*gemm_f64)(const Runtime&, double* c, const double* a, const double* b, const GemmArgs&);
  // op: index into kUnaryNames / kBinaryNames (addon.cc); returns false when unsupported.
  bool (*unary)(const Runtime&, int dt, int op, void* out, const void* x, int64_t n);
  bool (*binary)(const Runtime&, int dt, int op, void* out, const void* a, const void* b, int64_t n,
                 const Bcast& plan);
  bool (*reduce)(const Runtime&, int dt, int op, void* out, const void* x, int64_t outer,
                 int64_t reduce, int64_t inner);
  bool (*argreduce)(const Runtime&, int dt, int op, int32_t* out, const void* x, int64_t outer,
                    int64_t reduce, int64_t inner);
  // op: 0 softmax, 1 logSoftmax, 2 softmaxGrad, 3 logSoftmaxGrad (y = third operand).
  bool (*softmax)(const Runtime&, int dt, int op, void* out, const void* x, const void* y,
                  int64_t outer, int64_t len, int64_t inner);
  // Fused optimizer update; false for a dtype left to the reference kernels.
  bool (*optim)(const Runtime&, int dt, const OptimArgs&);
  // Convolution (see ConvKind); false for a dtype left to the reference kernels.
  bool (*conv)(const Runtime&, int dt, int kind, void* out, const void* a, const void* b, const void* bias,
               const ConvArgs&, const FusedArgs* epilogue);
  // Batch normalization (see BnKind); false for a dtype left to the reference kernels.
  bool (*batchNorm)(const Runtime&, int dt, int kind, const BnArgs&);
  // Fused element-wise chain; false for a dtype left to the reference kernels.
  bool (*fused)(const Runtime&, int dt, const FusedArgs&);
  // kind 0 rnnForward (out, ws, xproj, whh, bhh, h0, c0, whr), 1 rnnBackward (grads, dout, out,
  // ws, whh, h0, c0, whr); false for a dtype left to the reference kernels.
  bool (*rnn)(const Runtime&, int dt, int kind, void* const* arrays, const RnnArgs& args);
  // Runs `iters` rounds of independent float32 FMAs at full vector width on this thread and
  // returns the floating-point operations done (for measuring the machine's peak).
  double (*fmaLoop)(int64_t iters);
};

extern const IsaTable kIsaAvx512;
extern const IsaTable kIsaAvx2;
extern const IsaTable kIsaGeneric;

}  // namespace tsg
