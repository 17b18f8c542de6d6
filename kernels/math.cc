// Per-target entry points of the math family and the public C++ API over
// them. Each public call checks its arguments, then pays SIMDKIT_DYNAMIC_DISPATCH
// once; rows and elements loop inside target code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/math.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {

#define SIMDKIT_MATH_ENTRY_POINTS(Suffix, T)                                                   \
  void Apply##Suffix(Function function, const T* x, size_t rows, size_t cols, size_t x_stride, \
                     T* y, size_t y_stride) {                                                  \
    ApplyRows<T>(function, x, rows, cols, x_stride, y, y_stride);                              \
  }                                                                                            \
  void Rowwise##Suffix(RowFunction function, const T* x, size_t rows, size_t cols,             \
                       size_t x_stride, T* y, size_t y_stride) {                               \
    RowwiseRows<T>(function, x, rows, cols, x_stride, y, y_stride);                            \
  }                                                                                            \
  void LogSumExp##Suffix(const T* x, size_t rows, size_t cols, size_t x_stride, T* out) {      \
    LogSumExpRows<T>(x, rows, cols, x_stride, out);                                            \
  }
SIMDKIT_MATH_ENTRY_POINTS(F32, float)
SIMDKIT_MATH_ENTRY_POINTS(F64, double)
#undef SIMDKIT_MATH_ENTRY_POINTS

#define SIMDKIT_MATH_HALF_ENTRY_POINTS(Suffix, kBFloat16)                                     \
  void Apply##Suffix(Function function, const uint16_t* x, size_t rows, size_t cols,          \
                     size_t x_stride, uint16_t* y, size_t y_stride) {                         \
    ApplyHalfRows<kBFloat16>(function, x, rows, cols, x_stride, y, y_stride);                 \
  }                                                                                           \
  void Rowwise##Suffix(RowFunction function, const uint16_t* x, size_t rows, size_t cols,     \
                       size_t x_stride, uint16_t* y, size_t y_stride) {                       \
    RowwiseHalfRows<kBFloat16>(function, x, rows, cols, x_stride, y, y_stride);               \
  }                                                                                           \
  void LogSumExp##Suffix(const uint16_t* x, size_t rows, size_t cols, size_t x_stride,        \
                         uint16_t* out) {                                                     \
    LogSumExpHalfRows<kBFloat16>(x, rows, cols, x_stride, out);                               \
  }
SIMDKIT_MATH_HALF_ENTRY_POINTS(F16, false)
SIMDKIT_MATH_HALF_ENTRY_POINTS(BF16, true)
#undef SIMDKIT_MATH_HALF_ENTRY_POINTS

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "api/checks.h"
#include "kernels/dispatched.h"
#include "kernels/parallel.h"

