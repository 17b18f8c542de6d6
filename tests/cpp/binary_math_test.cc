// The binary math functions (atan2, hypot, power) on every compiled target
// the CPU supports: sampled pairs against a long double reference (ULP
// bounds of binary_math_reference.h), every pair of special values against
// the C library's C99 answers, every size up to 3 vectors + 1 at several
// misalignments in each broadcast form, 2-D batches with broadcast rows and
// columns and row offsets, in place, float16/bfloat16, threads, and the
// refused arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpp/binary_math_reference.h"
#include "cpp/math_reference.h"
#include "cpp/target_param.h"
#include "simdkit/math.h"

namespace simdkit {
namespace {

using simdkit::testing::BinaryBoundOf;
using simdkit::testing::ExactBinaryValue;
using simdkit::testing::HalfFormatOf;
using simdkit::testing::HalfUlpError;
using simdkit::testing::PerTarget;
using simdkit::testing::SampledRun;
using simdkit::testing::UlpError;

constexpr BinaryFunction kAllBinary[] = {BinaryFunction::kAtan2, BinaryFunction::kHypot,
                                         BinaryFunction::kPower};

template <typename T>
constexpr DType DTypeOf() {
  return sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
}

// |v| log-uniform between the smallest subnormal and the largest finite
// value, either sign.
template <typename T>
T AnyMagnitude(std::mt19937_64& rng, bool signed_too = true) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double low = std::log(static_cast<double>(std::numeric_limits<T>::denorm_min()));
  const double high = std::log(static_cast<double>(std::numeric_limits<T>::max()));
  T value = static_cast<T>(std::exp(low + unit(rng) * (high - low)));
  if (std::isinf(value)) value = std::numeric_limits<T>::max();
  return signed_too && rng() % 2 ? -value : value;
}

// Pairs (a, b) that reach each function's paths: the whole range, typical
// values, angles near the octant edges; for power, exponents that take
// y log2 x through the overflow and underflow edges, bases near 1 with huge
// exponents, negative bases with integer exponents.
template <typename T>
std::pair<std::vector<T>, std::vector<T>> SamplePairs(BinaryFunction function, size_t count,
                                                      std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<T> a(count), b(count);
  const bool is_float = sizeof(T) == 4;
  for (size_t i = 0; i < count; ++i) {
    const int form = static_cast<int>(i % 4);
    if (function != BinaryFunction::kPower) {
      if (form == 0) {
        a[i] = AnyMagnitude<T>(rng);
        b[i] = AnyMagnitude<T>(rng);
      } else if (form == 1) {
        a[i] = static_cast<T>(unit(rng) * 20 - 10);
        b[i] = static_cast<T>(unit(rng) * 20 - 10);
      } else {
        b[i] = static_cast<T>((unit(rng) * 20 - 10) * std::exp(unit(rng) * 40 - 20));
        const double ratio = form == 2 ? std::exp(unit(rng) * 14 - 7) : 1 + (unit(rng) - 0.5) * 1e-3;
        a[i] = static_cast<T>(b[i] * ratio * (rng() % 2 ? -1 : 1));
      }
      continue;
    }
    const double z_low = is_float ? -155 : -1080, z_high = is_float ? 130 : 1030;
    if (form == 0) {
      a[i] = static_cast<T>(unit(rng) * 10);
      b[i] = static_cast<T>(unit(rng) * 80 - 40);
    } else if (form == 1) {
      a[i] = AnyMagnitude<T>(rng, false);
      const double z = z_low + unit(rng) * (z_high - z_low);
      b[i] = static_cast<T>(z / std::log2(static_cast<double>(a[i])));
    } else if (form == 2) {
      const double eps = std::ldexp(unit(rng) - 0.5, -static_cast<int>(rng() % (is_float ? 23 : 52)));
      a[i] = static_cast<T>(1 + eps);
      const double z = z_low + unit(rng) * (z_high - z_low);
      const double l = std::log2(static_cast<double>(a[i]));
      b[i] = l == 0 ? T(1e30) : static_cast<T>(z / l);
    } else {
      a[i] = static_cast<T>(-(unit(rng) * 10));
      b[i] = static_cast<T>(std::floor(unit(rng) * 121) - 60);
    }
  }
  return {a, b};
}

// The worst ULP error over `count` sampled pairs (seeded per function), and
// where it is.
template <typename T>
struct Worst {
  double error = 0;
  T a = 0, b = 0, y = 0;
};

template <typename T>
Worst<T> WorstOverPairs(BinaryFunction function, size_t count, unsigned seed) {
  std::mt19937_64 rng(seed + static_cast<unsigned>(function));
  const auto [a, b] = SamplePairs<T>(function, count, rng);
  std::vector<T> y(count);
  apply(function, a.data(), b.data(), y.data(), count);
  Worst<T> worst;
  for (size_t i = 0; i < count; ++i) {
    const double error = UlpError(y[i], ExactBinaryValue(function, a[i], b[i]));
    if (error > worst.error) worst = {error, a[i], b[i], y[i]};
  }
  return worst;
}

template <typename T>
void ExpectWithinBound(BinaryFunction function, size_t count) {
  const Worst<T> worst = WorstOverPairs<T>(function, count, 1234);
  const double limit = sizeof(T) == 4 ? BinaryBoundOf(function).f32 : BinaryBoundOf(function).f64;
  EXPECT_LE(worst.error, limit) << binary_function_name(function)
                                << (sizeof(T) == 4 ? " f32" : " f64") << "("
                                << static_cast<double>(worst.a) << ", "
                                << static_cast<double>(worst.b) << ") = "
                                << static_cast<double>(worst.y) << " on " << active_target();
}

class BinaryMathTest : public PerTarget {};

TEST_P(BinaryMathTest, EveryFunctionIsWithinItsUlpBound) {
  const size_t count = SampledRun() ? 4000 : 200000;
  for (BinaryFunction function : kAllBinary) {
    ExpectWithinBound<float>(function, count);
    ExpectWithinBound<double>(function, count);
  }
}

// Every pair of special values, against the C library (C99 Annex F, as
// NumPy gives them): zeros and infinities with their signs exactly, NaN
// where it belongs, the rest within the bound.
template <typename T>
void ExpectSpecialPairs() {
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T big = std::numeric_limits<T>::max();
  const T tiny = std::numeric_limits<T>::denorm_min();
  const T smallest = std::numeric_limits<T>::min();
  const std::vector<T> values = {T(0),  T(-0.0), inf,    -inf,   nan,     T(1),    T(-1),
                                 T(2),  T(-2),   T(3),   T(-3),  T(0.5),  T(-0.5), T(1) / T(3),
                                 T(-8), big,     -big,   tiny,   -tiny,   smallest, T(1e10),
                                 T(-1e10), T(1.5), T(-1.5), T(1e-10), T(0.75), T(-0.75)};
  std::vector<T> a, b;
  for (T u : values) {
    for (T v : values) {
      a.push_back(u);
      b.push_back(v);
    }
  }
  for (BinaryFunction function : kAllBinary) {
    std::vector<T> y(a.size());
    apply(function, a.data(), b.data(), y.data(), a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      const long double ref = ExactBinaryValue(function, a[i], b[i]);
      const T expected = static_cast<T>(ref);
      const bool ok = std::isnan(expected) ? std::isnan(y[i])
                      : (expected == 0 || std::isinf(expected))
                          ? y[i] == expected && std::signbit(y[i]) == std::signbit(expected)
                          : UlpError(y[i], ref) <= 2;
      EXPECT_TRUE(ok) << binary_function_name(function) << (sizeof(T) == 4 ? " f32" : " f64")
                      << "(" << static_cast<double>(a[i]) << ", " << static_cast<double>(b[i])
                      << ") = " << static_cast<double>(y[i]) << ", expected "
                      << static_cast<double>(expected) << " on " << active_target();
    }
  }
}

TEST_P(BinaryMathTest, SpecialValuesAsC99) {
  ExpectSpecialPairs<float>();
  ExpectSpecialPairs<double>();
}

// Exact results the C library gives and NumPy users rely on.
TEST_P(BinaryMathTest, ExactPowers) {
  const double cases[][3] = {{-2, 3, -8},  {2, 10, 1024}, {-8, 1.0 / 3, NAN}, {-0.0, -1, -INFINITY},
                             {0, -1, INFINITY}, {NAN, 0, 1}, {1, NAN, 1}, {-1, INFINITY, 1},
                             {2, -1074, 0x1p-1074}, {2, 1023, 0x1p1023}, {2, 1024, INFINITY},
                             {2, -1075, 0}, {10, 2, 100}, {3, 3, 27}, {0.5, 2, 0.25}};
  for (const auto& c : cases) {
    double y = 0;
    apply(BinaryFunction::kPower, &c[0], &c[1], &y, 1);
    if (std::isnan(c[2])) {
      EXPECT_TRUE(std::isnan(y)) << c[0] << "^" << c[1];
    } else {
      EXPECT_EQ(y, c[2]) << c[0] << "^" << c[1] << " on " << active_target();
      EXPECT_EQ(std::signbit(y), std::signbit(c[2]));
    }
    const float af = static_cast<float>(c[0]), bf = static_cast<float>(c[1]);
    float yf = 0;
    apply(BinaryFunction::kPower, &af, &bf, &yf, 1);
    const float expected = std::pow(af, bf);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(yf));
    } else {
      EXPECT_EQ(yf, expected) << af << "^" << bf << " on " << active_target();
    }
  }
}

