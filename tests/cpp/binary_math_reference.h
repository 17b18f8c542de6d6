// Exact references for the binary math functions (atan2, hypot, power) and
// the accuracy they are held to, shared by binary_math_test.cc and the math
// fuzzer: long double from the C library (C99's special values), errors in
// ULP of the result type (math_reference.h's UlpError).
#ifndef SIMDKIT_TESTS_CPP_BINARY_MATH_REFERENCE_H_
#define SIMDKIT_TESTS_CPP_BINARY_MATH_REFERENCE_H_

#include <cmath>

#include "simdkit/math.h"

namespace simdkit::testing {

inline long double ExactBinaryValue(BinaryFunction function, long double a, long double b) {
  switch (function) {
    case BinaryFunction::kAtan2: return std::atan2(a, b);
    case BinaryFunction::kHypot: return std::hypot(a, b);
    case BinaryFunction::kPower: return std::pow(a, b);
  }
  return 0;
}

// Maximum ULP error allowed, float32 then float64 (measured maxima in
// docs/math.md).
struct BinaryUlpBound {
  double f32, f64;
};
inline BinaryUlpBound BinaryBoundOf(BinaryFunction function) {
  switch (function) {
    case BinaryFunction::kAtan2: return {2, 2};
    case BinaryFunction::kHypot: return {1, 2};
    case BinaryFunction::kPower: return {1, 1};
  }
  return {0, 0};
}

}  // namespace simdkit::testing

#endif  // SIMDKIT_TESTS_CPP_BINARY_MATH_REFERENCE_H_