namespace simdkit {

#define SIMDKIT_EXPORT_MATH(Suffix) \
  HWY_EXPORT(Apply##Suffix);          \
  HWY_EXPORT(Rowwise##Suffix);        \
  HWY_EXPORT(LogSumExp##Suffix);
SIMDKIT_EXPORT_MATH(F32)
SIMDKIT_EXPORT_MATH(F64)
SIMDKIT_EXPORT_MATH(F16)
SIMDKIT_EXPORT_MATH(BF16)
#undef SIMDKIT_EXPORT_MATH

namespace {

constexpr const char* kFunctionNames[kFunctionCount] = {
    "exp",  "expm1", "log",   "log1p", "log2", "log10",   "sin",      "cos",  "tanh",      "sinh",
    "atan", "asin",  "acos",  "asinh", "sqrt", "sigmoid", "softplus", "silu", "gelu_tanh", "gelu",
    "exp2", "cosh",  "atanh", "acosh", "tan",  "erf",     "erfc",     "cbrt"};

using internal::Where;

// Why CheckRows refuses `function`'s arguments.
SIMDKIT_REFUSAL void RejectRows(const char* function, const MatrixView& x, const void* y,
                                std::size_t y_stride) {
  if (!math_supports(x.dtype)) {
    throw std::invalid_argument(Where(function) + "dtype " + dtype_name(x.dtype) +
                                " is not supported; expected float64, float32, float16 or "
                                "bfloat16");
  }
  if (x.data == nullptr || y == nullptr) {
    throw std::invalid_argument(Where(function) + "null data pointer with a non-empty shape");
  }
  if (x.rows > 1 && (x.row_stride < x.cols || y_stride < x.cols)) {
    throw std::invalid_argument(Where(function) + "row strides (" + std::to_string(x.row_stride) +
                                ", " + std::to_string(y_stride) + ") are smaller than the " +
                                std::to_string(x.cols) + " columns");
  }
  throw std::invalid_argument(Where(function) +
                              "x and y overlap; expected separate memory or exactly the same "
                              "(in place)");
}

void CheckDType(const char* function, DType dtype) {
  if (!math_supports(dtype)) RejectRows(function, MatrixView{nullptr, dtype, 0, 0, 0}, nullptr, 0);
}

// x and y: rows of cols elements, strides in elements. y may be x itself
// with the same stride (in place); any other overlap is refused, as the
// kernels read a vector after writing the one before it.
void CheckRows(const char* function, const MatrixView& x, const void* y, std::size_t y_stride) {
  CheckDType(function, x.dtype);
  if (x.rows == 0 || x.cols == 0) return;
  if (x.data == nullptr || y == nullptr ||
      (x.rows > 1 && (x.row_stride < x.cols || y_stride < x.cols))) {
    RejectRows(function, x, y, y_stride);
  }
  if (x.data == y && x.row_stride == y_stride) return;
  if (internal::Overlaps(internal::ViewExtent(x),
                         internal::RowsExtent(y, x.rows, x.cols, y_stride, dtype_size(x.dtype)))) {
    RejectRows(function, x, y, y_stride);
  }
}

}  // namespace

Function function_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    if (name == kFunctionNames[i]) return static_cast<Function>(i);
  }
  std::string valid;
  for (const char* known : kFunctionNames) valid += std::string(valid.empty() ? "" : ", ") + known;
  throw std::invalid_argument("unknown function '" + std::string(name) + "'; expected one of: " +
                              valid);
}

const char* function_name(Function function) {
  const auto index = static_cast<std::size_t>(function);
  return index < kFunctionCount ? kFunctionNames[index] : "unknown";
}

bool math_supports(DType dtype) {
  return dtype == DType::kFloat64 || dtype == DType::kFloat32 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

// Calls call(storage value, apply, rowwise, logsumexp entry points of
// `dtype`'s storage type): the one place where a DType becomes a storage
// type.
template <typename Call>
void WithStorage(DType dtype, const Call& call) {
  switch (dtype) {
    case DType::kFloat32:
      return call(float{}, SIMDKIT_DISPATCHED(ApplyF32), SIMDKIT_DISPATCHED(RowwiseF32),
                  SIMDKIT_DISPATCHED(LogSumExpF32));
    case DType::kFloat64:
      return call(double{}, SIMDKIT_DISPATCHED(ApplyF64), SIMDKIT_DISPATCHED(RowwiseF64),
                  SIMDKIT_DISPATCHED(LogSumExpF64));
    case DType::kFloat16:
      return call(uint16_t{}, SIMDKIT_DISPATCHED(ApplyF16), SIMDKIT_DISPATCHED(RowwiseF16),
                  SIMDKIT_DISPATCHED(LogSumExpF16));
    case DType::kBFloat16:
      return call(uint16_t{}, SIMDKIT_DISPATCHED(ApplyBF16), SIMDKIT_DISPATCHED(RowwiseBF16),
                  SIMDKIT_DISPATCHED(LogSumExpBF16));
    default: throw std::logic_error("simdkit: unhandled math dtype");
  }
}

// Calls kernel(first row, rows) over slices of x's rows on `threads`
// threads; row kernels, whose rows must stay whole.
template <typename Kernel>
void OverRowSlices(const MatrixView& x, std::size_t threads, const Kernel& kernel) {
  ParallelRows(threads, x.rows, x.rows * x.cols,
               [&](std::size_t begin, std::size_t end) { kernel(begin, end - begin); },
               kParallelElements);
}

void apply_rows(Function function, const MatrixView& x, void* y, std::size_t y_row_stride,
                std::size_t threads) {
  CheckRows("apply", x, y, y_row_stride);
  if (x.rows == 0 || x.cols == 0) return;
  WithStorage(x.dtype, [&](auto storage, auto apply_entry, auto, auto) {
    using T = decltype(storage);
    const T* from = static_cast<const T*>(x.data);
    T* to = static_cast<T*>(y);
    if (x.rows == 1) {
      // Elementwise: one long row is split into chunks.
      const std::size_t chunks = (x.cols + kChunkElements - 1) / kChunkElements;
      ParallelRows(
          threads, chunks, x.cols,
          [&](std::size_t begin, std::size_t end) {
            const std::size_t first = begin * kChunkElements;
            const std::size_t last = std::min(end * kChunkElements, x.cols);
            apply_entry(function, from + first, 1, last - first, last - first, to + first,
                        last - first);
          },
          kParallelElements);
      return;
    }
    OverRowSlices(x, threads, [&](std::size_t row, std::size_t rows) {
      apply_entry(function, from + row * x.row_stride, rows, x.cols, x.row_stride,
                  to + row * y_row_stride, y_row_stride);
    });
  });
}

void apply(Function function, DType dtype, const void* x, void* y, std::size_t n,
           std::size_t threads) {
  apply_rows(function, MatrixView{x, dtype, 1, n, n}, y, n, threads);
}

void apply(Function function, const float* x, float* y, std::size_t n) {
  apply(function, DType::kFloat32, x, y, n);
}

void apply(Function function, const double* x, double* y, std::size_t n) {
  apply(function, DType::kFloat64, x, y, n);
}

void apply_rowwise(RowFunction function, const MatrixView& x, void* y, std::size_t y_row_stride,
                   std::size_t threads) {
  CheckRows("apply_rowwise", x, y, y_row_stride);
  if (x.rows == 0 || x.cols == 0) return;
  WithStorage(x.dtype, [&](auto storage, auto, auto rowwise_entry, auto) {
    using T = decltype(storage);
    OverRowSlices(x, threads, [&](std::size_t row, std::size_t rows) {
      rowwise_entry(function, static_cast<const T*>(x.data) + row * x.row_stride, rows, x.cols,
                    x.row_stride, static_cast<T*>(y) + row * y_row_stride, y_row_stride);
    });
  });
}

void softmax(const MatrixView& x, void* y, std::size_t y_row_stride, std::size_t threads) {
  apply_rowwise(RowFunction::kSoftmax, x, y, y_row_stride, threads);
}

void log_softmax(const MatrixView& x, void* y, std::size_t y_row_stride, std::size_t threads) {
  apply_rowwise(RowFunction::kLogSoftmax, x, y, y_row_stride, threads);
}

void normalize(const MatrixView& x, void* y, std::size_t y_row_stride, std::size_t threads) {
  apply_rowwise(RowFunction::kNormalize, x, y, y_row_stride, threads);
}

void logsumexp(const MatrixView& x, void* out, std::size_t threads) {
  CheckDType("logsumexp", x.dtype);
  if (x.rows == 0) return;
  if (out == nullptr || (x.cols != 0 && x.data == nullptr)) {
    throw std::invalid_argument(Where("logsumexp") + "null pointer with a non-empty shape");
  }
  if (x.rows > 1 && x.row_stride < x.cols) {
    throw std::invalid_argument(Where("logsumexp") + "row stride smaller than the columns");
  }
  internal::CheckNoOverlap("logsumexp", "out",
                           internal::ElementsExtent(out, x.rows, dtype_size(x.dtype)), "x",
                           internal::ViewExtent(x));
  WithStorage(x.dtype, [&](auto storage, auto, auto, auto logsumexp_entry) {
    using T = decltype(storage);
    OverRowSlices(x, threads, [&](std::size_t row, std::size_t rows) {
      logsumexp_entry(static_cast<const T*>(x.data) + row * x.row_stride, rows, x.cols,
                      x.row_stride, static_cast<T*>(out) + row);
    });
  });
}

}  // namespace simdkit
#endif  // HWY_ONCE
