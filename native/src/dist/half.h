// The 16-bit float storage formats (IEEE float16, and bfloat16: the upper half of a float32),
// held as bit patterns, for the MPI addon's reductions of float16 and bfloat16 arrays. The
// conversions are the same bits as src/core/half.ts: decoding is exact, encoding rounds to
// nearest, ties to even, overflow goes to infinity, and NaN stays a quiet NaN.
#pragma once

#include <cstdint>
#include <cstring>

namespace tsg::dist {

inline float bitsToFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

inline uint32_t floatToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  int32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return bitsToFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    if (mant == 0) return bitsToFloat(sign);
    exp = 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      exp--;
    }
    mant &= 0x3ffu;
  }
  return bitsToFloat(sign | (static_cast<uint32_t>(exp + 112) << 23) | (mant << 13));
}

inline uint16_t floatToHalf(float f) {
  uint32_t x = floatToBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant != 0 ? 0x200u | (mant >> 13) : 0));
  int32_t e = exp - 112;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    // A float16 subnormal m * 2^-24: shift the mantissa (with its implicit 1) down, rounding.
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    int32_t shift = 14 - e;
    uint32_t kept = mant >> shift;
    uint32_t rest = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    return static_cast<uint16_t>(sign | (rest > halfway || (rest == halfway && (kept & 1)) ? kept + 1 : kept));
  }
  uint32_t bits = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  // A carry out of the mantissa moves into the exponent, up to infinity: still the right rounding.
  return static_cast<uint16_t>(sign | (rest > 0x1000u || (rest == 0x1000u && (bits & 1)) ? bits + 1 : bits));
}

inline float bf16ToFloat(uint16_t h) { return bitsToFloat(static_cast<uint32_t>(h) << 16); }

inline uint16_t floatToBf16(float f) {
  uint32_t x = floatToBits(f);
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu) != 0) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace tsg::dist
