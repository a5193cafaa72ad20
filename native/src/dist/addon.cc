// Node-API entry points of tsgluon_mpi.node, the optional MPI addon behind src/dist/ (built by
// scripts/build-mpi.mjs only where mpi.h is found).
//
// Collectives take the JavaScript typed arrays themselves (no copies) and return a ticket; the
// communication thread (comm.cc) works on their memory until `wait(ticket)` or `done(ticket)`
// reports the ticket complete. Until then the addon holds a reference to each array so the
// collector cannot free memory the thread still reads or writes.
#define NAPI_VERSION 8
#include <napi.h>

#include <climits>
#include <map>
#include <string>
#include <vector>

#include "comm.h"
#include "shm.h"

namespace tsg::dist {
namespace {

struct Arr {
  Elem elem = Elem::U8;
  size_t len = 0;
  void* data = nullptr;
  const char* name = "";
};

// Arrays the thread may still touch, by ticket.
std::map<uint64_t, std::vector<Napi::Reference<Napi::Value>>>& inFlight() {
  static auto* m = new std::map<uint64_t, std::vector<Napi::Reference<Napi::Value>>>();
  return *m;
}

Napi::Value fail(const Napi::Env& env, const std::string& msg) {
  Napi::TypeError::New(env, "tsgluon MPI addon: " + msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool getArr(const Napi::Value& v, Arr& a) {
  napi_typedarray_type t;
  if (napi_get_typedarray_info(v.Env(), v, &t, &a.len, &a.data, nullptr, nullptr) != napi_ok) return false;
  switch (t) {
    case napi_float32_array: a.elem = Elem::F32, a.name = "float32"; return true;
    case napi_float64_array: a.elem = Elem::F64, a.name = "float64"; return true;
    case napi_int32_array: a.elem = Elem::I32, a.name = "int32"; return true;
    case napi_uint8_array: a.elem = Elem::U8, a.name = "uint8"; return true;
    // float16 or bfloat16 bit patterns; allreduce is told which.
    case napi_uint16_array: a.elem = Elem::F16, a.name = "16-bit float"; return true;
    default: return false;
  }
}

bool arrArg(const Napi::CallbackInfo& info, size_t i, Arr& a, const char* fn) {
  if (info.Length() > i && getArr(info[i], a)) return true;
  fail(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be a Float32Array, Float64Array, Int32Array, Uint8Array or Uint16Array");
  return false;
}

bool intArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, int64_t* out, const char* fn) {
  if (info.Length() > i && info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  fail(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
  return false;
}

bool ready(const Napi::Env& env, const char* fn) {
  if (!started()) fail(env, std::string(fn) + ": MPI is not initialized (call init first)");
  else if (finalized()) fail(env, std::string(fn) + ": MPI was already finalized");
  else return true;
  return false;
}

std::string describe(const char* op, const Arr& a) { return std::string(op) + " of " + std::to_string(a.len) + " " + a.name + " values"; }

Napi::Value ticketOf(const Napi::CallbackInfo& info, Job job, std::initializer_list<size_t> keep) {
  uint64_t t = submit(std::move(job));
  auto& refs = inFlight()[t];
  for (size_t i : keep) refs.push_back(Napi::Persistent(info[i]));
  return Napi::Number::New(info.Env(), static_cast<double>(t));
}

// Drops the references of every completed ticket.
void release() {
  auto& m = inFlight();
  while (!m.empty() && done(m.begin()->first)) m.erase(m.begin());
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t timeoutMs = 0;
  if (!intArg(info, 0, 0, INT64_C(1) << 50, &timeoutMs, "init")) return env.Undefined();
  Info mi;
  std::string error;
  if (!start(static_cast<double>(timeoutMs) / 1000.0, &mi, &error)) return fail(env, "init: " + error);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", mi.rank);
  o.Set("size", mi.size);
  o.Set("localRank", mi.localRank);
  o.Set("localSize", mi.localSize);
  o.Set("library", mi.library);
  return o;
}

// allreduce(array, op, half): op 0 sum, 1 average (float arrays only), 2 max, 3 min; half says
// what a Uint16Array holds, 1 float16 or 2 bfloat16 (0 for every other array).
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Arr a;
  int64_t op = 0;
  int64_t half = 0;
  if (!ready(info.Env(), "allreduce") || !arrArg(info, 0, a, "allreduce") || !intArg(info, 1, 0, 3, &op, "allreduce") ||
      !intArg(info, 2, 0, 2, &half, "allreduce")) {
    return info.Env().Undefined();
  }
  if ((a.elem == Elem::F16) != (half != 0)) return fail(info.Env(), "allreduce: half (1 float16, 2 bfloat16) is given for a Uint16Array, and only for one");
  if (half == 2) a.elem = Elem::BF16, a.name = "bfloat16";
  else if (half == 1) a.name = "float16";
  if (op == 1 && (a.elem == Elem::I32 || a.elem == Elem::U8)) return fail(info.Env(), "allreduce: average needs a float array");
  Job j;
  j.kind = Job::Allreduce;
  j.buf = a.data, j.count = static_cast<int64_t>(a.len), j.elem = a.elem, j.op = static_cast<Reduce>(op);
  j.what = describe("allreduce", a);
  return ticketOf(info, std::move(j), {0});
}

// broadcast(array, root): the root's values into every rank's array (same length everywhere).
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Arr a;
  int64_t root = 0;
  if (!ready(info.Env(), "broadcast") || !arrArg(info, 0, a, "broadcast") || !intArg(info, 1, 0, INT_MAX, &root, "broadcast")) {
    return info.Env().Undefined();
  }
  Job j;
  j.kind = Job::Broadcast;
  j.buf = a.data, j.count = static_cast<int64_t>(a.len), j.elem = a.elem, j.root = static_cast<int>(root);
  j.what = describe("broadcast", a) + " from rank " + std::to_string(root);
  return ticketOf(info, std::move(j), {0});
}

// allgather(send, recv, counts): counts (Float64Array, one per rank) in elements; recv holds their sum.
Napi::Value Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr send, recv, counts;
  if (!ready(env, "allgather") || !arrArg(info, 0, send, "allgather") || !arrArg(info, 1, recv, "allgather") ||
      !arrArg(info, 2, counts, "allgather")) {
    return env.Undefined();
  }
  if (counts.elem != Elem::F64) return fail(env, "allgather: counts must be a Float64Array");
  if (send.elem != recv.elem) return fail(env, "allgather: send and receive arrays must have the same type");
  Job j;
  j.kind = Job::Allgather;
  j.buf = send.data, j.recv = recv.data, j.count = static_cast<int64_t>(send.len), j.elem = send.elem;
  const double* c = static_cast<const double*>(counts.data);
  int64_t total = 0;
  for (size_t r = 0; r < counts.len; r++) {
    if (!(c[r] >= 0 && c[r] <= INT_MAX) || c[r] != static_cast<double>(static_cast<int64_t>(c[r]))) {
      return fail(env, "allgather: each count must be an integer in [0, 2^31)");
    }
    j.counts.push_back(static_cast<int64_t>(c[r]));
    total += j.counts.back();
  }
  if (total > INT_MAX) return fail(env, "allgather: the gathered array would hold " + std::to_string(total) + " elements; MPI takes at most 2^31 - 1");
  if (static_cast<size_t>(total) != recv.len) return fail(env, "allgather: the receive array must hold the sum of the counts");
  j.what = describe("allgather", send);
  return ticketOf(info, std::move(j), {0, 1});
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  if (!ready(info.Env(), "barrier")) return info.Env().Undefined();
  Job j;
  j.kind = Job::Barrier;
  j.what = "barrier";
  return ticketOf(info, std::move(j), {});
}

uint64_t ticketArg(const Napi::CallbackInfo& info, const char* fn) {
  int64_t t = 0;
  return intArg(info, 0, 1, INT64_C(1) << 52, &t, fn) ? static_cast<uint64_t>(t) : 0;
}

Napi::Value Wait(const Napi::CallbackInfo& info) {
  uint64_t t = ticketArg(info, "wait");
  if (t == 0) return info.Env().Undefined();
  wait(t);
  release();
  return info.Env().Undefined();
}

Napi::Value Done(const Napi::CallbackInfo& info) {
  uint64_t t = ticketArg(info, "done");
  if (t == 0) return info.Env().Undefined();
  bool d = done(t);
  release();
  return Napi::Boolean::New(info.Env(), d);
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  double busy = 0, shared = 0, sharedWait = 0;
  uint64_t jobs = 0, finishes = 0;
  stats(&busy, &jobs);
  shmStats(&shared, &sharedWait, &finishes);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("busySeconds", busy);
  o.Set("jobs", static_cast<double>(jobs));
  o.Set("sharedSeconds", shared);
  o.Set("sharedWaitSeconds", sharedWait);
  o.Set("sharedReduces", static_cast<double>(finishes));
  return o;
}

// shmCreate(count, f64, want): a shared-memory gradient bucket of `count` float32 (float64 when
// f64 is 1) values; its id, or -1 when some rank passes want 0 or the ranks cannot share memory
// (collective, like allreduce). See shm.h.
Napi::Value ShmCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t count = 0, f64 = 0, want = 0;
  if (!ready(env, "shmCreate") || !intArg(info, 0, 1, INT64_C(1) << 40, &count, "shmCreate") || !intArg(info, 1, 0, 1, &f64, "shmCreate") ||
      !intArg(info, 2, 0, 1, &want, "shmCreate")) {
    return env.Undefined();
  }
  int64_t id = -1;
  Job j;
  j.kind = Job::ShmCreate;
  j.count = count, j.elem = f64 ? Elem::F64 : Elem::F32, j.recv = &id, j.want = want != 0;
  j.what = "creating a shared-memory gradient bucket of " + std::to_string(count) + " values";
  wait(submit(std::move(j)));
  return Napi::Number::New(env, static_cast<double>(id));
}

// shmFree(id): frees a bucket (collective: every rank frees the same buckets in the same order).
Napi::Value ShmFree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t id = -1;
  if (!ready(env, "shmFree") || !intArg(info, 0, 0, INT_MAX, &id, "shmFree")) return env.Undefined();
  if (!shmValid(id)) return fail(env, "shmFree: no shared bucket " + std::to_string(id));
  Job j;
  j.kind = Job::ShmFree;
  j.count = id;
  j.what = "freeing a shared-memory gradient bucket";
  wait(submit(std::move(j)));
  return env.Undefined();
}

// The bucket of argument 0, or -1 after throwing.
int64_t shmArg(const Napi::CallbackInfo& info, const char* fn) {
  int64_t id = -1;
  if (!ready(info.Env(), fn) || !intArg(info, 0, 0, INT_MAX, &id, fn)) return -1;
  if (!shmValid(id)) return fail(info.Env(), std::string(fn) + ": no shared bucket " + std::to_string(id)), -1;
  return id;
}

// The array of argument `i`, checked to be of the bucket's type and to fit at `at`.
bool shmSpan(const Napi::CallbackInfo& info, int64_t id, size_t i, Arr& a, int64_t* at, const char* fn) {
  if (!arrArg(info, i, a, fn) || !intArg(info, 1, 0, shmCount(id), at, fn)) return false;
  if (a.elem != shmElem(id)) return fail(info.Env(), std::string(fn) + ": the array must be of the bucket's type (" + (shmElem(id) == Elem::F64 ? "Float64Array" : "Float32Array") + ")"), false;
  if (static_cast<int64_t>(a.len) > shmCount(id) - *at) return fail(info.Env(), std::string(fn) + ": the array does not fit the bucket at that offset"), false;
  return true;
}

// shmPut(id, at, array): the array's values into this rank's segment at element `at`.
Napi::Value ShmPut(const Napi::CallbackInfo& info) {
  Arr a;
  int64_t at = 0, id = shmArg(info, "shmPut");
  if (id >= 0 && shmSpan(info, id, 2, a, &at, "shmPut")) shmPut(id, at, a.data, static_cast<int64_t>(a.len));
  return info.Env().Undefined();
}

// shmZero(id, at, n): zeros into this rank's segment.
Napi::Value ShmZero(const Napi::CallbackInfo& info) {
  int64_t at = 0, n = 0, id = shmArg(info, "shmZero");
  if (id >= 0 && intArg(info, 1, 0, shmCount(id), &at, "shmZero") && intArg(info, 2, 0, shmCount(id) - at, &n, "shmZero")) shmPut(id, at, nullptr, n);
  return info.Env().Undefined();
}

// shmAverage(id, at, array): after shmFinish, the ranks' average of the values at element `at`
// into the array.
Napi::Value ShmAverage(const Napi::CallbackInfo& info) {
  Arr a;
  int64_t at = 0, id = shmArg(info, "shmAverage");
  if (id >= 0 && shmSpan(info, id, 2, a, &at, "shmAverage")) shmAverage(id, at, a.data, static_cast<int64_t>(a.len));
  return info.Env().Undefined();
}

Napi::Value ShmArrive(const Napi::CallbackInfo& info) {
  int64_t id = shmArg(info, "shmArrive");
  if (id >= 0 && !shmArrive(id)) fail(info.Env(), "shmArrive: this rank already arrived at the bucket this step");
  return info.Env().Undefined();
}

Napi::Value ShmFinish(const Napi::CallbackInfo& info) {
  int64_t id = shmArg(info, "shmFinish");
  if (id >= 0 && !shmFinish(id)) fail(info.Env(), "shmFinish: this rank has not arrived at the bucket");
  return info.Env().Undefined();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  finalize();
  release();
  return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  int64_t code = 1;
  intArg(info, 0, 0, 255, &code, "abort");
  abortProcess(static_cast<int>(code));
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("allgather", Napi::Function::New(env, Allgather));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("done", Napi::Function::New(env, Done));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("shmCreate", Napi::Function::New(env, ShmCreate));
  exports.Set("shmFree", Napi::Function::New(env, ShmFree));
  exports.Set("shmPut", Napi::Function::New(env, ShmPut));
  exports.Set("shmZero", Napi::Function::New(env, ShmZero));
  exports.Set("shmAverage", Napi::Function::New(env, ShmAverage));
  exports.Set("shmArrive", Napi::Function::New(env, ShmArrive));
  exports.Set("shmFinish", Napi::Function::New(env, ShmFinish));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  return exports;
}

}  // namespace
}  // namespace tsg::dist

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return tsg::dist::InitModule(env, exports); }

NODE_API_MODULE(tsgluon_mpi, Init)
