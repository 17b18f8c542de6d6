// Element types and the views every kernel family takes: Span (1-D) and
// MatrixView / MutableMatrixView (2-D, rows with a row stride). Views never
// own memory; the caller keeps it alive for the duration of the call.
#ifndef SIMDKIT_TYPES_H_
#define SIMDKIT_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

#include "simdkit/export.h"

namespace simdkit {

// Element types. Half-precision values are passed as their 16-bit patterns
// (IEEE binary16, or the upper half of a float32).
enum class DType : std::uint8_t {
  kFloat64,
  kFloat32,
  kFloat16,
  kBFloat16,
  kInt8,
  kUInt8,
  kBits,  // packed: each uint8 element holds 8 components (distances only)
};

// "float64", "float32", "float16", "bfloat16", "int8", "uint8", "bits".
SIMDKIT_EXPORT const char* dtype_name(DType dtype);

// Bytes per element of `dtype` (kBits: one byte of 8 components).
inline std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return 8;
    case DType::kFloat32: return 4;
    case DType::kFloat16:
    case DType::kBFloat16: return 2;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBits: return 1;
  }
  return 1;
}

// Distance results are double for kFloat64 input, float otherwise.
inline bool result_is_double(DType dtype) { return dtype == DType::kFloat64; }

// The DType of a C++ element type, for the types that name exactly one:
// float, double, int8_t, uint8_t. (uint16_t holds float16 and bfloat16 alike,
// so views of those name their dtype explicitly.)
template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<double> : std::integral_constant<DType, DType::kFloat64> {};
template <>
struct DTypeOf<float> : std::integral_constant<DType, DType::kFloat32> {};
template <>
struct DTypeOf<std::int8_t> : std::integral_constant<DType, DType::kInt8> {};
template <>
struct DTypeOf<std::uint8_t> : std::integral_constant<DType, DType::kUInt8> {};

template <typename T>
class Span;

namespace detail {
template <typename T>
struct IsSpan : std::false_type {};
template <typename T>
struct IsSpan<Span<T>> : std::true_type {};
}  // namespace detail

// `size()` contiguous elements of T, not owned (std::span is C++20; simdkit
// needs only C++17). Converts implicitly from a contiguous container with
// data() and size() (std::vector, std::array, a C array, another Span) whose
// elements T can point to: Span<const float> accepts a std::vector<float>,
// Span<float> refuses a const one or a temporary (whose writes would be lost).
template <typename T>
class Span {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  using iterator = T*;

  constexpr Span() noexcept = default;
  constexpr Span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}

  template <typename Container,
            typename Data = decltype(std::data(std::declval<Container&>())),
            typename = decltype(std::size(std::declval<Container&>())),
            typename = std::enable_if_t<
                !detail::IsSpan<std::remove_cv_t<std::remove_reference_t<Container>>>::value &&
                std::is_convertible_v<Data, T*> &&
                (std::is_const_v<T> || std::is_lvalue_reference_v<Container>)>>
  constexpr Span(Container&& container) noexcept  // NOLINT(google-explicit-constructor)
      : data_(std::data(container)), size_(std::size(container)) {}

  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
  constexpr Span(const Span<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data_(other.data()), size_(other.size()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T* begin() const noexcept { return data_; }
  constexpr T* end() const noexcept { return data_ + size_; }
  // Unchecked, like std::span's.
  constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

// `rows` rows of `cols` elements of `dtype`, row r starting `r * row_stride`
// elements after `data` (read only). For kBits, elements are bytes (8
// components each). MatrixView{data, dtype, rows, cols, row_stride} names the
// dtype; MatrixView(ptr, rows, cols[, row_stride]) takes it from the pointer
// (float, double, int8_t, uint8_t) and defaults the stride to cols.
struct MatrixView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t row_stride = 0;

  constexpr MatrixView() noexcept = default;
  constexpr MatrixView(const void* data_, DType dtype_, std::size_t rows_, std::size_t cols_,
                       std::size_t row_stride_) noexcept
      : data(data_), dtype(dtype_), rows(rows_), cols(cols_), row_stride(row_stride_) {}
  template <typename T, DType kDType = DTypeOf<T>::value>
  constexpr MatrixView(const T* data_, std::size_t rows_, std::size_t cols_,
                       std::size_t row_stride_) noexcept
      : MatrixView(data_, kDType, rows_, cols_, row_stride_) {}
  template <typename T, DType kDType = DTypeOf<T>::value>
  constexpr MatrixView(const T* data_, std::size_t rows_, std::size_t cols_) noexcept
      : MatrixView(data_, kDType, rows_, cols_, cols_) {}
};

// The same, writable: where a function writes rows. Converts to MatrixView,
// so a writable matrix can also be passed as input.
struct MutableMatrixView {
  void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t row_stride = 0;

  constexpr MutableMatrixView() noexcept = default;
  constexpr MutableMatrixView(void* data_, DType dtype_, std::size_t rows_, std::size_t cols_,
                              std::size_t row_stride_) noexcept
      : data(data_), dtype(dtype_), rows(rows_), cols(cols_), row_stride(row_stride_) {}
  template <typename T, DType kDType = DTypeOf<T>::value>
  constexpr MutableMatrixView(T* data_, std::size_t rows_, std::size_t cols_,
                              std::size_t row_stride_) noexcept
      : MutableMatrixView(data_, kDType, rows_, cols_, row_stride_) {}
  template <typename T, DType kDType = DTypeOf<T>::value>
  constexpr MutableMatrixView(T* data_, std::size_t rows_, std::size_t cols_) noexcept
      : MutableMatrixView(data_, kDType, rows_, cols_, cols_) {}

  constexpr operator MatrixView() const noexcept {  // NOLINT(google-explicit-constructor)
    return MatrixView(data, dtype, rows, cols, row_stride);
  }
};

}  // namespace simdkit

#endif  // SIMDKIT_TYPES_H_
