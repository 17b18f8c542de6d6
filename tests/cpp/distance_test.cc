// The distance family on every supported target against the long double
// reference of distance_reference.h: every metric and dtype through
// distance(), paired(), cdist() and topk(); every size up to 3 vectors + 1 at
// several misalignments, 10^5 elements, NaN/Inf/denormals, integer extremes
// (2^24 of them), exact ties and NaN in topk, worker threads, and the
// documented errors.
//
// References are cached across targets (the inputs do not depend on the
// target), so the per-target cost is the kernels' own; keep it that way, as
// this suite also runs under qemu.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cpp/distance_reference.h"
#include "cpp/target_param.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"

namespace simdkit::testing {
namespace {

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

// Elements of `dtype` in one vector of the active target (SCALAR: 1).
size_t Lanes(DType dtype) {
  return std::max<size_t>(1, simdkit::probe_vector_bytes() / simdkit::dtype_size(dtype));
}

// 0 .. 3 lanes + 1 (at least 70): every tail length, the two-vector loop and
// its remainder.
std::vector<size_t> SweepSizes(DType dtype) {
  std::vector<size_t> sizes(std::max<size_t>(3 * Lanes(dtype) + 1, 70) + 1);
  std::iota(sizes.begin(), sizes.end(), size_t{0});
  return sizes;
}

std::string Format(long double value) {
  std::ostringstream out;
  out << std::setprecision(21) << value;
  return out.str();
}

std::string Describe(Metric metric, DType dtype) {
  return std::string(metric_name(metric)) + '/' + dtype_name(dtype);
}

// n elements of `dtype` starting `offset` elements past a 64-byte boundary,
// so that kernels see chosen misalignments. Movable, not copyable.
class Array {
 public:
  Array(DType dtype, size_t n, size_t offset)
      : dtype_(dtype), offset_(offset), storage_((n + offset) * simdkit::dtype_size(dtype) + 64) {}
  Array(Array&&) = default;
  Array& operator=(Array&&) = default;

  std::uint8_t* data() { return Base() + offset_ * simdkit::dtype_size(dtype_); }
  const std::uint8_t* data() const { return Base() + offset_ * simdkit::dtype_size(dtype_); }
  std::uint8_t* element(size_t i) { return data() + i * simdkit::dtype_size(dtype_); }

 private:
  std::uint8_t* Base() const {
    const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
    return reinterpret_cast<std::uint8_t*>((address + 63) & ~std::uintptr_t{63});
  }

