// The math family on every compiled target the CPU supports: each function
// against a long double reference (ULP error within the bound of
// kUlpBounds), special values as NumPy gives them, every size up to
// 3 lanes + 1, unaligned and in-place calls, and the row kernels against
// their definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "simdkit/math.h"
#include "cpp/math_reference.h"
#include "cpp/target_param.h"

namespace simdkit {
namespace {

using simdkit::testing::BoundOf;
using simdkit::testing::ExactValue;
using simdkit::testing::HalfFormatSpec;
using simdkit::testing::HalfUlpError;
using simdkit::testing::kHalfFormats;
using simdkit::testing::PerTarget;
using simdkit::testing::UlpBound;
using simdkit::testing::UlpError;

// Where each function is sampled: [low, high], log-uniformly in magnitude
// when `log_scale` (both signs if low < 0).
struct Domain {
  double low, high;
  bool log_scale;
};

Domain DomainOf(Function function, bool is_float) {
  const double exp_edge = is_float ? 88.0 : 709.0;
  switch (function) {
    case Function::kExp:
    case Function::kExpm1: return {-exp_edge - 15, exp_edge, false};
    case Function::kLog:
    case Function::kLog2:
    case Function::kLog10:
    case Function::kSqrt: return {0, is_float ? 3e38 : 1e308, true};
    case Function::kLog1p: return {-0.999, 1e30, true};
    case Function::kSin:
    case Function::kCos: return {-1e5, 1e5, false};
    case Function::kTanh:
    case Function::kAtan:
    case Function::kAsinh: return {-1e30, 1e30, true};
    case Function::kSinh: return {-exp_edge - 1, exp_edge + 1, false};
    case Function::kAsin:
    case Function::kAcos: return {-1, 1, false};
    case Function::kSigmoid:
    case Function::kSoftplus:
    case Function::kSilu:
    case Function::kGeluTanh:
    case Function::kGelu: return {is_float ? -110.0 : -750.0, 60, false};  // into the subnormal tail
    case Function::kExp2: return {is_float ? -160.0 : -1090.0, is_float ? 130.0 : 1030.0, false};
    case Function::kCosh: return {-exp_edge - 2, exp_edge + 2, false};
    case Function::kAtanh: return {-1, 1, false};
    case Function::kAcosh: return {1, is_float ? 3e38 : 1e308, true};
    case Function::kTan: return {-1e5, 1e5, false};
    case Function::kErf: return {-7, 7, false};
    case Function::kErfc: return {-7, is_float ? 11.0 : 28.0, false};  // into the subnormal tail
    case Function::kCbrt: return {is_float ? -3e38 : -1e308, is_float ? 3e38 : 1e308, true};
  }
  return {-1, 1, false};
}

template <typename T>
std::vector<T> Samples(const Domain& domain, size_t count, std::mt19937_64& rng) {
  std::vector<T> values(count);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (T& value : values) {
    if (domain.log_scale) {
      const double high = std::max(std::fabs(domain.low), std::fabs(domain.high));
      const double tiny = std::numeric_limits<T>::denorm_min();
      double magnitude = std::exp(std::log(tiny) + unit(rng) * (std::log(high) - std::log(tiny)));
      if (domain.low < 0 && rng() % 2) magnitude = domain.low > -1 ? -std::min(magnitude, -domain.low) : -magnitude;
      value = static_cast<T>(magnitude);
    } else {
      value = static_cast<T>(domain.low + unit(rng) * (domain.high - domain.low));
    }
  }
  return values;
}

class MathTest : public PerTarget {};

// The samples of `function` and their references, computed once per process
// and shared by every target's test: long double is software quad precision
// on aarch64, which under qemu would cost minutes per target.
template <typename T>
struct SampledCase {
  std::vector<T> x;
  std::vector<long double> reference;
};

template <typename T>
const SampledCase<T>& GetSampledCase(Function function, size_t count) {
  static std::map<std::pair<Function, size_t>, SampledCase<T>> cache;
  auto [entry, inserted] = cache.try_emplace({function, count});
  if (inserted) {
    std::mt19937_64 rng(42 + static_cast<int>(function));
    entry->second.x = Samples<T>(DomainOf(function, sizeof(T) == 4), count, rng);
    for (T value : entry->second.x) entry->second.reference.push_back(ExactValue(function, value));
  }
  return entry->second;
}

template <typename T>
void ExpectWithinBound(Function function, size_t count) {
  const bool is_float = sizeof(T) == 4;
  const SampledCase<T>& sampled = GetSampledCase<T>(function, count);
  const std::vector<T>& x = sampled.x;
  std::vector<T> y(x.size());
  apply(function, x.data(), y.data(), x.size());
  const UlpBound bound = BoundOf(function);
  const double limit = is_float ? bound.f32 : bound.f64;
  double worst = 0;
  T worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double error = UlpError(y[i], sampled.reference[i]);
    if (error > worst) {
      worst = error;
      worst_x = x[i];
    }
  }
  EXPECT_LE(worst, limit) << function_name(function) << (is_float ? " f32" : " f64") << " at x="
                          << static_cast<double>(worst_x) << " on " << active_target();
}

TEST_P(MathTest, EveryFunctionIsWithinItsUlpBound) {
  for (size_t i = 0; i < kFunctionCount; ++i) {
    const auto function = static_cast<Function>(i);
    ExpectWithinBound<float>(function, 20000);
    ExpectWithinBound<double>(function, 20000);
  }
}

template <typename T>
void ExpectSpecialValues() {
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T big = std::numeric_limits<T>::max();
  const T tiny = std::numeric_limits<T>::denorm_min();
  // 0x7f3504f4: the largest floats make erfc's z + s overflow (gelu once
  // gave NaN there).
  const T huge = sizeof(T) == 4 ? static_cast<T>(2.40615985e+38f) : T(1e308);
  const std::vector<T> specials = {huge, T(0),  T(-0.0), inf,   -inf,  nan,    big,    -big,
                                   tiny,  -tiny,   T(1),  T(-1), T(1.5), T(-1.5), T(100),
                                   T(-100), T(1000), T(-1000), T(1e6), T(-1e6)};
  for (size_t i = 0; i < kFunctionCount; ++i) {
    const auto function = static_cast<Function>(i);
    std::vector<T> y(specials.size());
    apply(function, specials.data(), y.data(), specials.size());
    for (size_t k = 0; k < specials.size(); ++k) {
      const T x = specials[k];
      const long double ref = ExactValue(function, x);
      const T expected = static_cast<T>(ref);
      // Zeros and infinities exactly, with their signs; the rest within
      // the functions' error (the ULP test bounds it properly).
      const bool ok = std::isnan(expected) ? std::isnan(y[k])
                      : (expected == 0 || std::isinf(expected))
                          ? y[k] == expected && std::signbit(y[k]) == std::signbit(expected)
                          : UlpError(y[k], ref) <= 64;
      EXPECT_TRUE(ok) << function_name(function) << (sizeof(T) == 4 ? " f32" : " f64") << "("
                      << static_cast<double>(x) << ") = " << static_cast<double>(y[k])
                      << ", expected " << static_cast<double>(expected) << " on "
                      << active_target();
    }
  }
}

TEST_P(MathTest, SpecialValuesAsNumPy) {
  ExpectSpecialValues<float>();
  ExpectSpecialValues<double>();
}

// Every size up to 3 vectors + 1 at every misalignment, out of place and in
// place: the same values as one long call, and nothing written past n.
TEST_P(MathTest, SizesOffsetsAndInPlace) {
  constexpr size_t kMax = 3 * 64 / sizeof(float) + 1;  // 3 x 512-bit vectors + 1
  std::mt19937_64 rng(7);
  std::vector<float> x = Samples<float>({-3, 3, false}, kMax + 8, rng);
  for (Function function : {Function::kExp, Function::kSin, Function::kGelu, Function::kSqrt}) {
    std::vector<float> whole(x.size());
    apply(function, x.data(), whole.data(), x.size());
    for (size_t offset = 0; offset < 4; ++offset) {
      for (size_t n = 0; n <= kMax; ++n) {
        std::vector<float> y(n + 8, -7.0f);
        apply(function, x.data() + offset, y.data() + 1, n);
        EXPECT_EQ(y[0], -7.0f);
        for (size_t i = 0; i < n; ++i) {
          EXPECT_EQ(std::memcmp(&y[1 + i], &whole[offset + i], sizeof(float)), 0)
              << function_name(function) << " n=" << n << " offset=" << offset << " i=" << i;
        }
        for (size_t i = n + 1; i < y.size(); ++i) EXPECT_EQ(y[i], -7.0f) << "wrote past n=" << n;
        std::vector<float> in_place(x.begin() + offset, x.begin() + offset + n);
        apply(function, in_place.data(), in_place.data(), n);
        // (memcmp must not see the null data() of an empty vector.)
        if (n > 0) EXPECT_EQ(std::memcmp(in_place.data(), whole.data() + offset, n * sizeof(float)), 0);
      }
    }
  }
}

template <typename T>
void ExpectRowKernels() {
  std::mt19937_64 rng(3);
  const size_t rows = 5;
  for (size_t cols : {size_t{1}, size_t{3}, size_t{17}, size_t{64}, size_t{1000}}) {
    const size_t stride = cols + 3;
    std::vector<T> x(rows * stride);
    for (T& v : x) v = static_cast<T>(std::normal_distribution<double>(0, 30)(rng));
    x[0] = T(1e4);  // far past exp's overflow: stability
    const MatrixView view{x.data(), sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64, rows, cols,
                          stride};
    std::vector<T> soft(rows * cols), log_soft(rows * cols), unit(rows * cols), lse(rows);
    softmax(view, soft.data(), cols);
    log_softmax(view, log_soft.data(), cols);
    normalize(view, unit.data(), cols);
    logsumexp(view, lse.data());
    const double tolerance = sizeof(T) == 4 ? 2e-5 : 1e-12;
    for (size_t r = 0; r < rows; ++r) {
      const T* row = x.data() + r * stride;
      long double m = row[0], sum = 0, squares = 0;
      for (size_t c = 0; c < cols; ++c) m = std::max<long double>(m, row[c]);
      for (size_t c = 0; c < cols; ++c) {
        sum += std::exp(row[c] - m);
        squares += static_cast<long double>(row[c]) * row[c];
      }
      const long double total = m + std::log(sum);
      EXPECT_NEAR(lse[r], total, tolerance * std::max<long double>(1, std::fabs(total)));
      for (size_t c = 0; c < cols; ++c) {
        const long double p = std::exp(row[c] - m) / sum;
        EXPECT_NEAR(soft[r * cols + c], p, tolerance * std::max<long double>(p, 1e-30L)) << cols;
        EXPECT_NEAR(log_soft[r * cols + c], row[c] - total,
                    tolerance * std::max<long double>(1, std::fabs(row[c] - total)));
        EXPECT_NEAR(unit[r * cols + c], row[c] / std::sqrt(squares), tolerance);
      }
    }
  }
}

TEST_P(MathTest, RowKernelsMatchTheirDefinitions) {
  ExpectRowKernels<float>();
  ExpectRowKernels<double>();
}

// log_softmax is (x - max) - log(sum): with equal entries it is exactly
// -log(n), however large they are (x - (max + log(sum)) would keep only the
// digits of log(n) that survive next to the max).
TEST_P(MathTest, LogSoftmaxKeepsItsDigitsUnderALargeMax) {
  for (const float value : {127.0f, 1e4f, -3e4f}) {
    const std::vector<float> row(3, value);
    const MatrixView view{row.data(), DType::kFloat32, 1, 3, 3};
    std::vector<float> out(3);
    log_softmax(view, out.data(), 3);
    for (const float y : out) EXPECT_EQ(y, -std::log(3.0f)) << value;
  }
}

TEST_P(MathTest, RowKernelEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Zero row stays zero under normalize; a NaN row is NaN; huge values do
  // not overflow the norm; logsumexp of an empty row is -Inf.
  const std::vector<float> rows = {0, 0, 0, 1, nan, 2, 3e38f, 3e38f, 0, -inf, -inf, -inf};
  const MatrixView view{rows.data(), DType::kFloat32, 4, 3, 3};
  std::vector<float> unit(12), lse(4), soft(12);
  normalize(view, unit.data(), 3);
  EXPECT_EQ(unit[0], 0.0f);
  EXPECT_TRUE(std::isnan(unit[4]));
  EXPECT_NEAR(unit[6], 0.70710678f, 1e-6f);
  logsumexp(view, lse.data());
  EXPECT_TRUE(std::isnan(lse[1]));
  EXPECT_EQ(lse[3], -inf);
  EXPECT_NEAR(lse[2], 3e38f, 3e32f);
  softmax(view, soft.data(), 3);
  EXPECT_NEAR(soft[0], 1.0f / 3, 1e-7f);
  // As SciPy: a NaN anywhere, or a row of -Inf (x - max is NaN), gives a
  // NaN row; a row of one vector takes its own path (SoftmaxOfOneVector).
  for (size_t c : {3, 4, 5, 9, 10, 11}) EXPECT_TRUE(std::isnan(soft[c])) << c;
  EXPECT_EQ(soft[6], 0.5f);
  EXPECT_EQ(soft[7], 0.5f);
  EXPECT_EQ(soft[8], 0.0f);
  const MatrixView empty{rows.data(), DType::kFloat32, 2, 0, 0};
  logsumexp(empty, lse.data());
  EXPECT_EQ(lse[0], -inf);
  // A max of +Inf: log_softmax is NaN at +Inf and -Inf elsewhere, as SciPy's
  // (it was NaN throughout; found with the math fuzzer's SciPy reference).
  const std::vector<float> with_inf = {inf, 1, -inf};
  std::vector<float> log_soft(3);
  log_softmax(MatrixView{with_inf.data(), DType::kFloat32, 1, 3, 3}, log_soft.data(), 3);
  EXPECT_TRUE(std::isnan(log_soft[0]));
  EXPECT_EQ(log_soft[1], -inf);
  EXPECT_EQ(log_soft[2], -inf);
  // Two equal entries far from 0: -log 2 each, not 0 (log_softmax once
  // subtracted max + log(sum), whose rounding lost log(sum); math fuzzer).
  const std::vector<float> large = {1e36f, 1e36f, 0};
  log_softmax(MatrixView{large.data(), DType::kFloat32, 1, 3, 3}, log_soft.data(), 3);
  EXPECT_NEAR(log_soft[0], -0.6931472f, 1e-6f);
  EXPECT_NEAR(log_soft[1], -0.6931472f, 1e-6f);
  // NaN where x86's Max compares it last: still a NaN row (SSE4 took this
  // float64 row for a zero row and copied it; math fuzzer).
  const double nan64 = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> nan_row = {-730, nan64, nan64};
  std::vector<double> unit64(3);
  normalize(MatrixView{nan_row.data(), DType::kFloat64, 1, 3, 3}, unit64.data(), 3);
  for (double v : unit64) EXPECT_TRUE(std::isnan(v)) << v << " on " << active_target();
}

// Every float16 and bfloat16 pattern through every function: the result is
// the exact value rounded to the format or a neighbour (float32's few ULP
// are far below a 16-bit ULP), and NaN/Inf exactly where they belong.
// The exact value of `function` at every pattern of `format`, once per
// process (see GetSampledCase).
// Every 16-bit pattern; in a sampled run (emulated CPUs) every 37th, with
// each pattern near zero (subnormals) and at the top of the exponent range
// (the largest finite values, Inf and NaN of both formats) kept.
const std::vector<std::uint16_t>& HalfPatterns() {
  static const std::vector<std::uint16_t> patterns = [] {
    std::vector<std::uint16_t> all;
    for (std::uint32_t bits = 0; bits < (1u << 16); ++bits) {
      const std::uint32_t magnitude = bits & 0x7fff;
      if (!simdkit::testing::SampledRun() || bits % 37 == 0 || magnitude < 64 ||
          magnitude >= 0x7c00) {
        all.push_back(static_cast<std::uint16_t>(bits));
      }
    }
    return all;
  }();
  return patterns;
}

const std::vector<long double>& HalfReferences(const HalfFormatSpec& format, Function function) {
  static std::map<std::pair<DType, Function>, std::vector<long double>> cache;
  auto [entry, inserted] = cache.try_emplace({format.dtype, function});
  if (inserted) {
    for (std::uint16_t bits : HalfPatterns()) {
      entry->second.push_back(ExactValue(function, format.value(bits)));
    }
  }
  return entry->second;
}

TEST_P(MathTest, HalfFormatsOverEveryPattern) {
  std::vector<std::uint16_t> x = HalfPatterns(), y(x.size());
  for (const HalfFormatSpec& format : kHalfFormats) {
    for (std::size_t f = 0; f < kFunctionCount; ++f) {
      const auto function = static_cast<Function>(f);
      const std::vector<long double>& references = HalfReferences(format, function);
      apply(function, format.dtype, x.data(), y.data(), x.size());
      double worst = 0;
      std::size_t worst_at = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double error = HalfUlpError(format, y[i], references[i]);
        if (error > worst) {
          worst = error;
          worst_at = i;
        }
      }
      EXPECT_LE(worst, 1.0) << function_name(function) << " " << dtype_name(format.dtype)
                            << " at bits 0x" << std::hex << x[worst_at] << std::dec << " (x = "
                            << static_cast<double>(format.value(x[worst_at]))
                            << ") on " << active_target();
    }
    // In place gives the same bits.
    std::vector<std::uint16_t> in_place = x;
    apply(Function::kTanh, format.dtype, in_place.data(), in_place.data(), in_place.size());
    apply(Function::kTanh, format.dtype, x.data(), y.data(), x.size());
    EXPECT_EQ(in_place, y) << dtype_name(format.dtype);
  }
}

