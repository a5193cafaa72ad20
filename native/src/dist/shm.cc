// Shared-memory gradient buckets (see shm.h).
#include "shm.h"

#include <mpi.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include <atomic>
#include <chrono>
#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tsg::dist {
namespace {

using Clock = std::chrono::steady_clock;

// The ranks that arrived, on its own cache line. It only grows (by `size` a step); comparisons
// are modulo 2^32.
struct Control {
  alignas(64) std::atomic<uint32_t> arrived;
};
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex words are 32-bit");
constexpr size_t kControlBytes = 64;
// More ranks would each read too many segments: MPI's allreduce moves less data then.
constexpr int kMaxRanks = 4;

struct Bucket {
  MPI_Win win = MPI_WIN_NULL;
  Elem elem = Elem::F32;
  int64_t count = 0;
  size_t elemBytes = 4;
  size_t bytes = 0;          // of one segment, a multiple of 64
  std::vector<char*> segs;  // every rank's pair of segments (step parity 0, then 1), by rank
  Control* ctl = nullptr;
  int rank = 0;
  uint32_t step = 0;        // steps this rank arrived at
  bool arrived = false;
};

struct Shm {
  std::mutex mu;  // guards the list (created on the communication thread, used on JavaScript's)
  std::vector<Bucket*> buckets;
  MPI_Comm comm = MPI_COMM_NULL;
  double seconds = 0;
  double waitSeconds = 0;
  uint64_t finishes = 0;
};

Shm& H() {
  static Shm* h = new Shm();
  return *h;
}

Bucket* get(int64_t id) {
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  return id >= 0 && static_cast<size_t>(id) < h.buckets.size() ? h.buckets[static_cast<size_t>(id)] : nullptr;
}

size_t roundUp(size_t n) { return (n + 63) / 64 * 64; }

void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Sleeps while `word` holds `value`, for at most 100 ms (futexes work across processes on
// shared mappings; elsewhere a short sleep).
void sleepWhile(std::atomic<uint32_t>* word, uint32_t value) {
#ifdef __linux__
  timespec ts{0, 100 * 1000 * 1000};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, value, &ts, nullptr, 0);
#else
  if (word->load(std::memory_order_acquire) == value) std::this_thread::sleep_for(std::chrono::microseconds(50));
#endif
}

void wakeAll(std::atomic<uint32_t>* word) {
#ifdef __linux__
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
#else
  (void)word;
#endif
}

// Waits until `word` reaches `target`. Spins first (a rank that arrives a few microseconds late
// costs no system call), then sleeps on the futex, waking every 100 ms to watch the timeout.
void waitFor(std::atomic<uint32_t>* word, uint32_t target, const std::string& what) {
  auto reached = [&](uint32_t v) { return static_cast<int32_t>(v - target) >= 0; };
  for (int i = 0; i < 4000; i++) {
    if (reached(word->load(std::memory_order_acquire))) return;
    pause();
  }
  const double limit = timeoutSeconds();
  const Clock::time_point t0 = Clock::now();
  for (;;) {
    uint32_t v = word->load(std::memory_order_acquire);
    if (reached(v)) return;
    sleepWhile(word, v);
    if (limit > 0 && std::chrono::duration<double>(Clock::now() - t0).count() > limit && !reached(word->load(std::memory_order_acquire))) {
      timedOut(what);
    }
  }
}

void arriveAt(std::atomic<uint32_t>* word) {
  word->fetch_add(1, std::memory_order_acq_rel);
  wakeAll(word);
}

// dst[i] = (seg_0[at + i] + seg_1[at + i] + ...) / size for the segments of step parity `p`:
// the ranks' sum in rank order, then one division, as MPI's sum followed by the average's
// division gives; every rank computes the same values.
template <typename T>
void average(const Bucket& b, int p, int64_t at, T* dst, int64_t n) {
  const size_t size = b.segs.size();
  const T d = static_cast<T>(size);
  const T* s0 = reinterpret_cast<const T*>(b.segs[0] + p * b.bytes) + at;
  const T* s1 = size > 1 ? reinterpret_cast<const T*>(b.segs[1] + p * b.bytes) + at : nullptr;
  if (size == 2) {
    for (int64_t i = 0; i < n; i++) dst[i] = (s0[i] + s1[i]) / d;
    return;
  }
  // In blocks that stay in the L1 cache between the passes.
  for (int64_t b0 = 0; b0 < n; b0 += 2048) {
    const int64_t b1 = std::min(n, b0 + 2048);
    for (int64_t i = b0; i < b1; i++) dst[i] = s0[i];
    for (size_t r = 1; r < size; r++) {
      const T* s = reinterpret_cast<const T*>(b.segs[r] + p * b.bytes) + at;
      for (int64_t i = b0; i < b1; i++) dst[i] += s[i];
    }
    for (int64_t i = b0; i < b1; i++) dst[i] /= d;
  }
}

}  // namespace

