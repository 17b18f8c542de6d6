// References for the reduce family, shared by reduce_test.cc,
// cross_target_test.cc and the reduce fuzzer (tests/fuzz).
#ifndef SIMDKIT_TESTS_CPP_REDUCE_REFERENCE_H_
#define SIMDKIT_TESTS_CPP_REDUCE_REFERENCE_H_

#include <cmath>
#include <cstddef>
#include <limits>

namespace simdkit::testing {

// Worst-case bound of the blocked pairwise sum (docs/reduce.md): a depth-h
// summation has |error| <= gamma(h) * sum |terms|, with h = ceil(log2 n) + 7
// covering the leaf chains, the leaf tree, the lanes, and a product rounded
// before its addition on targets without FMA. `unit_roundoff` is that of the
// accumulation type (2^-24 for float32, 2^-53 for float64).
inline long double PairwiseSumBound(std::size_t n, long double sum_of_magnitudes,
                                    long double unit_roundoff) {
  if (n == 0) return 0;
  const long double depth = std::ceil(std::log2(static_cast<long double>(n))) + 7;
  return depth * unit_roundoff / (1 - depth * unit_roundoff) * sum_of_magnitudes;
}

template <typename T>
long double SumErrorBound(std::size_t n, long double sum_of_magnitudes) {
  return PairwiseSumBound(n, sum_of_magnitudes, std::numeric_limits<T>::epsilon() / 2);
}

// NumPy's answers: NaN wins min/max, and argmin/argmax report the first NaN,
// otherwise the first occurrence of the extreme.
template <typename T>
std::size_t ReferenceIndexOfExtreme(const T* x, std::size_t n, bool want_max) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) return i;
    if (want_max ? x[i] > x[best] : x[i] < x[best]) best = i;
  }
  return best;
}

}  // namespace simdkit::testing

#endif  // SIMDKIT_TESTS_CPP_REDUCE_REFERENCE_H_
