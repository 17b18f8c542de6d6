// The reduce family on every supported target against a long double
// reference: all sizes up to 3 vectors + 1, every misalignment within a
// vector, pairwise-leaf boundaries, 10^6 elements, and NaN/Inf/denormals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "cpp/reduce_reference.h"
#include "cpp/target_param.h"
#include "simdkit/reduce.h"

namespace simdkit::testing {
namespace {

// Pairwise leaf length in vectors; must match kLeafVectors in reduce-inl.h.
constexpr size_t kLeafVectors = 32;

// Lanes of T in the active target's vectors (SCALAR has one of any type).
template <typename T>
size_t Lanes() {
  return std::max<size_t>(1, simdkit::probe_vector_bytes() / sizeof(T));
}

// Sizes that exercise every tail length, the vector and chain loops, and both
// sides of pairwise leaf boundaries.
template <typename T>
std::vector<size_t> TestSizes() {
  const size_t lanes = Lanes<T>();
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 3 * lanes + 1; ++n) sizes.push_back(n);
  for (size_t leaves : {1, 2, 3, 5}) {
    const size_t n = leaves * kLeafVectors * lanes;
    sizes.insert(sizes.end(), {n - 1, n, n + 1});
  }
  // Large: many argmin blocks and a deep pairwise tree; 100003 (24 blocks of
  // float32, and a tail) in a sampled run.
  sizes.push_back(SampledRun() ? 100003 : 1000000);
  return sizes;
}

// Every test size, at every misalignment within a vector; large sizes take
// every `large_offset_step`-th misalignment to bound the run time, and in a
// sampled run (emulated CPUs) only the last one.
template <typename T, typename Check>
void ForEachSizeAndOffset(size_t large_offset_step, const Check& check) {
  for (size_t n : TestSizes<T>()) {
    if (n > 4096 && SampledRun()) {
      check(n, Lanes<T>() - 1);
      continue;
    }
    const size_t step = n > 4096 ? large_offset_step : 1;
    for (size_t offset = 0; offset < Lanes<T>(); offset += step) check(n, offset);
  }
}

// Owns storage for n elements starting `offset` elements past an aligned
// address, so that kernels see every misalignment.
template <typename T>
class Buffer {
 public:
  Buffer(size_t n, size_t offset) : storage_(n + offset + 64), offset_(offset), size_(n) {}
  T* data() { return storage_.data() + offset_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }

 private:
  std::vector<T> storage_;
  size_t offset_;
  size_t size_;
};

template <typename T>
void FillRandom(Buffer<T>& x, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(normal(rng));
}

template <typename T>
void ExpectSumAndDotWithinBound(size_t n, size_t offset, std::mt19937_64& rng) {
  Buffer<T> a(n, offset);
  Buffer<T> b(n, (offset + 1) % Lanes<T>());
  FillRandom(a, rng);
  FillRandom(b, rng);
  long double sum = 0, sum_abs = 0, dot = 0, dot_abs = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += a[i];
    sum_abs += std::fabs(static_cast<long double>(a[i]));
    dot += static_cast<long double>(a[i]) * b[i];
    dot_abs += std::fabs(static_cast<long double>(a[i]) * b[i]);
  }
  long double squares = 0;
  for (size_t i = 0; i < n; ++i) squares += static_cast<long double>(a[i]) * a[i];

  EXPECT_LE(std::fabs(simdkit::sum(a.data(), n) - sum), SumErrorBound<T>(n, sum_abs))
      << "sum n=" << n << " offset=" << offset;
  EXPECT_LE(std::fabs(simdkit::dot(a.data(), b.data(), n) - dot), SumErrorBound<T>(n, dot_abs))
      << "dot n=" << n << " offset=" << offset;
  // sqrt halves the relative error of the sum of squares and adds one rounding.
  const long double norm = std::sqrt(squares);
  const long double norm_bound =
      SumErrorBound<T>(n, squares) / (2 * norm + 1e-300L) + std::numeric_limits<T>::epsilon() * norm;
  EXPECT_LE(std::fabs(simdkit::norm(a.data(), n) - norm), norm_bound)
      << "norm n=" << n << " offset=" << offset;
}

