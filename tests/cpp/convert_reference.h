// References for the conversion family, written by value (nearest
// representable value, ties to even) rather than by the kernels' bit tricks;
// shared by convert_test.cc and the convert fuzzer (tests/fuzz).
#ifndef SIMDKIT_TESTS_CPP_CONVERT_REFERENCE_H_
#define SIMDKIT_TESTS_CPP_CONVERT_REFERENCE_H_

#include <cmath>
#include <cstdint>
#include <cstring>

namespace simdkit::testing {

inline std::uint32_t BitsOf(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline float FloatOf(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Rounds the finite magnitude `a` (a double, exact for any float) to the
// nearer of `lower` and `upper` (values of consecutive patterns lo and lo + 1),
// ties to the even pattern.
inline std::uint32_t NearestPattern(double a, std::uint32_t lo, double lower, double upper) {
  const double below = a - lower, above = upper - a;
  if (below < above) return lo;
  if (above < below) return lo + 1;
  return (lo & 1) ? lo + 1 : lo;
}

// ml_dtypes' float32 -> bfloat16: nearest even by value, overflow to Inf
// (the pattern after the largest finite one stands for 2^128), NaN -> the
// quiet NaN 0x7FC0 with the input's sign.
inline std::uint16_t ReferenceBFloat16(float x) {
  const std::uint32_t bits = BitsOf(x);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  if (std::isnan(x)) return static_cast<std::uint16_t>(sign | 0x7FC0u);
  if (std::isinf(x)) return static_cast<std::uint16_t>(sign | 0x7F80u);
  const double a = std::fabs(static_cast<double>(x));
  const std::uint32_t lo = (bits & 0x7FFFFFFFu) >> 16;  // truncation toward zero
  const double lower = std::fabs(static_cast<double>(FloatOf(lo << 16)));
  const double upper = lo + 1 == 0x7F80u ? std::ldexp(1.0, 128)
                                         : static_cast<double>(FloatOf((lo + 1) << 16));
  return static_cast<std::uint16_t>(sign | NearestPattern(a, lo, lower, upper));
}

// The value of a binary16 pattern's magnitude (finite patterns; 0x7C00
// stands for 2^16, where rounding would go past the largest half).
inline double HalfMagnitude(std::uint32_t pattern) {
  const int exponent = static_cast<int>(pattern >> 10);
  const double mantissa = pattern & 0x3FFu;
  if (exponent == 0) return std::ldexp(mantissa, -24);
  return std::ldexp(1024 + mantissa, exponent - 25);
}

// NumPy's float32 -> float16: nearest even by value; a NaN keeps its sign
// and top 10 payload bits, 0x7C01 if those are zero.
inline std::uint16_t ReferenceHalf(float x) {
  const std::uint32_t bits = BitsOf(x);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  if (std::isnan(x)) {
    const std::uint32_t payload = (bits >> 13) & 0x3FFu;
    return static_cast<std::uint16_t>(sign | 0x7C00u | (payload == 0 ? 1u : payload));
  }
  const double a = std::fabs(static_cast<double>(x));
  if (a >= HalfMagnitude(0x7C00u)) return static_cast<std::uint16_t>(sign | 0x7C00u);
  // Largest pattern whose value is <= a, by bisection over [0, 0x7C00).
  std::uint32_t lo = 0, hi = 0x7C00u;
  while (hi - lo > 1) {
    const std::uint32_t mid = (lo + hi) / 2;
    (HalfMagnitude(mid) <= a ? lo : hi) = mid;
  }
  return static_cast<std::uint16_t>(
      sign | NearestPattern(a, lo, HalfMagnitude(lo), HalfMagnitude(lo + 1)));
}

// Exact widening: payload bits kept in place for NaN.
inline std::uint32_t ReferenceHalfToFloatBits(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t pattern = h & 0x7FFFu;
  if (pattern >= 0x7C00u) return sign | 0x7F800000u | ((pattern & 0x3FFu) << 13);
  return sign | BitsOf(static_cast<float>(HalfMagnitude(pattern)));
}

// The OCP 8-bit formats as ml_dtypes has them (float8_e4m3fn: 3 mantissa
// bits, bias 7, no infinities, NaN 0x7F; float8_e5m2: 2 mantissa bits, bias
// 15, Inf 0x7C, NaN above it).
struct Float8Spec {
  int mantissa_bits, bias;
  std::uint32_t max_finite;  // largest finite magnitude pattern
  bool has_infinity;
};
inline constexpr Float8Spec kE4M3Spec{3, 7, 0x7E, false};
inline constexpr Float8Spec kE5M2Spec{2, 15, 0x7B, true};

// The value of a magnitude pattern (finite ones, and max_finite + 1, which
// stands for the next value a wider exponent would have: where rounding goes
// past the largest finite value).
inline double Float8Magnitude(const Float8Spec& spec, std::uint32_t pattern) {
  const int m = spec.mantissa_bits;
  const int exponent = static_cast<int>(pattern >> m);
  const double mantissa = pattern & ((1u << m) - 1);
  if (exponent == 0) return std::ldexp(mantissa, 1 - spec.bias - m);
  return std::ldexp((1u << m) + mantissa, exponent - spec.bias - m);
}

// ml_dtypes' float32 -> float8: nearest even by value; past the largest
// finite value (rounding included) NaN for E4M3 and ±Inf for E5M2, ±Inf
// likewise; NaN -> 0x7F (E4M3) or 0x7E (E5M2) with the input's sign.
inline std::uint8_t ReferenceFloat8(const Float8Spec& spec, float x) {
  const std::uint32_t sign = (BitsOf(x) >> 24) & 0x80u;
  const std::uint32_t nan = spec.has_infinity ? 0x7Eu : 0x7Fu;
  const std::uint32_t overflow = spec.has_infinity ? 0x7Cu : 0x7Fu;
  if (std::isnan(x)) return static_cast<std::uint8_t>(sign | nan);
  const double a = std::fabs(static_cast<double>(x));
  if (a >= Float8Magnitude(spec, spec.max_finite + 1)) {
    return static_cast<std::uint8_t>(sign | overflow);
  }
  // Largest pattern whose value is <= a, by bisection over [0, max_finite].
  std::uint32_t lo = 0, hi = spec.max_finite + 1;
  while (hi - lo > 1) {
    const std::uint32_t mid = (lo + hi) / 2;
    (Float8Magnitude(spec, mid) <= a ? lo : hi) = mid;
  }
  std::uint32_t pattern = NearestPattern(a, lo, Float8Magnitude(spec, lo),
                                         Float8Magnitude(spec, lo + 1));
  if (pattern > spec.max_finite) pattern = overflow;
  return static_cast<std::uint8_t>(sign | pattern);
}

// float8 -> float32 as ml_dtypes: exact, ±Inf kept, NaN -> 0x7FC00000 with
// the sign.
inline std::uint32_t ReferenceFloat8ToFloatBits(const Float8Spec& spec, std::uint8_t code) {
  const std::uint32_t sign = static_cast<std::uint32_t>(code & 0x80u) << 24;
  const std::uint32_t pattern = code & 0x7Fu;
  if (spec.has_infinity && pattern == 0x7Cu) return sign | 0x7F800000u;
  if (pattern > spec.max_finite) return sign | 0x7FC00000u;
  return sign | BitsOf(static_cast<float>(Float8Magnitude(spec, pattern)));
}

}  // namespace simdkit::testing

#endif  // SIMDKIT_TESTS_CPP_CONVERT_REFERENCE_H_
