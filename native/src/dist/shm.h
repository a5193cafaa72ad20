// Gradient averaging through shared memory, for jobs whose ranks all run on one host (the
// reducer's fast path; src/dist/shared.ts).
//
// A shared bucket is an MPI-3 shared window (MPI_Win_allocate_shared) holding one segment per
// rank, one result buffer and two counters. A step: each rank copies its gradients into its own
// segment and arrives (non-blocking: one atomic add); `finish` waits until every rank has
// arrived, averages this rank's share of the elements over every segment into the result, and
// waits until every rank has done its share; then each rank copies the result out. No MPI call is
// made per step and the data is copied once each way, where MPI's allreduce over its
// shared-memory transport copies it through FIFOs several times on the communication thread.
// Waiting spins briefly and then sleeps on a futex, so a rank ahead of the others leaves its core
// to them instead of polling it away; waits are bounded by the job's timeout as collectives are.
#pragma once

#include <cstdint>

#include "comm.h"

namespace tsg::dist {

// Run on the communication thread (collective over MPI_COMM_WORLD): a bucket of `count` F32 or
// F64 elements; its id, or -1 on every rank when some rank does not `want` it, could not
// allocate it, or the ranks are not all on one host.
int64_t shmCreate(int64_t count, Elem elem, bool want);
// Frees every bucket (collective); called before MPI_Finalize on the communication thread.
void shmFreeAll();

// The rest runs on the JavaScript thread. Offsets and lengths are in elements of the bucket.
bool shmValid(int64_t id);
int64_t shmCount(int64_t id);
Elem shmElem(int64_t id);
// Copies `n` elements into this rank's segment at `at` (src null: zeros).
void shmPut(int64_t id, int64_t at, const void* src, int64_t n);
// Marks this rank's segment complete for this step. False when it already was.
bool shmArrive(int64_t id);
// Waits for every rank, averages this rank's share into the result, waits for every rank's
// share. False when this rank has not arrived.
bool shmFinish(int64_t id);
// Copies `n` elements of the result at `at` into `dst`.
void shmGet(int64_t id, int64_t at, void* dst, int64_t n);
// Seconds spent in shmFinish, of them waiting for other ranks to arrive, and finishes run.
void shmStats(double* seconds, double* waitSeconds, uint64_t* finishes);

}  // namespace tsg::dist