template <typename T>
void ExpectExtremesMatch(T* x, size_t n, const char* what) {
  const size_t argmin = ReferenceIndexOfExtreme(x, n, false);
  const size_t argmax = ReferenceIndexOfExtreme(x, n, true);
  EXPECT_EQ(simdkit::argmin(x, n), argmin) << what << " n=" << n;
  EXPECT_EQ(simdkit::argmax(x, n), argmax) << what << " n=" << n;
  const T min = simdkit::min(x, n);
  const T max = simdkit::max(x, n);
  if (std::isnan(x[argmin])) {
    EXPECT_TRUE(std::isnan(min)) << what << " n=" << n;
    EXPECT_TRUE(std::isnan(max)) << what << " n=" << n;
  } else {
    EXPECT_EQ(min, x[argmin]) << what << " n=" << n;
    EXPECT_EQ(max, x[argmax]) << what << " n=" << n;
  }
}

template <typename T>
void ExpectExtremesOnRandomAndSpecialValues(size_t n, size_t offset, std::mt19937_64& rng) {
  if (n == 0) return;
  Buffer<T> x(n, offset);
  FillRandom(x, rng);
  ExpectExtremesMatch(x.data(), n, "random");

  // Within three vectors every position in turn holds the special value, so
  // every lane and tail position is exercised; larger sizes sample positions
  // (first, middle and last only for large sizes in a sampled run).
  const size_t step = n <= 3 * Lanes<T>() + 1   ? 1
                      : n > 4096 && SampledRun() ? (n - 1) / 2
                                                 : n / 11 + 1;
  const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                        -std::numeric_limits<T>::infinity(),
                        std::numeric_limits<T>::denorm_min(),
                        -std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::max(),
                        std::numeric_limits<T>::lowest()};
  for (T special : specials) {
    for (size_t pos = 0; pos < n; pos += step) {
      const T saved = x[pos];
      x[pos] = special;
      ExpectExtremesMatch(x.data(), n, "special");
      x[pos] = saved;
    }
  }
  // Ties far apart (in different blocks of argmin's block scan): the first
  // occurrence wins.
  if (n >= 4) {
    x[n - 1] = T(-100);
    x[n / 2] = T(-100);
    x[n / 3] = T(100);
    x[n - 2] = T(100);
    ExpectExtremesMatch(x.data(), n, "distant ties");
  }
  for (size_t i = 0; i < n; ++i) x[i] = T(1);
  ExpectExtremesMatch(x.data(), n, "all equal");
  // All one infinity: Highway 1.0.3's EMU128 lane reduction starts from the
  // largest finite value, which made min of +Infs +max and argmin n (found
  // by tests/fuzz/reduce_fuzzer).
  for (T infinity : {std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()}) {
    for (size_t i = 0; i < n; ++i) x[i] = infinity;
    ExpectExtremesMatch(x.data(), n, "all one infinity");
  }
  // +Inf and -Inf together must not be mistaken for NaN.
  x[0] = std::numeric_limits<T>::infinity();
  x[n - 1] = -std::numeric_limits<T>::infinity();
  ExpectExtremesMatch(x.data(), n, "both infinities");
}

template <typename T>
void ExpectSpecialSums() {
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const size_t n = 3 * Lanes<T>() + 1;
  std::vector<T> x(n, T(1));
  x[n - 1] = inf;
  EXPECT_EQ(simdkit::sum(x.data(), n), inf);
  EXPECT_EQ(simdkit::norm(x.data(), n), inf);
  x[0] = -inf;
  EXPECT_TRUE(std::isnan(simdkit::sum(x.data(), n)));
  x[0] = nan;
  EXPECT_TRUE(std::isnan(simdkit::sum(x.data(), n)));
  EXPECT_TRUE(std::isnan(simdkit::dot(x.data(), x.data(), n)));
  // Denormals are neither flushed nor lost.
  const T tiny = std::numeric_limits<T>::denorm_min();
  std::vector<T> denormals(n, tiny);
  EXPECT_EQ(simdkit::sum(denormals.data(), n), static_cast<T>(n) * tiny);
  EXPECT_EQ(simdkit::sum(x.data(), 0), T(0));
  EXPECT_EQ(simdkit::dot(x.data(), x.data(), 0), T(0));
  EXPECT_EQ(simdkit::norm(x.data(), 0), T(0));
}