  DType dtype_;
  size_t offset_;
  std::vector<std::uint8_t> storage_;
};

// Stores `value` as an element of `dtype` (rounded to nearest for the
// floating types; integers must be in range).
void Store(DType dtype, std::uint8_t* p, double value) {
  switch (dtype) {
    case DType::kFloat64: std::memcpy(p, &value, 8); break;
    case DType::kFloat32: {
      const float single = static_cast<float>(value);
      std::memcpy(p, &single, 4);
      break;
    }
    case DType::kFloat16: {
      const std::uint16_t half = FloatToHalf(static_cast<float>(value));
      std::memcpy(p, &half, 2);
      break;
    }
    case DType::kBFloat16: {
      const std::uint16_t half = FloatToBFloat16(static_cast<float>(value));
      std::memcpy(p, &half, 2);
      break;
    }
    case DType::kInt8: *p = static_cast<std::uint8_t>(static_cast<std::int8_t>(value)); break;
    case DType::kUInt8:
    case DType::kBits: *p = static_cast<std::uint8_t>(value); break;
  }
}

enum class Fill {
  kRandom,         // normal floats, the whole integer range, random bytes
  kSmallIntegers,  // -4..4 (0..8 unsigned): every sum exact in float32
  kExtremes,       // integers only: each element the lowest or the highest
};

double RandomValue(DType dtype, Fill fill, std::mt19937_64& rng) {
  const bool is_signed = dtype != DType::kUInt8 && dtype != DType::kBits;
  if (fill == Fill::kExtremes) {
    const bool high = rng() % 2 != 0;
    return is_signed ? (high ? 127.0 : -128.0) : (high ? 255.0 : 0.0);
  }
  if (fill == Fill::kSmallIntegers) {
    return is_signed ? static_cast<double>(static_cast<int>(rng() % 9) - 4)
                     : static_cast<double>(rng() % 9);
  }
  switch (dtype) {
    case DType::kInt8: return static_cast<double>(static_cast<int>(rng() % 256) - 128);
    case DType::kUInt8:
    case DType::kBits: return static_cast<double>(rng() % 256);
    default: return std::normal_distribution<double>(0.0, 1.0)(rng);
  }
}

// a and b of n elements: random values, with a zero in a, a zero in b, or b
// equal to a at about a quarter of the positions each, so that hamming and
// jaccard see every case.
void FillPair(DType dtype, Fill fill, std::uint8_t* a, std::uint8_t* b, size_t n,
              std::mt19937_64& rng) {
  const size_t bytes = simdkit::dtype_size(dtype);
  for (size_t i = 0; i < n; ++i) {
    std::uint8_t* x = a + i * bytes;
    std::uint8_t* y = b + i * bytes;
    Store(dtype, x, RandomValue(dtype, fill, rng));
    Store(dtype, y, RandomValue(dtype, fill, rng));
    switch (rng() % 4) {
      case 0: Store(dtype, x, 0); break;
      case 1: Store(dtype, y, 0); break;
      case 2: std::memcpy(y, x, bytes); break;
      default: break;
    }
  }
}

enum class Pattern {
  kRandom,         // FillPair(kRandom)
  kSmallIntegers,  // FillPair(kSmallIntegers)
  kIdentical,      // b == a
  kLowestBoth,     // int8: a = b = -128; uint8: a = b = 255
  kLowestHighest,  // int8: a = -128, b = 127; uint8: a = 0, b = 255
};

const char* PatternName(Pattern pattern) {
  switch (pattern) {
    case Pattern::kRandom: return "random";
    case Pattern::kSmallIntegers: return "small integers";
    case Pattern::kIdentical: return "identical";
    case Pattern::kLowestBoth: return "extremes a=b";
    case Pattern::kLowestHighest: return "extremes a=-b";
  }
  return "";
}

// One pair of vectors and its exact sums.
struct PairCase {
  Array a, b;
  PairSums sums;
};

// The pair for (dtype, pattern, n, offsets), built once per process: the
// inputs and their long double reference are shared by every target.
const PairCase& GetPairCase(DType dtype, Pattern pattern, size_t n, size_t a_offset,
                            size_t b_offset) {
  using Key = std::tuple<DType, Pattern, size_t, size_t, size_t>;
  static std::map<Key, std::unique_ptr<PairCase>> cache;
  const Key key{dtype, pattern, n, a_offset, b_offset};
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;

  auto pair = std::make_unique<PairCase>(PairCase{Array(dtype, n, a_offset), Array(dtype, n, b_offset), {}});
  std::mt19937_64 rng(0x9E3779B97F4A7C15u ^ (static_cast<std::uint64_t>(dtype) << 56) ^
                      (static_cast<std::uint64_t>(pattern) << 48) ^ (n << 16) ^ (a_offset << 8) ^
                      b_offset);
  const bool is_int8 = dtype == DType::kInt8;
  switch (pattern) {
    case Pattern::kRandom:
    case Pattern::kSmallIntegers:
      FillPair(dtype, pattern == Pattern::kRandom ? Fill::kRandom : Fill::kSmallIntegers,
               pair->a.data(), pair->b.data(), n, rng);
      break;
    case Pattern::kIdentical:
      FillPair(dtype, Fill::kRandom, pair->a.data(), pair->b.data(), n, rng);
      std::memcpy(pair->b.data(), pair->a.data(), n * simdkit::dtype_size(dtype));
      break;
    case Pattern::kLowestBoth:
      for (size_t i = 0; i < n; ++i) {
        Store(dtype, pair->a.element(i), is_int8 ? -128 : 255);
        Store(dtype, pair->b.element(i), is_int8 ? -128 : 255);
      }
      break;
    case Pattern::kLowestHighest:
      for (size_t i = 0; i < n; ++i) {
        Store(dtype, pair->a.element(i), is_int8 ? -128 : 0);
        Store(dtype, pair->b.element(i), is_int8 ? 127 : 255);
      }
      break;
  }
  pair->sums = SumPair(dtype, pair->a.data(), pair->b.data(), n);
  return *cache.emplace(key, std::move(pair)).first->second;
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

// Counts the failed checks of one test and reports the first few in full, so
// that a broken kernel does not flood the log.
class Failures {
 public:
  Failures() = default;
  Failures(const Failures&) = delete;
  ~Failures() {
    if (count_ > kShown) ADD_FAILURE() << (count_ - kShown) << " more failed checks not shown";
  }

  template <typename Describe>
  void Expect(bool ok, const Describe& describe) {
    if (!ok && ++count_ <= kShown) ADD_FAILURE() << describe();
  }

 private:
  static constexpr size_t kShown = 15;
  size_t count_ = 0;
};

// With every input a small integer, the sums are exact in every dtype's
// accumulator (all partial sums are integers below 2^24): these metrics
// must then be exact whatever the order of summation.
bool ExactOnSmallIntegers(Metric metric) {
  return metric == Metric::kDot || metric == Metric::kSqEuclidean || metric == Metric::kCityblock;
}

template <typename Describe>
void ExpectDistance(Failures& failures, double got, const Expected& expected, bool exact,
                    const Describe& where) {
  const bool ok = exact ? got == static_cast<double>(expected.value) ||
                               (std::isnan(got) && std::isnan(expected.value))
                         : Agrees(got, expected);
  failures.Expect(ok, [&] {
    return where() + ": got " + Format(got) + ", expected " + Format(expected.value) +
           (exact ? " exactly" : " within " + Format(expected.bound));
  });
}

// float or double results, as the dtype dictates, filled with a sentinel so
// that slots a kernel must not write can be checked.
class Outputs {
 public:
  static constexpr double kSentinel = -12345.5;
  Outputs(DType dtype, size_t count)
      : double_(result_is_double(dtype)),
        doubles_(double_ ? count : 0, kSentinel),
        floats_(double_ ? 0 : count, static_cast<float>(kSentinel)) {}
  void* data() { return double_ ? static_cast<void*>(doubles_.data()) : floats_.data(); }
  double operator[](size_t i) const { return double_ ? doubles_[i] : floats_[i]; }

 private:
  bool double_;
  std::vector<double> doubles_;
  std::vector<float> floats_;
};

// ---------------------------------------------------------------------------
// Matrices (paired, cdist, topk)
// ---------------------------------------------------------------------------

// rows_a x cols and rows_b x cols matrices with padded, misaligned rows, and
// the exact sums of every pair of rows. Rows of b derive from rows of a
// (shared zeros and equal elements), and some are special: exact duplicates
// of an earlier row (ties), all zeros (cosine NaN), and for floating dtypes a
// NaN element; row 2 of a is all zeros.
struct MatrixCase {
  DType dtype;
  Fill fill;
  size_t rows_a, rows_b, cols, stride_a, stride_b;
  Array a, b;
  std::vector<PairSums> sums;     // [i * rows_b + j]: row i of a, row j of b
  std::vector<size_t> first_copy;  // lowest row of b with the contents of row j
  // Per metric, built on first use: the expected distance of every pair, and
  // for each row of a the rows of b ranked best first (topk).
  mutable std::map<Metric, std::vector<Expected>> expected;
  mutable std::map<Metric, std::vector<std::vector<size_t>>> rankings;

  MatrixView ViewA() const { return {a.data(), dtype, rows_a, cols, stride_a}; }
  MatrixView ViewB() const { return {b.data(), dtype, rows_b, cols, stride_b}; }
  const PairSums& Sums(size_t i, size_t j) const { return sums[i * rows_b + j]; }

  const Expected& ExpectedAt(Metric metric, size_t i, size_t j) const {
    std::vector<Expected>& all = expected[metric];
    if (all.empty()) {
      all.reserve(sums.size());
      for (const PairSums& pair : sums) all.push_back(ExpectedDistance(metric, pair));
    }
    return all[i * rows_b + j];
  }

  // What cdist and topk must give: ExpectedAt, with NormFormTolerance.
  Expected BatchedAt(Metric metric, size_t i, size_t j) const {
    return ExpectedBatchedDistance(metric, Sums(i, j));
  }
};

const MatrixCase& GetMatrixCase(DType dtype, Fill fill, size_t rows_a, size_t rows_b, size_t cols) {
  using Key = std::tuple<DType, Fill, size_t, size_t, size_t>;
  static std::map<Key, std::unique_ptr<MatrixCase>> cache;
  const Key key{dtype, fill, rows_a, rows_b, cols};
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;

  const size_t stride_a = cols + 3, stride_b = cols + 5;
  auto m = std::make_unique<MatrixCase>(MatrixCase{
      dtype, fill, rows_a, rows_b, cols, stride_a, stride_b, Array(dtype, rows_a * stride_a, 1),
      Array(dtype, rows_b * stride_b, 2), {}, {}, {}});
  const size_t bytes = simdkit::dtype_size(dtype);
  // What lies between rows is garbage that no kernel may read: a zero there
  // would hide a read past a row's end.
  std::memset(m->a.data(), 0x5A, rows_a * stride_a * bytes);
  std::memset(m->b.data(), 0x5A, rows_b * stride_b * bytes);
  auto row_a = [&](size_t i) { return m->a.data() + i * stride_a * bytes; };
  auto row_b = [&](size_t j) { return m->b.data() + j * stride_b * bytes; };
  std::mt19937_64 rng(0x5EED ^ (static_cast<std::uint64_t>(dtype) << 40) ^
                      (static_cast<std::uint64_t>(fill) << 36) ^ (rows_a << 24) ^ (rows_b << 12) ^ cols);
  std::vector<std::uint8_t> scratch(cols * bytes + 1);
  for (size_t i = 0; i < rows_a; ++i) {
    FillPair(dtype, fill, row_a(i), scratch.data(), cols, rng);
    if (i == 2 && rows_a > 3) std::memset(row_a(i), 0, cols * bytes);
  }
  for (size_t j = 0; j < rows_b; ++j) {
    std::uint8_t* row = row_b(j);
    std::memcpy(row, row_a(j % rows_a), cols * bytes);
    FillPair(dtype, fill, scratch.data(), row, cols, rng);  // b from a: zeros, copies, news
    for (size_t c = 0; c < cols; ++c) {
      if (rng() % 2 == 0) std::memcpy(row + c * bytes, row_a(j % rows_a) + c * bytes, bytes);
    }
    if (cols == 0) continue;
    if (j % 7 == 6) std::memcpy(row, row_b(j - 6), cols * bytes);  // a tie with row j - 6
    if (j % 13 == 4) std::memset(row, 0, cols * bytes);
    if (IsFloating(dtype) && j % 11 == 5) {
      Store(dtype, row + (j % cols) * bytes, std::numeric_limits<double>::quiet_NaN());
    }
  }

  // Exact sums: decode each row once; integer rows take the int64 path.
  auto decode = [&](const std::uint8_t* row, std::vector<long double>& values) {
    values.resize(cols);
    for (size_t c = 0; c < cols; ++c) values[c] = ElementValue(dtype, row, c);
  };
  std::vector<std::vector<long double>> values_b(rows_b);
  std::vector<std::vector<std::int64_t>> integers_b(rows_b);
  std::vector<bool> integral_b(rows_b);
  for (size_t j = 0; j < rows_b; ++j) {
    decode(row_b(j), values_b[j]);
    integral_b[j] = AsIntegers(values_b[j], integers_b[j]);
  }
  m->sums.resize(rows_a * rows_b);
  std::vector<long double> values_a;
  std::vector<std::int64_t> integers_a;
  for (size_t i = 0; i < rows_a; ++i) {
    decode(row_a(i), values_a);
    const bool integral_a = AsIntegers(values_a, integers_a);
    for (size_t j = 0; j < rows_b; ++j) {
      PairSums& s = m->sums[i * rows_b + j];
      if (dtype == DType::kBits) {
        s = SumBits(row_a(i), row_b(j), cols);
      } else if (integral_a && integral_b[j]) {
        s = SumValues(dtype, integers_a.data(), integers_b[j].data(), cols);
      } else {
        s = SumValues(dtype, values_a.data(), values_b[j].data(), cols);
      }
    }
  }
  std::unordered_map<std::string, size_t> first_with;
  m->first_copy.resize(rows_b);
  for (size_t j = 0; j < rows_b; ++j) {
    const std::string contents(reinterpret_cast<const char*>(row_b(j)), cols * bytes);
    m->first_copy[j] = first_with.emplace(contents, j).first->second;
  }
  return *cache.emplace(key, std::move(m)).first->second;
}

// Whether a result of value x ranks before one of value y at a higher index:
// NaN last, then larger first for dot and smaller first otherwise.
bool RanksBefore(Metric metric, long double x, long double y) {
  if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
  return larger_is_closer(metric) ? x > y : x < y;
}

// Brute force: for each row of a, every row of b sorted by exact distance,
// ties (and NaN among themselves) to the lower index. With `rounded`, the
// exact values are first rounded to the result type, as a kernel whose
// results are exact up to that rounding would see them.
const std::vector<std::vector<size_t>>& Ranking(const MatrixCase& m, Metric metric, bool rounded) {
  auto& ranking = m.rankings[metric];
  if (!ranking.empty()) return ranking;
  ranking.resize(m.rows_a);
  std::vector<long double> keys(m.rows_b);
  for (size_t i = 0; i < m.rows_a; ++i) {
    for (size_t j = 0; j < m.rows_b; ++j) {
      const long double value = m.ExpectedAt(metric, i, j).value;
      keys[j] = !rounded ? value
                : result_is_double(m.dtype) ? static_cast<double>(value)
                                            : static_cast<float>(value);
    }
    ranking[i].resize(m.rows_b);
    std::iota(ranking[i].begin(), ranking[i].end(), size_t{0});
    std::stable_sort(ranking[i].begin(), ranking[i].end(), [&](size_t x, size_t y) {
      return RanksBefore(metric, keys[x], keys[y]);
    });
  }
  return ranking;
}

// Rows [first, first + count) of `view`.
MatrixView RowRange(const MatrixView& view, size_t first, size_t count) {
  MatrixView part = view;
  part.data = static_cast<const std::uint8_t*>(view.data) +
              first * view.row_stride * simdkit::dtype_size(view.dtype);
  part.rows = count;
  return part;
}

// Equal, or both NaN: the same result, bit for bit where it is a number.
bool SameValue(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

// ---------------------------------------------------------------------------
// The per-target suite
// ---------------------------------------------------------------------------

// The Highway kernels of each target, with the AMX backend disabled: on a
// CPU with AMX it would take bfloat16/int8/uint8 products from AVX3_DL up,
// and the kernels it stands in for would go untested there. The AMX backend
// has its own suite (amx_test.cc), checked against these kernels.
class DistanceTest : public PerTarget {
 protected:
  void SetUp() override {
    previously_disabled_ = simdkit::disabled_targets();
    std::vector<std::string> names = previously_disabled_;
    if (std::find(names.begin(), names.end(), "AMX") == names.end()) names.push_back("AMX");
    simdkit::disable_targets(Joined(names));
    PerTarget::SetUp();
  }
  void TearDown() override {
    PerTarget::TearDown();
    simdkit::disable_targets(Joined(previously_disabled_));
  }

  static std::string Joined(const std::vector<std::string>& names) {
    std::string joined;
    for (const std::string& name : names) joined += (joined.empty() ? "" : ",") + name;
    return joined;
  }

 private:
  std::vector<std::string> previously_disabled_;
};

// Offsets (in elements) of a and b from a 64-byte boundary.
std::vector<std::pair<size_t, size_t>> Misalignments(DType dtype) {
  const size_t lanes = Lanes(dtype);
  std::vector<std::pair<size_t, size_t>> offsets = {{0, 0}, {1, 3}, {3, 1}};
  if (lanes > 4) offsets.push_back({lanes - 1, lanes / 2});
  return offsets;
}

void ExpectPairCase(Failures& failures, Metric metric, DType dtype, Pattern pattern, size_t n,
                    size_t a_offset, size_t b_offset) {
  const PairCase& pair = GetPairCase(dtype, pattern, n, a_offset, b_offset);
  const double got = simdkit::distance(metric, dtype, pair.a.data(), pair.b.data(), n);
  const bool exact = pattern == Pattern::kSmallIntegers && ExactOnSmallIntegers(metric);
  ExpectDistance(failures, got, ExpectedDistance(metric, pair.sums), exact, [&] {
    return "distance " + Describe(metric, dtype) + " " + PatternName(pattern) +
           " n=" + std::to_string(n) + " offsets=" + std::to_string(a_offset) + "," +
           std::to_string(b_offset);
  });
}

TEST_P(DistanceTest, EveryMetricAndDTypeAtEverySizeAndMisalignment) {
  Failures failures;
  for (DType dtype : kAllDTypes) {
    for (size_t n : SweepSizes(dtype)) {
      for (Metric metric : kAllMetrics) {
        if (!metric_supports(metric, dtype)) continue;
        for (auto [a_offset, b_offset] : Misalignments(dtype)) {
          ExpectPairCase(failures, metric, dtype, Pattern::kRandom, n, a_offset, b_offset);
        }
        ExpectPairCase(failures, metric, dtype, Pattern::kSmallIntegers, n, 1, 0);
        // b == a: sqeuclidean, euclidean, cityblock, hamming and jaccard are
        // exactly 0 (the bound is 0), cosine within its bound of 0.
        ExpectPairCase(failures, metric, dtype, Pattern::kIdentical, n, 1, 3);
      }
    }
  }
}

// int8/uint8 at their extremes: (-128)^2 + (-128)^2 overflows int16, 255 - 0
// overflows int8, and every sum must stay exact.
TEST_P(DistanceTest, IntegerExtremesAreExact) {
  Failures failures;
  for (DType dtype : {DType::kInt8, DType::kUInt8}) {
    for (size_t n : SweepSizes(dtype)) {
      for (Metric metric : kAllMetrics) {
        for (Pattern pattern : {Pattern::kLowestBoth, Pattern::kLowestHighest}) {
          ExpectPairCase(failures, metric, dtype, pattern, n, 1, 3);
        }
      }
    }
  }
}

TEST_P(DistanceTest, LargeVectors) {
  Failures failures;
  constexpr size_t kN = 100003;
  for (DType dtype : kAllDTypes) {
    for (Metric metric : kAllMetrics) {
      if (!metric_supports(metric, dtype)) continue;
      ExpectPairCase(failures, metric, dtype, Pattern::kRandom, kN, 1, 2);
      // Exact: catches a lost or repeated element that the c n u bound of a
      // long random sum could hide.
      ExpectPairCase(failures, metric, dtype, Pattern::kSmallIntegers, kN, 2, 1);
    }
  }
}

// One special value at every position of a vector of 3 lanes + 1 (and the
// same vector of denormals throughout), for every floating dtype.
// The smallest positive subnormal of a floating dtype, exactly.
double SmallestSubnormal(DType dtype) {
  return dtype == DType::kFloat64   ? std::numeric_limits<double>::denorm_min()
         : dtype == DType::kFloat32 ? std::numeric_limits<float>::denorm_min()
         : dtype == DType::kFloat16 ? std::ldexp(1.0, -24)
                                    : std::ldexp(1.0, -133);
}

TEST_P(DistanceTest, NaNInfinityAndDenormals) {
  Failures failures;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const double denormal = SmallestSubnormal(dtype);
    struct Special {
      const char* name;
      double a, b;      // the values placed ...
      bool in_a, in_b;  // ... in a, in b, or in both
    };
    const Special specials[] = {
        {"NaN in a", nan, 0, true, false},          {"+Inf in a", inf, 0, true, false},
        {"-Inf in b", 0, -inf, false, true},        {"NaN in both", nan, nan, true, true},
        {"+Inf in both", inf, inf, true, true},     {"denormal in a", denormal, 0, true, false},
        {"-denormal in b", 0, -denormal, false, true}, {"Inf and NaN", inf, nan, true, true},
    };
    const size_t n = 3 * Lanes(dtype) + 1;
    const PairCase& base = GetPairCase(dtype, Pattern::kRandom, n, 1, 2);
    const size_t bytes = simdkit::dtype_size(dtype);
    Array a(dtype, n, 1), b(dtype, n, 2);
    for (const Special& special : specials) {
      for (size_t position = 0; position < n; ++position) {
        std::memcpy(a.data(), base.a.data(), n * bytes);
        std::memcpy(b.data(), base.b.data(), n * bytes);
        if (special.in_a) Store(dtype, a.element(position), special.a);
        if (special.in_b) Store(dtype, b.element(position), special.b);
        const PairSums sums = SumPair(dtype, a.data(), b.data(), n);
        for (Metric metric : kAllMetrics) {
          const double got = simdkit::distance(metric, dtype, a.data(), b.data(), n);
          ExpectDistance(failures, got, ExpectedDistance(metric, sums), false, [&] {
            return "distance " + Describe(metric, dtype) + " " + special.name + " at " +
                   std::to_string(position) + " of n=" + std::to_string(n);
          });
        }
      }
    }
    // Denormals are nonzero and unequal to zero (no flushing): a vector of
    // them against zeros and against their negation. Products underflow by
    // design of the accumulation type, so only the metrics without products.
    for (double other : {0.0, -denormal}) {
      for (size_t i = 0; i < n; ++i) {
        Store(dtype, a.element(i), denormal);
        Store(dtype, b.element(i), other);
      }
      const PairSums sums = SumPair(dtype, a.data(), b.data(), n);
      for (Metric metric : {Metric::kCityblock, Metric::kHamming, Metric::kJaccard}) {
        const double got = simdkit::distance(metric, dtype, a.data(), b.data(), n);
        ExpectDistance(failures, got, ExpectedDistance(metric, sums), false, [&] {
          return "distance " + Describe(metric, dtype) + " all denormal vs " + Format(other) +
                 " n=" + std::to_string(n);
        });
      }
    }
  }
}

// float64 vectors whose squared norms multiply beyond the double range
// (found by tests/fuzz/distance_fuzzer: distance and paired once gave 1 for
// opposite vectors, and 0 for the second case): cosine still follows the
// directions, by every route.
TEST_P(DistanceTest, CosineOfHugeAndTinyFloat64Norms) {
  struct Case {
    std::vector<double> a, b;
    double expected;
  };
  const Case cases[] = {
      {{-3.09825303931754272087e+149}, {62848}, 2.0},           // |a|^2 |b|^2 > DBL_MAX
      {{3e-150, 0}, {2e-150, 2e-150}, 1 - 1 / std::sqrt(2.0)},  // |a|^2 |b|^2 < 2^-1074
  };
  for (const Case& c : cases) {
    const size_t n = c.a.size();
    const MatrixView a{c.a.data(), DType::kFloat64, 1, n, n};
    const MatrixView b{c.b.data(), DType::kFloat64, 1, n, n};
    double by_pair = 0, by_matrix = 0;
    simdkit::paired(Metric::kCosine, a, b, &by_pair);
    simdkit::cdist(Metric::kCosine, a, b, &by_matrix, 1, 1);
    EXPECT_NEAR(simdkit::distance(Metric::kCosine, c.a.data(), c.b.data(), n), c.expected, 1e-15);
    EXPECT_NEAR(by_pair, c.expected, 1e-15);
    EXPECT_NEAR(by_matrix, c.expected, 1e-15);
  }
}

TEST_P(DistanceTest, TypedOverloadsMatchTheGenericCall) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, 2 * Lanes(DType::kFloat32) + 3, size_t{70}}) {
    const PairCase& singles = GetPairCase(DType::kFloat32, Pattern::kRandom, n, 1, 2);
    const PairCase& doubles = GetPairCase(DType::kFloat64, Pattern::kRandom, n, 1, 2);
    const auto* a32 = reinterpret_cast<const float*>(singles.a.data());
    const auto* b32 = reinterpret_cast<const float*>(singles.b.data());
    const auto* a64 = reinterpret_cast<const double*>(doubles.a.data());
    const auto* b64 = reinterpret_cast<const double*>(doubles.b.data());
    for (Metric metric : kAllMetrics) {
      const float typed32 = simdkit::distance(metric, a32, b32, n);
      const double generic32 = simdkit::distance(metric, DType::kFloat32, a32, b32, n);
      EXPECT_TRUE(typed32 == generic32 || (std::isnan(typed32) && std::isnan(generic32)))
          << metric_name(metric) << " f32 n=" << n;
      const double typed64 = simdkit::distance(metric, a64, b64, n);
      const double generic64 = simdkit::distance(metric, DType::kFloat64, a64, b64, n);
      EXPECT_TRUE(typed64 == generic64 || (std::isnan(typed64) && std::isnan(generic64)))
          << metric_name(metric) << " f64 n=" << n;
    }
  }
}