// Every size up to 3 vectors + 1, at several misalignments, in the three
// forms (vector-vector, vector-scalar, scalar-vector): the same bits as one
// long call, nothing written outside the row, and in place.
TEST_P(BinaryMathTest, SizesOffsetsFormsAndInPlace) {
  constexpr size_t kMax = 3 * 64 / sizeof(float) + 1;
  std::mt19937_64 rng(11);
  for (BinaryFunction function : kAllBinary) {
    auto [a, b] = SamplePairs<float>(function, kMax + 8, rng);
    for (size_t i = 0; i < a.size(); ++i) {
      if (function == BinaryFunction::kPower) a[i] = std::fabs(a[i]);
    }
    std::vector<float> whole(a.size());
    apply(function, a.data(), b.data(), whole.data(), a.size());
    for (size_t offset = 0; offset < 4; ++offset) {
      for (size_t n = 0; n <= kMax; ++n) {
        std::vector<float> y(n + 8, -7.0f);
        apply(function, a.data() + offset, b.data() + offset, y.data() + 1, n);
        EXPECT_EQ(y[0], -7.0f);
        for (size_t i = n + 1; i < y.size(); ++i) EXPECT_EQ(y[i], -7.0f) << "wrote past n=" << n;
        for (size_t i = 0; i < n; ++i) {
          EXPECT_EQ(std::memcmp(&y[1 + i], &whole[offset + i], sizeof(float)), 0)
              << binary_function_name(function) << " n=" << n << " offset=" << offset;
        }
        // Scalar forms: a[offset] (or b[offset]) for every column.
        std::vector<float> expected(n), got(n);
        for (int form = 0; form < 2; ++form) {
          std::vector<float> av(a.begin() + offset, a.begin() + offset + n);
          std::vector<float> bv(b.begin() + offset, b.begin() + offset + n);
          (form == 0 ? av : bv).assign(n, form == 0 ? a[offset] : b[offset]);
          apply(function, av.data(), bv.data(), expected.data(), n);
          const BinaryOperand scalar{form == 0 ? &a[offset] : &b[offset], 0, true, nullptr};
          const BinaryOperand vector{form == 0 ? bv.data() : av.data(), n, false, nullptr};
          apply_binary(function, DType::kFloat32, form == 0 ? scalar : vector,
                       form == 0 ? vector : scalar, got.data(), 1, n, n);
          if (n > 0) {
            EXPECT_EQ(std::memcmp(got.data(), expected.data(), n * sizeof(float)), 0)
                << binary_function_name(function) << " scalar form " << form << " n=" << n;
          }
        }
        std::vector<float> in_place(a.begin() + offset, a.begin() + offset + n);
        apply(function, in_place.data(), b.data() + offset, in_place.data(), n);
        if (n > 0) {
          EXPECT_EQ(std::memcmp(in_place.data(), whole.data() + offset, n * sizeof(float)), 0);
        }
      }
    }
  }
}