// sqrt is correctly rounded in float32, and rounding that to a 16-bit format
// (8 or 11 significand bits) gives the correctly rounded 16-bit sqrt, as
// 24 >= 2 * 11 + 2. So every target gives the same bits, whether it computes
// in float32 or natively in float16 (AVX512-FP16 on AVX3_SPR).
TEST_P(MathTest, HalfSqrtIsCorrectlyRounded) {
  const std::vector<std::uint16_t>& x = HalfPatterns();
  std::vector<std::uint16_t> y(x.size());
  for (const HalfFormatSpec& format : kHalfFormats) {
    apply(Function::kSqrt, format.dtype, x.data(), y.data(), x.size());
    size_t mismatches = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::uint16_t expected =
          format.round(std::sqrt(static_cast<float>(format.value(x[i]))));
      const bool both_nan =
          std::isnan(format.value(expected)) && std::isnan(format.value(y[i]));
      if (y[i] != expected && !both_nan && mismatches++ < 5) {
        ADD_FAILURE() << dtype_name(format.dtype) << " sqrt of bits 0x" << std::hex << x[i]
                      << ": got 0x" << y[i] << ", expected 0x" << expected << std::dec << " on "
                      << active_target();
      }
    }
    EXPECT_EQ(mismatches, 0u) << dtype_name(format.dtype);
    // Every length and offset of a row, and in place.
    for (std::size_t n : {std::size_t{1}, std::size_t{31}, std::size_t{33}, std::size_t{100}}) {
      std::vector<std::uint16_t> in_place(x.begin() + 1, x.begin() + 1 + n), out(n);
      apply(Function::kSqrt, format.dtype, in_place.data(), out.data(), n);
      apply(Function::kSqrt, format.dtype, in_place.data(), in_place.data(), n);
      EXPECT_EQ(in_place, out) << dtype_name(format.dtype) << " n=" << n;
      EXPECT_TRUE(std::equal(out.begin(), out.end(), y.begin() + 1)) << dtype_name(format.dtype);
    }
  }
}

