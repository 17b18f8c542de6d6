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


// Binary elementwise functions, y = f(a, b), NumPy's ufuncs of the same
// names over float dtypes:
//   atan2   the angle of the point (b, a) in [-pi, pi]  (numpy.arctan2(a, b))
//   hypot   sqrt(a^2 + b^2), without spurious overflow or underflow
//   power   a^b                                         (numpy.power)
// with C99 Annex F's special values (as NumPy gives them): atan2 of signed
// zeros and infinities (+-0, +-pi, +-pi/2, +-pi/4, +-3pi/4), hypot(+-Inf,
// NaN) = Inf, power(x, +-0) = 1 and power(1, y) = 1 even for NaN,
// power(-1, +-Inf) = 1, NaN for a finite negative base and a non-integer
// exponent, the sign of a negative base to an odd integer, +-0 and +-Inf at
// +-0 and +-Inf, overflow to Inf and underflow to 0. float16 and bfloat16
// go through float32 as the unary functions do. Accuracy: docs/math.md.
enum class BinaryFunction : std::uint8_t {
  kAtan2,
  kHypot,
  kPower,
};
inline constexpr std::size_t kBinaryFunctionCount = 3;

// "atan2", "hypot", "power"; std::invalid_argument listing them for another
// name.
SIMDKIT_EXPORT BinaryFunction binary_function_from_name(std::string_view name);
SIMDKIT_EXPORT const char* binary_function_name(BinaryFunction function);

// One operand of apply_binary, in elements of the call's dtype: row r of it
// starts at data + row_offsets[r] if row_offsets is given (any layout of
// rows, negative offsets included), else at data + r * row_stride
// (row_stride 0: every row reads the same one). broadcast_cols: a row is one
// element, used for every column (else `cols` consecutive elements).
struct BinaryOperand {
  const void* data = nullptr;
  std::size_t row_stride = 0;
  bool broadcast_cols = false;
  const std::ptrdiff_t* row_offsets = nullptr;
};

// y[r][c] = f(a[r][c], b[r][c]) for a rows x cols batch (NumPy's broadcasting
// in two dimensions, e.g. a column of rows against a row of columns), y's
// row r at y + r * y_row_stride (y_row_stride >= cols when rows > 1).
// y may be a's or b's memory exactly (the same data and row stride, not
// broadcast, no row_offsets): in place; any other overlap of y with an input
// is refused. `threads` as for apply: the batch is split into chunks of
// whole cache lines in row-major order, so results are the same bits for
// every count.
SIMDKIT_EXPORT void apply_binary(BinaryFunction function, DType dtype, const BinaryOperand& a,
                                 const BinaryOperand& b, void* y, std::size_t rows,
                                 std::size_t cols, std::size_t y_row_stride,
                                 std::size_t threads = 1);

// y[i] = f(a[i], b[i]) for i < n (y may be a or b: in place).
SIMDKIT_EXPORT void apply(BinaryFunction function, DType dtype, const void* a, const void* b,
                          void* y, std::size_t n, std::size_t threads = 1);
SIMDKIT_EXPORT void apply(BinaryFunction function, const float* a, const float* b, float* y,
                          std::size_t n);
SIMDKIT_EXPORT void apply(BinaryFunction function, const double* a, const double* b, double* y,
                          std::size_t n);

}  // namespace simdkit

#endif  // SIMDKIT_MATH_H_
