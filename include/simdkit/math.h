// Elementwise math and fused row kernels over float64, float32, float16 and
// bfloat16 (the last two as their 16-bit patterns).
//
// Elementwise, y[i] = f(x[i]):
//   exp expm1 log log1p log2 log10 sin cos tanh sinh atan asin acos asinh
//   sqrt exp2 cosh atanh acosh tan erf erfc cbrt, and the activations
//   sigmoid    1 / (1 + exp(-x))                  (scipy.special.expit)
//   softplus   log(1 + exp(x))                     (numpy.logaddexp(0, x))
//   silu       x * sigmoid(x)
//   gelu_tanh  0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//   gelu       0.5 x (1 + erf(x / sqrt(2)))        (the exact form)
// float16 and bfloat16 are widened exactly to float32, computed there and
// rounded back to nearest even (as NumPy computes float16 ufuncs). Special
// values (+-0, +-Inf, NaN, overflow and
// underflow) give what NumPy gives; silu, gelu_tanh and gelu give -0 at
// -Inf (their limit). Accuracy per function and dtype, in ULP: docs/math.md.
//
// Row kernels, over each row of a 2-D view (the last axis in Python):
//   softmax      exp(x - max) / sum(exp(x - max))  (scipy.special.softmax)
//   log_softmax  x - max - log(sum(exp(x - max)))  (scipy.special.log_softmax)
//   logsumexp    max + log(sum(exp(x - max))), one value per row
//   normalize    x / |x|_2; an all-zero row stays zero
// They are numerically stable (the max is subtracted first): no overflow for
// any finite input. A row holding NaN gives NaN throughout; infinities
// follow SciPy: where the row's max is +Inf, softmax is NaN throughout,
// log_softmax NaN at the +Inf entries and -Inf elsewhere, logsumexp +Inf;
// a row of -Inf gives NaN (softmax, log_softmax) and -Inf (logsumexp).
//
// View forms take Spans and a MutableMatrixView y of x's shape and dtype.
//
// Errors: std::invalid_argument for an unknown function name, a dtype
// math_supports() refuses, null pointers with non-empty shapes, row strides
// shorter than a row, overlapping x and y other than exactly in place, and
// (view forms) sizes, shapes or dtypes that disagree.
#ifndef SIMDKIT_MATH_H_
#define SIMDKIT_MATH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "simdkit/export.h"
#include "simdkit/types.h"

namespace simdkit {

enum class Function : std::uint8_t {
  kExp,
  kExpm1,
  kLog,
  kLog1p,
  kLog2,
  kLog10,
  kSin,
  kCos,
  kTanh,
  kSinh,
  kAtan,
  kAsin,
  kAcos,
  kAsinh,
  kSqrt,
  kSigmoid,
  kSoftplus,
  kSilu,
  kGeluTanh,
  kGelu,
  kExp2,
  kCosh,
  kAtanh,
  kAcosh,
  kTan,
  kErf,
  kErfc,
  kCbrt,
};
inline constexpr std::size_t kFunctionCount = 28;

// "exp", "expm1", ..., "sqrt", "sigmoid", "softplus", "silu", "gelu_tanh",
// "gelu", "exp2", "cosh", "atanh", "acosh", "tan", "erf", "erfc", "cbrt".
// std::invalid_argument listing them for another name.
SIMDKIT_EXPORT Function function_from_name(std::string_view name);
SIMDKIT_EXPORT const char* function_name(Function function);

// Whether `dtype` is one the math family takes (float64, float32, float16,
// bfloat16).
SIMDKIT_EXPORT bool math_supports(DType dtype);

// y[i] = f(x[i]) for i < n; x and y hold elements of `dtype`. y == x works
// in place; otherwise the two ranges must not overlap.
//
// `threads` (here and in the batch forms below): how many threads share a
// large input, the calling thread among them; 1 (the default) runs on the
// calling thread only, 0 (or more than there are cores) one per core.
// Elementwise work is split into contiguous chunks of whole cache lines and
// the row kernels' into whole rows, so results are the same bits for every
// count. Inputs below about 2^18 elements stay on the calling thread.
SIMDKIT_EXPORT void apply(Function function, DType dtype, const void* x, void* y, std::size_t n,
                          std::size_t threads = 1);
SIMDKIT_EXPORT void apply(Function function, const float* x, float* y, std::size_t n);
SIMDKIT_EXPORT void apply(Function function, const double* x, double* y, std::size_t n);

// Batch form: row r of x into y + r * y_row_stride (elements of x.dtype).
SIMDKIT_EXPORT void apply_rows(Function function, const MatrixView& x, void* y,
                               std::size_t y_row_stride, std::size_t threads = 1);

enum class RowFunction : std::uint8_t {
  kSoftmax,
  kLogSoftmax,
  kNormalize,
};

// Row r of x into y + r * y_row_stride, for every row (see above). y may be
// x's own memory with the same stride (in place).
SIMDKIT_EXPORT void apply_rowwise(RowFunction function, const MatrixView& x, void* y,
                                  std::size_t y_row_stride, std::size_t threads = 1);
SIMDKIT_EXPORT void softmax(const MatrixView& x, void* y, std::size_t y_row_stride,
                            std::size_t threads = 1);
SIMDKIT_EXPORT void log_softmax(const MatrixView& x, void* y, std::size_t y_row_stride,
                                std::size_t threads = 1);
SIMDKIT_EXPORT void normalize(const MatrixView& x, void* y, std::size_t y_row_stride,
                              std::size_t threads = 1);

// out[r] = logsumexp(row r of x), x.rows values of x.dtype; -Inf for an
// empty row (as SciPy).
SIMDKIT_EXPORT void logsumexp(const MatrixView& x, void* out, std::size_t threads = 1);

// View forms. apply: x and y of the same size (y may be x itself). The
// others: y has x's rows, cols and dtype (any row stride; x's own memory and
// stride for in place). logsumexp: out.size() == x.rows, a Span<float> for
// float32 x, Span<double> for float64, Span<uint16_t> for float16 or
// bfloat16 (results in x's dtype).
SIMDKIT_EXPORT void apply(Function function, Span<const float> x, Span<float> y);
SIMDKIT_EXPORT void apply(Function function, Span<const double> x, Span<double> y);
SIMDKIT_EXPORT void apply_rows(Function function, const MatrixView& x, const MutableMatrixView& y);
SIMDKIT_EXPORT void apply_rowwise(RowFunction function, const MatrixView& x,
                                  const MutableMatrixView& y);
SIMDKIT_EXPORT void softmax(const MatrixView& x, const MutableMatrixView& y);
SIMDKIT_EXPORT void log_softmax(const MatrixView& x, const MutableMatrixView& y);
SIMDKIT_EXPORT void normalize(const MatrixView& x, const MutableMatrixView& y);
SIMDKIT_EXPORT void logsumexp(const MatrixView& x, Span<float> out);
SIMDKIT_EXPORT void logsumexp(const MatrixView& x, Span<double> out);
SIMDKIT_EXPORT void logsumexp(const MatrixView& x, Span<std::uint16_t> out);

}  // namespace simdkit

#endif  // SIMDKIT_MATH_H_
