// The communication thread (see comm.h). Collectives run with MPI's blocking calls: over shared
// memory Open MPI's tuned blocking allreduce is about twice as fast as its nonblocking one, and
// the thread exists so JavaScript need not block. Only waiting is bounded: a ticket still pending
// once the operation in flight has run longer than the timeout means another rank stopped or
// called a different collective, and the process then ends (mpirun ends the rest of the job).
#include "comm.h"
#include "half.h"
#include "shm.h"

#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace tsg::dist {
namespace {

using Clock = std::chrono::steady_clock;

// MPI counts are int: larger arrays go in pieces of this many elements.
constexpr int64_t kChunk = int64_t{1} << 30;

struct State {
  std::mutex mu;
  std::condition_variable work;  // the thread waits for jobs
  std::condition_variable done;  // JavaScript waits for tickets
  std::deque<Job> queue;
  uint64_t submitted = 0;
  uint64_t completed = 0;
  bool busy = false;             // a job is running
  Clock::time_point since;       // when it started
  std::string current;           // what it is
  double busySeconds = 0;
  bool stopping = false;
  bool initDone = false;
  bool initOk = false;
  bool finalized = false;
  std::string initError;
  Info info;
  double timeout = 0;
  std::thread* thread = nullptr;
};

State& S() {
  static State* s = new State();  // never destroyed: the thread may outlive static destructors
  return *s;
}

MPI_Datatype typeOf(Elem e) {
  switch (e) {
    case Elem::F32: return MPI_FLOAT;
    case Elem::F64: return MPI_DOUBLE;
    case Elem::I32: return MPI_INT32_T;
    case Elem::F16:
    case Elem::BF16: return MPI_UINT16_T;
    default: return MPI_UINT8_T;
  }
}

size_t bytesOf(Elem e) {
  switch (e) {
    case Elem::F64: return 8;
    case Elem::F32:
    case Elem::I32: return 4;
    case Elem::F16:
    case Elem::BF16: return 2;
    default: return 1;
  }
}

// MPI has no 16-bit float types: float16 and bfloat16 reduce through operations of our own on
// their bit patterns, computed in float32 (exact enough: a sum or quotient of two 16-bit floats
// rounded to float32 and then to 16 bits is the correctly rounded 16-bit result).
template <float (*Dec)(uint16_t), uint16_t (*Enc)(float), Reduce R>
void halfOp(void* in, void* inout, int* len, MPI_Datatype*) {
  const uint16_t* a = static_cast<const uint16_t*>(in);
  uint16_t* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; i++) {
    float x = Dec(a[i]);
    float y = Dec(b[i]);
    float r = x + y;
    if (R == Reduce::Max) r = x != x ? x : y != y ? y : x > y ? x : y;
    if (R == Reduce::Min) r = x != x ? x : y != y ? y : x < y ? x : y;
    b[i] = Enc(r);
  }
}

// The 16-bit operations, [float16, bfloat16][sum, max, min], created after MPI_Init.
MPI_Op halfOps[2][3];

void createHalfOps() {
  MPI_Op_create(halfOp<halfToFloat, floatToHalf, Reduce::Sum>, 1, &halfOps[0][0]);
  MPI_Op_create(halfOp<halfToFloat, floatToHalf, Reduce::Max>, 1, &halfOps[0][1]);
  MPI_Op_create(halfOp<halfToFloat, floatToHalf, Reduce::Min>, 1, &halfOps[0][2]);
  MPI_Op_create(halfOp<bf16ToFloat, floatToBf16, Reduce::Sum>, 1, &halfOps[1][0]);
  MPI_Op_create(halfOp<bf16ToFloat, floatToBf16, Reduce::Max>, 1, &halfOps[1][1]);
  MPI_Op_create(halfOp<bf16ToFloat, floatToBf16, Reduce::Min>, 1, &halfOps[1][2]);
}

MPI_Op opOf(Reduce r, Elem e) {
  int k = r == Reduce::Max ? 1 : r == Reduce::Min ? 2 : 0;
  if (e == Elem::F16 || e == Elem::BF16) return halfOps[e == Elem::BF16][k];
  return k == 1 ? MPI_MAX : k == 2 ? MPI_MIN : MPI_SUM;
}

