// The kernels compiled for the avx512 instruction set (x86-64 only; binding.gyp adds the -m flags to this file's target).
#if defined(__x86_64__)
#define TSG_ISA 512
#define TSG_NS avx512
#define TSG_TABLE kIsaAvx512
#define TSG_NAME "avx512"
#include "kernels-impl.h"
#endif
