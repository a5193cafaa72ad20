// The element-wise and reduction op codes with their JavaScript names, listed once (an X-macro):
// isa.h expands them into the enums the kernels switch on, addon.cc into the name lists the
// addon exports, which src/backend/native/kernels.ts matches against the kernel table's names
// (tests/backend/op-names.test.ts checks the two sides agree).
#pragma once

#define TSG_UNARY_OPS(X)                                                                                  \
  X(U_NEG, "neg") X(U_ABS, "abs") X(U_SIGN, "sign") X(U_EXP, "exp") X(U_LOG, "log") X(U_LOG2, "log2")     \
  X(U_LOG10, "log10") X(U_LOG1P, "log1p") X(U_EXPM1, "expm1") X(U_SQRT, "sqrt") X(U_RSQRT, "rsqrt")       \
  X(U_CBRT, "cbrt") X(U_SQUARE, "square") X(U_RECIP, "reciprocal") X(U_SIN, "sin") X(U_COS, "cos")        \
  X(U_TAN, "tan") X(U_ASIN, "arcsin") X(U_ACOS, "arccos") X(U_ATAN, "arctan") X(U_SINH, "sinh")           \
  X(U_COSH, "cosh") X(U_TANH, "tanh") X(U_ASINH, "arcsinh") X(U_ACOSH, "arccosh") X(U_ATANH, "arctanh")   \
  X(U_SIGMOID, "sigmoid") X(U_RELU, "relu") X(U_SOFTRELU, "softrelu") X(U_ERF, "erf") X(U_FLOOR, "floor") \
  X(U_CEIL, "ceil") X(U_ROUND, "round") X(U_TRUNC, "trunc") X(U_NOT, "logicalNot")

#define TSG_BINARY_OPS(X)                                                                                 \
  X(B_ADD, "add") X(B_SUB, "sub") X(B_MUL, "mul") X(B_DIV, "div") X(B_POW, "pow") X(B_MAX, "maximum")     \
  X(B_MIN, "minimum") X(B_MOD, "mod") X(B_ATAN2, "arctan2") X(B_HYPOT, "hypot") X(B_EQ, "equal")          \
  X(B_NE, "notEqual") X(B_GT, "greater") X(B_GE, "greaterEqual") X(B_LT, "lesser") X(B_LE, "lesserEqual") \
  X(B_AND, "logicalAnd") X(B_OR, "logicalOr") X(B_XOR, "logicalXor") X(B_RELUG, "reluGrad")               \
  X(B_SIGG, "sigmoidGrad") X(B_TANHG, "tanhGrad") X(B_SOFTRELUG, "softreluGrad")

#define TSG_REDUCE_OPS(X) X(R_SUM, "sum") X(R_PROD, "prod") X(R_MAX, "max") X(R_MIN, "min")

#define TSG_OP_ENUM(code, name) code,
#define TSG_OP_NAME(code, name) name,
