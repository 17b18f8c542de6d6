// Per-target entry points of the binary math functions (atan2, hypot,
// power) and the public C++ API over them: arguments checked, then one
// SIMDKIT_DYNAMIC_DISPATCH per call (per thread's share with threads > 1); the
// rows and their broadcast forms loop inside target code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/binary_math.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/binary_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {

// The elements [begin, end) (row-major) of a rows x cols batch.
#define SIMDKIT_BINARY_ENTRY_POINT(Suffix, T, call)                                           \
  void Binary##Suffix(BinaryFunction function, const BinaryRows<T>& a, const BinaryRows<T>& b, \
                      T* y, size_t y_stride, size_t cols, size_t begin, size_t end) {         \
    call(function, a, b, y, y_stride, cols, begin, end);                                      \
  }
SIMDKIT_BINARY_ENTRY_POINT(F32, float, BinaryBatch<float>)
SIMDKIT_BINARY_ENTRY_POINT(F64, double, BinaryBatch<double>)
SIMDKIT_BINARY_ENTRY_POINT(F16, uint16_t, BinaryHalfBatch<false>)
SIMDKIT_BINARY_ENTRY_POINT(BF16, uint16_t, BinaryHalfBatch<true>)
#undef SIMDKIT_BINARY_ENTRY_POINT

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "api/checks.h"
#include "kernels/dispatched.h"
#include "kernels/parallel.h"

namespace simdkit {

HWY_EXPORT(BinaryF32);
HWY_EXPORT(BinaryF64);
HWY_EXPORT(BinaryF16);
HWY_EXPORT(BinaryBF16);

namespace {

constexpr const char* kBinaryFunctionNames[kBinaryFunctionCount] = {"atan2", "hypot", "power"};

using internal::Where;

// The bytes an operand reads (offsets: from the least to the largest row
// start).
internal::Extent OperandExtent(const BinaryOperand& operand, std::size_t rows, std::size_t cols,
                               std::size_t element_size) {
  const std::size_t row_length = operand.broadcast_cols ? 1 : cols;
  if (operand.row_offsets != nullptr) {
    const auto [least, most] =
        std::minmax_element(operand.row_offsets, operand.row_offsets + rows);
    const auto begin = reinterpret_cast<std::uintptr_t>(operand.data) +
                       static_cast<std::uintptr_t>(*least * static_cast<std::ptrdiff_t>(element_size));
    return {begin, begin + static_cast<std::uintptr_t>(*most - *least) * element_size +
                       row_length * element_size};
  }
  return internal::RowsExtent(operand.data, operand.row_stride == 0 ? 1 : rows, row_length,
                              operand.row_stride, element_size);
}

// An input may be y's memory only exactly: the same start and row stride,
// read as whole rows.
bool SameRowsAsOutput(const BinaryOperand& operand, const void* y, std::size_t rows,
                      std::size_t y_row_stride) {
  return operand.data == y && !operand.broadcast_cols && operand.row_offsets == nullptr &&
         (rows == 1 || operand.row_stride == y_row_stride);
}

void CheckBinary(BinaryFunction function, DType dtype, const BinaryOperand& a,
                 const BinaryOperand& b, const void* y, std::size_t rows, std::size_t cols,
                 std::size_t y_row_stride) {
  const char* name = binary_function_name(function);
  if (static_cast<std::size_t>(function) >= kBinaryFunctionCount) {
    throw std::invalid_argument(Where("apply_binary") + "unknown binary function " +
                                std::to_string(static_cast<int>(function)) +
                                "; expected atan2, hypot or power");
  }
  if (!math_supports(dtype)) {
    throw std::invalid_argument(Where(name) + "dtype " + dtype_name(dtype) +
                                " is not supported; expected float64, float32, float16 or "
                                "bfloat16");
  }
  if (rows == 0 || cols == 0) return;
  if (a.data == nullptr || b.data == nullptr || y == nullptr) {
    throw std::invalid_argument(Where(name) + "null data pointer with a non-empty shape");
  }
  if (rows > 1 && y_row_stride < cols) {
    throw std::invalid_argument(Where(name) + "y's row stride (" + std::to_string(y_row_stride) +
                                ") is smaller than the " + std::to_string(cols) + " columns");
  }
  const std::size_t size = dtype_size(dtype);
  const internal::Extent output = internal::RowsExtent(y, rows, cols, y_row_stride, size);
  const std::pair<const char*, const BinaryOperand*> inputs[] = {{"a", &a}, {"b", &b}};
  for (const auto& [input_name, operand] : inputs) {
    if (SameRowsAsOutput(*operand, y, rows, y_row_stride)) continue;
    if (internal::Overlaps(output, OperandExtent(*operand, rows, cols, size))) {
      throw std::invalid_argument(Where(name) + "y overlaps " + input_name +
                                  "; expected separate memory or exactly the same rows (in "
                                  "place)");
    }
  }
}

template <typename T>
BinaryRows<T> RowsOf(const BinaryOperand& operand) {
  return BinaryRows<T>{static_cast<const T*>(operand.data), operand.row_stride,
                       operand.row_offsets, operand.broadcast_cols};
}

// Calls call(storage value, entry point) for the dtype's storage type.
template <typename Call>
void WithBinaryStorage(DType dtype, const Call& call) {
  switch (dtype) {
    case DType::kFloat32: return call(float{}, SIMDKIT_DISPATCHED(BinaryF32));
    case DType::kFloat64: return call(double{}, SIMDKIT_DISPATCHED(BinaryF64));
    case DType::kFloat16: return call(uint16_t{}, SIMDKIT_DISPATCHED(BinaryF16));
    case DType::kBFloat16: return call(uint16_t{}, SIMDKIT_DISPATCHED(BinaryBF16));
    default: throw std::logic_error("simdkit: unhandled math dtype");
  }
}

}  // namespace

BinaryFunction binary_function_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kBinaryFunctionCount; ++i) {
    if (name == kBinaryFunctionNames[i]) return static_cast<BinaryFunction>(i);
  }
  throw std::invalid_argument("unknown binary function '" + std::string(name) +
                              "'; expected one of: atan2, hypot, power");
}

