// libFuzzer harness for the reduce family (include/simdkit/reduce.h).
//
// One input is one call: sum, dot, norm, min, max, argmin or argmax over
// float32 or float64, as the single-vector form or the batch form over rows
// (row strides with gaps, overlapping rows, or 0: one row repeated; for dot
// on either operand), at an offset of 0..15 elements, with values
// drawn from ordinary numbers, special values or any bits. On every supported
// target the result must be
//   - min, max, argmin, argmax: exactly NumPy's (first NaN, first
//     occurrence), so the same on every target;
//   - sum, dot, norm: within the pairwise bound of docs/reduce.md around the
//     long double value, plus n subnormal spacings for products that
//     underflow; NaN exactly where the exact value is NaN; an infinity
//     exactly where it is infinite, unless the magnitudes of the finite
//     terms reach the type's overflow threshold (then an intermediate sum
//     may overflow, and any non-finite result is allowed, a finite one must
//     still be within the bound);
//   - in the batch form, each row's result the same bits as the
//     single-vector call on that row.
// Empty input to min/max/argmin/argmax must throw std::invalid_argument.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp/reduce_reference.h"
#include "fuzz/fuzz_support.h"
#include "simdkit/reduce.h"

namespace simdkit::fuzz {
namespace {

using simdkit::testing::PairwiseSumBound;
using simdkit::testing::ReferenceIndexOfExtreme;

enum class Op : std::uint8_t { kSum, kDot, kNorm, kMin, kMax, kArgMin, kArgMax, kCount };

const char* OpName(Op op) {
  constexpr const char* kNames[] = {"sum", "dot", "norm", "min", "max", "argmin", "argmax"};
  return kNames[static_cast<int>(op)];
}

// Past argmin's block of 4096 float32 (2048 float64) elements.
constexpr std::size_t kMaxCols = 9000;
constexpr std::size_t kMaxRows = 6;

// The exact value of sum, dot or norm over one row, and what it allows.
struct Expected {
  long double value = 0;
  long double bound = 0;
  bool may_overflow = false;
};

template <typename T>
Expected ExpectedSum(Op op, const T* a, const T* b, std::size_t n) {
  const long double u = std::numeric_limits<T>::epsilon() / 2;
  const long double max = std::numeric_limits<T>::max();
  long double value = 0, magnitudes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long double term = op == Op::kSum  ? static_cast<long double>(a[i])
                             : op == Op::kDot ? static_cast<long double>(a[i]) * b[i]
                                              : static_cast<long double>(a[i]) * a[i];
    value += term;
    if (std::isfinite(term)) magnitudes += std::fabs(term);
  }
  const long double sum_bound = PairwiseSumBound(n, magnitudes, u);
  Expected expected;
  expected.may_overflow = magnitudes + 2 * sum_bound >= max;
  // A product that underflows is off by up to half a subnormal spacing.
  const long double underflow =
      op == Op::kSum ? 0 : static_cast<long double>(n) * std::numeric_limits<T>::denorm_min();
  if (op != Op::kNorm) {
    expected.value = value;
    expected.bound = sum_bound + underflow;
    return expected;
  }
  // sqrt(S + E) is within min(sqrt|E|, |E| / sqrt S) of sqrt S, then rounds.
  const long double error = sum_bound + underflow;
  expected.value = std::sqrt(value);
  const long double propagated =
      expected.value > 0 ? std::min(std::sqrt(error), error / expected.value) : std::sqrt(error);
  expected.bound = propagated + 2 * u * (expected.value + propagated);
  return expected;
}

template <typename T>
void ExpectSum(Op op, T got, const Expected& expected, const std::string& where) {
  bool ok;
  if (std::isnan(expected.value)) {
    ok = std::isnan(got);
  } else if (!std::isfinite(got)) {
    ok = expected.may_overflow || got == expected.value;
  } else {
    ok = std::isfinite(expected.value) &&
         std::fabs(static_cast<long double>(got) - expected.value) <= expected.bound;
  }
  Expect(ok, [&] {
    return Str(OpName(op), " ", where, ": got ", static_cast<double>(got), ", exact ",
               static_cast<double>(expected.value), " +- ", static_cast<double>(expected.bound),
               expected.may_overflow ? " (may overflow)" : "");
  });
}

// The single-vector call on one row.
template <typename T>
T SingleValue(Op op, const T* a, const T* b, std::size_t n) {
  switch (op) {
    case Op::kSum: return simdkit::sum(a, n);
    case Op::kDot: return simdkit::dot(a, b, n);
    case Op::kNorm: return simdkit::norm(a, n);
    case Op::kMin: return simdkit::min(a, n);
    default: return simdkit::max(a, n);
  }
}

template <typename T>
std::size_t SingleIndex(Op op, const T* a, std::size_t n) {
  return op == Op::kArgMin ? simdkit::argmin(a, n) : simdkit::argmax(a, n);
}

template <typename T>
void CallRows(Op op, const T* a, std::size_t a_stride, const T* b, std::size_t b_stride,
              std::size_t rows, std::size_t cols, T* values, std::size_t* indices) {
  switch (op) {
    case Op::kSum: return simdkit::sum_rows(a, rows, cols, a_stride, values);
    case Op::kDot: return simdkit::dot_rows(a, a_stride, b, b_stride, rows, cols, values);
    case Op::kNorm: return simdkit::norm_rows(a, rows, cols, a_stride, values);
    case Op::kMin: return simdkit::min_rows(a, rows, cols, a_stride, values);
    case Op::kMax: return simdkit::max_rows(a, rows, cols, a_stride, values);
    case Op::kArgMin: return simdkit::argmin_rows(a, rows, cols, a_stride, indices);
    default: return simdkit::argmax_rows(a, rows, cols, a_stride, indices);
  }
}

template <typename T>
void FuzzReduce(Input& in) {
  const Op op = static_cast<Op>(in.Choice(static_cast<std::size_t>(Op::kCount)));
  const bool batch = in.Bool();
  const std::size_t rows = batch ? in.Size(kMaxRows) : 1;
  const std::size_t cols = in.Size(kMaxCols);
  // Row strides: a gap after each row, rows that overlap (inputs are only
  // read), or a zero stride that repeats one row.
  const auto stride_of = [&]() -> std::size_t {
    const std::size_t kind = in.Choice(8);
    if (kind == 0) return 0;
    if (kind == 1 && cols > 0) return 1 + in.Size(cols - 1);
    return cols + (kind < 4 ? 0 : in.Size(17));
  };
  const std::size_t a_stride = batch ? stride_of() : cols;
  const std::size_t b_stride = batch ? stride_of() : cols;
  // A zero stride is one stored row.
  Matrix<T> a(a_stride == 0 ? 1 : rows, cols, a_stride == 0 ? cols : a_stride, in.Size(15));
  Matrix<T> b(op != Op::kDot ? 0 : b_stride == 0 ? 1 : rows, cols, b_stride == 0 ? cols : b_stride,
              in.Size(15));
  const std::size_t out_offset = in.Size(15);
  const Mix a_mix = ChooseMix(in), b_mix = ChooseMix(in);
  for (std::size_t r = 0; r < a.rows(); ++r) {
    for (std::size_t c = 0; c < cols; ++c) a.at(r, c) = Value<T>(in, a_mix);
  }
  for (std::size_t r = 0; r < b.rows(); ++r) {
    for (std::size_t c = 0; c < cols; ++c) b.at(r, c) = Value<T>(in, b_mix);
  }
  const auto a_row = [&](std::size_t r) { return a.data() + r * a_stride; };
  const auto b_row = [&](std::size_t r) {
    return op == Op::kDot ? b.data() + r * b_stride : nullptr;
  };
  const std::string shape =
      Str(sizeof(T) == 4 ? "float32" : "float64", batch ? " batch" : " single", " rows=", rows,
          " cols=", cols, " a_stride=", a_stride, " b_stride=", b_stride);

  const bool is_index = op == Op::kArgMin || op == Op::kArgMax;
  const bool is_extreme = op == Op::kMin || op == Op::kMax || is_index;
  if (cols == 0 && is_extreme) {
    // As NumPy: no elements, no extreme (even with no rows).
    ForEachTarget([&](const std::string&) {
      Vector<T> values(rows, out_offset);
      Vector<std::size_t> indices(rows, out_offset);
      bool threw = false;
      try {
        if (batch) {
          CallRows(op, a.data(), a_stride, b.data(), b_stride, rows, cols, values.data(),
                   indices.data());
        } else if (is_index) {
          SingleIndex(op, a.data(), cols);
        } else {
          SingleValue(op, a.data(), b.data(), cols);
        }
      } catch (const std::invalid_argument&) {
        threw = true;
      }
      Expect(threw, [&] { return Str(OpName(op), " ", shape, ": no std::invalid_argument"); });
    });
    return;
  }

  // References, once for all targets.
  std::vector<std::size_t> reference_index(rows);
  std::vector<Expected> reference_sum(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    if (is_extreme) {
      const bool want_max = op == Op::kMax || op == Op::kArgMax;
      reference_index[r] = ReferenceIndexOfExtreme(a_row(r), cols, want_max);
    } else {
      reference_sum[r] = ExpectedSum(op, a_row(r), b_row(r), cols);
    }
  }

  ForEachTarget([&](const std::string&) {
    Vector<T> values(rows, out_offset);
    Vector<std::size_t> indices(rows, out_offset);
    WithPoisonedGaps(
        [&] {
          if (batch) {
            CallRows(op, a.data(), a_stride, b.data(), b_stride, rows, cols, values.data(),
                     indices.data());
          }
          for (std::size_t r = 0; r < rows; ++r) {
            const std::string where = Str(shape, " row ", r);
            if (is_index) {
              const std::size_t got = SingleIndex(op, a_row(r), cols);
              Expect(got == reference_index[r], [&] {
                return Str(OpName(op), " ", where, ": got ", got, ", expected ", reference_index[r]);
              });
              if (batch) {
                Expect(indices[r] == got, [&] {
                  return Str(OpName(op), "_rows ", where, ": got ", indices[r],
                             ", the single call ", got);
                });
              }
              continue;
            }
            const T got = SingleValue(op, a_row(r), b_row(r), cols);
            if (is_extreme) {
              const T want = a_row(r)[reference_index[r]];
              Expect(SameValue(got, want), [&] {
                return Str(OpName(op), " ", where, ": got ", got, ", expected ", want);
              });
            } else {
              ExpectSum(op, got, reference_sum[r], where);
            }
            if (batch) {
              Expect(SameBits(values[r], got) || (std::isnan(values[r]) && std::isnan(got)), [&] {
                return Str(OpName(op), "_rows ", where, ": got ", values[r], ", the single call ",
                           got);
              });
            }
          }
        },
        a, b);
  });
}

}  // namespace
}  // namespace simdkit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  simdkit::fuzz::Input in(data, size);
  if (in.Bool()) {
    simdkit::fuzz::FuzzReduce<float>(in);
  } else {
    simdkit::fuzz::FuzzReduce<double>(in);
  }
  return 0;
}