// Row kernels over 16-bit rows: float32 on the widened values, then rounded.
TEST_P(MathTest, HalfFormatRowKernels) {
  std::mt19937_64 rng(5);
  const std::size_t rows = 3, cols = 37;
  for (const HalfFormatSpec& format : kHalfFormats) {
    std::vector<std::uint16_t> x(rows * cols), y(rows * cols), lse(rows);
    std::vector<float> wide(rows * cols), wide_y(rows * cols), wide_lse(rows);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = format.round(static_cast<float>(std::normal_distribution<double>(0, 4)(rng)));
      wide[i] = static_cast<float>(format.value(x[i]));
    }
    const MatrixView view{x.data(), format.dtype, rows, cols, cols};
    const MatrixView wide_view{wide.data(), DType::kFloat32, rows, cols, cols};
    for (RowFunction function : {RowFunction::kSoftmax, RowFunction::kLogSoftmax, RowFunction::kNormalize}) {
      apply_rowwise(function, view, y.data(), cols);
      apply_rowwise(function, wide_view, wide_y.data(), cols);
      for (std::size_t i = 0; i < y.size(); ++i) {
        EXPECT_EQ(y[i], format.round(wide_y[i])) << dtype_name(format.dtype) << " row function "
                                                 << static_cast<int>(function) << " at " << i;
      }
    }
    logsumexp(view, lse.data());
    logsumexp(wide_view, wide_lse.data());
    for (std::size_t r = 0; r < rows; ++r) EXPECT_EQ(lse[r], format.round(wide_lse[r]));
  }
}