// Column counts for the matrix tests: empty rows, tails, and a few vectors.
std::vector<size_t> MatrixColumns(DType dtype) {
  const size_t lanes = Lanes(dtype);
  std::vector<size_t> cols = {0, 1, 3, lanes + 1, 2 * lanes + 3, 70};
  if (lanes > 1) cols.push_back(lanes - 1);
  std::sort(cols.begin(), cols.end());
  cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
  return cols;
}

TEST_P(DistanceTest, PairedMatchesReference) {
  Failures failures;
  constexpr size_t kRows = 7;
  for (DType dtype : kAllDTypes) {
    for (size_t cols : MatrixColumns(dtype)) {
      const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, kRows, kRows, cols);
      for (Metric metric : kAllMetrics) {
        if (!metric_supports(metric, dtype)) continue;
        Outputs out(dtype, kRows + 2);
        simdkit::paired(metric, m.ViewA(), m.ViewB(), out.data());
        for (size_t r = 0; r < kRows; ++r) {
          ExpectDistance(failures, out[r], m.ExpectedAt(metric, r, r), false, [&] {
            return "paired " + Describe(metric, dtype) + " cols=" + std::to_string(cols) +
                   " row " + std::to_string(r);
          });
        }
        for (size_t r = kRows; r < kRows + 2; ++r) {
          failures.Expect(out[r] == Outputs::kSentinel, [&] {
            return "paired " + Describe(metric, dtype) + " wrote past its " +
                   std::to_string(kRows) + " results";
          });
        }
      }
    }
  }
}

