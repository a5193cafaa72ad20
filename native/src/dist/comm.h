// The communication thread of tsgluon's MPI addon (tsgluon_mpi.node, loaded by src/dist/).
//
// One thread started here initializes MPI, runs every collective operation and finalizes MPI, so
// MPI sees a program with one MPI thread (MPI_THREAD_FUNNELED) while JavaScript keeps computing.
// Operations are queued and run in submission order, which is also the order collectives must
// follow on every rank. Each gets a ticket; waiting for a ticket is bounded by a timeout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tsg::dist {

// F16 and BF16 arrays hold 16-bit patterns (Uint16Array); see half.h.
enum class Elem { F32, F64, I32, U8, F16, BF16 };
enum class Reduce { Sum, Average, Max, Min };

struct Info {
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
  std::string library;
};

struct Job {
  // ShmCreate: a shared-memory gradient bucket of `count` `elem` values (shm.h); its id (or -1)
  // goes to *(int64_t*)recv. ShmFree frees the bucket whose id is `count`.
  enum Kind { Allreduce, Broadcast, Allgather, Barrier, ShmCreate, ShmFree } kind = Barrier;
  void* buf = nullptr;   // in place (allreduce, broadcast) or the send buffer (allgather)
  void* recv = nullptr;  // allgather only
  int64_t count = 0;     // elements of buf
  Elem elem = Elem::U8;
  Reduce op = Reduce::Sum;
  int root = 0;
  bool want = true;             // ShmCreate: false when this rank asks for MPI's allreduce instead
  std::vector<int64_t> counts;  // allgather: elements from each rank
  std::string what;             // for the timeout message, e.g. "allreduce of 1000 float32 values"
};

// Starts the thread and MPI once; later calls return the same info. timeoutSeconds <= 0 waits
// forever. Returns false with `error` set when MPI_Init_thread fails.
bool start(double timeoutSeconds, Info* info, std::string* error);
bool started();
bool finalized();

// Queues a job and returns its ticket (1, 2, ...).
uint64_t submit(Job job);
// True when the job of `ticket` has completed.
bool done(uint64_t ticket);
// Blocks until the job of `ticket` completes. When the operation running on the thread has run
// for longer than the timeout, prints what it waits for and ends the process with status 1.
void wait(uint64_t ticket);
// Seconds the thread has spent inside collectives, and the number of jobs it ran.
void stats(double* busySeconds, uint64_t* jobs);
// Waits for the queue to drain, meets every rank in a barrier (bounded by the timeout) and
// finalizes MPI. Idempotent.
void finalize();
// The job's timeout in seconds (<= 0: none).
double timeoutSeconds();
// Prints that `what` has not completed after the timeout and ends the process with status 1.
[[noreturn]] void timedOut(const std::string& what);
// Ends the process with `code` at once, without finalizing: mpirun then ends the whole job.
[[noreturn]] void abortProcess(int code);

}  // namespace tsg::dist