TEST(MathApi, NamesAndBadArguments) {
  for (size_t i = 0; i < kFunctionCount; ++i) {
    const auto function = static_cast<Function>(i);
    EXPECT_EQ(function_from_name(function_name(function)), function);
  }
  try {
    function_from_name("expp");
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("gelu_tanh"), std::string::npos) << error.what();
  }
  std::vector<float> x(8, 1.0f);
  EXPECT_THROW(apply(Function::kExp, x.data(), x.data() + 1, 7), std::invalid_argument);
  EXPECT_THROW(apply(Function::kExp, DType::kInt8, x.data(), x.data(), 8), std::invalid_argument);
  EXPECT_THROW(apply(Function::kExp, static_cast<const float*>(nullptr), x.data(), 8),
               std::invalid_argument);
  apply(Function::kExp, static_cast<const float*>(nullptr), nullptr, 0);  // empty: fine
}

// threads splits the work without changing a bit: elementwise chunks of a
// row that is not a whole number of chunks (in place too), and whole rows of
// the row kernels and logsumexp; float16 through its widening buffers.
TEST(MathThreads, EveryThreadCountGivesTheSameBits) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-30.0f, 30.0f);
  // Under emulation, one function and one count over just enough elements
  // for threads to start (a few seconds instead of minutes).
  const bool sampled = simdkit::testing::SampledRun();
  const size_t n = (sampled ? 1 : 3) * (size_t{1} << 18) + 17;
  const std::vector<Function> functions =
      sampled ? std::vector<Function>{Function::kExp}
              : std::vector<Function>{Function::kExp, Function::kLog1p, Function::kGelu};
  const std::vector<size_t> counts =
      sampled ? std::vector<size_t>{2} : std::vector<size_t>{0, 2, 3};
  std::vector<float> x(n);
  for (float& value : x) value = uniform(rng);
  std::vector<float> one(n), many(n);
  std::vector<uint16_t> half(n), half_one(n), half_many(n);
  for (size_t i = 0; i < n; ++i) half[i] = simdkit::testing::FloatToHalf(x[i] / 8);
  for (const Function function : functions) {
    apply(function, DType::kFloat32, x.data(), one.data(), n, 1);
    apply(function, DType::kFloat16, half.data(), half_one.data(), n, 1);
    for (const size_t threads : counts) {
      // Stale results from the previous call would hide a skipped chunk.
      std::fill(many.begin(), many.end(), std::numeric_limits<float>::quiet_NaN());
      std::fill(half_many.begin(), half_many.end(), uint16_t{0x7E00});
      apply(function, DType::kFloat32, x.data(), many.data(), n, threads);
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), n * sizeof(float)))
          << function_name(function) << " threads=" << threads;
      many = x;
      apply(function, DType::kFloat32, many.data(), many.data(), n, threads);
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), n * sizeof(float)))
          << function_name(function) << " in place, threads=" << threads;
      apply(function, DType::kFloat16, half.data(), half_many.data(), n, threads);
      EXPECT_EQ(half_one, half_many) << function_name(function) << " float16, threads=" << threads;
    }
  }
  const size_t cols = 100, stride = cols + 3, rows = n / stride;
  const MatrixView matrix{x.data(), DType::kFloat32, rows, cols, stride};
  std::vector<float> lse_one(rows), lse_many(rows);
  logsumexp(matrix, lse_one.data(), 1);
  for (const RowFunction function :
       {RowFunction::kSoftmax, RowFunction::kLogSoftmax, RowFunction::kNormalize}) {
    std::fill(one.begin(), one.end(), 0.0f);
    apply_rowwise(function, matrix, one.data(), cols, 1);
    for (const size_t threads : counts) {
      std::fill(many.begin(), many.end(), 0.0f);
      apply_rowwise(function, matrix, many.data(), cols, threads);
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), rows * cols * sizeof(float)))
          << "row function " << static_cast<int>(function) << " threads=" << threads;
      std::fill(lse_many.begin(), lse_many.end(), 0.0f);
      logsumexp(matrix, lse_many.data(), threads);
      EXPECT_EQ(lse_one, lse_many) << "logsumexp threads=" << threads;
    }
  }
  // Rows of an elementwise call are split whole, each row's stride kept.
  std::fill(one.begin(), one.end(), 0.0f);
  std::fill(many.begin(), many.end(), 0.0f);
  apply_rows(Function::kSin, matrix, one.data(), stride, 1);
  apply_rows(Function::kSin, matrix, many.data(), stride, 2);
  EXPECT_EQ(0, std::memcmp(one.data(), many.data(), n * sizeof(float)));
}

SIMDKIT_INSTANTIATE_PER_TARGET(MathTest);

}  // namespace
}  // namespace simdkit
