// The WebAssembly side of the addon calls (see napi.h): JavaScript fills the argument slots,
// calls tsg_call with the index of an exported function, and reads the result slot. tsg_init runs
// addon.cc's Init once and describes the exports as JSON (function names in index order, and
// the string arrays such as unaryOps).
#include <stdint.h>

#include <string>

#include "napi.h"

namespace tsg_shim {
namespace {

// One argument or result, as src/backend/wasm/addon.ts reads and writes it.
struct Slot {
  int32_t kind;  // Kind, or -1 for a thrown exception (the message in ptr/len)
  int32_t taType;
  uint32_t ptr;
  uint32_t len;
  double num;
};
static_assert(sizeof(Slot) == 24, "Slot layout is shared with addon.ts");

// Argument slots: a call's arguments, then the items of its array arguments (fused's inputs).
constexpr int kMaxArgs = 64;
constexpr int kTemps = 64;

Slot gArgs[kMaxArgs];
Slot gResult;
Val gArgVals[kMaxArgs];
napi_value gArgPtrs[kMaxArgs];
Val gTemps[kTemps];
int gTempNext = 0;
bool gThrown = false;
std::string gError;
std::string gResultStr;
std::string gDescription;

struct Export {
  std::string name;
  Val* value;
};
Export* gExports = nullptr;
int gExportCount = 0;
int gExportCap = 0;
Val** gFunctions = nullptr;  // exported functions, in the order the description lists them
int gFunctionCount = 0;

void jsonString(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

Val* temp(int kind) {
  Val* v = &gTemps[gTempNext];
  gTempNext = (gTempNext + 1) % kTemps;
  *v = Val();
  v->kind = kind;
  return v;
}

void raise(const std::string& message) {
  gThrown = true;
  gError = message;
}

}  // namespace tsg_shim

void Napi::Object::Set(const char* name, const Value& x) {
  using namespace tsg_shim;
  if (gExportCount == gExportCap) {
    int cap = gExportCap ? 2 * gExportCap : 32;
    Export* grown = new Export[cap];
    for (int i = 0; i < gExportCount; i++) grown[i] = gExports[i];
    delete[] gExports;
    gExports = grown;
    gExportCap = cap;
  }
  gExports[gExportCount++] = Export{name, static_cast<napi_value>(x)};
}

// The module links no libc++ or libc++abi: their out-of-line parts (std::string's members,
// std::to_string, operator new, the abort message) sit in objects that pull in stdio and errno,
// which wasi-libc does not build for shared memory. std::string is instantiated here instead,
// and runtime.cc supplies operator new and delete.
template class std::basic_string<char>;
template std::string& std::string::__assign_no_alias<true>(const char*, size_t);
template std::string& std::string::__assign_no_alias<false>(const char*, size_t);
template std::string std::operator+(const char*, const std::string&);
_LIBCPP_BEGIN_NAMESPACE_STD
static string unsignedText(unsigned long long v) {
  char buf[24];
  int i = 24;
  do buf[--i] = char('0' + v % 10);
  while ((v /= 10) != 0);
  return string(buf + i, buf + 24);
}
static string signedText(long long v) { return v < 0 ? "-" + unsignedText(0ull - (unsigned long long)v) : unsignedText((unsigned long long)v); }
string to_string(int v) { return signedText(v); }
string to_string(long v) { return signedText(v); }
string to_string(long long v) { return signedText(v); }
string to_string(unsigned v) { return unsignedText(v); }
string to_string(unsigned long v) { return unsignedText(v); }
string to_string(unsigned long long v) { return unsignedText(v); }
[[noreturn]] void __libcpp_verbose_abort(const char*, ...) { __builtin_trap(); }
_LIBCPP_END_NAMESPACE_STD

extern "C" {

void __wasm_call_ctors(void);

// Runs addon.cc's Init; returns the JSON description of the exports (NUL-terminated).
__attribute__((export_name("tsg_init"))) const char* tsgInit() {
  using namespace tsg_shim;
  static bool done = false;
  if (done) return gDescription.c_str();
  done = true;
  __wasm_call_ctors();
  Val* exportsObject = new Val();
  exportsObject->kind = K_OBJECT;
  tsgShimModuleInit(Napi::Env(nullptr), Napi::Object(nullptr, exportsObject));
  gFunctions = new Val*[gExportCount > 0 ? gExportCount : 1];
  std::string fns, values;
  for (int i = 0; i < gExportCount; i++) {
    const Export& e = gExports[i];
    if (e.value->kind == K_FUNCTION) {
      if (gFunctionCount > 0) fns += ',';
      jsonString(fns, e.name);
      gFunctions[gFunctionCount++] = e.value;
    } else if (e.value->kind == K_ARRAY) {
      if (!values.empty()) values += ',';
      jsonString(values, e.name);
      values += ":[";
      for (size_t j = 0; j < e.value->len; j++) {
        if (j > 0) values += ',';
        jsonString(values, e.value->items[j].str);
      }
      values += ']';
    }
  }
  gDescription = "{\"functions\":[" + fns + "],\"values\":{" + values + "}}";
  return gDescription.c_str();
}

__attribute__((export_name("tsg_args"))) tsg_shim::Slot* tsgArgs() { return tsg_shim::gArgs; }
__attribute__((export_name("tsg_result"))) tsg_shim::Slot* tsgResult() { return &tsg_shim::gResult; }

// Calls exported function `index` with the first `nargs` argument slots; the result slot holds
// its value, or kind -1 and the message of the exception it threw.
__attribute__((export_name("tsg_call"))) void tsgCall(int index, int nargs) {
  using namespace tsg_shim;
  Slot& r = gResult;
  r = Slot{K_UNDEFINED, 0, 0, 0, 0};
  if (index < 0 || index >= gFunctionCount || nargs < 0 || nargs > kMaxArgs) {
    gResultStr = "tsgluon wasm: bad call";
    r.kind = -1, r.ptr = (uint32_t)(uintptr_t)gResultStr.data(), r.len = (uint32_t)gResultStr.size();
    return;
  }
  // An array argument's slot holds the index of its first item's slot (ptr) and its length.
  auto convert = [](const Slot& s, Val& v) {
    v = Val();
    v.kind = s.kind;
    if (s.kind == K_NUMBER) v.num = s.num;
    else if (s.kind == K_BOOL) v.b = s.num != 0;
    else if (s.kind == K_STRING) v.str.assign(reinterpret_cast<const char*>((uintptr_t)s.ptr), s.len);
    else if (s.kind == K_TYPEDARRAY) v.taType = s.taType, v.data = reinterpret_cast<void*>((uintptr_t)s.ptr), v.len = s.len;
  };
  for (int i = 0; i < nargs; i++) {
    const Slot& s = gArgs[i];
    Val& v = gArgVals[i];
    if (s.kind == K_ARRAY && (s.ptr < (uint32_t)nargs || s.ptr > (uint32_t)kMaxArgs || s.len > (uint32_t)kMaxArgs - s.ptr)) {
      gResultStr = "tsgluon wasm: bad array argument";
      r.kind = -1, r.ptr = (uint32_t)(uintptr_t)gResultStr.data(), r.len = (uint32_t)gResultStr.size();
      return;
    }
    if (s.kind == K_ARRAY) {
      for (uint32_t j = s.ptr; j < s.ptr + s.len; j++) convert(gArgs[j], gArgVals[j]);
      v = Val();
      v.kind = K_ARRAY, v.items = &gArgVals[s.ptr], v.len = s.len;
    } else {
      convert(s, v);
    }
    gArgPtrs[i] = &v;
  }
  gThrown = false;
  typedef Napi::Value (*Fn)(const Napi::CallbackInfo&);
  Fn fn = reinterpret_cast<Fn>(gFunctions[index]->fn);
  napi_value out = fn(Napi::CallbackInfo(gArgPtrs, (size_t)nargs));
  if (gThrown) {
    gResultStr = gError;
    r.kind = -1, r.ptr = (uint32_t)(uintptr_t)gResultStr.data(), r.len = (uint32_t)gResultStr.size();
    return;
  }
  if (out == nullptr) return;
  r.kind = out->kind;
  if (out->kind == K_NUMBER) r.num = out->num;
  else if (out->kind == K_BOOL) r.num = out->b ? 1 : 0;
  else if (out->kind == K_STRING) {
    gResultStr = out->str;
    r.ptr = (uint32_t)(uintptr_t)gResultStr.data(), r.len = (uint32_t)gResultStr.size();
  }
}

}  // extern "C"
