// libFuzzer harness for the binary math functions (atan2, hypot, power;
// include/simdkit/math.h's apply_binary).
//
// One input is one apply_binary call over float64, float32, float16 or
// bfloat16: rows x cols (either may be 0), each operand in one of the
// broadcast forms (whole rows with a gap between them, one row for every
// row, one element per row, one element for everything, whole rows reached
// through per-row offsets in reverse order), y with a gap between rows or
// in place over an operand of whole rows, at offsets of 0..15 elements,
// values drawn from ordinary numbers, special values or any bits. On every
// supported target each element is within the function's ULP bound of
// tests/cpp/binary_math_reference.h around the long double value (16-bit
// formats: the exact value rounded or a neighbour), NaN and infinities
// exactly where it has them, and nothing is written into the gaps.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cpp/binary_math_reference.h"
#include "cpp/math_reference.h"
#include "fuzz/fuzz_support.h"
#include "simdkit/math.h"

namespace simdkit::fuzz {
namespace {

using simdkit::testing::BinaryBoundOf;
using simdkit::testing::ExactBinaryValue;
using simdkit::testing::HalfFormatOf;
using simdkit::testing::HalfUlpError;
using simdkit::testing::UlpError;

constexpr std::size_t kMaxRows = 9;
constexpr std::size_t kMaxCols = 300;

enum class Form : std::uint8_t { kRows, kOneRow, kColumn, kScalar, kOffsetRows, kCount };

template <typename S>
long double Decode(DType dtype, S stored) {
  if constexpr (sizeof(S) == 2) {
    return HalfFormatOf(dtype).value(stored);
  } else {
    return stored;
  }
}

template <typename S>
S Draw(Input& in, DType dtype, Mix mix) {
  if constexpr (sizeof(S) == 2) {
    return HalfFormatOf(dtype).round(Value<float>(in, mix));
  } else {
    return Value<S>(in, mix);
  }
}

// An operand: its storage, and where element (r, c) of the batch is.
template <typename S>
struct Operand {
  Form form;
  Matrix<S> storage;
  std::vector<std::ptrdiff_t> offsets;

