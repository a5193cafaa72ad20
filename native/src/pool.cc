// The persistent thread pool behind Runtime::run, and per-thread scratch buffers.
//
// Workers spin briefly after each job (a training step issues kernels every few microseconds,
// and waking a sleeping thread costs more than that), then sleep on a condition variable so an
// idle process does not burn the machine. Task t of a job always runs on worker t (the caller is
// task 0): partitioning is static, so results never depend on scheduling.
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

constexpr auto kSpin = std::chrono::microseconds(200);

struct Scratch {
  void* p[2] = {nullptr, nullptr};
  size_t cap[2] = {0, 0};
  ~Scratch() {
    std::free(p[0]);
    std::free(p[1]);
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
  for (int i = 1; i < size_; i++) threads_.emplace_back([this, i] { worker(i); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
    gen_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Pool::worker(int id) {
  uint64_t seen = 0;
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    int spins = 0;
    while (gen_.load(std::memory_order_acquire) == seen) {
      cpuRelax();
      if (++spins % 256 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return gen_.load(std::memory_order_acquire) != seen; });
        break;
      }
    }
    seen = gen_.load(std::memory_order_acquire);
    if (stop_) return;
    if (id < ntasks_) fn_(ctx_, id, ntasks_);
    // Every worker acknowledges every job, so the job's fields are never rewritten under a
    // worker that is still reading them.
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void Pool::run(int ntasks, TaskFn fn, void* ctx) {
  if (ntasks > size_) ntasks = size_;
  std::unique_lock<std::mutex> busy(runMutex_, std::try_to_lock);
  if (ntasks <= 1 || !busy.owns_lock()) {
    // Another JavaScript thread is using the pool: run every slice here, same partition.
    for (int t = 0; t < ntasks; t++) fn(ctx, t, ntasks);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  ntasks_ = ntasks;
  pending_.store(size_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(m_);
    gen_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  fn(ctx, 0, ntasks);
  int spins = 0;
  while (pending_.load(std::memory_order_acquire) != 0) {
    cpuRelax();
    if (++spins > 4096) std::this_thread::yield();
  }
}

std::mutex& Pool::configMutex() { return runMutex_; }

}  // namespace tsg
