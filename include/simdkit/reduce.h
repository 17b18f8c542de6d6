// Reductions over float32 and float64: sum, dot, norm (L2), min, max, argmin,
// argmax. Each function has a single-vector form over (pointer, count) and a
// batch form over `rows` rows of `cols` elements, row r starting at
// `x + r * row_stride` (strides in elements). A batch is dispatched once and
// loops inside target-specific code.
//
// Semantics follow NumPy: sum/dot/norm of zero elements are 0; min, max,
// argmin and argmax of zero elements throw std::invalid_argument; a NaN input
// makes min/max NaN and argmin/argmax return the index of the first NaN.
// sum, dot and norm use blocked pairwise summation; see docs/reduce.md for the
// error bound.
//
// Input rows may be any row_stride apart, 0 included (one row read as many);
// outputs must not overlap the input.
//
// Every function also has a view form: a Span<const T> instead of (pointer,
// count), a MatrixView of float32 or float64 rows instead of (x, rows, cols,
// row_stride), and a Span for `out` whose size must be the number of rows.
//
// Errors: std::invalid_argument for violated preconditions (null pointer with
// a non-zero count, empty input where no identity exists, an output
// overlapping an input; in the view forms, a dtype other than the element type
// of `out`, sizes that disagree).
#ifndef SIMDKIT_REDUCE_H_
#define SIMDKIT_REDUCE_H_

#include <cstddef>

#include "simdkit/export.h"
#include "simdkit/types.h"

namespace simdkit {

SIMDKIT_EXPORT float sum(const float* x, std::size_t n);
SIMDKIT_EXPORT double sum(const double* x, std::size_t n);
SIMDKIT_EXPORT float dot(const float* a, const float* b, std::size_t n);
SIMDKIT_EXPORT double dot(const double* a, const double* b, std::size_t n);
SIMDKIT_EXPORT float norm(const float* x, std::size_t n);
SIMDKIT_EXPORT double norm(const double* x, std::size_t n);
SIMDKIT_EXPORT float min(const float* x, std::size_t n);
SIMDKIT_EXPORT double min(const double* x, std::size_t n);
SIMDKIT_EXPORT float max(const float* x, std::size_t n);
SIMDKIT_EXPORT double max(const double* x, std::size_t n);
SIMDKIT_EXPORT std::size_t argmin(const float* x, std::size_t n);
SIMDKIT_EXPORT std::size_t argmin(const double* x, std::size_t n);
SIMDKIT_EXPORT std::size_t argmax(const float* x, std::size_t n);
SIMDKIT_EXPORT std::size_t argmax(const double* x, std::size_t n);

// Batch forms: out[r] = f(row r), for r in [0, rows).
SIMDKIT_EXPORT void sum_rows(const float* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, float* out);
SIMDKIT_EXPORT void sum_rows(const double* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, double* out);
SIMDKIT_EXPORT void norm_rows(const float* x, std::size_t rows, std::size_t cols,
                              std::size_t row_stride, float* out);
SIMDKIT_EXPORT void norm_rows(const double* x, std::size_t rows, std::size_t cols,
                              std::size_t row_stride, double* out);
SIMDKIT_EXPORT void min_rows(const float* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, float* out);
SIMDKIT_EXPORT void min_rows(const double* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, double* out);
SIMDKIT_EXPORT void max_rows(const float* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, float* out);
SIMDKIT_EXPORT void max_rows(const double* x, std::size_t rows, std::size_t cols,
                             std::size_t row_stride, double* out);
SIMDKIT_EXPORT void argmin_rows(const float* x, std::size_t rows, std::size_t cols,
                                std::size_t row_stride, std::size_t* out);
SIMDKIT_EXPORT void argmin_rows(const double* x, std::size_t rows, std::size_t cols,
                                std::size_t row_stride, std::size_t* out);
SIMDKIT_EXPORT void argmax_rows(const float* x, std::size_t rows, std::size_t cols,
                                std::size_t row_stride, std::size_t* out);
SIMDKIT_EXPORT void argmax_rows(const double* x, std::size_t rows, std::size_t cols,
                                std::size_t row_stride, std::size_t* out);

// out[r] = dot(a + r * a_stride, b + r * b_stride, cols). A stride of 0
// broadcasts one vector against every row of the other operand.
SIMDKIT_EXPORT void dot_rows(const float* a, std::size_t a_stride, const float* b,
                             std::size_t b_stride, std::size_t rows, std::size_t cols,
                             float* out);
SIMDKIT_EXPORT void dot_rows(const double* a, std::size_t a_stride, const double* b,
                             std::size_t b_stride, std::size_t rows, std::size_t cols,
                             double* out);

// View forms.
SIMDKIT_EXPORT float sum(Span<const float> x);
SIMDKIT_EXPORT double sum(Span<const double> x);
SIMDKIT_EXPORT float norm(Span<const float> x);
SIMDKIT_EXPORT double norm(Span<const double> x);
SIMDKIT_EXPORT float min(Span<const float> x);
SIMDKIT_EXPORT double min(Span<const double> x);
SIMDKIT_EXPORT float max(Span<const float> x);
SIMDKIT_EXPORT double max(Span<const double> x);
SIMDKIT_EXPORT std::size_t argmin(Span<const float> x);
SIMDKIT_EXPORT std::size_t argmin(Span<const double> x);
SIMDKIT_EXPORT std::size_t argmax(Span<const float> x);
SIMDKIT_EXPORT std::size_t argmax(Span<const double> x);
// a and b must have the same size.
SIMDKIT_EXPORT float dot(Span<const float> a, Span<const float> b);
SIMDKIT_EXPORT double dot(Span<const double> a, Span<const double> b);

// x.dtype must be float32 for a Span<float> out, float64 for Span<double>;
// out.size() == x.rows.
SIMDKIT_EXPORT void sum_rows(const MatrixView& x, Span<float> out);
SIMDKIT_EXPORT void sum_rows(const MatrixView& x, Span<double> out);
SIMDKIT_EXPORT void norm_rows(const MatrixView& x, Span<float> out);
SIMDKIT_EXPORT void norm_rows(const MatrixView& x, Span<double> out);
SIMDKIT_EXPORT void min_rows(const MatrixView& x, Span<float> out);
SIMDKIT_EXPORT void min_rows(const MatrixView& x, Span<double> out);
SIMDKIT_EXPORT void max_rows(const MatrixView& x, Span<float> out);
SIMDKIT_EXPORT void max_rows(const MatrixView& x, Span<double> out);
// x.dtype float32 or float64; out.size() == x.rows.
SIMDKIT_EXPORT void argmin_rows(const MatrixView& x, Span<std::size_t> out);
SIMDKIT_EXPORT void argmax_rows(const MatrixView& x, Span<std::size_t> out);
// a and b: the same cols and dtype (that of out), and the same rows, or one
// of them a single row, which is then used against every row of the other
// (as NumPy broadcasts). out.size() is the larger number of rows.
SIMDKIT_EXPORT void dot_rows(const MatrixView& a, const MatrixView& b, Span<float> out);
SIMDKIT_EXPORT void dot_rows(const MatrixView& a, const MatrixView& b, Span<double> out);

}  // namespace simdkit

#endif  // SIMDKIT_REDUCE_H_