// Runs cdist on `m` into a matrix with 3 padding columns per row and checks
// every result and that the padding is untouched.
void ExpectCdist(Failures& failures, const MatrixCase& m, Metric metric, size_t threads) {
  const size_t out_stride = m.rows_b + 3;
  Outputs out(m.dtype, m.rows_a * out_stride);
  simdkit::cdist(metric, m.ViewA(), m.ViewB(), out.data(), out_stride, threads);
  // Integer sums are exact at any value (int32 lanes, flushed to double).
  const bool exact = (m.fill == Fill::kSmallIntegers || m.fill == Fill::kExtremes) &&
                     ExactOnSmallIntegers(metric);
  const auto where = [&](size_t i, size_t j) {
    return "cdist " + Describe(metric, m.dtype) + " " + std::to_string(m.rows_a) + "x" +
           std::to_string(m.rows_b) + "x" + std::to_string(m.cols) + " threads=" +
           std::to_string(threads) + " at (" + std::to_string(i) + "," + std::to_string(j) + ")";
  };
  for (size_t i = 0; i < m.rows_a; ++i) {
    for (size_t j = 0; j < m.rows_b; ++j) {
      Expected expected = m.BatchedAt(metric, i, j);
      // An exact sum is rounded once, to the result type (float32 holds
      // integers only up to 2^24 exactly).
      if (exact && !simdkit::result_is_double(m.dtype)) {
        expected.value = static_cast<float>(expected.value);
      }
      ExpectDistance(failures, out[i * out_stride + j], expected, exact,
                     [&] { return where(i, j); });
    }
    for (size_t j = m.rows_b; j < out_stride; ++j) {
      failures.Expect(out[i * out_stride + j] == Outputs::kSentinel,
                      [&] { return where(i, j) + ": padding overwritten"; });
    }
  }
}

TEST_P(DistanceTest, CdistMatchesReference) {
  Failures failures;
  for (DType dtype : kAllDTypes) {
    std::vector<const MatrixCase*> cases;
    // 5 x 7: one 4 x 2 tile row plus a remaining row and column.
    for (size_t cols : MatrixColumns(dtype)) cases.push_back(&GetMatrixCase(dtype, Fill::kRandom, 5, 7, cols));
    cases.push_back(&GetMatrixCase(dtype, Fill::kRandom, 9, 11, 33));
    for (const MatrixCase* m : cases) {
      for (Metric metric : kAllMetrics) {
        if (!metric_supports(metric, dtype)) continue;
        for (size_t threads : {1, 0}) ExpectCdist(failures, *m, metric, threads);
      }
    }
  }
}

// Enough rows on both sides for cdist's panel form (at least the 12 broadcast
// rows of a block, and a vector of packed rows: UsePanels in
// kernels/distance-inl.h): whole and partial row blocks and panels, several
// chunks of b, and depths around the 256 units a lane sums before it is
// added into double (a float32 element, or an int8/uint8 pair on x86, where
// odd rows end in half a pair). Integer extremes must come out exact.
TEST_P(DistanceTest, CdistThroughPanels) {
  Failures failures;
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16,
                      DType::kInt8, DType::kUInt8}) {
    const bool integer = dtype == DType::kInt8 || dtype == DType::kUInt8;
    // Rows per panel vector: 32-bit units for all but float64.
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    const size_t unit = integer ? 2 : 1;
    std::vector<size_t> columns = {1, 3, unit * lanes + 1, 256 * unit + 1};
    if (!SampledRun()) {
      for (size_t units : {size_t{2}, size_t{70}, size_t{255}, size_t{256}, size_t{530}}) {
        columns.push_back(units * unit);
      }
    }
    for (size_t cols : columns) {
      for (auto [rows_a, rows_b] : {std::pair{size_t{12}, std::max<size_t>(lanes, 12)},
                                    std::pair{size_t{29}, 6 * lanes + 13}}) {
        for (Fill fill : {Fill::kRandom, Fill::kExtremes}) {
          if (fill == Fill::kExtremes && !integer) continue;
          const MatrixCase& m = GetMatrixCase(dtype, fill, rows_a, rows_b, cols);
          for (Metric metric : kAllMetrics) {
            for (size_t threads : {1, 0}) ExpectCdist(failures, m, metric, threads);
          }
        }
      }
    }
  }
}

// A side with fewer rows than a panel block takes cdist's few-rows form
// (UseFewRows): 1 to 11 rows of a against more rows of b than a few groups
// of long rows (4, or a vector's worth), and the other way round; every tail
// of the last step, rows shorter than a vector, and depths past one block of
// kBlockSteps vectors, after which the lanes are added into double.
TEST_P(DistanceTest, CdistThroughFewRows) {
  Failures failures;
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    std::vector<size_t> columns = {1, 3, lanes + 1, 2 * lanes + 3, 128 * lanes + 3};
    std::vector<size_t> shorts = {1, 3, 11};
    if (!SampledRun()) {
      for (size_t cols : {lanes - 1 + (lanes == 1), lanes, size_t{70}, size_t{257}}) {
        columns.push_back(cols);
      }
      for (size_t rows : {2, 4, 5, 7}) shorts.push_back(rows);
    }
    const size_t long_rows = 2 * std::max<size_t>(lanes, 4) + 3;
    for (size_t cols : columns) {
      for (size_t rows : shorts) {
        for (auto [rows_a, rows_b] : {std::pair{rows, long_rows}, std::pair{long_rows, rows}}) {
          const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, rows_a, rows_b, cols);
          for (Metric metric : kAllMetrics) {
            // Threads split only work of 2^21 pairs x elements and more,
            // which a sampled run's cases are below.
            ExpectCdist(failures, m, metric, 1);
            if (!SampledRun()) ExpectCdist(failures, m, metric, 0);
          }
        }
      }
    }
  }
}

// Infinities and subnormals in rows that take cdist's panel form and its
// few-rows form (a short, b short), against the exact sums of each pair.
// Products of subnormals underflow by design of the accumulation type, so
// those rows are checked with the metrics without products (as in
// NaNInfinityAndDenormals).
TEST_P(DistanceTest, CdistInfinitiesAndDenormalsThroughPanelsAndFewRows) {
  Failures failures;
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const double denormal = SmallestSubnormal(dtype);
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    // At least 8 rows of a and 5 of b, which the specials below are placed in.
    for (auto [rows_a, rows_b] : {std::pair{size_t{13}, std::max<size_t>(2 * lanes + 5, 13)},
                                  std::pair{size_t{8}, 2 * lanes + 5},
                                  std::pair{2 * lanes + 13, size_t{5}}}) {
      const MatrixCase& base = GetMatrixCase(dtype, Fill::kRandom, rows_a, rows_b, lanes + 3);
      const size_t bytes = simdkit::dtype_size(dtype);
      const auto check = [&](const char* what, const auto& place, std::vector<Metric> metrics) {
        Array a(dtype, base.rows_a * base.stride_a, 1), b(dtype, base.rows_b * base.stride_b, 2);
        std::memcpy(a.data(), base.a.data(), base.rows_a * base.stride_a * bytes);
        std::memcpy(b.data(), base.b.data(), base.rows_b * base.stride_b * bytes);
        place(a, b);
        const MatrixView av{a.data(), dtype, base.rows_a, base.cols, base.stride_a};
        const MatrixView bv{b.data(), dtype, base.rows_b, base.cols, base.stride_b};
        for (Metric metric : metrics) {
          Outputs out(dtype, base.rows_a * base.rows_b);
          simdkit::cdist(metric, av, bv, out.data(), base.rows_b, 1);
          for (size_t i = 0; i < base.rows_a; ++i) {
            for (size_t j = 0; j < base.rows_b; ++j) {
              const Expected expected =
                  ExpectedBatchedDistance(metric, dtype, a.element(i * base.stride_a),
                                          b.element(j * base.stride_b), base.cols);
              ExpectDistance(failures, out[i * base.rows_b + j], expected, false, [&] {
                return "cdist " + Describe(metric, dtype) + " " + std::to_string(base.rows_a) +
                       "x" + std::to_string(base.rows_b) + " with " + what + " at (" +
                       std::to_string(i) + "," + std::to_string(j) + ")";
              });
            }
          }
        }
      };
      check("infinities", [&](Array& a, Array& b) {
        Store(dtype, a.element(0 * base.stride_a + 1), inf);
        Store(dtype, a.element(5 * base.stride_a), -inf);
        Store(dtype, b.element(3 * base.stride_b + 2), inf);
        Store(dtype, b.element(4 * base.stride_b + base.cols - 1), -inf);
      }, {std::begin(kAllMetrics), std::end(kAllMetrics)});
      check("subnormals", [&](Array& a, Array& b) {
        Store(dtype, b.element(4 * base.stride_b + base.cols - 1), -denormal);
        for (size_t c = 0; c < base.cols; ++c) Store(dtype, a.element(7 * base.stride_a + c), denormal);
      }, {Metric::kCityblock, Metric::kHamming, Metric::kJaccard});
    }
  }
}