template <typename T>
void ExpectEmptyExtremesThrow() {
  std::vector<T> x(1);
  EXPECT_THROW(simdkit::min(x.data(), 0), std::invalid_argument);
  EXPECT_THROW(simdkit::max(x.data(), 0), std::invalid_argument);
  EXPECT_THROW(simdkit::argmin(x.data(), 0), std::invalid_argument);
  EXPECT_THROW(simdkit::argmax(x.data(), 0), std::invalid_argument);
  const T* null = nullptr;
  EXPECT_THROW(simdkit::sum(null, 3), std::invalid_argument);
}

// Batch forms agree with the single-vector forms row by row, including a
// padded row stride and a broadcast (stride 0) operand for dot.
template <typename T>
void ExpectRowsMatchSingleCalls(std::mt19937_64& rng) {
  const size_t rows = 7, cols = 2 * Lanes<T>() + 3, stride = cols + 5;
  Buffer<T> x(rows * stride, 1);
  Buffer<T> y(cols, 0);
  FillRandom(x, rng);
  FillRandom(y, rng);
  std::vector<T> values(rows);
  std::vector<size_t> indices(rows);
  auto row = [&](size_t r) { return x.data() + r * stride; };

  simdkit::sum_rows(x.data(), rows, cols, stride, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], simdkit::sum(row(r), cols));
  simdkit::norm_rows(x.data(), rows, cols, stride, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], simdkit::norm(row(r), cols));
  simdkit::min_rows(x.data(), rows, cols, stride, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], simdkit::min(row(r), cols));
  simdkit::max_rows(x.data(), rows, cols, stride, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], simdkit::max(row(r), cols));
  simdkit::argmin_rows(x.data(), rows, cols, stride, indices.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(indices[r], simdkit::argmin(row(r), cols));
  simdkit::argmax_rows(x.data(), rows, cols, stride, indices.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(indices[r], simdkit::argmax(row(r), cols));
  simdkit::dot_rows(x.data(), stride, y.data(), 0, rows, cols, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], simdkit::dot(row(r), y.data(), cols));

  EXPECT_THROW(simdkit::min_rows(x.data(), rows, 0, stride, values.data()),
               std::invalid_argument);
  simdkit::sum_rows(x.data(), rows, 0, stride, values.data());
  for (size_t r = 0; r < rows; ++r) EXPECT_EQ(values[r], T(0));
}

using ReduceTest = PerTarget;

TEST_P(ReduceTest, SumDotNormWithinPairwiseBound) {
  std::mt19937_64 rng(1);
  ForEachSizeAndOffset<float>(3, [&](size_t n, size_t offset) {
    ExpectSumAndDotWithinBound<float>(n, offset, rng);
  });
  ForEachSizeAndOffset<double>(3, [&](size_t n, size_t offset) {
    ExpectSumAndDotWithinBound<double>(n, offset, rng);
  });
}

TEST_P(ReduceTest, MinMaxArgMinArgMaxMatchNumPySemantics) {
  std::mt19937_64 rng(2);
  ForEachSizeAndOffset<float>(5, [&](size_t n, size_t offset) {
    ExpectExtremesOnRandomAndSpecialValues<float>(n, offset, rng);
  });
  ForEachSizeAndOffset<double>(5, [&](size_t n, size_t offset) {
    ExpectExtremesOnRandomAndSpecialValues<double>(n, offset, rng);
  });
}

TEST_P(ReduceTest, SpecialValuesInSums) {
  ExpectSpecialSums<float>();
  ExpectSpecialSums<double>();
}

TEST_P(ReduceTest, EmptyInputWithoutIdentityThrows) {
  ExpectEmptyExtremesThrow<float>();
  ExpectEmptyExtremesThrow<double>();
}

TEST_P(ReduceTest, RowBatchesMatchSingleCalls) {
  std::mt19937_64 rng(3);
  ExpectRowsMatchSingleCalls<float>(rng);
  ExpectRowsMatchSingleCalls<double>(rng);
}

SIMDKIT_INSTANTIATE_PER_TARGET(ReduceTest);

}  // namespace
}  // namespace simdkit::testing
