// libFuzzer harness for the math family (include/simdkit/math.h).
//
// One input is one call: an elementwise function (apply, apply_rows) or a
// row kernel (softmax, log_softmax, normalize, logsumexp) over float64,
// float32, float16 or bfloat16, with rows of any length, row strides with
// gaps (or too short, or an output overlapping the input other than exactly
// in place: then std::invalid_argument), in place or not, at offsets of
// 0..15 elements, and values drawn from ordinary numbers, special values or
// any bits. On every supported target:
//   - elementwise float32/float64: within the function's ULP bound of
//     tests/cpp/math_reference.h (docs/accuracy.md) around the long double
//     value, NaN and infinities exactly where it has them, and at x = +-0 or
//     +-Inf a zero result with its sign; float16/bfloat16: the exact value
//     rounded to the format or a neighbour;
//   - row kernels: SciPy's definitions evaluated in long double (special
//     values included, e.g. log_softmax of a row whose max is +Inf), within
//     the error of the algorithm in the computation type (u its unit
//     roundoff, n the row length, m the row's max, eta its smallest
//     subnormal):
//       softmax p_i      p_i u (|x_i - m| + 2n + 16) + 4 eta
//       log_softmax v_i  u (2|x_i - m| + 2|v_i| + 2n + 16 + 8 log2(n + 1)) + eta
//       logsumexp L      u (2|L| + 2|m| + 2n + 16 + 8 log2(n + 1))
//       normalize y_i    |y_i| u (2n + 8) + 4 eta
//     (x_i - m is rounded, then exp adds its few ULP and the sum its
//     rounding); float16/bfloat16 rows the same bits as the float32 kernel
//     on the widened row, rounded.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cpp/math_reference.h"
#include "fuzz/fuzz_support.h"
#include "simdkit/math.h"