int64_t shmCreate(int64_t count, Elem elem, bool want) {
  Shm& h = H();
  int worldSize = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &worldSize);
  if (h.comm == MPI_COMM_NULL) {
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &h.comm);
    MPI_Comm_set_errhandler(h.comm, MPI_ERRORS_RETURN);
  }
  int localSize = 0, localRank = 0;
  MPI_Comm_size(h.comm, &localSize);
  MPI_Comm_rank(h.comm, &localRank);
  auto b = new Bucket();
  b->elem = elem;
  b->count = count;
  b->elemBytes = elem == Elem::F64 ? 8 : 4;
  b->rank = localRank;
  const size_t bytes = roundUp(static_cast<size_t>(count) * b->elemBytes);
  b->bytes = bytes;
  // First every rank learns whether every rank wants the bucket and can share memory with the
  // others (MPI_Win_allocate_shared is collective: all call it or none).
  int ok = want && localSize == worldSize && localSize <= kMaxRanks && (elem == Elem::F32 || elem == Elem::F64) && count > 0;
  int all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  char* mine = nullptr;
  if (all) {
    // Each rank's part holds two segments, written on alternate steps: a rank may fill the next
    // step's while the others still read this step's. Rank 0's part starts with the counter.
    // Noncontiguous parts let each rank's segments sit in memory near that rank.
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true");
    const MPI_Aint size = static_cast<MPI_Aint>(2 * bytes + (localRank == 0 ? kControlBytes : 0));
    ok = MPI_Win_allocate_shared(size, 1, info, h.comm, &mine, &b->win) == MPI_SUCCESS;
    MPI_Info_free(&info);
    // Every rank learns whether every rank got its part.
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  }
  if (all) {
    for (int r = 0; r < localSize && all; r++) {
      MPI_Aint size = 0;
      int unit = 0;
      char* base = nullptr;
      if (MPI_Win_shared_query(b->win, r, &size, &unit, &base) != MPI_SUCCESS) all = 0;
      b->segs.push_back(base + (r == 0 ? kControlBytes : 0));
      if (r == 0) b->ctl = reinterpret_cast<Control*>(base);
    }
    if (localRank == 0 && all) new (&b->ctl->arrived) std::atomic<uint32_t>(0);
    int every = all;
    MPI_Allreduce(&every, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);  // also orders the counters' reset before use
  }
  if (!all) {
    // A window some rank could not map is left allocated: freeing it is collective over ranks
    // that may not hold it.
    delete b;
    return -1;
  }
  std::lock_guard<std::mutex> lock(h.mu);
  h.buckets.push_back(b);
  return static_cast<int64_t>(h.buckets.size() - 1);
}

void shmFree(int64_t id) {
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  if (id < 0 || static_cast<size_t>(id) >= h.buckets.size() || h.buckets[static_cast<size_t>(id)] == nullptr) return;
  Bucket*& b = h.buckets[static_cast<size_t>(id)];
  MPI_Win_free(&b->win);
  delete b;
  b = nullptr;
}

void shmFreeAll() {
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  for (Bucket* b : h.buckets) {
    if (b == nullptr) continue;
    MPI_Win_free(&b->win);
    delete b;
  }
  h.buckets.clear();
  if (h.comm != MPI_COMM_NULL) MPI_Comm_free(&h.comm);
}

bool shmValid(int64_t id) { return get(id) != nullptr; }
int64_t shmCount(int64_t id) { return get(id)->count; }
Elem shmElem(int64_t id) { return get(id)->elem; }

void shmPut(int64_t id, int64_t at, const void* src, int64_t n) {
  Bucket* b = get(id);
  char* dst = b->segs[static_cast<size_t>(b->rank)] + (b->step % 2) * b->bytes + static_cast<size_t>(at) * b->elemBytes;
  if (src == nullptr) std::memset(dst, 0, static_cast<size_t>(n) * b->elemBytes);
  else std::memcpy(dst, src, static_cast<size_t>(n) * b->elemBytes);
}

bool shmArrive(int64_t id) {
  Bucket* b = get(id);
  if (b->arrived) return false;
  b->arrived = true;
  b->step++;
  arriveAt(&b->ctl->arrived);
  return true;
}

bool shmFinish(int64_t id) {
  Bucket* b = get(id);
  if (!b->arrived) return false;
  const Clock::time_point t0 = Clock::now();
  waitFor(&b->ctl->arrived, b->step * static_cast<uint32_t>(b->segs.size()),
          "gradient average of " + std::to_string(b->count) + (b->elem == Elem::F64 ? " float64" : " float32") + " values in shared memory");
  b->arrived = false;
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  h.seconds += dt;
  h.waitSeconds += dt;
  h.finishes++;
  return true;
}

void shmAverage(int64_t id, int64_t at, void* dst, int64_t n) {
  const Clock::time_point t0 = Clock::now();
  Bucket* b = get(id);
  const int p = static_cast<int>((b->step + 1) % 2);  // the segments of the last step arrived at
  if (b->elem == Elem::F64) average<double>(*b, p, at, static_cast<double*>(dst), n);
  else average<float>(*b, p, at, static_cast<float*>(dst), n);
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  h.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
}

void shmStats(double* seconds, double* waitSeconds, uint64_t* finishes) {
  Shm& h = H();
  std::lock_guard<std::mutex> lock(h.mu);
  *seconds = h.seconds;
  *waitSeconds = h.waitSeconds;
  *finishes = h.finishes;
}

}  // namespace tsg::dist