  Operand(Form f, std::size_t rows, std::size_t cols, std::size_t gap, std::size_t offset)
      : form(f),
        storage(StoredRows(f, rows), StoredCols(f, cols), StoredCols(f, cols) + gap, offset) {
    if (form == Form::kOffsetRows) {
      for (std::size_t r = 0; r < rows; ++r) {
        offsets.push_back(static_cast<std::ptrdiff_t>((rows - 1 - r) * storage.row_stride()));
      }
    }
  }
  static std::size_t StoredRows(Form f, std::size_t rows) {
    return f == Form::kOneRow || f == Form::kScalar ? std::min<std::size_t>(rows, 1) : rows;
  }
  static std::size_t StoredCols(Form f, std::size_t cols) {
    return f == Form::kColumn || f == Form::kScalar ? std::min<std::size_t>(cols, 1) : cols;
  }
  S At(std::size_t r, std::size_t c) const {
    const std::size_t row = form == Form::kOneRow || form == Form::kScalar ? 0
                            : form == Form::kOffsetRows                  ? storage.rows() - 1 - r
                                                                         : r;
    return storage.at(row, form == Form::kColumn || form == Form::kScalar ? 0 : c);
  }
  BinaryOperand View() const {
    const bool one_row = form == Form::kOneRow || form == Form::kScalar;
    return BinaryOperand{storage.data(), one_row ? 0 : storage.row_stride(),
                         form == Form::kColumn || form == Form::kScalar,
                         offsets.empty() ? nullptr : offsets.data()};
  }
};

template <typename S>
void FuzzBinary(Input& in, DType dtype) {
  constexpr bool kHalf = sizeof(S) == 2;
  const auto function = static_cast<BinaryFunction>(in.Choice(kBinaryFunctionCount));
  const std::size_t rows = in.Size(kMaxRows);
  const std::size_t cols = in.Size(kMaxCols);
  const auto form_a = static_cast<Form>(in.Choice(static_cast<std::size_t>(Form::kCount)));
  const auto form_b = static_cast<Form>(in.Choice(static_cast<std::size_t>(Form::kCount)));
  Operand<S> a(form_a, rows, cols, in.Size(5), in.Size(15));
  Operand<S> b(form_b, rows, cols, in.Size(5), in.Size(15));
  const Mix mix = ChooseMix(in);
  for (Operand<S>* operand : {&a, &b}) {
    for (std::size_t r = 0; r < operand->storage.rows(); ++r) {
      for (std::size_t c = 0; c < operand->storage.cols(); ++c) {
        operand->storage.at(r, c) = Draw<S>(in, dtype, mix);
      }
    }
  }
  // In place over a (whole rows, y's stride) when asked and possible.
  const bool in_place = form_a == Form::kRows && in.Choice(4) == 0;
  const std::size_t y_stride = in_place ? a.storage.row_stride() : cols + in.Size(5);
  const std::size_t y_offset = in.Size(15);
  const std::string shape = Str(binary_function_name(function), " ", dtype_name(dtype), " ", rows,
                                "x", cols, " forms ", static_cast<int>(form_a), ",",
                                static_cast<int>(form_b), in_place ? " in place" : "");

  std::vector<std::vector<long double>> exact(rows, std::vector<long double>(cols));
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      exact[r][c] = ExactBinaryValue(function, Decode(dtype, a.At(r, c)), Decode(dtype, b.At(r, c)));
    }
  }
  const double limit = kHalf                   ? 1.0
                       : dtype == DType::kFloat32 ? BinaryBoundOf(function).f32
                                                  : BinaryBoundOf(function).f64;
  // The inputs as drawn (in place overwrites a).
  std::vector<S> a_values;
  for (std::size_t r = 0; r < a.storage.rows(); ++r) {
    for (std::size_t c = 0; c < a.storage.cols(); ++c) a_values.push_back(a.storage.at(r, c));
  }

  ForEachTarget([&](const std::string&) {
    std::size_t i = 0;
    for (std::size_t r = 0; r < a.storage.rows(); ++r) {
      for (std::size_t c = 0; c < a.storage.cols(); ++c) a.storage.at(r, c) = a_values[i++];
    }
    Matrix<S> y(rows, cols, y_stride, y_offset);
    S* out = in_place ? a.storage.data() : y.data();
    WithPoisonedGaps(
        [&] {
          simdkit::apply_binary(function, dtype, a.View(), b.View(), out, rows, cols, y_stride);
        },
        a.storage, b.storage, y);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const S got = in_place ? a.storage.at(r, c) : y.at(r, c);
        const long double ref = exact[r][c];
        double error;
        if constexpr (kHalf) {
          error = HalfUlpError(HalfFormatOf(dtype), got, ref);
        } else {
          error = UlpError(got, ref);
        }
        Expect(error <= limit, [&] {
          return Str(shape, " row ", r, " col ", c, ": (",
                     static_cast<double>(Decode(dtype, a.At(r, c))), ", ",
                     static_cast<double>(Decode(dtype, b.At(r, c))), ") got ",
                     static_cast<double>(Decode(dtype, got)), ", exact ",
                     static_cast<double>(ref), ": ", error, " ULP > ", limit);
        });
        Expect(!(ref == 0 || std::isinf(ref)) ||
                   std::signbit(Decode(dtype, got)) == std::signbit(ref),
               [&] { return Str(shape, " row ", r, " col ", c, ": zero or Inf of the wrong sign"); });
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
    case 0: simdkit::fuzz::FuzzBinary<double>(in, DType::kFloat64); break;
    case 1: simdkit::fuzz::FuzzBinary<float>(in, DType::kFloat32); break;
    case 2: simdkit::fuzz::FuzzBinary<std::uint16_t>(in, DType::kFloat16); break;
    default: simdkit::fuzz::FuzzBinary<std::uint16_t>(in, DType::kBFloat16); break;
  }
  return 0;
}
