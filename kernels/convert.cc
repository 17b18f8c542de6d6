// Per-target entry points of the conversion family and the public C++ API
// over them. Each public call pays SIMDKIT_DYNAMIC_DISPATCH once.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/convert-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {

using FloatTag = hn::ScalableTag<float>;

void ToBFloat16OnTarget(const float* x, size_t n, uint16_t* out) {
  Float32ToBFloat16Row(FloatTag(), x, n, out);
}
void FromBFloat16OnTarget(const uint16_t* x, size_t n, float* out) {
  BFloat16ToFloat32Row(FloatTag(), x, n, out);
}
void ToFloat16OnTarget(const float* x, size_t n, uint16_t* out) {
  Float32ToFloat16Row(FloatTag(), x, n, out);
}
void FromFloat16OnTarget(const uint16_t* x, size_t n, float* out) {
  Float16ToFloat32Row(FloatTag(), x, n, out);
}

void ToFloat8E4M3OnTarget(const float* x, size_t n, uint8_t* out) {
  Float32ToFloat8Row<Float8E4M3>(FloatTag(), x, n, out);
}
void FromFloat8E4M3OnTarget(const uint8_t* x, size_t n, float* out) {
  Float8ToFloat32Row<Float8E4M3>(FloatTag(), x, n, out);
}
void ToFloat8E5M2OnTarget(const float* x, size_t n, uint8_t* out) {
  Float32ToFloat8Row<Float8E5M2>(FloatTag(), x, n, out);
}
void FromFloat8E5M2OnTarget(const uint8_t* x, size_t n, float* out) {
  Float8ToFloat32Row<Float8E5M2>(FloatTag(), x, n, out);
}

// Returns the first row holding NaN or Inf (rows before it are written), or
// `rows`.
size_t QuantizeInt8OnTarget(const float* x, size_t rows, size_t cols, size_t row_stride,
                            int8_t* q, size_t q_stride, float* scale) {
  for (size_t r = 0; r < rows; ++r) {
    if (!QuantizeInt8Row(FloatTag(), x + r * row_stride, cols, q + r * q_stride, scale + r)) {
      return r;
    }
  }
  return rows;
}

