// Process-wide runtime of the native backend (runtime.cc): the active instruction set's kernel
// table, the Runtime handed to kernels (thread pool and scratch buffers), and their settings.
#pragma once
#include <string>

#include "isa.h"

namespace tsg {

extern const IsaTable* gIsa;
extern const Runtime kRuntime;

// Picks the instruction set and tunes the allocator, once per process.
void initRuntime();
// Switches to the named instruction set ("avx512", "avx2", "generic") if this CPU runs it.
bool selectIsa(const std::string& name);
int runtimeThreads();
// Replaces the pool by one of n threads; jobs running on other JavaScript threads finish first.
void setThreads(int n);

}  // namespace tsg