template <typename T>
void divide(T* p, int64_t n, int size) {
  const T d = static_cast<T>(size);
  for (int64_t i = 0; i < n; i++) p[i] /= d;
}

template <float (*Dec)(uint16_t), uint16_t (*Enc)(float)>
void divideHalf(uint16_t* p, int64_t n, int size) {
  const float d = static_cast<float>(size);
  for (int64_t i = 0; i < n; i++) p[i] = Enc(Dec(p[i]) / d);
}

void runAllreduce(const Job& j, int size) {
  char* p = static_cast<char*>(j.buf);
  for (int64_t at = 0; at < j.count; at += kChunk) {
    int n = static_cast<int>(std::min(kChunk, j.count - at));
    MPI_Allreduce(MPI_IN_PLACE, p + at * bytesOf(j.elem), n, typeOf(j.elem), opOf(j.op, j.elem), MPI_COMM_WORLD);
  }
  if (j.op != Reduce::Average) return;
  if (j.elem == Elem::F32) divide(static_cast<float*>(j.buf), j.count, size);
  if (j.elem == Elem::F64) divide(static_cast<double*>(j.buf), j.count, size);
  if (j.elem == Elem::F16) divideHalf<halfToFloat, floatToHalf>(static_cast<uint16_t*>(j.buf), j.count, size);
  if (j.elem == Elem::BF16) divideHalf<bf16ToFloat, floatToBf16>(static_cast<uint16_t*>(j.buf), j.count, size);
}

void runBroadcast(const Job& j) {
  char* p = static_cast<char*>(j.buf);
  const int64_t bytes = j.count * static_cast<int64_t>(bytesOf(j.elem));
  for (int64_t at = 0; at < bytes; at += kChunk) {
    MPI_Bcast(p + at, static_cast<int>(std::min(kChunk, bytes - at)), MPI_BYTE, j.root, MPI_COMM_WORLD);
  }
}

// Counts are in elements; the addon checks that every rank's part and the total fit an int.
void runAllgather(const Job& j, int rank) {
  std::vector<int> counts(j.counts.size()), displs(j.counts.size());
  int64_t at = 0;
  for (size_t r = 0; r < counts.size(); r++) {
    counts[r] = static_cast<int>(j.counts[r]);
    displs[r] = static_cast<int>(at);
    at += j.counts[r];
  }
  MPI_Allgatherv(j.buf, counts[rank], typeOf(j.elem), j.recv, counts.data(), displs.data(), typeOf(j.elem), MPI_COMM_WORLD);
}

void initMpi(State& s) {
  // A collective waiting for a late rank spins in Open MPI's progress loop; by default it spins
  // without ever yielding, taking the core from this rank's compute thread while backward goes
  // on (2 ranks of MLP training on a busy 2-core machine: 5,600 samples/s instead of 9,000 to
  // 13,000). Yielding gives the core back; the user's own setting wins.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  std::lock_guard<std::mutex> lock(s.mu);
  if (rc != MPI_SUCCESS) {
    s.initError = "MPI_Init_thread failed with code " + std::to_string(rc);
  } else {
    MPI_Comm_rank(MPI_COMM_WORLD, &s.info.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s.info.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &s.info.localRank);
    MPI_Comm_size(local, &s.info.localSize);
    MPI_Comm_free(&local);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    s.info.library = v.substr(0, v.find_first_of(",\n"));
    createHalfOps();
    s.initOk = true;
  }
  s.initDone = true;
  s.done.notify_all();
}