// 2-D batches: a column (one element per row, strided) against a row
// (stride 0), rows given by offsets, y with a row stride; each element as
// the 1-D call gives it.
template <typename T>
void ExpectBroadcastBatch(BinaryFunction function) {
  std::mt19937_64 rng(5);
  const size_t rows = 7, cols = 37, y_stride = cols + 5;
  auto [column, unused] = SamplePairs<T>(function, rows * 3, rng);
  auto [row, more] = SamplePairs<T>(function, cols, rng);
  if (function == BinaryFunction::kPower) {
    for (T& v : column) v = std::fabs(v);
  }
  std::vector<std::ptrdiff_t> offsets(rows);
  for (size_t r = 0; r < rows; ++r) offsets[r] = static_cast<std::ptrdiff_t>(3 * (rows - 1 - r));
  std::vector<T> y(rows * y_stride, T(-7)), y_offsets(rows * y_stride, T(-7));
  apply_binary(function, DTypeOf<T>(), BinaryOperand{column.data(), 3, true, nullptr},
               BinaryOperand{row.data(), 0, false, nullptr}, y.data(), rows, cols, y_stride);
  apply_binary(function, DTypeOf<T>(), BinaryOperand{column.data(), 0, true, offsets.data()},
               BinaryOperand{row.data(), 0, false, nullptr}, y_offsets.data(), rows, cols,
               y_stride);
  for (size_t r = 0; r < rows; ++r) {
    std::vector<T> left(cols, column[3 * r]), right(cols, column[3 * (rows - 1 - r)]), one(cols),
        other(cols);
    apply(function, left.data(), row.data(), one.data(), cols);
    apply(function, right.data(), row.data(), other.data(), cols);
    EXPECT_EQ(std::memcmp(&y[r * y_stride], one.data(), cols * sizeof(T)), 0) << "row " << r;
    EXPECT_EQ(std::memcmp(&y_offsets[r * y_stride], other.data(), cols * sizeof(T)), 0)
        << "row " << r;
    for (size_t c = cols; c < y_stride && r + 1 < rows; ++c) EXPECT_EQ(y[r * y_stride + c], T(-7));
  }
}

