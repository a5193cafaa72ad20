// A stand-in for node-addon-api's <napi.h> in the WebAssembly build, so native/src/addon.cc
// compiles unchanged into the .wasm: every entry point, its argument checks and its error
// messages are the native addon's own. It implements the part of the API addon.cc uses.
//
// A JavaScript call arrives as a table of argument slots (numbers, strings, null, typed arrays
// already staged in linear memory as pointer + length); napi-shim.cc turns the result Value back
// into a slot, and an exception thrown with ThrowAsJavaScriptException into a message the
// JavaScript side throws as a TypeError. src/backend/wasm/addon.ts is the other half.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>

typedef enum { napi_ok, napi_invalid_arg } napi_status;
// The order of node_api_types.h; src/backend/wasm/addon.ts sends these codes.
typedef enum {
  napi_int8_array,
  napi_uint8_array,
  napi_uint8_clamped_array,
  napi_int16_array,
  napi_uint16_array,
  napi_int32_array,
  napi_uint32_array,
  napi_float32_array,
  napi_float64_array,
  napi_bigint64_array,
  napi_biguint64_array,
} napi_typedarray_type;

namespace tsg_shim {

enum Kind { K_UNDEFINED, K_NULL, K_BOOL, K_NUMBER, K_STRING, K_TYPEDARRAY, K_FUNCTION, K_ARRAY, K_OBJECT };

struct Val;
struct Val {
  int kind = K_UNDEFINED;
  bool b = false;
  double num = 0;
  std::string str;
  int taType = 0;
  void* data = nullptr;
  size_t len = 0;
  void (*fn)() = nullptr;  // a Napi::Function's C++ callback
  Val* items = nullptr;      // K_ARRAY: len values
};

// A value living for the current call (results, errors); recycled by the next call.
Val* temp(int kind);
// Records the exception the current call throws.
void raise(const std::string& message);

}  // namespace tsg_shim

struct napi_env__ {};
typedef napi_env__* napi_env;
typedef tsg_shim::Val* napi_value;

inline napi_status napi_get_typedarray_info(napi_env, napi_value v, napi_typedarray_type* type, size_t* length,
                                            void** data, napi_value* arraybuffer, size_t* byteOffset) {
  if (v == nullptr || v->kind != tsg_shim::K_TYPEDARRAY) return napi_invalid_arg;
  if (type) *type = (napi_typedarray_type)v->taType;
  if (length) *length = v->len;
  if (data) *data = v->data;
  if (arraybuffer) *arraybuffer = nullptr;
  if (byteOffset) *byteOffset = 0;
  return napi_ok;
}

namespace Napi {

class Value;

class Env {
 public:
  Env(napi_env e) : e_(e) {}
  operator napi_env() const { return e_; }
  Value Undefined() const;
  Value Null() const;

 private:
  napi_env e_;
};

class Value {
 public:
  Value() : v_(nullptr) {}
  Value(napi_env, napi_value v) : v_(v) {}
  operator napi_value() const { return v_; }
  Napi::Env Env() const { return Napi::Env(nullptr); }
  bool IsUndefined() const { return v_ == nullptr || v_->kind == tsg_shim::K_UNDEFINED; }
  bool IsNull() const { return v_ != nullptr && v_->kind == tsg_shim::K_NULL; }
  bool IsNumber() const { return v_ != nullptr && v_->kind == tsg_shim::K_NUMBER; }
  bool IsString() const { return v_ != nullptr && v_->kind == tsg_shim::K_STRING; }
  bool IsBoolean() const { return v_ != nullptr && v_->kind == tsg_shim::K_BOOL; }
  bool IsTypedArray() const { return v_ != nullptr && v_->kind == tsg_shim::K_TYPEDARRAY; }
  bool IsArray() const { return v_ != nullptr && v_->kind == tsg_shim::K_ARRAY; }
  template <typename T> T As() const { return T(nullptr, v_); }