// The rule of docs/distance.md: a pair's value depends on its rows and on
// whether its call has a side of fewer rows than a panel block (12, or 6 on
// 16-register targets: the few-rows form) or not (panels), never on the rest of the batch, the orientation, the thread
// count, or cdist against topk. Checked bit for bit on random floats, whose
// sums round differently in any other order.
TEST_P(DistanceTest, FloatPairValuesDependOnlyOnTheForm) {
  Failures failures;
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    for (size_t cols : {2 * lanes + 3, size_t{300}}) {
      const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, 30, 40, cols);
      for (Metric metric : kAllMetrics) {
        const auto where = [&](const std::string& what, size_t i, size_t j) {
          return Describe(metric, dtype) + " cols=" + std::to_string(cols) + " " + what +
                 ": pair (" + std::to_string(i) + "," + std::to_string(j) + ")";
        };
        // The few-rows form's values: each row of a alone.
        Outputs single(dtype, 30 * 40);
        for (size_t i = 0; i < 30; ++i) {
          simdkit::cdist(metric, RowRange(m.ViewA(), i, 1), m.ViewB(),
                         static_cast<std::uint8_t*>(single.data()) +
                             i * 40 * (result_is_double(dtype) ? 8 : 4),
                         40, 1);
        }
        // Counts below 6, the block of the 16-register targets' panels.
        for (size_t count : {2, 5}) {
          const size_t first = 30 - count;
          Outputs out(dtype, count * 40);
          simdkit::cdist(metric, RowRange(m.ViewA(), first, count), m.ViewB(),
                         out.data(), 40, 0);
          for (size_t i = 0; i < count; ++i) {
            for (size_t j = 0; j < 40; ++j) {
              failures.Expect(SameValue(out[i * 40 + j], single[(first + i) * 40 + j]), [&] {
                return where(std::to_string(count) + " rows of a", first + i, j);
              });
            }
          }
          // b short: a's 30 rows stream past `count` rows of b.
          Outputs swapped(dtype, 30 * count);
          simdkit::cdist(metric, m.ViewA(), RowRange(m.ViewB(), 3, count),
                         swapped.data(), count, 1);
          for (size_t i = 0; i < 30; ++i) {
            for (size_t j = 0; j < count; ++j) {
              failures.Expect(SameValue(swapped[i * count + j], single[i * 40 + 3 + j]), [&] {
                return where(std::to_string(count) + " rows of b", i, 3 + j);
              });
            }
          }
          // topk: the same values, whichever side is short.
          std::vector<std::int64_t> indices(30 * 40);
          Outputs best(dtype, 30 * 40);
          simdkit::topk(metric, RowRange(m.ViewA(), first, count), m.ViewB(), 40,
                        indices.data(), best.data(), 0);
          for (size_t i = 0; i < count * 40; ++i) {
            failures.Expect(SameValue(best[i], single[(first + i / 40) * 40 + indices[i]]), [&] {
              return where("topk of " + std::to_string(count) + " queries", first + i / 40,
                           indices[i]);
            });
          }
          simdkit::topk(metric, m.ViewA(), RowRange(m.ViewB(), 3, count), count,
                        indices.data(), best.data(), 0);
          for (size_t i = 0; i < 30 * count; ++i) {
            failures.Expect(SameValue(best[i], single[i / count * 40 + 3 + indices[i]]), [&] {
              return where("topk over " + std::to_string(count) + " rows", i / count,
                           3 + indices[i]);
            });
          }
        }
        // The panels' values: all 30 rows against all 40, then parts of both
        // of at least 12 rows.
        Outputs all(dtype, 30 * 40);
        simdkit::cdist(metric, m.ViewA(), m.ViewB(), all.data(), 40, 1);
        for (auto [first_a, count_a, first_b, count_b] :
             {std::tuple{size_t{0}, size_t{12}, size_t{0}, size_t{40}},
              std::tuple{size_t{17}, size_t{13}, size_t{5}, size_t{12}}}) {
          Outputs out(dtype, count_a * count_b);
          simdkit::cdist(metric, RowRange(m.ViewA(), first_a, count_a),
                         RowRange(m.ViewB(), first_b, count_b), out.data(), count_b, 0);
          for (size_t i = 0; i < count_a; ++i) {
            for (size_t j = 0; j < count_b; ++j) {
              // Init-captures: C++17 lambdas cannot capture structured bindings.
              failures.Expect(SameValue(out[i * count_b + j], all[(first_a + i) * 40 + first_b + j]),
                              [&, row = first_a + i, column = first_b + j] {
                                return where("panels", row, column);
                              });
            }
          }
        }
        std::vector<std::int64_t> indices(30 * 40);
        Outputs best(dtype, 30 * 40);
        simdkit::topk(metric, m.ViewA(), m.ViewB(), 40, indices.data(), best.data(), 0);
        for (size_t i = 0; i < 30 * 40; ++i) {
          failures.Expect(SameValue(best[i], all[i / 40 * 40 + indices[i]]),
                          [&] { return where("topk through panels", i / 40, indices[i]); });
        }
      }
    }
  }
}

// cdist and topk of a against b packed and not packed, every dtype and
// metric, through every form: the same bits (NaN as NaN), whether b is the
// long side, the short side or one of two large ones, and for d = 0.
void ExpectPackedMatchesUnpacked(Failures& failures, const MatrixCase& m, const MatrixView& a,
                                 const MatrixView& b, const std::string& shape) {
  const PackedMatrix packed(b);
  for (Metric metric : kAllMetrics) {
    if (!metric_supports(metric, m.dtype)) continue;
    const auto where = [&](const std::string& what, size_t i) {
      return Describe(metric, m.dtype) + " " + shape + " " + what + " [" + std::to_string(i) +
             "]";
    };
    Outputs plain(m.dtype, a.rows * b.rows), with_pack(m.dtype, a.rows * b.rows);
    simdkit::cdist(metric, a, b, plain.data(), b.rows, 0);
    simdkit::cdist(metric, a, packed, with_pack.data(), b.rows, 0);
    for (size_t i = 0; i < a.rows * b.rows; ++i) {
      failures.Expect(SameValue(plain[i], with_pack[i]), [&] {
        return where("cdist", i) + ": " + Format(with_pack[i]) + " packed, " + Format(plain[i]) +
               " not";
      });
    }
    const size_t k = std::min<size_t>(b.rows, 7);
    std::vector<std::int64_t> plain_indices(a.rows * k), packed_indices(a.rows * k);
    Outputs plain_best(m.dtype, a.rows * k), packed_best(m.dtype, a.rows * k);
    simdkit::topk(metric, a, b, k, plain_indices.data(), plain_best.data(), 0);
    simdkit::topk(metric, a, packed, k, packed_indices.data(), packed_best.data(), 0);
    for (size_t i = 0; i < a.rows * k; ++i) {
      failures.Expect(plain_indices[i] == packed_indices[i] && SameValue(plain_best[i], packed_best[i]),
                      [&] { return where("topk", i); });
    }
  }
}

TEST_P(DistanceTest, PackedSecondOperandGivesTheUnpackedBits) {
  Failures failures;
  for (DType dtype : kAllDTypes) {
    for (size_t cols : {size_t{0}, 2 * Lanes(dtype) + 3, size_t{300}}) {
      const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, 30, 40, cols);
      const std::string columns = "cols=" + std::to_string(cols);
      ExpectPackedMatchesUnpacked(failures, m, m.ViewA(), m.ViewB(), columns + " 30x40");
      ExpectPackedMatchesUnpacked(failures, m, RowRange(m.ViewA(), 1, 3), m.ViewB(),
                                  columns + " 3x40");
      ExpectPackedMatchesUnpacked(failures, m, m.ViewA(), RowRange(m.ViewB(), 2, 5),
                                  columns + " 30x5");
    }
  }
}

// Norms that one target computed are not taken by another (whose sums run
// in other lanes): a PackedMatrix made once serves every target with that
// target's own bits.
TEST(DistancePacked, NormsOfOneTargetAreNotUsedByAnother) {
  const std::vector<std::string> targets = TargetsToTest();
  Failures failures;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kBFloat16}) {
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, 30, 40, 77);
    const PackedMatrix packed(m.ViewB());  // on the best target
    for (const std::string& target : targets) {
      simdkit::set_target(target);
      for (Metric metric : {Metric::kCosine, Metric::kSqEuclidean, Metric::kEuclidean}) {
        Outputs plain(dtype, 30 * 40), with_pack(dtype, 30 * 40);
        simdkit::cdist(metric, m.ViewA(), m.ViewB(), plain.data(), 40, 1);
        simdkit::cdist(metric, m.ViewA(), packed, with_pack.data(), 40, 1);
        for (size_t i = 0; i < 30 * 40; ++i) {
          failures.Expect(SameValue(plain[i], with_pack[i]), [&] {
                            return target + " " + Describe(metric, dtype) + " [" +
                                   std::to_string(i) + "]: " + Format(with_pack[i]) +
                                   " packed, " + Format(plain[i]) + " not";
                          });
        }
      }
    }
    simdkit::reset_target();
  }
}

TEST(DistancePacked, HoldsAnAlignedCopyWithTheSameShape) {
  std::vector<float> rows(5 * 9);
  std::iota(rows.begin(), rows.end(), 1.0f);
  // Rows of 7 elements, 9 apart, starting one element past the vector.
  const MatrixView view(rows.data() + 1, DType::kFloat32, 4, 7, 9);
  const PackedMatrix packed(view);
  EXPECT_EQ(packed.dtype(), DType::kFloat32);
  EXPECT_EQ(packed.rows(), 4u);
  EXPECT_EQ(packed.cols(), 7u);
  const MatrixView copy = packed.view();
  EXPECT_EQ(copy.row_stride * sizeof(float) % 64, 0u);
  EXPECT_GE(copy.row_stride, 7u);
  EXPECT_GE(packed.nbytes(), 4 * copy.row_stride * sizeof(float) + 4 * sizeof(double));
  for (size_t r = 0; r < 4; ++r) {
    const auto* row = static_cast<const float*>(copy.data) + r * copy.row_stride;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(row) % 64, 0u) << "row " << r;
    for (size_t c = 0; c < 7; ++c) EXPECT_EQ(row[c], rows[1 + r * 9 + c]) << r << "," << c;
  }
  // A copy, not a view: changing the source changes nothing packed.
  const float query[7] = {1, 2, 3, 4, 5, 6, 7};
  float before[4], after[4];
  simdkit::cdist(Metric::kSqEuclidean, MatrixView(query, DType::kFloat32, 1, 7, 7), packed,
                 before, 4, 1);
  std::fill(rows.begin(), rows.end(), 0.0f);
  simdkit::cdist(Metric::kSqEuclidean, MatrixView(query, DType::kFloat32, 1, 7, 7), packed,
                 after, 4, 1);
  for (size_t j = 0; j < 4; ++j) EXPECT_EQ(before[j], after[j]);
  // Copies share the packed rows.
  const PackedMatrix shared = packed;
  EXPECT_EQ(shared.view().data, packed.view().data);
  // Empty shapes pack to empty matrices.
  const PackedMatrix empty(MatrixView(nullptr, DType::kInt8, 0, 5, 5));
  EXPECT_EQ(empty.rows(), 0u);
  EXPECT_EQ(empty.cols(), 5u);
}

