// Exact references for the distance family and the error bounds the tests
// hold it to, shared by distance_test.cc and cross_target_test.cc.
//
// Every input element is decoded to its exact value in long double (float16
// and bfloat16 from their bit patterns, with converters written here rather
// than taken from the library under test), the sums every metric needs are
// formed in long double in one pass, and the metric follows the SciPy
// semantics documented in include/simdkit/distance.h.
#ifndef SIMDKIT_TESTS_CPP_DISTANCE_REFERENCE_H_
#define SIMDKIT_TESTS_CPP_DISTANCE_REFERENCE_H_

#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "simdkit/distance.h"

namespace simdkit::testing {

inline constexpr Metric kAllMetrics[] = {Metric::kDot,       Metric::kCosine,    Metric::kSqEuclidean,
                                         Metric::kEuclidean, Metric::kCityblock, Metric::kHamming,
                                         Metric::kJaccard};
inline constexpr DType kAllDTypes[] = {DType::kFloat64, DType::kFloat32, DType::kFloat16,
                                       DType::kBFloat16, DType::kInt8,   DType::kUInt8,
                                       DType::kBits};

inline bool IsFloating(DType dtype) {
  return dtype == DType::kFloat64 || dtype == DType::kFloat32 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

// ---------------------------------------------------------------------------
// Half-precision bit patterns
// ---------------------------------------------------------------------------

// IEEE binary16 to its exact value: subnormals, infinities and NaN included.
inline long double HalfToLongDouble(std::uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  long double magnitude;
  if (exponent == 0x1F) {
    magnitude = mantissa != 0 ? std::numeric_limits<long double>::quiet_NaN()
                              : std::numeric_limits<long double>::infinity();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<long double>(mantissa), -24);
  } else {
    magnitude = std::ldexp(static_cast<long double>(mantissa | 0x400), exponent - 25);
  }
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

// bfloat16 is the upper half of a float32: widening is exact.
inline float BFloat16ToFloat(std::uint16_t bits) {
  const std::uint32_t word = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}

// float32 to binary16, rounding to nearest even (overflow to infinity,
// subnormals kept). Used only to make test inputs.
inline std::uint16_t FloatToHalf(float value) {
  std::uint32_t word;
  std::memcpy(&word, &value, sizeof(word));
  const std::uint16_t sign = static_cast<std::uint16_t>((word >> 16) & 0x8000);
  const double magnitude = std::fabs(static_cast<double>(value));
  if (std::isnan(value)) return sign | 0x7E00;
  if (magnitude < std::ldexp(1.0, -14)) {
    // Subnormal range: multiples of 2^-24; 1024 rounds up to the smallest normal.
    return sign | static_cast<std::uint16_t>(std::nearbyint(std::ldexp(magnitude, 24)));
  }
  int exponent = std::ilogb(magnitude);  // magnitude in [2^e, 2^(e+1))
  double mantissa = std::nearbyint(std::ldexp(magnitude, 10 - exponent));  // [1024, 2048]
  if (mantissa == 2048) {
    mantissa = 1024;
    ++exponent;
  }
  if (exponent > 15) return sign | 0x7C00;
  return sign | static_cast<std::uint16_t>(((exponent + 15) << 10) | (static_cast<int>(mantissa) - 1024));
}

// float32 to bfloat16, rounding to nearest even (NaN stays a quiet NaN).
inline std::uint16_t FloatToBFloat16(float value) {
  std::uint32_t word;
  std::memcpy(&word, &value, sizeof(word));
  if (std::isnan(value)) return static_cast<std::uint16_t>((word >> 16) | 0x40);
  word += 0x7FFF + ((word >> 16) & 1);
  return static_cast<std::uint16_t>(word >> 16);
}

// Element i of an array of `dtype`, exactly (kBits: the byte).
inline long double ElementValue(DType dtype, const void* data, std::size_t i) {
  switch (dtype) {
    case DType::kFloat64: return static_cast<const double*>(data)[i];
    case DType::kFloat32: return static_cast<const float*>(data)[i];
    case DType::kFloat16: return HalfToLongDouble(static_cast<const std::uint16_t*>(data)[i]);
    case DType::kBFloat16: return BFloat16ToFloat(static_cast<const std::uint16_t*>(data)[i]);
    case DType::kInt8: return static_cast<const std::int8_t*>(data)[i];
    case DType::kUInt8:
    case DType::kBits: return static_cast<const std::uint8_t*>(data)[i];
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Exact sums of one pair
// ---------------------------------------------------------------------------

// Everything any metric needs, in one pass over a pair of n-element vectors.
// For kBits the counts are over bits and the other sums are unused.
struct PairSums {
  DType dtype = DType::kFloat32;
  std::size_t n = 0;
  long double dot = 0, dot_magnitude = 0;  // sum a*b, sum |a*b|
  long double squares_a = 0, squares_b = 0;
  long double squared_diffs = 0;  // sum (a-b)^2
  long double abs_diffs = 0;      // sum |a-b|
  std::size_t unequal = 0;          // a != b (bits: popcount(a ^ b))
  std::size_t either_nonzero = 0;   // a != 0 or b != 0 (bits: popcount(a | b))
  std::size_t one_nonzero = 0;     // exactly one of a, b nonzero (bits: popcount(a ^ b))
};

// The sums over a pair of decoded values (not kBits): T is long double, or
// int64_t when every value is an integer (exact, and much faster).
template <typename T>
PairSums SumValues(DType dtype, const T* x, const T* y, std::size_t n) {
  T dot = 0, dot_magnitude = 0, squares_a = 0, squares_b = 0, squared_diffs = 0, abs_diffs = 0;
  PairSums s;
  s.dtype = dtype;
  s.n = n;
  for (std::size_t i = 0; i < n; ++i) {
    const T product = x[i] * y[i];
    const T difference = x[i] - y[i];
    dot += product;
    dot_magnitude += product < 0 ? -product : product;  // NaN stays NaN
    squares_a += x[i] * x[i];
    squares_b += y[i] * y[i];
    squared_diffs += difference * difference;
    abs_diffs += difference < 0 ? -difference : difference;
    // NaN compares unequal to everything, itself and zero included (SciPy).
    const bool unequal = x[i] != y[i];
    const bool nonzero = x[i] != 0 || y[i] != 0;
    s.unequal += unequal;
    s.either_nonzero += nonzero;
    s.one_nonzero += (x[i] != 0) != (y[i] != 0);  // SciPy >= 1.15's jaccard
  }
  s.dot = static_cast<long double>(dot);
  s.dot_magnitude = static_cast<long double>(dot_magnitude);
  s.squares_a = static_cast<long double>(squares_a);
  s.squares_b = static_cast<long double>(squares_b);
  s.squared_diffs = static_cast<long double>(squared_diffs);
  s.abs_diffs = static_cast<long double>(abs_diffs);
  return s;
}

inline PairSums SumBits(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  PairSums s;
  s.dtype = DType::kBits;
  s.n = n;
  for (std::size_t i = 0; i < n; ++i) {
    s.unequal += std::bitset<8>(a[i] ^ b[i]).count();
    s.either_nonzero += std::bitset<8>(a[i] | b[i]).count();
  }
  s.one_nonzero = s.unequal;  // a differing bit is set in exactly one
  return s;
}

// The values as int64_t if they all are (moderate) integers: SumValues is
// then exact in integer arithmetic, and much faster than in long double.
inline bool AsIntegers(const std::vector<long double>& values, std::vector<std::int64_t>& integers) {
  integers.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(std::fabs(values[i]) <= 1e6L) || std::trunc(values[i]) != values[i]) return false;
    integers[i] = static_cast<std::int64_t>(values[i]);
  }
  return true;
}

// The sums over a pair of n-element arrays of `dtype` (kBits: n bytes).
inline PairSums SumPair(DType dtype, const void* a, const void* b, std::size_t n) {
  if (dtype == DType::kBits) {
    return SumBits(static_cast<const std::uint8_t*>(a), static_cast<const std::uint8_t*>(b), n);
  }
  std::vector<long double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = ElementValue(dtype, a, i);
    y[i] = ElementValue(dtype, b, i);
  }
  std::vector<std::int64_t> x_integers, y_integers;
  if (AsIntegers(x, x_integers) && AsIntegers(y, y_integers)) {
    return SumValues(dtype, x_integers.data(), y_integers.data(), n);
  }
  return SumValues(dtype, x.data(), y.data(), n);
}

// ---------------------------------------------------------------------------
// Expected value and error bound
// ---------------------------------------------------------------------------

struct Expected {
  long double value;  // exact (NaN and infinities compared as such)
  long double bound;  // |computed - value| <= bound for finite values
};

// Unit roundoff of the type a dtype accumulates in: float64 for float64 input,
// float32 for float32, float16 and bfloat16. Integer sums are exact, so only
// the rounding of the float32 result counts there.
inline long double AccumulationUnitRoundoff(DType dtype) {
  return dtype == DType::kFloat64 ? std::ldexp(1.0L, -53) : std::ldexp(1.0L, -24);
}

// The error bounds the tests hold the kernels to, all in one place.
//
// Floating inputs (u: AccumulationUnitRoundoff; gamma(k) = k u / (1 - k u);
// m = 2 n + 4, i.e. c = 2 per element plus four roundings outside the sum:
// products, differences, a rounded conversion, the final operation). Any
// summation order (lanes, blocks, pairwise, trees) stays within gamma(n-1):
//   dot          gamma(m) * sum |a_i b_i|
//   sqeuclidean  gamma(m) * sum (a_i - b_i)^2
//   cityblock    gamma(m) * sum |a_i - b_i|
//   euclidean    with E = gamma(m) * S, S = sum (a_i - b_i)^2:
//                min(sqrt(E), E / sqrt(S)) + 2 u sqrt(S)
//   cosine       3 gamma(m), absolute (a.b, |a|^2, |b|^2 each within gamma(m)
//                relative to |a||b|, then a few roundings of a value <= 2)
// int8 and uint8 (sums exact in integers, then float32 with u32 = 2^-24):
//   dot, sqeuclidean, cityblock   u32 * |value|: the final rounding only
//   euclidean                     2 u32 * |value|: the sum's rounding, sqrt's
//   cosine                        8 u32, absolute: a few float operations on
//                                 exact sums
// hamming and jaccard of every dtype (exact counts, one division):
//   2 u_out * |value|, u_out the result type's unit roundoff; kBits hamming
//   (a count): u32 * |value|.
inline long double Tolerance(Metric metric, const PairSums& s, long double value) {
  const long double u32 = std::ldexp(1.0L, -24);
  const long double u_out = s.dtype == DType::kFloat64 ? std::ldexp(1.0L, -53) : u32;
  if (metric == Metric::kHamming || metric == Metric::kJaccard) {
    return (s.dtype == DType::kBits && metric == Metric::kHamming ? 1 : 2) * u_out * std::fabs(value);
  }
  if (!IsFloating(s.dtype)) {
    switch (metric) {
      case Metric::kCosine: return 8 * u32;
      case Metric::kEuclidean: return 2 * u32 * std::fabs(value);
      default: return u32 * std::fabs(value);
    }
  }
  const long double u = AccumulationUnitRoundoff(s.dtype);
  const long double m = 2.0L * static_cast<long double>(s.n) + 4;
  const long double gamma = m * u / (1 - m * u);
  switch (metric) {
    case Metric::kDot: return gamma * s.dot_magnitude;
    case Metric::kSqEuclidean: return gamma * s.squared_diffs;
    case Metric::kCityblock: return gamma * s.abs_diffs;
    case Metric::kEuclidean: {
      const long double error = gamma * s.squared_diffs;
      const long double root = std::sqrt(s.squared_diffs);
      const long double propagated = root > 0 ? std::min(std::sqrt(error), error / root) : std::sqrt(error);
      return propagated + 2 * u * root;
    }
    case Metric::kCosine: return 3 * gamma;
    default: return 0;
  }
}

// cdist and topk of floating inputs through panels finish sqeuclidean and
// euclidean from the squared norms and the dot product (NormFormFloor in
// kernels/distance-inl.h): sqeuclidean within rho = 2^-12 (float) or 2^-26
// (double) relative, and within 2 gamma(m) (|a|^2 + |b|^2) in any summation
// order (a.b within gamma(m) sum |a_i b_i| <= gamma(m) (|a|^2 + |b|^2) / 2,
// each squared norm within gamma(m) of itself); euclidean its square root.
// Pairs it cannot keep are recomputed as distance() computes them (Tolerance).
inline long double NormFormTolerance(Metric metric, const PairSums& s, long double value) {
  const long double exact_form = Tolerance(metric, s, value);
  if (!IsFloating(s.dtype) || (metric != Metric::kSqEuclidean && metric != Metric::kEuclidean)) {
    return exact_form;
  }
  const long double u = AccumulationUnitRoundoff(s.dtype);
  const long double rho = std::ldexp(1.0L, s.dtype == DType::kFloat64 ? -26 : -12);
  const long double m = 2.0L * static_cast<long double>(s.n) + 4;
  const long double gamma = m * u / (1 - m * u);
  const long double squared =
      std::min(rho * s.squared_diffs, 2 * gamma * (s.squares_a + s.squares_b)) +
      2 * u * s.squared_diffs;
  if (metric == Metric::kSqEuclidean) return std::max(exact_form, squared);
  const long double root = std::sqrt(s.squared_diffs);
  const long double propagated =
      root > 0 ? std::min(std::sqrt(squared), squared / root) : std::sqrt(squared);
  return std::max(exact_form, propagated + 2 * u * root);
}

inline Expected ExpectedDistance(Metric metric, const PairSums& s) {
  const long double nan = std::numeric_limits<long double>::quiet_NaN();
  long double value = 0;
  switch (metric) {
    case Metric::kDot: value = s.dot; break;
    case Metric::kCosine:
      if (s.squares_a == 0 || s.squares_b == 0) {
        value = nan;  // SciPy: a zero vector (n = 0 included) has no direction
      } else {
        value = 1 - s.dot / std::sqrt(s.squares_a * s.squares_b);
        if (!std::isnan(value)) value = std::clamp(value, 0.0L, 2.0L);
      }
      break;
    case Metric::kSqEuclidean: value = s.squared_diffs; break;
    case Metric::kEuclidean: value = std::sqrt(s.squared_diffs); break;
    case Metric::kCityblock: value = s.abs_diffs; break;
    case Metric::kHamming:
      if (s.dtype == DType::kBits) {
        value = static_cast<long double>(s.unequal);
      } else {
        // SciPy: the mean over no positions is NaN.
        value = s.n == 0 ? nan : static_cast<long double>(s.unequal) / s.n;
      }
      break;
    case Metric::kJaccard:
      value = s.either_nonzero == 0
                  ? 0
                  : static_cast<long double>(s.one_nonzero) / s.either_nonzero;
      break;
  }
  return {value, Tolerance(metric, s, value)};
}

inline Expected ExpectedDistance(Metric metric, DType dtype, const void* a, const void* b,
                                 std::size_t n) {
  return ExpectedDistance(metric, SumPair(dtype, a, b, n));
}

// What cdist and topk must give for a pair: ExpectedDistance with
// NormFormTolerance.
inline Expected ExpectedBatchedDistance(Metric metric, const PairSums& s) {
  Expected expected = ExpectedDistance(metric, s);
  expected.bound = NormFormTolerance(metric, s, expected.value);
  return expected;
}

inline Expected ExpectedBatchedDistance(Metric metric, DType dtype, const void* a, const void* b,
                                        std::size_t n) {
  return ExpectedBatchedDistance(metric, SumPair(dtype, a, b, n));
}

// Whether `computed` is what `expected` allows: NaN for NaN, the same infinity
// for an infinity, otherwise within the bound.
inline bool Agrees(double computed, const Expected& expected) {
  if (std::isnan(expected.value)) return std::isnan(computed);
  if (std::isinf(expected.value)) return computed == expected.value;
  return std::fabs(static_cast<long double>(computed) - expected.value) <= expected.bound;
}

}  // namespace simdkit::testing

#endif  // SIMDKIT_TESTS_CPP_DISTANCE_REFERENCE_H_