 protected:
  napi_value v_;
};

inline Value Env::Undefined() const { return Value(e_, tsg_shim::temp(tsg_shim::K_UNDEFINED)); }
inline Value Env::Null() const { return Value(e_, tsg_shim::temp(tsg_shim::K_NULL)); }

class Number : public Value {
 public:
  Number(napi_env e, napi_value v) : Value(e, v) {}
  static Number New(napi_env e, double x) {
    tsg_shim::Val* v = tsg_shim::temp(tsg_shim::K_NUMBER);
    v->num = x;
    return Number(e, v);
  }
  double DoubleValue() const { return v_->num; }
  // As napi_get_value_int64: NaN and infinities give 0, out-of-range values saturate.
  int64_t Int64Value() const {
    double x = v_->num;
    if (x != x || x == __builtin_inf() || x == -__builtin_inf()) return 0;
    if (x >= 9223372036854775807.0) return INT64_MAX;
    if (x <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)x;
  }
  int32_t Int32Value() const { return (int32_t)Int64Value(); }
  operator double() const { return DoubleValue(); }
};

class Boolean : public Value {
 public:
  Boolean(napi_env e, napi_value v) : Napi::Value(e, v) {}
  static Boolean New(napi_env e, bool b) {
    tsg_shim::Val* v = tsg_shim::temp(tsg_shim::K_BOOL);
    v->b = b;
    return Boolean(e, v);
  }
  bool Value() const { return v_->b; }
};

class String : public Value {
 public:
  String(napi_env e, napi_value v) : Value(e, v) {}
  static String New(napi_env e, const std::string& s) {
    tsg_shim::Val* v = tsg_shim::temp(tsg_shim::K_STRING);
    v->str = s;
    return String(e, v);
  }
  static String New(napi_env e, const char* s) { return New(e, std::string(s)); }
  std::string Utf8Value() const { return v_->str; }
};

// Arrays and objects are only built by Init (module exports), so they live for the process.
class Array : public Value {
 public:
  Array(napi_env e, napi_value v) : Value(e, v) {}
  static Array New(napi_env e, size_t n) {
    tsg_shim::Val* v = new tsg_shim::Val();
    v->kind = tsg_shim::K_ARRAY;
    v->len = n;
    v->items = new tsg_shim::Val[n];
    return Array(e, v);
  }
  void Set(uint32_t i, const Value& x) {
    if (i < v_->len) v_->items[i] = *static_cast<napi_value>(x);
  }
  uint32_t Length() const { return (uint32_t)v_->len; }
  Value Get(uint32_t i) const { return i < v_->len ? Value(nullptr, &v_->items[i]) : Value(nullptr, nullptr); }
};

class CallbackInfo {
 public:
  CallbackInfo(napi_value* args, size_t n) : args_(args), n_(n) {}
  size_t Length() const { return n_; }
  Value operator[](size_t i) const { return i < n_ ? Value(nullptr, args_[i]) : Value(nullptr, nullptr); }
  Napi::Env Env() const { return Napi::Env(nullptr); }

 private:
  napi_value* args_;
  size_t n_;
};

class Function : public Value {
 public:
  typedef Value (*Callback)(const CallbackInfo&);
  Function(napi_env e, napi_value v) : Value(e, v) {}
  static Function New(napi_env e, Callback cb, const char* = nullptr) {
    tsg_shim::Val* v = new tsg_shim::Val();
    v->kind = tsg_shim::K_FUNCTION;
    v->fn = reinterpret_cast<void (*)()>(cb);
    return Function(e, v);
  }
};

class Object : public Value {
 public:
  Object(napi_env e, napi_value v) : Value(e, v) {}
  // Records a named export (napi-shim.cc keeps the list).
  void Set(const char* name, const Value& x);
};

class Error {
 public:
  static Error New(napi_env, const std::string& message) { return Error(message); }
  void ThrowAsJavaScriptException() const { tsg_shim::raise(message_); }

 protected:
  explicit Error(const std::string& m) : message_(m) {}
  std::string message_;
};
class TypeError : public Error {
 public:
  static TypeError New(napi_env, const std::string& message) { return TypeError(message); }

 private:
  explicit TypeError(const std::string& m) : Error(m) {}
};
class RangeError : public Error {
 public:
  static RangeError New(napi_env, const std::string& message) { return RangeError(message); }

 private:
  explicit RangeError(const std::string& m) : Error(m) {}
};

}  // namespace Napi

// addon.cc's module registration becomes the function napi-shim.cc calls once at start-up.
Napi::Object tsgShimModuleInit(Napi::Env env, Napi::Object exports);
#define NODE_API_MODULE(modname, regfunc) \
  Napi::Object tsgShimModuleInit(Napi::Env env, Napi::Object exports) { return regfunc(env, exports); }