TEST(DistancePacked, InvalidArgumentsThrow) {
  EXPECT_THROW(PackedMatrix(MatrixView(nullptr, DType::kFloat32, 2, 3, 3)), std::invalid_argument);
  const float rows[6] = {};
  EXPECT_THROW(PackedMatrix(MatrixView(rows, DType::kFloat32, 2, 3, 2)), std::invalid_argument);
  const PackedMatrix packed(MatrixView(rows, DType::kFloat32, 2, 3, 3));
  float out[4];
  std::int64_t indices[4];
  const double wide[3] = {};
  EXPECT_THROW(simdkit::cdist(Metric::kDot, MatrixView(wide, DType::kFloat64, 1, 3, 3), packed,
                              out, 2),
               std::invalid_argument);
  EXPECT_THROW(simdkit::cdist(Metric::kDot, MatrixView(rows, DType::kFloat32, 1, 2, 2), packed,
                              out, 2),
               std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, MatrixView(rows, DType::kFloat32, 1, 3, 3), packed, 3,
                             indices, out),
               std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, MatrixView(rows, DType::kFloat32, 2, 3, 3), packed, 2,
                             Span<std::int64_t>(indices, 3), Span<float>(out, 4)),
               std::invalid_argument);
  EXPECT_THROW(simdkit::cdist(Metric::kDot, MatrixView(rows, DType::kFloat32, 2, 3, 3), packed,
                              MutableMatrixView(out, DType::kFloat32, 2, 3, 3)),
               std::invalid_argument);
  const PackedMatrix bits(MatrixView(rows, DType::kBits, 1, 4, 4));
  EXPECT_THROW(simdkit::cdist(Metric::kCosine, MatrixView(rows, DType::kBits, 1, 4, 4), bits, out,
                              1),
               std::invalid_argument);
}

// A long sum of one repeated term (0.1 rounded to the dtype), which a single
// accumulator summing every term would get wrong by far more than the
// documented bounds: through the few-rows form (1 and 3 rows) and the panels
// (12 rows), cdist and topk. A lane sums at most kDepthBlock = 256 terms
// before they are added into double, so float32 stays within
// (kDepthBlock + 2) u S; float64's blocks are added in its own precision,
// which adds one u S per block of at least 128 terms.
TEST_P(DistanceTest, LongSumsStayWithinTheDepthBlockBound) {
  Failures failures;
  const size_t n = SampledRun() ? 20011 : 200003;
  for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
    const long double u = AccumulationUnitRoundoff(dtype);
    Array tenths(dtype, 12 * n, 1), ones(dtype, 12 * n, 3);
    for (size_t i = 0; i < 12 * n; ++i) {
      Store(dtype, tenths.element(i), 0.1);
      Store(dtype, ones.element(i), 1.0);
    }
    const long double tenth = ElementValue(dtype, tenths.data(), 0);
    for (size_t rows : {1, 3, 12}) {
      const MatrixView a{tenths.data(), dtype, rows, n, n}, b{ones.data(), dtype, 12, n, n};
      for (Metric metric : {Metric::kDot, Metric::kSqEuclidean, Metric::kCityblock}) {
        const long double term = metric == Metric::kDot         ? tenth
                                 : metric == Metric::kCityblock ? 1 - tenth
                                                                : (1 - tenth) * (1 - tenth);
        const long double exact = term * static_cast<long double>(n);
        const size_t blocks = dtype == DType::kFloat64 ? (n + 127) / 128 : 0;
        const long double bound = static_cast<long double>(256 + blocks + 2) * u * exact;
        Outputs out(dtype, rows * 12);
        simdkit::cdist(metric, a, b, out.data(), 12, 1);
        std::vector<std::int64_t> indices(rows);
        Outputs best(dtype, rows);
        simdkit::topk(metric, a, b, 1, indices.data(), best.data(), 1);
        for (size_t i = 0; i < rows; ++i) {
          for (double got : {out[i * 12 + 11], best[i]}) {
            failures.Expect(std::fabs(got - exact) <= bound, [&] {
              return Describe(metric, dtype) + " " + std::to_string(rows) + " rows n=" +
                     std::to_string(n) + ": " + Format(got) + ", exact " + Format(exact) +
                     ", bound " + Format(bound);
            });
          }
        }
      }
    }
  }
}

// sqeuclidean and euclidean through panels come from the squared norms and
// the dot product, which cancel for close pairs: rows of b that are rows of a
// moved by a relative 2^-9 (float) or 2^-20 (double), with one exact copy, must
// be recomputed from (a-b)^2 (NormFormFloor) and meet distance()'s bound, not
// the norm form's; topk agrees with cdist bit for bit. The few-rows form (3
// rows of a) sums (a-b)^2 itself, so it is held to distance()'s bound.
TEST_P(DistanceTest, CdistRecomputesClosePairsOfTheNormForm) {
  Failures failures;
  std::mt19937_64 rng(20261206);
  for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    const size_t rows = 13, cols = 2 * lanes + 5, few = 3;
    const double step = dtype == DType::kFloat64 ? 0x1p-20 : 0x1p-9;
    Array a(dtype, rows * cols, 1), b(dtype, rows * cols, 3);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (size_t i = 0; i < rows; ++i) {
      for (size_t c = 0; c < cols; ++c) {
        const double value = 4.0 + normal(rng);  // far from 0: |a|^2 >> |a - b|^2
        Store(dtype, a.element(i * cols + c), value);
        // Row 5 of b is an exact copy of row 5 of a; the others move.
        const double moved = i == 5 ? value : value * (1.0 + step * (c % 3 == 0 ? 1.0 : -1.0));
        Store(dtype, b.element(i * cols + c), moved);
      }
    }
    const MatrixView av{a.data(), dtype, rows, cols, cols};
    const MatrixView bv{b.data(), dtype, rows, cols, cols};
    for (Metric metric : {Metric::kSqEuclidean, Metric::kEuclidean}) {
      Outputs rows_out(dtype, rows * rows), few_out(dtype, few * rows);
      simdkit::cdist(metric, av, bv, rows_out.data(), rows, 1);
      const MatrixView few_rows{a.data(), dtype, few, cols, cols};
      simdkit::cdist(metric, few_rows, bv, few_out.data(), rows, 1);
      std::vector<std::int64_t> indices(rows * rows);
      Outputs best(dtype, rows * rows);
      simdkit::topk(metric, av, bv, rows, indices.data(), best.data(), 1);
      for (size_t i = 0; i < rows; ++i) {
        for (size_t j = 0; j < rows; ++j) {
          const auto where = [&] {
            return "cdist " + Describe(metric, dtype) + " close rows at (" + std::to_string(i) +
                   "," + std::to_string(j) + ")";
          };
          const double got = rows_out[i * rows + j];
          const PairSums sums = SumPair(dtype, a.element(i * cols), b.element(j * cols), cols);
          // Close pairs (the diagonal) to distance()'s bound, the others to the
          // norm form's.
          const Expected expected = i == j ? ExpectedDistance(metric, sums)
                                           : ExpectedBatchedDistance(metric, sums);
          ExpectDistance(failures, got, expected, false, where);
          if (i < few) {
            ExpectDistance(failures, few_out[i * rows + j], ExpectedDistance(metric, sums), false,
                           [&] { return where() + " through few rows"; });
          }
        }
        for (size_t r = 0; r < rows; ++r) {
          const size_t j = static_cast<size_t>(indices[i * rows + r]);
          failures.Expect(best[i * rows + r] == rows_out[i * rows + j], [&] {
            return "topk " + Describe(metric, dtype) + " close rows: query " + std::to_string(i) +
                   " row " + std::to_string(j) + " gave " + Format(best[i * rows + r]) +
                   ", cdist " + Format(rows_out[i * rows + j]);
          });
        }
      }
      failures.Expect(rows_out[5 * rows + 5] == 0.0, [&] {
        return "cdist " + Describe(metric, dtype) + ": a row and its copy are " +
               Format(rows_out[5 * rows + 5]) + " apart";
      });
    }
  }
}

// int8/uint8 rows of extremes through cdist's tiles, whose byte products may
// take a native path (AVX3_DL: uint8 x int8 quads, one side offset by 128
// and corrected per row): exact for every column count around the vector.
TEST_P(DistanceTest, CdistIntegerExtremesAreExact) {
  Failures failures;
  for (DType dtype : {DType::kInt8, DType::kUInt8}) {
    std::vector<size_t> columns = MatrixColumns(dtype);
    for (size_t cols : {size_t{63}, size_t{64}, size_t{65}, size_t{129}}) columns.push_back(cols);
    for (size_t cols : columns) {
      const MatrixCase& m = GetMatrixCase(dtype, Fill::kExtremes, 5, 7, cols);
      for (Metric metric : kAllMetrics) ExpectCdist(failures, m, metric, 1);
    }
  }
}

// Rows of ~33 KB: b no longer fits one cache-sized chunk, so the kernel walks
// several; exact small-integer inputs keep the reference cheap.
TEST_P(DistanceTest, CdistOverLongRows) {
  Failures failures;
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kInt8, DType::kBits}) {
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kSmallIntegers, 5, 9, 33000 / simdkit::dtype_size(dtype));
    for (Metric metric : kAllMetrics) {
      if (metric_supports(metric, dtype)) ExpectCdist(failures, m, metric, 1);
    }
  }
}

// Rows too long to pack for the tiles (over 4 MiB packed; see
// kMaxPackedRowBytes): each pair is computed from the inputs as they are,
// with no scratch copy of whole rows. Only integer rows take the tiles
// (floating ones the panels or the few-rows form, which pack no whole row).
TEST_P(DistanceTest, CdistOverRowsTooLongToPack) {
  Failures failures;
  const size_t cols = (size_t{9} << 20) / 4 + 5;  // 4.5 MiB as 16-bit lanes
  // A sampled run (emulated CPUs) takes one pair and sqeuclidean, whose
  // int16 lanes are over the limit on every target (the product's byte
  // quads, where VNNI is, are under it). The references are exact int64
  // sums, cheap even emulated.
  const bool sampled = SampledRun();
  for (DType dtype : {DType::kInt8, DType::kUInt8}) {
    if (sampled && dtype != DType::kInt8) continue;
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, sampled ? 1 : 2, sampled ? 1 : 3, cols);
    for (Metric metric : {Metric::kSqEuclidean, Metric::kDot, Metric::kCosine}) {
      if (sampled && metric != Metric::kSqEuclidean) continue;
      ExpectCdist(failures, m, metric, 1);
    }
  }
}

// Enough work (2^21 element pairs) for cdist and topk to split rows across
// workers: the automatic count and 3 (slices not multiples of the 4-row tile).
// The row split is shared by all metrics and dtypes: a tiled metric, an
// untiled one (jaccard), cosine's precomputed norms and packed bits.
const std::pair<Metric, DType> kThreadedCases[] = {{Metric::kSqEuclidean, DType::kFloat32},
                                                   {Metric::kJaccard, DType::kFloat32},
                                                   {Metric::kCosine, DType::kInt8},
                                                   {Metric::kHamming, DType::kBits}};

