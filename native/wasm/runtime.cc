// The runtime of the WebAssembly build: what native/src/runtime.cc and pool.cc are to the Node
// addon. It implements runtime.h (the kernel table, threads, scratch buffers) over linear memory:
//
// - A small thread-safe allocator (malloc and friends, and tsg_alloc/tsg_free for JavaScript's
//   staging area): power-of-two size classes with free lists, 64-byte aligned, under a spin lock,
//   growing the memory as needed. wasi-libc's allocator cannot be used: it is not built for
//   shared memory.
// - With TSG_WASM_THREADS (the module imports a shared memory), a pool in the style of pool.cc:
//   the calling thread publishes a job, Web Workers (or Node worker threads) running tsg_worker
//   claim its tasks from a shared counter and sleep in memory.atomic.wait32 when idle. The
//   calling thread spins instead of waiting (a browser's main thread may not block). Every
//   kernel's work is a fixed function of the task index, so results do not depend on how many
//   workers joined or which ran what: a job started before any worker is up simply runs on the
//   caller.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>

#include "runtime.h"

extern "C" unsigned char __heap_base;

namespace tsg {

const IsaTable* gIsa = nullptr;
using TaskFn = void (*)(void* ctx, int task, int ntasks);

namespace {

inline uint32_t load32(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store32(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

// ---- allocator ----

constexpr size_t kAlign = 64;
constexpr int kClasses = 33;  // blocks of 2^c bytes, header included
struct Block {
  uint32_t cls;
  Block* next;
};
Block* gFree[kClasses];
uintptr_t gTop = 0;
uint32_t gLock = 0;

void lock() {
  while (__atomic_exchange_n(&gLock, 1u, __ATOMIC_ACQUIRE) != 0) {
  }
}
void unlock() { __atomic_store_n(&gLock, 0u, __ATOMIC_RELEASE); }

// Bump allocation of n bytes (a multiple of kAlign) at the top of the heap, growing the memory.
void* bump(size_t n) {
  if (gTop == 0) gTop = ((uintptr_t)&__heap_base + kAlign - 1) & ~(uintptr_t)(kAlign - 1);
  uintptr_t end = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
  if (gTop + n < gTop) return nullptr;
  if (gTop + n > end) {
    size_t pages = (gTop + n - end + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return nullptr;
  }
  void* p = (void*)gTop;
  gTop += n;
  return p;
}

void* allocate(size_t bytes) {
  if (bytes > ((size_t)1 << 31)) return nullptr;
  int cls = 7;  // 128 bytes: the 64-byte header and at least 64 usable
  while (((size_t)1 << cls) < bytes + kAlign) cls++;
  lock();
  Block* b = gFree[cls];
  if (b != nullptr) gFree[cls] = b->next;
  else b = static_cast<Block*>(bump((size_t)1 << cls));
  unlock();
  if (b == nullptr) return nullptr;
  b->cls = (uint32_t)cls;
  return reinterpret_cast<unsigned char*>(b) + kAlign;
}

void release(void* p) {
  if (p == nullptr) return;
  Block* b = reinterpret_cast<Block*>(static_cast<unsigned char*>(p) - kAlign);
  lock();
  b->next = gFree[b->cls];
  gFree[b->cls] = b;
  unlock();
}

size_t usable(void* p) {
  Block* b = reinterpret_cast<Block*>(static_cast<unsigned char*>(p) - kAlign);
  return ((size_t)1 << b->cls) - kAlign;
}

// ---- scratch buffers, private to each thread (TLS: each worker instance has its own block) ----

constexpr int kScratchSlots = 8;
struct Scratch {
  void* p[kScratchSlots];
  size_t cap[kScratchSlots];
};
thread_local Scratch tlsScratch;

void* scratch(int slot, size_t bytes) {
  Scratch& s = tlsScratch;
  if (slot < 0 || slot >= kScratchSlots) __builtin_trap();
  if (bytes > s.cap[slot]) {
    release(s.p[slot]);
    size_t cap = (bytes + 4095) & ~(size_t)4095;
    s.p[slot] = allocate(cap);
    if (s.p[slot] == nullptr) __builtin_trap();
    s.cap[slot] = cap;
  }
  return s.p[slot];
}

// ---- the pool ----

int gThreads = 1;

#if TSG_WASM_THREADS
struct PoolState {
  uint32_t seq;  // 2 * job once published, odd while the descriptor is written
  int32_t ntasks;
  uint64_t claim;  // (job << 32) | next unclaimed task: a claim succeeds only for the current job
  TaskFn fn;
  void* ctx;
  uint32_t done;
  uint32_t helpers;   // workers that may take tasks: threads - 1
  uint32_t joined;    // workers running tsg_worker
  uint32_t sleepers;  // workers in memory.atomic.wait32
  uint32_t busy;      // a job is running (a nested run executes inline)
};
PoolState gPool;
// Tasks of pool jobs each thread has run (index 0: the calling thread), for tsg_pool_tasks: what
// a benchmark reads to show how many threads really shared the work.
constexpr uint32_t kMaxThreads = 256;
uint32_t gTasksRun[kMaxThreads];
uint32_t gJobs = 0;
// Loads a worker spins on (about 0.6 ms) before it sleeps; TSG_WASM_SPINS overrides, for measuring.
// A browser call of a kernel spends 0.1 to 0.2 ms in JavaScript around its job (staging the
// operands into linear memory, allocating the output and copying it back: a fresh typed array's
// pages fault in during that copy). With a 20 us spin (2^15 loads) the worker was asleep by the
// next call and joined it late, taking 35-40% of a 256 x 256 GEMM's tasks; with this one it stays
// up between consecutive calls (bench:browser, GEMM n = 256 at two threads: 8-9% faster, two
// runs). Waking the workers from JavaScript before the staging, keeping the short spin, gained
// nothing measurable. Earlier, on a host that gave the two vCPUs about one core's time, a worker
// spinning 2^22 loads between jobs took that time from the calling thread.
#ifndef TSG_WASM_SPINS
#define TSG_WASM_SPINS (1 << 20)
#endif
constexpr int kSpins = TSG_WASM_SPINS;

void work(uint32_t index, uint32_t job, TaskFn fn, void* ctx, int ntasks) {
  for (;;) {
    uint64_t c = __atomic_load_n(&gPool.claim, __ATOMIC_ACQUIRE);
    if ((uint32_t)(c >> 32) != job || (int64_t)(c & 0xffffffffu) >= ntasks) return;
    if (!__atomic_compare_exchange_n(&gPool.claim, &c, c + 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
    fn(ctx, (int)(c & 0xffffffffu), ntasks);
    __atomic_fetch_add(&gTasksRun[index], 1u, __ATOMIC_RELAXED);
    __atomic_fetch_add(&gPool.done, 1u, __ATOMIC_ACQ_REL);
  }
}
#endif

int rtThreads() { return gThreads; }

void rtRun(int ntasks, TaskFn fn, void* ctx) {
#if TSG_WASM_THREADS
  if (ntasks > 1 && gThreads > 1 && load32(&gPool.joined) > 0 &&
      __atomic_exchange_n(&gPool.busy, 1u, __ATOMIC_ACQUIRE) == 0) {
    const uint32_t job = ++gJobs;
    store32(&gPool.seq, 2 * job - 1);
    gPool.fn = fn;
    gPool.ctx = ctx;
    gPool.ntasks = ntasks;
    __atomic_store_n(&gPool.done, 0u, __ATOMIC_RELAXED);
    __atomic_store_n(&gPool.claim, (uint64_t)job << 32, __ATOMIC_RELAXED);
    store32(&gPool.seq, 2 * job);
    if (load32(&gPool.sleepers) > 0) __builtin_wasm_memory_atomic_notify((int*)&gPool.seq, gPool.helpers);
    work(0, job, fn, ctx, ntasks);
    while (load32(&gPool.done) != (uint32_t)ntasks) {
    }
    __atomic_store_n(&gPool.busy, 0u, __ATOMIC_RELEASE);
    return;
  }
#endif
  for (int t = 0; t < ntasks; t++) fn(ctx, t, ntasks);
}

}  // namespace

const Runtime kRuntime = {rtThreads, rtRun, scratch};

int runtimeThreads() { return gThreads; }

// The workers exist already (the page started them), so no start can fail here: always "".
std::string setThreads(int n) {
#if TSG_WASM_THREADS
  gThreads = n < 1 ? 1 : n;
  store32(&gPool.helpers, (uint32_t)(gThreads - 1));
#else
  (void)n;
  gThreads = 1;
#endif
  return "";
}

bool selectIsa(const std::string& name) { return name == kIsaGeneric.name; }

void initRuntime() { gIsa = &kIsaGeneric; }

}  // namespace tsg

extern "C" {

void* malloc(size_t n) { return tsg::allocate(n); }
void free(void* p) { tsg::release(p); }
void* calloc(size_t n, size_t size) {
  if (size != 0 && n > (size_t)-1 / size) return nullptr;
  void* p = tsg::allocate(n * size);
  if (p != nullptr) memset(p, 0, n * size);
  return p;
}
void* realloc(void* p, size_t n) {
  if (p == nullptr) return tsg::allocate(n);
  if (n <= tsg::usable(p)) return p;
  void* q = tsg::allocate(n);
  if (q != nullptr) {
    memcpy(q, p, tsg::usable(p));
    tsg::release(p);
  }
  return q;
}
void* aligned_alloc(size_t align, size_t n) { return align <= tsg::kAlign ? tsg::allocate(n) : nullptr; }
int posix_memalign(void** out, size_t align, size_t n) {
  *out = aligned_alloc(align, n);
  return *out != nullptr ? 0 : 12;
}
// wasi-libc's own entry points into its allocator, so its dlmalloc is never linked in.
void* __libc_malloc(size_t n) { return malloc(n); }
void __libc_free(void* p) { free(p); }
void* __libc_calloc(size_t n, size_t size) { return calloc(n, size); }
size_t malloc_usable_size(void* p) { return p != nullptr ? tsg::usable(p) : 0; }

// Static destructors never run: the module lives as long as the page or process.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

// Staging memory for JavaScript (src/backend/wasm/addon.ts); 0 when the memory cannot grow.
__attribute__((export_name("tsg_alloc"))) void* tsgAlloc(size_t n) { return tsg::allocate(n); }
__attribute__((export_name("tsg_free"))) void tsgFree(void* p) { tsg::release(p); }

#if TSG_WASM_THREADS
// A worker's whole life: take tasks of published jobs until the page goes away. `index` counts
// from 1 (the calling thread is 0); workers past threads - 1 skip the jobs.
__attribute__((export_name("tsg_worker"))) void tsgWorker(uint32_t index) {
  using tsg::gPool;
  __atomic_fetch_add(&gPool.joined, 1u, __ATOMIC_ACQ_REL);
  uint32_t seen = tsg::load32(&gPool.seq);
  for (;;) {
    uint32_t s;
    int spins = 0;
    while ((s = tsg::load32(&gPool.seq)) == seen) {
      if (++spins < tsg::kSpins) continue;
      __atomic_fetch_add(&gPool.sleepers, 1u, __ATOMIC_SEQ_CST);
      __builtin_wasm_memory_atomic_wait32((int*)&gPool.seq, (int)seen, -1);
      __atomic_fetch_sub(&gPool.sleepers, 1u, __ATOMIC_SEQ_CST);
      spins = 0;
    }
    if (s & 1) continue;
    tsg::TaskFn fn = gPool.fn;
    void* ctx = gPool.ctx;
    int n = gPool.ntasks;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (tsg::load32(&gPool.seq) != s) continue;
    seen = s;
    if (index > tsg::load32(&gPool.helpers)) continue;
    tsg::work(index, s / 2, fn, ctx, n);
  }
}

// Tasks of pool jobs thread `index` has run since the module started (0 past the last thread).
__attribute__((export_name("tsg_pool_tasks"))) uint32_t tsgPoolTasks(uint32_t index) {
  return index < tsg::kMaxThreads ? __atomic_load_n(&tsg::gTasksRun[index], __ATOMIC_RELAXED) : 0;
}
#endif

}  // extern "C"

void* operator new(size_t n) {
  void* p = tsg::allocate(n);
  if (p == nullptr) __builtin_trap();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { tsg::release(p); }
void operator delete[](void* p) noexcept { tsg::release(p); }
void operator delete(void* p, size_t) noexcept { tsg::release(p); }
void operator delete[](void* p, size_t) noexcept { tsg::release(p); }
