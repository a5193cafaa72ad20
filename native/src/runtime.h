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
// The most threads a pool may have (setNumThreads and TSGLUON_NUM_THREADS).
constexpr int kMaxThreads = 1024;
// Replaces the pool by one of n threads; jobs running on other JavaScript threads finish first.
// Returns "" on success, else why the threads could not start (the previous pool stays).
std::string setThreads(int n);

}  // namespace tsg
