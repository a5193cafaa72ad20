// A fixed-size pool of persistent worker threads; tasks are claimed, not assigned (see pool.cc).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tsg {

using TaskFn = void (*)(void* ctx, int task, int ntasks);

class Pool {
 public:
  // Starts n - 1 workers; throws (std::system_error) when the OS refuses one, after stopping
  // those already started.
  explicit Pool(int n);
  ~Pool();
  int size() const { return size_; }
  // Runs fn(ctx, t, ntasks) for every t in [0, ntasks) on the caller and the workers, each task
  // exactly once, and returns when all are done. Which thread runs a task is not fixed, so a
  // task's result must depend only on t.
  void run(int ntasks, TaskFn fn, void* ctx);

 private:
  void worker();
  void shutdown();
  void work(uint64_t job, TaskFn fn, void* ctx, int ntasks);
  int size_;
  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable cv_;
  // The job descriptor is published under a sequence lock: seq_ is odd while it is written and
  // equals 2 * job id once published.
  std::atomic<uint64_t> seq_{0};
  std::atomic<TaskFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int> ntasks_{0};
  // (job id << 32) | next unclaimed task: a claim succeeds only for the current job.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  uint64_t jobs_ = 0;
  std::mutex runMutex_;
};

// Scratch slots per thread: 0 and 1 hold the GEMM's packed operands, 2 to 4 the convolution's
// unfolded columns, staged outputs and padded input planes.
constexpr int kScratchSlots = 5;
void* scratchBuffer(int slot, size_t bytes);

}  // namespace tsg
