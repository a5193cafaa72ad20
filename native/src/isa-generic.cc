// The kernels compiled for the generic instruction set: plain C++, any architecture.

#define TSG_ISA 0
#define TSG_NS generic
#define TSG_TABLE kIsaGeneric
#define TSG_NAME "generic"
#include "kernels-impl.h"