TEST_P(DistanceTest, CdistWithWorkerThreads) {
  Failures failures;
  for (auto [metric, dtype] : kThreadedCases) {
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kSmallIntegers, 16, 512, 256);
    for (size_t threads : {0, 3}) ExpectCdist(failures, m, metric, threads);
  }
}

// pdist of `x` against cdist(x, x): every pair i < j in squareform's order
// with cdist's bits (cdist itself is checked against the reference above),
// and nothing written past the last pair.
void ExpectPdist(Failures& failures, Metric metric, const MatrixView& x, size_t threads) {
  const size_t rows = x.rows, pairs = simdkit::pdist_size(rows);
  Outputs square(x.dtype, rows * rows), condensed(x.dtype, pairs + 3);
  if (rows != 0) simdkit::cdist(metric, x, x, square.data(), rows, 1);
  simdkit::pdist(metric, x, condensed.data(), threads);
  const auto where = [&](size_t i, size_t j) {
    return "pdist " + Describe(metric, x.dtype) + " " + std::to_string(rows) + "x" +
           std::to_string(x.cols) + " threads=" + std::to_string(threads) + " at (" +
           std::to_string(i) + "," + std::to_string(j) + ")";
  };
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = i + 1; j < rows; ++j) {
      const double got = condensed[simdkit::pdist_index(rows, i, j)];
      const double want = square[i * rows + j];
      failures.Expect(SameValue(got, want) && std::signbit(got) == std::signbit(want), [&] {
        return where(i, j) + ": " + Format(got) + ", cdist(x, x) gives " + Format(want);
      });
    }
  }
  for (size_t k = pairs; k < pairs + 3; ++k) {
    failures.Expect(condensed[k] == Outputs::kSentinel,
                    [&] { return where(rows, k) + ": written past the last pair"; });
  }
}

// Every form pdist takes: the few-rows square (fewer rows than a panel
// block), panels (whole and partial blocks, rows of a chunk of the packed
// side and several chunks: long rows make chunks short), bands of tiles
// (int8/uint8 where panels are not, packed bits) and pair by pair (jaccard),
// over strided, misaligned rows with ties, zero rows and NaN (MatrixCase's b).
TEST_P(DistanceTest, PdistGivesCdistsUpperTriangle) {
  Failures failures;
  for (DType dtype : kAllDTypes) {
    const size_t lanes = Lanes(dtype == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32);
    // Around a panel block: 12 rows with 32 vector registers, else 6.
    std::vector<size_t> row_counts = {0, 1, 2, 5, 6, 7, 11, 12, 13, 6 * lanes + 13};
    if (!SampledRun()) row_counts.insert(row_counts.end(), {3, 29, 70});
    for (size_t rows : row_counts) {
      for (size_t cols : {size_t{0}, size_t{1}, size_t{33}}) {
        const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, 4, rows, cols);
        for (Metric metric : kAllMetrics) {
          if (!metric_supports(metric, dtype)) continue;
          ExpectPdist(failures, metric, m.ViewB(), 1);
        }
      }
    }
    // 2050 elements a row: the float panels' packed side comes in chunks of
    // at most 32 or 64 rows (float64, float32/bfloat16), which 70 rows
    // cross; the other forms do not chunk. Slow under emulation and
    // sanitizers, so one dtype of each chunk size, and the metrics that go
    // through panels.
    const bool chunked = dtype == DType::kFloat32 ||
                         (!SampledRun() && (dtype == DType::kFloat64 || dtype == DType::kBFloat16));
    if (!chunked) continue;
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kRandom, 4, 70, 2050);
    for (Metric metric : kAllMetrics) {
      if (metric == Metric::kJaccard) continue;  // pair by pair: the short cases above
      // Emulated: the product (dot) and the norm form (sqeuclidean).
      if (SampledRun() && metric != Metric::kDot && metric != Metric::kSqEuclidean) continue;
      for (size_t threads : {1, 3}) ExpectPdist(failures, metric, m.ViewB(), threads);
    }
  }
}

// Checks topk's answer for every query of `m` against the brute-force ranking.
// Exact metrics on small integers must match it index for index. Otherwise
// (cosine, random floats) a rank may hold another row only if the two exact
// distances are within their error bounds of each other; NaN positions,
// exact duplicates (lower index first) and the order of the returned
// distances are still checked exactly.
void ExpectTopk(Failures& failures, const MatrixCase& m, Metric metric, size_t k, size_t threads) {
  const bool strict = m.fill == Fill::kSmallIntegers && metric != Metric::kCosine;
  const auto& ranking = Ranking(m, metric, strict);
  std::vector<std::int64_t> indices(m.rows_a * k + 1, -7);
  Outputs distances(m.dtype, m.rows_a * k + 1);
  simdkit::topk(metric, m.ViewA(), m.ViewB(), k, indices.data(), distances.data(), threads);
  const auto where = [&](size_t q, size_t r) {
    return "topk " + Describe(metric, m.dtype) + " " + std::to_string(m.rows_a) + "x" +
           std::to_string(m.rows_b) + "x" + std::to_string(m.cols) + " k=" + std::to_string(k) +
           " threads=" + std::to_string(threads) + " query " + std::to_string(q) + " rank " +
           std::to_string(r);
  };
  for (size_t q = 0; q < m.rows_a; ++q) {
    std::vector<size_t> rank_of(m.rows_b, m.rows_b);  // rank of each returned row
    for (size_t r = 0; r < k; ++r) {
      const std::int64_t index = indices[q * k + r];
      if (index < 0 || static_cast<size_t>(index) >= m.rows_b || rank_of[index] != m.rows_b) {
        failures.Expect(false, [&] { return where(q, r) + ": bad or repeated index " + std::to_string(index); });
        continue;
      }
      const size_t got = static_cast<size_t>(index);
      rank_of[got] = r;
      const size_t want = ranking[q][r];
      const double distance = distances[q * k + r];
      const Expected expected_got = m.BatchedAt(metric, q, got);
      const Expected expected_want = m.BatchedAt(metric, q, want);
      ExpectDistance(failures, distance, expected_got, false,
                     [&] { return where(q, r) + " distance of row " + std::to_string(got); });
      const bool same_rank =
          strict || std::isnan(expected_want.value)
              ? got == want
              : std::fabs(expected_got.value - expected_want.value) <= expected_got.bound + expected_want.bound;
      failures.Expect(same_rank, [&] {
        return where(q, r) + ": row " + std::to_string(got) + " (exact " + Format(expected_got.value) +
               ") where brute force ranks row " + std::to_string(want) + " (exact " +
               Format(expected_want.value) + ")";
      });
      if (r > 0) {
        const double previous = distances[q * k + r - 1];
        const std::int64_t previous_index = indices[q * k + r - 1];
        const bool ordered = RanksBefore(metric, previous, distance) ||
                             ((previous == distance || (std::isnan(previous) && std::isnan(distance))) &&
                              previous_index < index);
        failures.Expect(ordered, [&] {
          return where(q, r) + ": (" + Format(distance) + ", row " + std::to_string(index) +
                 ") listed after (" + Format(previous) + ", row " + std::to_string(previous_index) + ")";
        });
      }
    }
    for (size_t r = 0; r < k; ++r) {
      const std::int64_t index = indices[q * k + r];
      if (index < 0 || static_cast<size_t>(index) >= m.rows_b) continue;
      const size_t original = m.first_copy[index];
      failures.Expect(original == static_cast<size_t>(index) || rank_of[original] < r, [&] {
        return where(q, r) + ": row " + std::to_string(index) + " ranked before row " +
               std::to_string(original) + ", its exact duplicate with a lower index";
      });
    }
  }
  failures.Expect(indices.back() == -7 && distances[m.rows_a * k] == Outputs::kSentinel,
                  [&] { return where(m.rows_a, 0) + ": wrote past the results"; });
}

TEST_P(DistanceTest, TopkMatchesBruteForceRanking) {
  Failures failures;
  for (DType dtype : kAllDTypes) {
    struct Shape {
      Fill fill;
      size_t queries, rows, cols;
      std::vector<size_t> ks;
    };
    const size_t lanes = Lanes(dtype);
    // Small integers make many exact ties; 35 x 300 spans two query blocks
    // and two candidate blocks of the kernel; random floats rank by bounds.
    // The last two take the panel form for floating dtypes (a vector of
    // queries or more, partial panels and row blocks, depth past 256).
    const Shape shapes[] = {{Fill::kSmallIntegers, 4, 41, 1, {1, 3, 41}},
                            {Fill::kSmallIntegers, 4, 41, 5, {1, 3, 41}},
                            {Fill::kSmallIntegers, 4, 41, lanes + 1, {1, 3, 41}},
                            {Fill::kSmallIntegers, 35, 300, 5, {1, 10}},
                            {Fill::kRandom, 3, 50, 2 * lanes + 1, {1, 5, 50}},
                            {Fill::kRandom, 2 * lanes + 3, 61, 70, {1, 7, 61}},
                            {Fill::kSmallIntegers, lanes + 1, 40, 300, {1, 40}}};
    for (const Shape& shape : shapes) {
      const MatrixCase& m = GetMatrixCase(dtype, shape.fill, shape.queries, shape.rows, shape.cols);
      for (Metric metric : kAllMetrics) {
        if (!metric_supports(metric, dtype)) continue;
        for (size_t k : shape.ks) {
          for (size_t threads : {1, 0}) ExpectTopk(failures, m, metric, k, threads);
        }
      }
    }
  }
}

TEST_P(DistanceTest, TopkWithWorkerThreads) {
  Failures failures;
  for (auto [metric, dtype] : kThreadedCases) {
    const MatrixCase& m = GetMatrixCase(dtype, Fill::kSmallIntegers, 8, 1030, 256);
    for (size_t threads : {0, 3}) ExpectTopk(failures, m, metric, 10, threads);
  }
}

SIMDKIT_INSTANTIATE_PER_TARGET(DistanceTest);

// ---------------------------------------------------------------------------
// Target-independent: 2^24 integer extremes, names, errors
// ---------------------------------------------------------------------------