TEST_P(BinaryMathTest, BroadcastBatches) {
  for (BinaryFunction function : kAllBinary) {
    ExpectBroadcastBatch<float>(function);
    ExpectBroadcastBatch<double>(function);
  }
}

// float16 and bfloat16: the exact value rounded to the format, or a
// neighbour; NaN and Inf where they belong.
TEST_P(BinaryMathTest, HalfFormats) {
  std::mt19937_64 rng(9);
  const size_t count = SampledRun() ? 2000 : 50000;
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    const auto& format = HalfFormatOf(dtype);
    for (BinaryFunction function : kAllBinary) {
      std::vector<std::uint16_t> a(count), b(count), y(count);
      for (size_t i = 0; i < count; ++i) {
        a[i] = static_cast<std::uint16_t>(rng());
        b[i] = static_cast<std::uint16_t>(rng());
        if (function == BinaryFunction::kPower && i % 2) {
          // Moderate exponents, where results are mostly finite and nonzero.
          b[i] = format.round(static_cast<float>(static_cast<int>(rng() % 17) - 8) / 2);
        }
      }
      apply(function, dtype, a.data(), b.data(), y.data(), count);
      double worst = 0;
      size_t worst_i = 0;
      for (size_t i = 0; i < count; ++i) {
        const double error = HalfUlpError(
            format, y[i], ExactBinaryValue(function, format.value(a[i]), format.value(b[i])));
        if (error > worst) {
          worst = error;
          worst_i = i;
        }
      }
      EXPECT_LE(worst, 1.0) << binary_function_name(function) << " " << dtype_name(dtype) << "("
                            << static_cast<double>(format.value(a[worst_i])) << ", "
                            << static_cast<double>(format.value(b[worst_i])) << ") on "
                            << active_target();
    }
  }
}

SIMDKIT_INSTANTIATE_PER_TARGET(BinaryMathTest);

