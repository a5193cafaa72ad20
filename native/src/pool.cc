// The persistent thread pool behind Runtime::run, and per-thread scratch buffers.
//
// A job is a number of tasks; the caller and the workers claim them one at a time from a shared
// counter, so a worker that the OS has not scheduled yet (a busy machine) delays nothing: the
// others take its share. Every kernel makes a task's work a fixed function of its index, so the
// results never depend on which thread ran what. Workers spin briefly after each job (a training
// step issues kernels every few microseconds, and waking a sleeping thread costs more than that),
// then keep polling between sched_yield calls for up to a millisecond (so a thread that other work
// wants gives its core away), then sleep on a condition variable so an idle process does not burn
// the machine. The polling phase is for code that runs 30-300 us of JavaScript between kernels
// (eager operators, a hybridized graph's bookkeeping): a worker asleep by then is woken through the
// kernel and joins each job late, and on a busy machine the scheduler tends to wake it on the
// caller's own core. On a loaded 2-vCPU KVM guest, ResNet-50 batch-1 inference on 2 threads
// (hybridized) took 103 ms a call with polling against 112-116 ms without; the worker's share of
// the work rose from 60 to 75 ms.
#include "pool.h"

#include <chrono>
#include <cstdlib>
#include <thread>

namespace tsg {

namespace {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

constexpr auto kSpin = std::chrono::microseconds(20);
constexpr auto kPoll = std::chrono::microseconds(1000);

struct Scratch {
  void* p[kScratchSlots] = {};
  size_t cap[kScratchSlots] = {};
  ~Scratch() {
    for (void* q : p) std::free(q);
  }
};
thread_local Scratch tlsScratch;

}  // namespace

void* scratchBuffer(int slot, size_t bytes) {
  Scratch& s = tlsScratch;
  if (bytes > s.cap[slot]) {
    std::free(s.p[slot]);
    size_t cap = (bytes + 4095) & ~size_t(4095);
    s.p[slot] = std::aligned_alloc(64, cap);
    if (s.p[slot] == nullptr) std::abort();
    s.cap[slot] = cap;
  }
  return s.p[slot];
}

Pool::Pool(int n) : size_(n < 1 ? 1 : n) {
  try {
    threads_.reserve(size_ - 1);
    for (int i = 1; i < size_; i++) threads_.emplace_back([this] { worker(); });
  } catch (...) {
    // The OS refused a thread (a container's thread or memory limit): stop the workers that did
    // start, then let the caller keep its previous pool or fall back to fewer threads.
    shutdown();
    throw;
  }
}

Pool::~Pool() { shutdown(); }

void Pool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_.store(true, std::memory_order_release);
    seq_.fetch_add(2, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Pool::work(uint64_t job, TaskFn fn, void* ctx, int ntasks) {
  for (;;) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    if ((c >> 32) != job || (int64_t)(c & 0xffffffffu) >= ntasks) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
    fn(ctx, (int)(c & 0xffffffffu), ntasks);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void Pool::worker() {
  uint64_t seen = 0;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    int spins = 0;
    while (seq_.load(std::memory_order_acquire) == seen) {
      cpuRelax();
      if (++spins % 256 != 0) continue;
      const auto idle = std::chrono::steady_clock::now() - start;
      if (idle > kPoll) {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return seq_.load(std::memory_order_acquire) != seen; });
        break;
      }
      if (idle > kSpin) std::this_thread::yield();
    }
    if (stop_.load(std::memory_order_acquire)) return;
    // Read a consistent descriptor; a job published meanwhile is simply the one we take.
    uint64_t s1, s2;
    TaskFn fn;
    void* ctx;
    int n;
    for (;;) {
      s1 = seq_.load(std::memory_order_acquire);
      if (s1 & 1) {
        cpuRelax();
        continue;
      }
      fn = fn_.load(std::memory_order_relaxed);
      ctx = ctx_.load(std::memory_order_relaxed);
      n = ntasks_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      s2 = seq_.load(std::memory_order_relaxed);
      if (s1 == s2) break;
    }
    seen = s1;
    if (stop_.load(std::memory_order_acquire)) return;
    work(s1 / 2, fn, ctx, n);
  }
}

void Pool::run(int ntasks, TaskFn fn, void* ctx) {
  std::unique_lock<std::mutex> busy(runMutex_, std::try_to_lock);
  if (ntasks <= 1 || size_ <= 1 || !busy.owns_lock()) {
    // One thread, or another JavaScript thread is using the pool: run every task here.
    for (int t = 0; t < ntasks; t++) fn(ctx, t, ntasks);
    return;
  }
  const uint64_t job = ++jobs_;
  {
    std::lock_guard<std::mutex> lock(m_);
    seq_.store(2 * job - 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    ntasks_.store(ntasks, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    claim_.store(job << 32, std::memory_order_relaxed);
    seq_.store(2 * job, std::memory_order_release);
  }
  cv_.notify_all();
  work(job, fn, ctx, ntasks);
  int spins = 0;
  while (done_.load(std::memory_order_acquire) != ntasks) {
    cpuRelax();
    if (++spins > 4096) std::this_thread::yield();
  }
}

}  // namespace tsg