void DequantizeInt8OnTarget(const int8_t* q, size_t rows, size_t cols, size_t q_stride,
                            const float* scale, float* out, size_t out_stride) {
  for (size_t r = 0; r < rows; ++r) {
    DequantizeInt8Row(FloatTag(), q + r * q_stride, cols, scale[r], out + r * out_stride);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "api/checks.h"
#include "kernels/dispatched.h"
#include "simdkit/convert.h"

namespace simdkit {

HWY_EXPORT(ToBFloat16OnTarget);
HWY_EXPORT(FromBFloat16OnTarget);
HWY_EXPORT(ToFloat16OnTarget);
HWY_EXPORT(FromFloat16OnTarget);
HWY_EXPORT(ToFloat8E4M3OnTarget);
HWY_EXPORT(FromFloat8E4M3OnTarget);
HWY_EXPORT(ToFloat8E5M2OnTarget);
HWY_EXPORT(FromFloat8E5M2OnTarget);
HWY_EXPORT(QuantizeInt8OnTarget);
HWY_EXPORT(DequantizeInt8OnTarget);

namespace {

using internal::Where;

void CheckPointers(const char* function, const void* x, const void* out) {
  if (x == nullptr) throw std::invalid_argument(Where(function) + "null input pointer with a non-zero count");
  if (out == nullptr) throw std::invalid_argument(Where(function) + "null output pointer with a non-zero count");
}

// One element-wise conversion: checks, then the dispatched kernel.
template <typename In, typename Out>
void Convert(const char* function, void (*kernel)(const In*, size_t, Out*), const In* x, size_t n,
             Out* out) {
  if (n == 0) return;
  CheckPointers(function, x, out);
  internal::CheckNoOverlap(function, "out", internal::ElementsExtent(out, n, sizeof(Out)), "x",
                           internal::ElementsExtent(x, n, sizeof(In)));
  kernel(x, n, out);
}

void CheckStride(const char* function, const char* name, size_t stride, size_t rows, size_t cols) {
  if (rows > 1 && stride < cols) {
    throw std::invalid_argument(Where(function) + name + " " + std::to_string(stride) +
                                " is shorter than a row of " + std::to_string(cols) +
                                " elements");
  }
}

}  // namespace

void to_bfloat16(const float* x, size_t n, uint16_t* out) {
  Convert("to_bfloat16", SIMDKIT_DYNAMIC_DISPATCH(ToBFloat16OnTarget), x, n, out);
}
void from_bfloat16(const uint16_t* x, size_t n, float* out) {
  Convert("from_bfloat16", SIMDKIT_DYNAMIC_DISPATCH(FromBFloat16OnTarget), x, n, out);
}
void to_float16(const float* x, size_t n, uint16_t* out) {
  Convert("to_float16", SIMDKIT_DYNAMIC_DISPATCH(ToFloat16OnTarget), x, n, out);
}
void from_float16(const uint16_t* x, size_t n, float* out) {
  Convert("from_float16", SIMDKIT_DYNAMIC_DISPATCH(FromFloat16OnTarget), x, n, out);
}

void to_float8_e4m3(const float* x, size_t n, uint8_t* out) {
  Convert("to_float8_e4m3", SIMDKIT_DYNAMIC_DISPATCH(ToFloat8E4M3OnTarget), x, n, out);
}
void from_float8_e4m3(const uint8_t* x, size_t n, float* out) {
  Convert("from_float8_e4m3", SIMDKIT_DYNAMIC_DISPATCH(FromFloat8E4M3OnTarget), x, n, out);
}
void to_float8_e5m2(const float* x, size_t n, uint8_t* out) {
  Convert("to_float8_e5m2", SIMDKIT_DYNAMIC_DISPATCH(ToFloat8E5M2OnTarget), x, n, out);
}
void from_float8_e5m2(const uint8_t* x, size_t n, float* out) {
  Convert("from_float8_e5m2", SIMDKIT_DYNAMIC_DISPATCH(FromFloat8E5M2OnTarget), x, n, out);
}

void quantize_int8(const float* x, size_t rows, size_t cols, size_t row_stride, int8_t* q,
                   size_t q_stride, float* scale) {
  constexpr const char* kName = "quantize_int8";
  if (rows == 0) return;
  if (scale == nullptr) throw std::invalid_argument(Where(kName) + "null scale pointer");
  if (cols == 0) {  // empty rows: max|x| is 0
    for (size_t r = 0; r < rows; ++r) scale[r] = 0.0f;
    return;
  }
  CheckPointers(kName, x, q);
  CheckStride(kName, "row_stride", row_stride, rows, cols);
  CheckStride(kName, "q_stride", q_stride, rows, cols);
  const internal::Extent x_extent = internal::RowsExtent(x, rows, cols, row_stride, sizeof(float));
  const internal::Extent q_extent = internal::RowsExtent(q, rows, cols, q_stride, sizeof(int8_t));
  const internal::Extent scale_extent = internal::ElementsExtent(scale, rows, sizeof(float));
  internal::CheckNoOverlap(kName, "q", q_extent, "x", x_extent);
  internal::CheckNoOverlap(kName, "scale", scale_extent, "x", x_extent);
  internal::CheckNoOverlap(kName, "scale", scale_extent, "q", q_extent);
  const size_t bad_row = SIMDKIT_DYNAMIC_DISPATCH(QuantizeInt8OnTarget)(x, rows, cols, row_stride,
                                                                    q, q_stride, scale);
  if (bad_row != rows) {
    throw std::invalid_argument(Where(kName) + "row " + std::to_string(bad_row) +
                                " contains NaN or Inf; int8 quantization needs finite values");
  }
}

void dequantize_int8(const int8_t* q, size_t rows, size_t cols, size_t q_stride,
                     const float* scale, float* out, size_t out_stride) {
  constexpr const char* kName = "dequantize_int8";
  if (rows == 0 || cols == 0) return;
  if (scale == nullptr) throw std::invalid_argument(Where(kName) + "null scale pointer");
  CheckPointers(kName, q, out);
  CheckStride(kName, "q_stride", q_stride, rows, cols);
  CheckStride(kName, "out_stride", out_stride, rows, cols);
  const internal::Extent out_extent = internal::RowsExtent(out, rows, cols, out_stride, sizeof(float));
  internal::CheckNoOverlap(kName, "out", out_extent, "q",
                           internal::RowsExtent(q, rows, cols, q_stride, sizeof(int8_t)));
  internal::CheckNoOverlap(kName, "out", out_extent, "scale",
                           internal::ElementsExtent(scale, rows, sizeof(float)));
  SIMDKIT_DYNAMIC_DISPATCH(DequantizeInt8OnTarget)(q, rows, cols, q_stride, scale, out, out_stride);
}

}  // namespace simdkit
#endif  // HWY_ONCE