namespace simdkit::fuzz {
namespace {

using simdkit::testing::BoundOf;
using simdkit::testing::ExactValue;
using simdkit::testing::HalfFormatOf;
using simdkit::testing::HalfFormatSpec;
using simdkit::testing::HalfUlpError;
using simdkit::testing::UlpError;

constexpr std::size_t kMaxCols = 600;

enum class Kind : std::uint8_t { kElementwise, kRowwise, kLogSumExp, kCount };

// The four row kernels' references (SciPy's formulas, in long double).
enum class RowKernel : std::uint8_t { kSoftmax, kLogSoftmax, kNormalize, kLogSumExp };

const char* RowKernelName(RowKernel kernel) {
  constexpr const char* kNames[] = {"softmax", "log_softmax", "normalize", "logsumexp"};
  return kNames[static_cast<int>(kernel)];
}

struct RowReference {
  std::vector<long double> values;     // one per element, or one for logsumexp
  std::vector<long double> tolerances;
};

// scipy.special.softmax / log_softmax / logsumexp and x / numpy.linalg.norm(x)
// on one row, with the tolerances above. u and eta: of the computation type.
RowReference ReferenceRow(RowKernel kernel, const std::vector<long double>& x, long double u,
                          long double eta) {
  const std::size_t n = x.size();
  const long double nan = std::numeric_limits<long double>::quiet_NaN();
  const long double inf = std::numeric_limits<long double>::infinity();
  RowReference ref;
  const bool any_nan = std::any_of(x.begin(), x.end(), [](long double v) { return std::isnan(v); });
  long double m = -inf;
  for (long double v : x) m = std::max(m, v);
  if (any_nan) m = nan;
  const long double sum_error = 2 * static_cast<long double>(n) + 16;
  const long double log_error = 8 * std::log2(static_cast<long double>(n) + 1);
  if (kernel == RowKernel::kNormalize) {
    long double squares = 0;
    for (long double v : x) squares += v * v;
    const long double norm = std::sqrt(squares);
    for (long double v : x) {
      const long double y = any_nan ? nan : norm == 0 ? v : v / norm;
      ref.values.push_back(y);
      ref.tolerances.push_back(std::fabs(y) * u * (2 * static_cast<long double>(n) + 8) + 4 * eta);
    }
    return ref;
  }
  // softmax subtracts the max as it is; log_softmax and logsumexp replace a
  // max that is not finite by 0 (SciPy).
  const long double shift = kernel == RowKernel::kSoftmax || std::isfinite(m) ? m : 0;
  long double sum = 0;
  for (long double v : x) sum += std::exp(v - shift);
  if (any_nan) sum = nan;
  if (kernel == RowKernel::kLogSumExp) {
    const long double total = n == 0 ? -inf : std::log(sum) + shift;
    ref.values.push_back(total);
    ref.tolerances.push_back(
        u * (2 * std::fabs(total) + 2 * std::fabs(shift) + sum_error + log_error));
    return ref;
  }
  const long double log_sum = std::log(sum);
  for (long double v : x) {
    // Where x - m is infinite the result is exact (0, -Inf or NaN).
    const long double spread = std::isfinite(v - shift) ? std::fabs(v - shift) : 0;
    if (kernel == RowKernel::kSoftmax) {
      const long double p = std::exp(v - shift) / sum;
      ref.values.push_back(p);
      ref.tolerances.push_back(p * u * (spread + sum_error) + 4 * eta);
    } else {
      const long double value = (v - shift) - log_sum;
      ref.values.push_back(value);
      ref.tolerances.push_back(
          u * (2 * spread + 2 * std::fabs(value) + sum_error + log_error) + eta);
    }
  }
  return ref;
}

// got within `tolerance` of `ref`; NaN and infinities exactly, and an exact
// value beyond T's range also as it rounds (to +-Inf or +-max).
template <typename T>
bool Within(T got, long double ref, long double tolerance) {
  if (std::isnan(ref)) return std::isnan(got);
  if (std::isinf(ref)) return got == ref;
  if (std::fabs(ref) > std::numeric_limits<T>::max() && got == static_cast<T>(ref)) return true;
  return std::isfinite(got) && std::fabs(got - ref) <= tolerance;
}

// ---------------------------------------------------------------------------
// Storage types
// ---------------------------------------------------------------------------

// The value of element i of a row of `dtype` (16-bit formats as patterns).
template <typename S>
long double Decode(DType dtype, S stored) {
  if constexpr (std::is_same_v<S, std::uint16_t>) {
    return HalfFormatOf(dtype).value(stored);
  } else {
    return stored;
  }
}

template <typename S>
S DrawValue(Input& in, DType dtype, Mix mix) {
  if constexpr (std::is_same_v<S, std::uint16_t>) {
    if (mix == Mix::kAnyBits) return in.Raw<std::uint16_t>();
    return HalfFormatOf(dtype).round(Value<float>(in, mix));
  } else {
    return Value<S>(in, mix);
  }
}

// Ordinary values scaled by a power of two per row, so that rows reach
// where exp over- and underflows and where the activations' tails are.
template <typename S>
void Fill(Input& in, DType dtype, Matrix<S>& x) {
  for (std::size_t r = 0; r < x.rows(); ++r) {
    const Mix mix = ChooseMix(in);
    const int exponent = static_cast<int>(in.Byte() % 24) - 8;
    for (std::size_t c = 0; c < x.cols(); ++c) {
      S value = DrawValue<S>(in, dtype, mix);
      if constexpr (std::is_floating_point_v<S>) value = std::ldexp(value, exponent);
      x.at(r, c) = value;
    }
  }
}

// ---------------------------------------------------------------------------
// The call
// ---------------------------------------------------------------------------

struct Layout {
  std::size_t rows, cols, x_stride, y_stride;
  bool in_place;  // y is x
  bool invalid;   // a stride too short, or y overlapping x otherwise
  std::size_t overlap;  // y starts this many elements into x (invalid calls)
};

template <typename S>
void FuzzMath(Input& in, DType dtype) {
  const auto kind = static_cast<Kind>(in.Choice(static_cast<std::size_t>(Kind::kCount)));
  const auto function = static_cast<Function>(in.Choice(kFunctionCount));
  const auto row_function = static_cast<RowFunction>(in.Choice(3));
  Layout layout{};
  layout.rows = in.Size(6);
  layout.cols = in.Size(kMaxCols);
  const std::size_t layout_kind = in.Choice(16);
  layout.in_place = kind != Kind::kLogSumExp && layout_kind >= 12;
  layout.x_stride = layout.cols + (layout_kind % 2 ? in.Size(9) : 0);
  layout.y_stride = layout.in_place ? layout.x_stride : layout.cols + (layout_kind % 4 >= 2 ? in.Size(9) : 0);
  if (layout_kind == 0 && layout.cols > 0) {
    layout.x_stride = in.Size(layout.cols - 1);  // too short
  } else if (layout_kind == 1 && layout.cols > 1 && kind != Kind::kLogSumExp) {
    layout.overlap = 1 + in.Size(layout.cols - 2);  // y starts inside x's first row
  }
  layout.invalid = layout.rows > 0 && layout.cols > 0 &&
                   ((layout.rows > 1 && layout.x_stride < layout.cols) || layout.overlap > 0);
  const std::size_t x_offset = in.Size(15), y_offset = in.Size(15);
  Matrix<S> x(layout.rows, layout.cols, std::max(layout.x_stride, layout.cols), x_offset);
  Fill(in, dtype, x);
  MatrixView view = x.View(dtype);
  view.row_stride = layout.x_stride;
  const char* what = kind == Kind::kElementwise ? function_name(function)
                     : kind == Kind::kLogSumExp ? "logsumexp"
                                                : RowKernelName(static_cast<RowKernel>(row_function));
  const std::string shape =
      Str(what, " ", dtype_name(dtype), " ", layout.rows, "x", layout.cols, " strides ",
          layout.x_stride, ",", layout.y_stride, layout.in_place ? " in place" : "");

  if (layout.invalid) {
    bool threw = false;
    try {
      S* y = layout.overlap > 0 ? x.data() + layout.overlap : x.data();
      std::vector<S> out(layout.rows);
      switch (kind) {
        case Kind::kElementwise: simdkit::apply_rows(function, view, y, layout.y_stride); break;
        case Kind::kRowwise: simdkit::apply_rowwise(row_function, view, y, layout.y_stride); break;
        default: simdkit::logsumexp(view, out.data()); break;
      }
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    Expect(threw, [&] { return Str(shape, ": invalid arguments but no std::invalid_argument"); });
    return;
  }

  constexpr bool kHalf = std::is_same_v<S, std::uint16_t>;
  using C = std::conditional_t<std::is_same_v<S, double>, double, float>;  // computed in
  const long double u = std::numeric_limits<C>::epsilon() / 2;
  const long double eta = std::numeric_limits<C>::denorm_min();
  const RowKernel row_kernel = kind == Kind::kLogSumExp ? RowKernel::kLogSumExp
                                                        : static_cast<RowKernel>(row_function);

  // References, once for all targets (16-bit row kernels: per target, from
  // the float32 kernel).
  std::vector<std::vector<long double>> exact(layout.rows);
  std::vector<RowReference> row_refs(layout.rows);
  for (std::size_t r = 0; r < layout.rows; ++r) {
    std::vector<long double> row(layout.cols);
    for (std::size_t c = 0; c < layout.cols; ++c) row[c] = Decode(dtype, x.at(r, c));
    if (kind == Kind::kElementwise) {
      for (long double v : row) exact[r].push_back(ExactValue(function, v));
    } else if (!kHalf) {
      row_refs[r] = ReferenceRow(row_kernel, row, u, eta);
    }
  }
  const double ulp_limit = sizeof(S) == 8 ? BoundOf(function).f64 + 1.0 / 1024  // long double's own error
                                          : BoundOf(function).f32;

  ForEachTarget([&](const std::string&) {
    // logsumexp writes one value per row, contiguously.
    Matrix<S> y = kind == Kind::kLogSumExp
                      ? Matrix<S>(layout.rows > 0 ? 1 : 0, layout.rows, layout.rows, y_offset)
                      : Matrix<S>(layout.rows, layout.cols, layout.y_stride, y_offset);
    Matrix<S> copy(layout.rows, layout.cols, std::max(layout.x_stride, layout.cols), x_offset);
    Matrix<S>& source = layout.in_place ? copy : x;
    if (layout.in_place) {
      for (std::size_t r = 0; r < layout.rows; ++r) {
        for (std::size_t c = 0; c < layout.cols; ++c) copy.at(r, c) = x.at(r, c);
      }
    }
    MatrixView source_view = source.View(dtype);
    source_view.row_stride = layout.x_stride;
    S* out = layout.in_place ? source.data() : y.data();
    const auto result = [&](std::size_t r, std::size_t c) -> S {
      if (kind == Kind::kLogSumExp) return y.data()[r];
      return layout.in_place ? source.at(r, c) : y.at(r, c);
    };
    WithPoisonedGaps(
        [&] {
          switch (kind) {
            case Kind::kElementwise: simdkit::apply_rows(function, source_view, out, layout.y_stride); break;
            case Kind::kRowwise: simdkit::apply_rowwise(row_function, source_view, out, layout.y_stride); break;
            default: simdkit::logsumexp(source_view, out); break;
          }
        },
        source, y);

    // 16-bit row kernels: the float32 kernel on the widened rows, rounded.
    std::vector<std::vector<float>> wide_results(layout.rows);
    if constexpr (kHalf) {
      if (kind != Kind::kElementwise && layout.rows > 0) {
        const HalfFormatSpec& format = HalfFormatOf(dtype);
        std::vector<float> wide(layout.rows * layout.cols);
        for (std::size_t r = 0; r < layout.rows; ++r) {
          for (std::size_t c = 0; c < layout.cols; ++c) {
            wide[r * layout.cols + c] = static_cast<float>(format.value(x.at(r, c)));
          }
        }
        const MatrixView wide_view{wide.data(), DType::kFloat32, layout.rows, layout.cols, layout.cols};
        std::vector<float> wide_out(kind == Kind::kLogSumExp ? layout.rows : layout.rows * layout.cols);
        if (kind == Kind::kLogSumExp) {
          simdkit::logsumexp(wide_view, wide_out.data());
        } else if (layout.cols > 0) {
          simdkit::apply_rowwise(row_function, wide_view, wide_out.data(), layout.cols);
        }
        for (std::size_t r = 0; r < layout.rows; ++r) {
          const std::size_t count = kind == Kind::kLogSumExp ? 1 : layout.cols;
          wide_results[r].assign(wide_out.begin() + r * count, wide_out.begin() + (r + 1) * count);
        }
      }
    }

    for (std::size_t r = 0; r < layout.rows; ++r) {
      const std::size_t count = kind == Kind::kLogSumExp ? 1 : layout.cols;
      for (std::size_t c = 0; c < count; ++c) {
        const S got = result(r, c);
        const long double input = kind == Kind::kLogSumExp ? 0 : Decode(dtype, x.at(r, c));
        const auto where = [&] {
          return Str(shape, " row ", r, " col ", c, ": x=", static_cast<double>(input), " got ",
                     static_cast<double>(Decode(dtype, got)));
        };
        if (kind == Kind::kElementwise) {
          const long double ref = exact[r][c];
          double error;
          if constexpr (kHalf) {
            error = HalfUlpError(HalfFormatOf(dtype), got, ref);
          } else {
            error = UlpError(got, ref);
          }
          const double limit = kHalf ? 1.0 : ulp_limit;
          Expect(error <= limit, [&] {
            return Str(where(), ", exact ", static_cast<double>(ref), ": ", error, " ULP > ", limit);
          });
          const bool special_input = input == 0 || std::isinf(input);
          Expect(!(special_input && ref == 0) || std::signbit(Decode(dtype, got)) == std::signbit(ref),
                 [&] { return Str(where(), ": zero of the wrong sign"); });
          continue;
        }
        if constexpr (kHalf) {
          const float wide = wide_results[r][c];
          const S expected = HalfFormatOf(dtype).round(wide);
          Expect(got == expected || (std::isnan(wide) && std::isnan(Decode(dtype, got))), [&] {
            return Str(where(), ", the float32 kernel gives ", wide);
          });
        } else {
          const long double ref = row_refs[r].values[c];
          const long double tolerance = row_refs[r].tolerances[c];
          Expect(Within(got, ref, tolerance), [&] {
            return Str(where(), ", exact ", static_cast<double>(ref), " +- ",
                       static_cast<double>(tolerance));
          });
        }
      }
    }
  });
}

}  // namespace
}  // namespace simdkit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using simdkit::DType;
  simdkit::fuzz::Input in(data, size);
  switch (in.Choice(4)) {
    case 0: simdkit::fuzz::FuzzMath<double>(in, DType::kFloat64); break;
    case 1: simdkit::fuzz::FuzzMath<float>(in, DType::kFloat32); break;
    case 2: simdkit::fuzz::FuzzMath<std::uint16_t>(in, DType::kFloat16); break;
    default: simdkit::fuzz::FuzzMath<std::uint16_t>(in, DType::kBFloat16); break;
  }
  return 0;
}
