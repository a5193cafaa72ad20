// The process-wide state behind the kernels: which instruction set runs them (picked once from
// CPUID: AVX-512, AVX2+FMA or generic; TSGLUON_ISA or selectIsa() can lower it for testing), the
// thread pool (sized to the machine or TSGLUON_NUM_THREADS, created on first use, replaced by
// setThreads), and the allocator policy.
#include "runtime.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "pool.h"

namespace tsg {

const IsaTable* gIsa = nullptr;

namespace {

std::atomic<Pool*> gPool{nullptr};  // never destroyed at exit: workers die with the process
std::mutex gPoolInit;
// Held shared while a job uses the pool, exclusively while setNumThreads replaces it, so a
// JavaScript worker thread never runs a job on a pool that is being deleted.
std::shared_mutex gPoolSwap;
std::atomic<int> gWantThreads{0};

int hardwareThreads() {
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? (int)hc : 1;
}

// TSGLUON_NUM_THREADS when it is an integer in [1, kMaxThreads], else the machine's count.
int defaultThreads() {
  if (const char* s = std::getenv("TSGLUON_NUM_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(s, &end, 10);
    if (end != s && *end == '\0' && n >= 1 && n <= kMaxThreads) return (int)n;
    std::fprintf(stderr, "tsgluon: TSGLUON_NUM_THREADS=%s is not an integer in [1, %d]; using %d threads\n", s, kMaxThreads,
                 hardwareThreads());
  }
  return hardwareThreads();
}

// A pool of n threads, or of fewer when the OS refuses threads (down to the caller alone, which
// needs no thread), so the first kernel never aborts the process.
Pool* startPool(int n) {
  for (int k = n;; k = k > hardwareThreads() ? hardwareThreads() : 1) {
    try {
      return new Pool(k);
    } catch (const std::exception& e) {
      if (k == 1) throw;
      std::fprintf(stderr, "tsgluon: could not start a pool of %d threads (%s); trying %d\n", k, e.what(),
                   k > hardwareThreads() ? hardwareThreads() : 1);
    }
  }
}

Pool* pool() {
  Pool* p = gPool.load(std::memory_order_acquire);
  if (p == nullptr) {
    std::lock_guard<std::mutex> lock(gPoolInit);
    p = gPool.load(std::memory_order_relaxed);
    if (p == nullptr) {
      const int want = gWantThreads.load();
      p = startPool(want > 0 ? want : defaultThreads());
      gPool.store(p, std::memory_order_release);
    }
  }
  return p;
}

int rtThreads() {
  const int want = gWantThreads.load();
  return want > 0 ? want : pool()->size();
}
void rtRun(int ntasks, TaskFn fn, void* ctx) {
  std::shared_lock<std::shared_mutex> lock(gPoolSwap);
  pool()->run(ntasks, fn, ctx);
}

bool isaAvailable(const IsaTable* t) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (t == &kIsaAvx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
  if (t == &kIsaAvx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return t == &kIsaGeneric;
}

const IsaTable* isaByName(const std::string& name) {
#if defined(__x86_64__)
  if (name == "avx512") return &kIsaAvx512;
  if (name == "avx2") return &kIsaAvx2;
#endif
  if (name == "generic") return &kIsaGeneric;
  return nullptr;
}

const IsaTable* bestIsa() {
#if defined(__x86_64__)
  if (isaAvailable(&kIsaAvx512)) return &kIsaAvx512;
  if (isaAvailable(&kIsaAvx2)) return &kIsaAvx2;
#endif
  return &kIsaGeneric;
}

// Every op result is a fresh zero-filled typed array of up to megabytes. glibc's default policy
// returns such blocks to the OS on free (munmap, or trimming the heap top with brk) and takes
// them back with page faults and kernel zeroing on the next allocation: in an MLP training step
// that was over a third of the time. Keep blocks below 32 MiB in the heap and trim only past
// 256 MiB of free top. Skipped when the user set either knob or TSGLUON_MALLOC_TUNING=0.
void tuneMalloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("TSGLUON_MALLOC_TUNING");
  if ((off != nullptr && std::strcmp(off, "0") == 0) || std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr)
    return;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

}  // namespace

const Runtime kRuntime = {rtThreads, rtRun, scratchBuffer};

int runtimeThreads() { return rtThreads(); }

std::string setThreads(int n) {
  std::unique_lock<std::shared_mutex> swap(gPoolSwap);
  std::lock_guard<std::mutex> lock(gPoolInit);
  Pool* old = gPool.load(std::memory_order_relaxed);
  if (old != nullptr && old->size() == n) {
    gWantThreads = n;
    return "";
  }
  // The new pool first: if the OS refuses its threads, the old one stays in service.
  Pool* fresh;
  try {
    fresh = new Pool(n);
  } catch (const std::exception& e) {
    return e.what();
  }
  gWantThreads = n;
  delete old;
  gPool.store(fresh, std::memory_order_release);
  return "";
}

bool selectIsa(const std::string& name) {
  const IsaTable* t = isaByName(name);
  if (t == nullptr || !isaAvailable(t)) return false;
  gIsa = t;
  return true;
}

void initRuntime() {
  static std::once_flag once;
  std::call_once(once, [] {
    tuneMalloc();
    gIsa = bestIsa();
    if (const char* want = std::getenv("TSGLUON_ISA")) selectIsa(want);
  });
}

}  // namespace tsg