// 2^24 int8/uint8 elements at their extremes: any lane accumulated in int16,
// or in int32 without flushing, overflows; the results are exact integers
// that float32 represents exactly. 16 MiB per operand, so on the automatic
// target only; the heterogeneous matrix runs it on each target a CPU model
// picks.
TEST(DistanceLarge, IntegerExtremesOver2To24ElementsDoNotOverflow) {
  constexpr size_t kN = size_t{1} << 24;
  struct Case {
    DType dtype;
    int a, b;
    Metric metric;
  };
  std::vector<std::uint8_t> a(kN), b(kN);
  for (const Case& c : {Case{DType::kInt8, -128, -128, Metric::kDot},
                        Case{DType::kInt8, -128, 127, Metric::kSqEuclidean},
                        Case{DType::kUInt8, 255, 255, Metric::kDot},
                        Case{DType::kUInt8, 0, 255, Metric::kSqEuclidean},
                        Case{DType::kUInt8, 0, 255, Metric::kCityblock}}) {
    std::fill(a.begin(), a.end(), static_cast<std::uint8_t>(c.a));
    std::fill(b.begin(), b.end(), static_cast<std::uint8_t>(c.b));
    const double term = c.metric == Metric::kDot         ? c.a * c.b
                        : c.metric == Metric::kCityblock ? std::abs(c.a - c.b)
                                                         : (c.a - c.b) * (c.a - c.b);
    const std::string where = Describe(c.metric, c.dtype) + " a=" + std::to_string(c.a) +
                              " b=" + std::to_string(c.b) + " on " + simdkit::active_target();
    EXPECT_EQ(simdkit::distance(c.metric, c.dtype, a.data(), b.data(), kN), term * kN) << where;
    // cdist's panels (12 x 16 rows of 2^18: sums of 2^32 and more) and, for
    // dot, its 4 x 2 tiles (rows of 2^22) accumulate apart from distance().
    constexpr size_t kPanelCols = kN / 64;
    const MatrixView a_block{a.data(), c.dtype, 12, kPanelCols, kPanelCols};
    const MatrixView b_block{b.data(), c.dtype, 16, kPanelCols, kPanelCols};
    std::vector<float> block_out(12 * 16);
    simdkit::cdist(c.metric, a_block, b_block, block_out.data(), 16, 1);
    for (float value : block_out) EXPECT_EQ(value, term * kPanelCols) << where << " cdist 12x16";
    if (c.metric != Metric::kDot) continue;
    const MatrixView a_rows{a.data(), c.dtype, 4, kN / 4, kN / 4};
    const MatrixView b_rows{b.data(), c.dtype, 2, kN / 4, kN / 4};
    float out[8];
    simdkit::cdist(c.metric, a_rows, b_rows, out, 2, 1);
    for (float value : out) EXPECT_EQ(value, term * (kN / 4)) << where << " cdist";
  }
}

TEST(DistanceApi, MetricNamesRoundTripAndUnknownNamesListTheValidOnes) {
  for (Metric metric : kAllMetrics) {
    EXPECT_EQ(simdkit::metric_from_name(metric_name(metric)), metric) << metric_name(metric);
  }
  for (const char* bad : {"bogus", "Cosine", "", "euclidean "}) {
    try {
      simdkit::metric_from_name(bad);
      ADD_FAILURE() << "expected std::invalid_argument for '" << bad << "'";
    } catch (const std::invalid_argument& error) {
      const std::string message = error.what();
      for (Metric metric : kAllMetrics) {
        EXPECT_NE(message.find(metric_name(metric)), std::string::npos) << message;
      }
      if (*bad != '\0') EXPECT_NE(message.find(bad), std::string::npos) << message;
    }
  }
  std::vector<std::string> names;
  for (DType dtype : kAllDTypes) names.push_back(dtype_name(dtype));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end()) << "dtype names must differ";
}

TEST(DistanceApi, OnlyHammingAndJaccardApplyToBits) {
  for (DType dtype : kAllDTypes) {
    for (Metric metric : kAllMetrics) {
      const bool expected = dtype != DType::kBits || metric == Metric::kHamming || metric == Metric::kJaccard;
      EXPECT_EQ(simdkit::metric_supports(metric, dtype), expected) << Describe(metric, dtype);
    }
  }
  const std::uint8_t a[4] = {1, 2, 3, 4}, b[4] = {4, 3, 2, 1};
  const MatrixView view{a, DType::kBits, 1, 4, 4};
  const MatrixView other{b, DType::kBits, 1, 4, 4};
  float out[1];
  std::int64_t index[1];
  for (Metric metric : {Metric::kDot, Metric::kCosine, Metric::kSqEuclidean, Metric::kEuclidean,
                        Metric::kCityblock}) {
    EXPECT_THROW(simdkit::distance(metric, DType::kBits, a, b, 4), std::invalid_argument);
    EXPECT_THROW(simdkit::paired(metric, view, other, out), std::invalid_argument);
    EXPECT_THROW(simdkit::cdist(metric, view, other, out, 1), std::invalid_argument);
    EXPECT_THROW(simdkit::topk(metric, view, other, 1, index, out), std::invalid_argument);
  }
}

TEST(DistanceApi, InvalidArgumentsThrow) {
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {6, 5, 4, 3, 2, 1};
  float out[8];
  std::int64_t indices[8];
  const MatrixView a_view{a, DType::kFloat32, 2, 3, 3};
  const MatrixView b_view{b, DType::kFloat32, 2, 3, 3};

  // Null pointers with non-empty shapes.
  EXPECT_THROW(simdkit::distance(Metric::kDot, DType::kFloat32, nullptr, b, 3), std::invalid_argument);
  EXPECT_THROW(simdkit::distance(Metric::kDot, DType::kFloat32, a, nullptr, 3), std::invalid_argument);
  MatrixView null_view = a_view;
  null_view.data = nullptr;
  EXPECT_THROW(simdkit::paired(Metric::kDot, null_view, b_view, out), std::invalid_argument);
  EXPECT_THROW(simdkit::paired(Metric::kDot, a_view, b_view, nullptr), std::invalid_argument);
  EXPECT_THROW(simdkit::cdist(Metric::kDot, a_view, null_view, out, 2), std::invalid_argument);
  EXPECT_THROW(simdkit::cdist(Metric::kDot, a_view, b_view, nullptr, 2), std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, null_view, b_view, 1, indices, out), std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, b_view, 1, nullptr, out), std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, b_view, 1, indices, nullptr), std::invalid_argument);

  // k out of range.
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, b_view, 0, indices, out), std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, b_view, 3, indices, out), std::invalid_argument);
  MatrixView no_rows = b_view;
  no_rows.rows = 0;
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, no_rows, 1, indices, out), std::invalid_argument);

  // Operands that do not fit together.
  MatrixView other_cols = b_view;
  other_cols.cols = 2;
  MatrixView other_dtype = b_view;
  other_dtype.dtype = DType::kFloat64;
  MatrixView one_row = b_view;
  one_row.rows = 1;
  EXPECT_THROW(simdkit::cdist(Metric::kDot, a_view, other_cols, out, 2), std::invalid_argument);
  EXPECT_THROW(simdkit::cdist(Metric::kDot, a_view, other_dtype, out, 2), std::invalid_argument);
  EXPECT_THROW(simdkit::paired(Metric::kDot, a_view, other_cols, out), std::invalid_argument);
  EXPECT_THROW(simdkit::paired(Metric::kDot, a_view, one_row, out), std::invalid_argument);
  EXPECT_THROW(simdkit::topk(Metric::kDot, a_view, other_cols, 1, indices, out), std::invalid_argument);

  // Empty shapes are not errors: null pointers are fine there, and nothing is
  // written.
  EXPECT_EQ(simdkit::distance(Metric::kDot, DType::kFloat32, nullptr, nullptr, 0), 0.0);
  EXPECT_TRUE(std::isnan(simdkit::distance(Metric::kCosine, DType::kFloat32, nullptr, nullptr, 0)));
  MatrixView empty = a_view;
  empty.rows = 0;
  empty.data = nullptr;
  out[0] = -1;
  simdkit::cdist(Metric::kDot, empty, b_view, out, 2);
  simdkit::cdist(Metric::kDot, a_view, MatrixView{nullptr, DType::kFloat32, 0, 3, 3}, out, 0);
  simdkit::paired(Metric::kDot, empty, MatrixView{nullptr, DType::kFloat32, 0, 3, 3}, nullptr);
  simdkit::topk(Metric::kDot, empty, b_view, 2, nullptr, nullptr);
  simdkit::pdist(Metric::kDot, empty, nullptr);
  simdkit::pdist(Metric::kDot, one_row, nullptr);
  EXPECT_EQ(out[0], -1.0f);
}

TEST(DistanceApi, PdistRefusesWhatItCannotWrite) {
  float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const MatrixView x_view{x, DType::kFloat32, 4, 3, 3};
  float out[6];
  double doubles[6];
  EXPECT_THROW(simdkit::pdist(Metric::kDot, x_view, nullptr), std::invalid_argument);
  MatrixView null_view = x_view;
  null_view.data = nullptr;
  EXPECT_THROW(simdkit::pdist(Metric::kDot, null_view, out), std::invalid_argument);
  MatrixView short_stride = x_view;
  short_stride.row_stride = 2;
  EXPECT_THROW(simdkit::pdist(Metric::kDot, short_stride, out), std::invalid_argument);
  MatrixView bits = x_view;
  bits.dtype = DType::kBits;
  EXPECT_THROW(simdkit::pdist(Metric::kCosine, bits, out), std::invalid_argument);
  // The output over the input, whole or in part.
  EXPECT_THROW(simdkit::pdist(Metric::kDot, x_view, x + 6), std::invalid_argument);
  // View forms: the size and the result type.
  EXPECT_THROW(simdkit::pdist(Metric::kDot, x_view, Span<float>(out, 5)), std::invalid_argument);
  EXPECT_THROW(simdkit::pdist(Metric::kDot, x_view, Span<double>(doubles, 6)),
               std::invalid_argument);
  simdkit::pdist(Metric::kDot, x_view, Span<float>(out, 6));
  EXPECT_EQ(out[simdkit::pdist_index(4, 1, 3)], 4 * 10 + 5 * 11 + 6 * 12);
  EXPECT_EQ(simdkit::pdist_size(0), 0u);
  EXPECT_EQ(simdkit::pdist_size(1), 0u);
  EXPECT_EQ(simdkit::pdist_size(4), 6u);
  EXPECT_THROW(simdkit::pdist_size(std::numeric_limits<size_t>::max()), std::invalid_argument);
}

}  // namespace
}  // namespace simdkit::testing
