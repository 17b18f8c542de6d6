// Element types and the 2-D view shared by the kernel families.
#ifndef SIMDKIT_TYPES_H_
#define SIMDKIT_TYPES_H_

#include <cstddef>
#include <cstdint>

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

// `rows` rows of `cols` elements of `dtype`, row r starting `r * row_stride`
// elements after `data`. For kBits, elements are bytes (8 components each).
struct MatrixView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t row_stride = 0;
};

}  // namespace simdkit

#endif  // SIMDKIT_TYPES_H_
