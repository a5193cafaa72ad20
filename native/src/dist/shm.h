// Gradient averaging through shared memory, for jobs whose ranks all run on one host (at most
// 4 of them): the reducer's fast path (src/dist/buckets.ts).
//
// A shared bucket is an MPI-3 shared window (MPI_Win_allocate_shared) holding two segments per
// rank, used on alternate steps, and one counter. A step: each rank copies its gradients into its
// segment and arrives (one atomic add, no waiting); `finish` waits until every rank has arrived;
// then each rank reads every rank's segment and writes the average straight into its own
// gradients. That is one synchronization a step, no MPI call, no hand-off to the communication
// thread, and one copy in plus one averaging pass, where MPI's allreduce over its shared-memory
// transport copies the data through FIFOs several times. Alternating segments let a rank that is
// ahead fill the next step's while the others still read this one's. Waiting spins briefly and
// then sleeps on a futex, so a rank ahead of the others leaves its core to them instead of
// polling it away; waits are bounded by the job's timeout as collectives are.
#pragma once

#include <cstdint>

#include "comm.h"

namespace tsg::dist {

// Run on the communication thread (collective over MPI_COMM_WORLD): a bucket of `count` F32 or
// F64 elements; its id, or -1 on every rank when some rank does not `want` it, could not
// allocate it, or the ranks are not all on one host.
int64_t shmCreate(int64_t count, Elem elem, bool want);
// Frees a bucket (collective, on the communication thread); its id is then invalid.
void shmFree(int64_t id);
// Frees every bucket (collective); called before MPI_Finalize on the communication thread.
void shmFreeAll();

// The rest runs on the JavaScript thread. Offsets and lengths are in elements of the bucket.
bool shmValid(int64_t id);
int64_t shmCount(int64_t id);
Elem shmElem(int64_t id);
// Copies `n` elements into this rank's segment of this step at `at` (src null: zeros).
void shmPut(int64_t id, int64_t at, const void* src, int64_t n);
// Marks this rank's segment complete for this step. False when it already was.
bool shmArrive(int64_t id);
// Waits until every rank has arrived. False when this rank has not arrived.
bool shmFinish(int64_t id);
// After shmFinish: the average over the ranks of the `n` elements at `at` into `dst`.
void shmAverage(int64_t id, int64_t at, void* dst, int64_t n);
// Seconds spent waiting in shmFinish and averaging, of them waiting, and steps finished.
void shmStats(double* seconds, double* waitSeconds, uint64_t* finishes);

}  // namespace tsg::dist
