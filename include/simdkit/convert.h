// Conversions between float32 and the 16-bit and 8-bit float formats, and
// symmetric int8 quantization. bfloat16 and float16 values are passed as their 16-bit
// patterns (uint16_t): bfloat16 is the upper half of a float32, float16 is
// IEEE 754 binary16. Each call is dispatched once and loops inside
// target-specific code; results are the same bits on every target.
//
// - to_bfloat16: round to nearest even, ±Inf kept, overflow to ±Inf,
//   subnormals kept; every NaN becomes the quiet NaN 0x7FC0 of its sign.
//   Bit-identical to ml_dtypes' astype(bfloat16).
// - to_float16: IEEE round to nearest even (half subnormals included),
//   |x| >= 65520 to ±Inf. A NaN keeps its sign and the top 10 payload bits
//   (not quieted), and is 0x7C01 (with its sign) if those are zero.
//   Bit-identical to NumPy's astype(numpy.float16).
// - from_bfloat16 / from_float16: exact; NaN payloads kept, not quieted.
// - to_float8_e4m3 / to_float8_e5m2: float32 -> the OCP 8-bit float formats
//   ml_dtypes calls float8_e4m3fn and float8_e5m2, as 8-bit patterns
//   (uint8_t), round to nearest even (their subnormals included), sign kept.
//   E4M3 has no infinities: values that round beyond 448, and ±Inf, become
//   its NaN 0x7F (with the sign); E5M2 overflows (|x| >= 61440) to ±Inf
//   0x7C, and NaN becomes 0x7E with the sign. Payloads are dropped.
//   Bit-identical to ml_dtypes' astype (which does not saturate either).
// - from_float8_e4m3 / from_float8_e5m2: exact; ±Inf kept (E5M2); every NaN
//   becomes the quiet NaN 0x7FC00000 with its sign, as ml_dtypes.
// - quantize_int8: per row, scale = max|x| / 127 (float32 division) and
//   q = x / scale rounded to nearest even, clamped to [-127, 127]; a row
//   whose scale is 0 gives scale 0 and zeros. A row holding NaN or ±Inf
//   throws std::invalid_argument naming the row (rows before it are
//   already written, the rest are not). |x - q * scale| <= 0.5 * scale
//   * (1 + 2^-15) for rows whose scale is a normal float; see
//   docs/convert.md.
// - dequantize_int8: out = q * scale[row], rounded once to float32.
//
// Input and output must not overlap. Strides are in elements.
// View forms: Spans of equal size for the element-wise conversions; for
// quantize_int8 a float32 MatrixView x, an int8 MutableMatrixView q of x's
// shape and x.rows scales (dequantize_int8 the reverse).
// Errors: std::invalid_argument for a null pointer with a non-zero count,
// strides shorter than a row, outputs overlapping inputs, non-finite rows in
// quantize_int8, and (view forms) sizes, shapes or dtypes that disagree.
#ifndef SIMDKIT_CONVERT_H_
#define SIMDKIT_CONVERT_H_

#include <cstddef>
#include <cstdint>

#include "simdkit/export.h"
#include "simdkit/types.h"

namespace simdkit {

SIMDKIT_EXPORT void to_bfloat16(const float* x, std::size_t n, std::uint16_t* out);
SIMDKIT_EXPORT void from_bfloat16(const std::uint16_t* x, std::size_t n, float* out);
SIMDKIT_EXPORT void to_float16(const float* x, std::size_t n, std::uint16_t* out);
SIMDKIT_EXPORT void from_float16(const std::uint16_t* x, std::size_t n, float* out);
SIMDKIT_EXPORT void to_float8_e4m3(const float* x, std::size_t n, std::uint8_t* out);
SIMDKIT_EXPORT void from_float8_e4m3(const std::uint8_t* x, std::size_t n, float* out);
SIMDKIT_EXPORT void to_float8_e5m2(const float* x, std::size_t n, std::uint8_t* out);
SIMDKIT_EXPORT void from_float8_e5m2(const std::uint8_t* x, std::size_t n, float* out);

// Row r of x starts at x + r * row_stride; q's at q + r * q_stride; one
// scale per row.
SIMDKIT_EXPORT void quantize_int8(const float* x, std::size_t rows, std::size_t cols,
                                  std::size_t row_stride, std::int8_t* q, std::size_t q_stride,
                                  float* scale);
SIMDKIT_EXPORT void dequantize_int8(const std::int8_t* q, std::size_t rows, std::size_t cols,
                                    std::size_t q_stride, const float* scale, float* out,
                                    std::size_t out_stride);

// View forms.
SIMDKIT_EXPORT void to_bfloat16(Span<const float> x, Span<std::uint16_t> out);
SIMDKIT_EXPORT void from_bfloat16(Span<const std::uint16_t> x, Span<float> out);
SIMDKIT_EXPORT void to_float16(Span<const float> x, Span<std::uint16_t> out);
SIMDKIT_EXPORT void from_float16(Span<const std::uint16_t> x, Span<float> out);
SIMDKIT_EXPORT void to_float8_e4m3(Span<const float> x, Span<std::uint8_t> out);
SIMDKIT_EXPORT void from_float8_e4m3(Span<const std::uint8_t> x, Span<float> out);
SIMDKIT_EXPORT void to_float8_e5m2(Span<const float> x, Span<std::uint8_t> out);
SIMDKIT_EXPORT void from_float8_e5m2(Span<const std::uint8_t> x, Span<float> out);
SIMDKIT_EXPORT void quantize_int8(const MatrixView& x, const MutableMatrixView& q,
                                  Span<float> scale);
SIMDKIT_EXPORT void dequantize_int8(const MatrixView& q, Span<const float> scale,
                                    const MutableMatrixView& out);

}  // namespace simdkit

#endif  // SIMDKIT_CONVERT_H_