void loop() {
  State& s = S();
  initMpi(s);
  if (!s.initOk) return;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(s.mu);
      s.work.wait(lock, [&] { return !s.queue.empty() || s.stopping; });
      if (s.queue.empty()) break;
      job = std::move(s.queue.front());
      s.queue.pop_front();
      s.busy = true;
      s.since = Clock::now();
      s.current = job.what;
    }
    switch (job.kind) {
      case Job::Allreduce: runAllreduce(job, s.info.size); break;
      case Job::Broadcast: runBroadcast(job); break;
      case Job::Allgather: runAllgather(job, s.info.rank); break;
      case Job::Barrier: MPI_Barrier(MPI_COMM_WORLD); break;
      case Job::ShmCreate: *static_cast<int64_t*>(job.recv) = shmCreate(job.count, job.elem, job.want); break;
      case Job::ShmFree: shmFree(job.count); break;
    }
    std::lock_guard<std::mutex> lock(s.mu);
    s.busySeconds += std::chrono::duration<double>(Clock::now() - s.since).count();
    s.busy = false;
    s.completed++;
    s.done.notify_all();
  }
  shmFreeAll();
  MPI_Finalize();
}

[[noreturn]] void timedOutAfter(State& s, const std::string& what, double seconds) {
  std::fprintf(stderr,
               "tsgluon dist: rank %d of %d: %s has not completed after %.0f s. Another rank has stopped "
               "(look for its error above) or called different collective operations, or the same ones in a "
               "different order. Ending this process so that mpirun ends the job.\n",
               s.info.rank, s.info.size, what.c_str(), seconds);
  abortProcess(1);
}

// Waits until `ticket` is done; the lock is held on entry and on return.
void waitLocked(State& s, std::unique_lock<std::mutex>& lock, uint64_t ticket) {
  while (s.completed < ticket) {
    if (s.timeout <= 0 || !s.busy) {
      // Nothing is running (the thread is about to take the job): no clock to watch yet.
      s.done.wait_for(lock, std::chrono::milliseconds(s.timeout <= 0 ? 60000 : 100));
      continue;
    }
    auto deadline = s.since + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.timeout));
    if (s.done.wait_until(lock, deadline) == std::cv_status::timeout && s.completed < ticket && s.busy &&
        Clock::now() >= s.since + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.timeout))) {
      timedOutAfter(s, s.current, s.timeout);
    }
  }
}

}  // namespace

bool start(double timeoutSeconds, Info* info, std::string* error) {
  State& s = S();
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.thread == nullptr) {
    s.timeout = timeoutSeconds;
    // The OS may refuse a thread (a container's limit): a reason for init, never an abort.
    try {
      s.thread = new std::thread(loop);
    } catch (const std::exception& e) {
      *error = std::string("could not start the communication thread (") + e.what() + ")";
      return false;
    }
  }
  s.done.wait(lock, [&] { return s.initDone; });
  if (!s.initOk) {
    *error = s.initError;
    return false;
  }
  *info = s.info;
  return true;
}

bool started() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.initOk;
}

bool finalized() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.finalized;
}

uint64_t submit(Job job) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  s.queue.push_back(std::move(job));
  s.work.notify_one();
  return ++s.submitted;
}

bool done(uint64_t ticket) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.completed >= ticket;
}

void wait(uint64_t ticket) {
  State& s = S();
  std::unique_lock<std::mutex> lock(s.mu);
  waitLocked(s, lock, ticket);
}

void stats(double* busySeconds, uint64_t* jobs) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  *busySeconds = s.busySeconds;
  *jobs = s.completed;
}

void finalize() {
  State& s = S();
  {
    std::unique_lock<std::mutex> lock(s.mu);
    if (!s.initOk || s.finalized) return;
    // Every rank meets here first, so a rank that reaches the end while the others still wait in
    // a collective is reported (by the timeout) instead of hanging inside MPI_Finalize.
    Job barrier;
    barrier.what = "the barrier of the end of the program (finalize)";
    s.queue.push_back(std::move(barrier));
    uint64_t ticket = ++s.submitted;
    s.work.notify_one();
    waitLocked(s, lock, ticket);
    s.stopping = true;
    s.finalized = true;
    s.work.notify_one();
  }
  s.thread->join();
}

double timeoutSeconds() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.timeout;
}

void timedOut(const std::string& what) {
  State& s = S();
  double t = 0;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    t = s.timeout;
  }
  timedOutAfter(s, what, t);
}

void abortProcess(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(code);
}

}  // namespace tsg::dist
