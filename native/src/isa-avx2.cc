// The kernels compiled for the avx2 instruction set (x86-64 only; binding.gyp adds the -m flags to this file's target).
#if defined(__x86_64__)
#define TSG_ISA 256
#define TSG_NS avx2
#define TSG_TABLE kIsaAvx2
#define TSG_NAME "avx2"
#include "kernels-impl.h"
#endif