const char* binary_function_name(BinaryFunction function) {
  const auto index = static_cast<std::size_t>(function);
  return index < kBinaryFunctionCount ? kBinaryFunctionNames[index] : "unknown";
}

void apply_binary(BinaryFunction function, DType dtype, const BinaryOperand& a,
                  const BinaryOperand& b, void* y, std::size_t rows, std::size_t cols,
                  std::size_t y_row_stride, std::size_t threads) {
  CheckBinary(function, dtype, a, b, y, rows, cols, y_row_stride);
  if (rows == 0 || cols == 0) return;
  WithBinaryStorage(dtype, [&](auto storage, auto entry) {
    using T = decltype(storage);
    const BinaryRows<T> rows_a = RowsOf<T>(a);
    const BinaryRows<T> rows_b = RowsOf<T>(b);
    T* out = static_cast<T*>(y);
    const std::size_t total = rows * cols;
    const std::size_t chunks = (total + kChunkElements - 1) / kChunkElements;
    ParallelRows(
        threads, chunks, total,
        [&](std::size_t begin, std::size_t end) {
          entry(function, rows_a, rows_b, out, y_row_stride, cols, begin * kChunkElements,
                std::min(end * kChunkElements, total));
        },
        kParallelElements);
  });
}

void apply(BinaryFunction function, DType dtype, const void* a, const void* b, void* y,
           std::size_t n, std::size_t threads) {
  apply_binary(function, dtype, BinaryOperand{a, n, false, nullptr},
               BinaryOperand{b, n, false, nullptr}, y, 1, n, n, threads);
}

void apply(BinaryFunction function, const float* a, const float* b, float* y, std::size_t n) {
  apply(function, DType::kFloat32, a, b, y, n);
}

void apply(BinaryFunction function, const double* a, const double* b, double* y, std::size_t n) {
  apply(function, DType::kFloat64, a, b, y, n);
}

}  // namespace simdkit
#endif  // HWY_ONCE