TEST(BinaryMathApi, NamesAndBadArguments) {
  for (BinaryFunction function : kAllBinary) {
    EXPECT_EQ(binary_function_from_name(binary_function_name(function)), function);
  }
  EXPECT_THROW(binary_function_from_name("arctan2"), std::invalid_argument);
  std::vector<float> a(64, 1.0f), b(64, 2.0f), y(64);
  const BinaryOperand va{a.data(), 64, false, nullptr}, vb{b.data(), 64, false, nullptr};
  EXPECT_THROW(apply_binary(BinaryFunction::kPower, DType::kInt8, va, vb, y.data(), 1, 64, 64),
               std::invalid_argument);
  EXPECT_THROW(apply(BinaryFunction::kPower, nullptr, b.data(), y.data(), 4),
               std::invalid_argument);
  EXPECT_THROW(apply(BinaryFunction::kPower, a.data(), b.data(), nullptr, 4),
               std::invalid_argument);
  // Partial overlaps are refused; exactly in place works.
  EXPECT_THROW(apply(BinaryFunction::kHypot, a.data(), b.data(), a.data() + 1, 8),
               std::invalid_argument);
  EXPECT_THROW(apply(BinaryFunction::kHypot, a.data() + 1, b.data(), a.data(), 8),
               std::invalid_argument);
  EXPECT_NO_THROW(apply(BinaryFunction::kHypot, a.data(), b.data(), b.data(), 8));
  EXPECT_FLOAT_EQ(b[0], std::sqrt(5.0f));
  // A broadcast input cannot be the output.
  EXPECT_THROW(apply_binary(BinaryFunction::kHypot, DType::kFloat32,
                            BinaryOperand{y.data(), 0, true, nullptr}, vb, y.data(), 1, 8, 8),
               std::invalid_argument);
  // Rows of y must not overlap.
  EXPECT_THROW(apply_binary(BinaryFunction::kHypot, DType::kFloat32, va, vb, y.data(), 2, 8, 4),
               std::invalid_argument);
  // Empty batches need no pointers.
  EXPECT_NO_THROW(apply(BinaryFunction::kAtan2, static_cast<const float*>(nullptr), nullptr,
                        nullptr, 0));
}

// The measured accuracy (docs/math.md quotes it): 10^6 sampled pairs per
// function and dtype (SamplePairs' forms) on the active target, the worst
// error printed and held to the bound.
TEST(BinaryMathAccuracy, MillionSampledPairs) {
  const size_t count = SampledRun() ? 20000 : 1000000;
  for (BinaryFunction function : kAllBinary) {
    const double f32 = WorstOverPairs<float>(function, count, 777).error;
    const double f64 = WorstOverPairs<double>(function, count, 777).error;
    std::printf("%s on %s, %zu pairs: max %.3f ULP float32, %.3f ULP float64\n",
                binary_function_name(function), active_target().c_str(), count, f32, f64);
    EXPECT_LE(f32, BinaryBoundOf(function).f32);
    EXPECT_LE(f64, BinaryBoundOf(function).f64);
  }
}

// Threads share a large batch in chunks: every count gives the same bits,
// in one long row and in a 2-D broadcast batch.
TEST(BinaryMathThreads, EveryThreadCountGivesTheSameBits) {
  // Under emulation one function, the cheapest, just past the size that
  // splits (power's 2^19 pairs took minutes under qemu's SVE).
  const size_t n = SampledRun() ? (size_t{1} << 18) + 17 : (size_t{1} << 19) + 17;
  std::mt19937_64 rng(21);
  for (BinaryFunction function : kAllBinary) {
    if (SampledRun() && function != BinaryFunction::kHypot) continue;
    auto [a, b] = SamplePairs<float>(function, n, rng);
    std::vector<float> one(n), many(n);
    apply(function, DType::kFloat32, a.data(), b.data(), one.data(), n, 1);
    apply(function, DType::kFloat32, a.data(), b.data(), many.data(), n, 3);
    EXPECT_EQ(std::memcmp(one.data(), many.data(), n * sizeof(float)), 0)
        << binary_function_name(function);
    const size_t rows = 1000, cols = n / rows;
    const BinaryOperand column{a.data(), 1, true, nullptr}, row{b.data(), 0, false, nullptr};
    std::vector<float> batch_one(rows * cols), batch_many(rows * cols);
    apply_binary(function, DType::kFloat32, column, row, batch_one.data(), rows, cols, cols, 1);
    apply_binary(function, DType::kFloat32, column, row, batch_many.data(), rows, cols, cols, 0);
    EXPECT_EQ(std::memcmp(batch_one.data(), batch_many.data(), rows * cols * sizeof(float)), 0)
        << binary_function_name(function);
  }
}

}  // namespace
}  // namespace simdkit
