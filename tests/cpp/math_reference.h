// Exact references for the math family and the accuracy it is held to,
// shared by math_test.cc and the math fuzzer (tests/fuzz).
//
// Values are computed in long double from the functions' definitions (the
// activations as written in include/simdkit/math.h, with their limits at
// +-Inf); errors are measured in ULP of the result type.
#ifndef SIMDKIT_TESTS_CPP_MATH_REFERENCE_H_
#define SIMDKIT_TESTS_CPP_MATH_REFERENCE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cpp/distance_reference.h"
#include "simdkit/math.h"

namespace simdkit::testing {

// f(x) in long double, the limits at +-Inf included (silu, gelu_tanh and
// gelu are -0 at -Inf; they and softplus are +Inf at +Inf).
inline long double ExactValue(Function function, long double x) {
  if (std::isinf(x)) {
    switch (function) {
      case Function::kSilu:
      case Function::kGeluTanh:
      case Function::kGelu: return x < 0 ? -0.0L : x;
      case Function::kSoftplus:
        if (x > 0) return x;
        break;
      default: break;
    }
  }
  switch (function) {
    case Function::kExp: return std::exp(x);
    case Function::kExpm1: return std::expm1(x);
    case Function::kLog: return std::log(x);
    case Function::kLog1p: return std::log1p(x);
    case Function::kLog2: return std::log2(x);
    case Function::kLog10: return std::log10(x);
    case Function::kSin: return std::sin(x);
    case Function::kCos: return std::cos(x);
    case Function::kTanh: return std::tanh(x);
    case Function::kSinh: return std::sinh(x);
    case Function::kAtan: return std::atan(x);
    case Function::kAsin: return std::asin(x);
    case Function::kAcos: return std::acos(x);
    case Function::kAsinh: return std::asinh(x);
    case Function::kSqrt: return std::sqrt(x);
    case Function::kSigmoid: return 1.0L / (1.0L + std::exp(-x));
    case Function::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Function::kSilu: return x / (1.0L + std::exp(-x));
    case Function::kGeluTanh: {
      const long double u = 0.79788456080286535587989211986876L * (x + 0.044715L * x * x * x);
      return x / (1.0L + std::exp(-2.0L * u));
    }
    case Function::kGelu: return 0.5L * x * std::erfc(-x / std::sqrt(2.0L));
    case Function::kExp2: return std::exp2(x);
    case Function::kCosh: return std::cosh(x);
    case Function::kAtanh: return std::atanh(x);
    case Function::kAcosh: return std::acosh(x);
    case Function::kTan: return std::tan(x);
    case Function::kErf: return std::erf(x);
    case Function::kErfc: return std::erfc(x);
    case Function::kCbrt: return std::cbrt(x);
  }
  return 0;
}

// Maximum ULP error allowed per function, float32 then float64 (the
// measured maxima, rounded up, are in docs/accuracy.md).
struct UlpBound {
  double f32, f64;
};
inline UlpBound BoundOf(Function function) {
  switch (function) {
    case Function::kExp: return {2, 2};
    case Function::kExpm1: return {2, 1};
    case Function::kLog: return {4, 1};
    case Function::kLog1p: return {2, 1};
    case Function::kLog2:
    case Function::kLog10: return {2, 1};
    case Function::kSin:
    case Function::kCos: return {4, 1};
    case Function::kTanh: return {3, 3};
    case Function::kSinh: return {3, 1};
    case Function::kAtan: return {3, 3};
    case Function::kAsin:
    case Function::kAcos: return {3, 1};
    case Function::kAsinh: return {2, 1};
    case Function::kSqrt: return {0.5, 0.5};
    case Function::kSigmoid: return {5, 5};
    case Function::kSoftplus: return {5, 5};
    case Function::kSilu: return {6, 6};
    // The activations' far negative tail (|result| below ~1e-20) inherits
    // the rounding of the exponent's argument, amplified by its size
    // (x^3 for gelu_tanh, x^2 for gelu): a few hundred ULP in float32 and a
    // few thousand in float64 there; tens of ULP elsewhere.
    case Function::kGeluTanh: return {256, 4096};
    case Function::kGelu: return {256, 4096};
    case Function::kExp2: return {2, 2};
    case Function::kCosh: return {3, 3};
    case Function::kAtanh: return {3, 1};
    case Function::kAcosh: return {2, 1};
    case Function::kTan: return {3, 3};
    case Function::kErf: return {2, 2};
    case Function::kErfc: return {4, 4};  // 3.5 without FMA (SSE4)
    case Function::kCbrt: return {1, 1};
  }
  return {0, 0};
}

// |got - ref| in units of T's spacing at ref (subnormal spacing below the
// normal range); 0 when both are the same Inf or both NaN.
template <typename T>
double UlpError(T got, long double ref) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  const long double max = std::numeric_limits<T>::max();
  if (std::fabs(ref) > max) {
    // The exact value rounds to Inf unless within half a spacing of max.
    const T rounded = static_cast<T>(ref);
    if (got == rounded) return 0;
  }
  if (std::isinf(got) || std::isnan(got)) return std::numeric_limits<double>::infinity();
  int exponent = 0;
  std::frexp(std::fabs(ref), &exponent);
  exponent = std::max(exponent, std::numeric_limits<T>::min_exponent);
  const long double spacing = std::ldexp(1.0L, exponent - std::numeric_limits<T>::digits);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - ref) / spacing);
}

// The 16-bit formats: value of a pattern, and ULP spacing at a value.
struct HalfFormatSpec {
  DType dtype;
  int digits;        // significand bits, implicit one included
  int min_exponent;  // as std::numeric_limits<T>::min_exponent
  long double (*value)(std::uint16_t);
  std::uint16_t (*round)(float);
};

inline long double BFloat16Value(std::uint16_t bits) { return BFloat16ToFloat(bits); }

inline constexpr HalfFormatSpec kHalfFormats[] = {
    {DType::kFloat16, 11, -13, &HalfToLongDouble, &FloatToHalf},
    {DType::kBFloat16, 8, -125, &BFloat16Value, &FloatToBFloat16},
};

inline const HalfFormatSpec& HalfFormatOf(DType dtype) {
  return dtype == DType::kFloat16 ? kHalfFormats[0] : kHalfFormats[1];
}

// The ULP error of a 16-bit result. Float32's few ULP are far below a 16-bit
// ULP, so a result must be the exact value rounded to the format or a
// neighbour (error <= 1), with NaN and Inf exactly where they belong.
inline double HalfUlpError(const HalfFormatSpec& format, std::uint16_t got_bits, long double ref) {
  const long double got = format.value(got_bits);
  if (std::isnan(ref) || std::isnan(got)) {
    return std::isnan(ref) == std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  }
  if (std::isinf(got) || std::isinf(ref)) {
    // Inf is right when the exact value rounds to it.
    return got == static_cast<long double>(format.value(format.round(static_cast<float>(ref))))
               ? 0
               : std::numeric_limits<double>::infinity();
  }
  int exponent = 0;
  std::frexp(std::fabs(ref), &exponent);
  exponent = std::max(exponent, format.min_exponent);
  return static_cast<double>(std::fabs(got - ref) / std::ldexp(1.0L, exponent - format.digits));
}

}  // namespace simdkit::testing

#endif  // SIMDKIT_TESTS_CPP_MATH_REFERENCE_H_
