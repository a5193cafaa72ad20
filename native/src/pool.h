// A fixed-size pool of persistent worker threads with static task assignment (see pool.cc).
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
  explicit Pool(int n);
  ~Pool();
  int size() const { return size_; }
  // Runs fn(ctx, t, ntasks) for t in [0, ntasks), task t on thread t; the caller runs task 0.
  void run(int ntasks, TaskFn fn, void* ctx);
  // Held while a job runs; resizing takes it so a job never loses its workers.
  std::mutex& configMutex();

 private:
  void worker(int id);
  int size_;
  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> pending_{0};
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int ntasks_ = 0;
  bool stop_ = false;
  std::mutex runMutex_;
};

void* scratchBuffer(int slot, size_t bytes);

}  // namespace tsg
