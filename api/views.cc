// The view forms of the public API (Span, MatrixView, MutableMatrixView):
// they check what only a view can tell (sizes, shapes, dtypes of the
// outputs), then call the pointer forms, which check the rest (null
// pointers, strides, overlap) and dispatch once. Highway-free.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "api/checks.h"
#include "simdkit/convert.h"
#include "simdkit/distance.h"
#include "simdkit/math.h"
#include "simdkit/reduce.h"

namespace simdkit {
namespace {

using internal::Where;

void CheckSize(const char* function, const char* name, std::size_t size, std::size_t expected,
               const char* why) {
  if (size != expected) {
    throw std::invalid_argument(Where(function) + name + " has " + std::to_string(size) +
                                " elements; expected " + std::to_string(expected) + " (" + why +
                                ")");
  }
}

void CheckDType(const char* function, const char* name, DType dtype, DType expected,
                const char* why) {
  if (dtype != expected) {
    throw std::invalid_argument(Where(function) + name + " has dtype " + dtype_name(dtype) +
                                "; expected " + dtype_name(expected) + " (" + why + ")");
  }
}

std::string Shape(DType dtype, std::size_t rows, std::size_t cols) {
  return std::to_string(rows) + " x " + std::to_string(cols) + " " + dtype_name(dtype);
}

void CheckShape(const char* function, const char* name, const MutableMatrixView& view,
                DType dtype, std::size_t rows, std::size_t cols) {
  if (view.dtype != dtype || view.rows != rows || view.cols != cols) {
    throw std::invalid_argument(Where(function) + name + " is " +
                                Shape(view.dtype, view.rows, view.cols) + "; expected " +
                                Shape(dtype, rows, cols));
  }
}

// A MatrixView's rows as T, once its dtype is known to be T's.
template <typename T>
const T* Data(const MatrixView& view) {
  return static_cast<const T*>(view.data);
}

// sum_rows and its kin: out holds one T per row of x, which must hold T.
template <typename T>
void ReduceRows(const char* function,
                void (*rows_form)(const T*, std::size_t, std::size_t, std::size_t, T*),
                const MatrixView& x, Span<T> out) {
  CheckDType(function, "x", x.dtype, DTypeOf<T>::value, "the element type of out");
  CheckSize(function, "out", out.size(), x.rows, "one per row of x");
  rows_form(Data<T>(x), x.rows, x.cols, x.row_stride, out.data());
}

// argmin_rows, argmax_rows: indices for float32 or float64 rows.
void IndexRows(const char* function,
               void (*rows_f32)(const float*, std::size_t, std::size_t, std::size_t, std::size_t*),
               void (*rows_f64)(const double*, std::size_t, std::size_t, std::size_t,
                                std::size_t*),
               const MatrixView& x, Span<std::size_t> out) {
  CheckSize(function, "out", out.size(), x.rows, "one per row of x");
  if (x.dtype == DType::kFloat32) {
    rows_f32(Data<float>(x), x.rows, x.cols, x.row_stride, out.data());
  } else if (x.dtype == DType::kFloat64) {
    rows_f64(Data<double>(x), x.rows, x.cols, x.row_stride, out.data());
  } else {
    throw std::invalid_argument(Where(function) + "x has dtype " + dtype_name(x.dtype) +
                                "; expected float32 or float64");
  }
}

template <typename T>
void DotRows(const MatrixView& a, const MatrixView& b, Span<T> out) {
  constexpr const char* kName = "dot_rows";
  CheckDType(kName, "a", a.dtype, DTypeOf<T>::value, "the element type of out");
  CheckDType(kName, "b", b.dtype, DTypeOf<T>::value, "the element type of out");
  if (a.cols != b.cols) {
    throw std::invalid_argument(Where(kName) + "a has " + std::to_string(a.cols) +
                                " columns but b has " + std::to_string(b.cols) +
                                "; expected vectors of equal length");
  }
  if (a.rows != b.rows && a.rows != 1 && b.rows != 1) {
    throw std::invalid_argument(Where(kName) + "a has " + std::to_string(a.rows) +
                                " rows and b has " + std::to_string(b.rows) +
                                "; expected the same number, or one row for either");
  }
  const std::size_t rows = a.rows == 1 ? b.rows : a.rows;
  CheckSize(kName, "out", out.size(), rows, "one per row pair");
  // Stride 0 repeats the single row against every row of the other operand.
  dot_rows(Data<T>(a), a.rows == 1 ? 0 : a.row_stride, Data<T>(b), b.rows == 1 ? 0 : b.row_stride,
           rows, a.cols, out.data());
}

DType ResultDType(DType input) {
  return result_is_double(input) ? DType::kFloat64 : DType::kFloat32;
}

template <typename T>
void CheckResultType(const char* function, const char* name, DType input) {
  if (DTypeOf<T>::value != ResultDType(input)) {
    throw std::invalid_argument(Where(function) + name + " holds " +
                                dtype_name(DTypeOf<T>::value) + " but " + dtype_name(input) +
                                " input gives " + dtype_name(ResultDType(input)) + " results");
  }
}

template <typename T>
void Paired(Metric metric, const MatrixView& a, const MatrixView& b, Span<T> out) {
  CheckResultType<T>("paired", "out", a.dtype);
  CheckSize("paired", "out", out.size(), a.rows, "one per row of a");
  paired(metric, a, b, out.data());
}

// x: a MatrixView or a PackedMatrix.
template <typename X, typename T>
void TopK(Metric metric, const MatrixView& queries, const X& x, std::size_t k,
          Span<std::int64_t> indices, Span<T> distances, std::size_t threads) {
  CheckResultType<T>("topk", "distances", queries.dtype);
  CheckSize("topk", "indices", indices.size(), queries.rows * k, "queries.rows * k");
  CheckSize("topk", "distances", distances.size(), queries.rows * k, "queries.rows * k");
  topk(metric, queries, x, k, indices.data(), distances.data(), threads);
}

template <typename T>
void Pdist(Metric metric, const MatrixView& x, Span<T> out, std::size_t threads) {
  CheckResultType<T>("pdist", "out", x.dtype);
  CheckSize("pdist", "out", out.size(), pdist_size(x.rows), "x.rows * (x.rows - 1) / 2");
  pdist(metric, x, out.data(), threads);
}

// The element-wise conversions and apply: in and out of the same size.
template <typename In, typename Out>
void SameSize(const char* function, void (*pointer_form)(const In*, std::size_t, Out*),
              Span<const In> x, Span<Out> out) {
  CheckSize(function, "out", out.size(), x.size(), "as many as x");
  pointer_form(x.data(), x.size(), out.data());
}

template <typename T>
void Apply(Function function, Span<const T> x, Span<T> y) {
  CheckSize("apply", "y", y.size(), x.size(), "as many as x");
  apply(function, x.data(), y.data(), x.size());
}

// logsumexp: one result per row, in x's dtype, stored as T.
template <typename T>
void LogSumExp(const MatrixView& x, Span<T> out) {
  constexpr const char* kName = "logsumexp";
  const bool half = x.dtype == DType::kFloat16 || x.dtype == DType::kBFloat16;
  if (dtype_size(x.dtype) != sizeof(T) || (sizeof(T) == 2) != half) {
    throw std::invalid_argument(Where(kName) + "out holds " + std::to_string(sizeof(T)) +
                                "-byte elements but x has dtype " + dtype_name(x.dtype) +
                                "; expected Span<float> for float32, Span<double> for float64, "
                                "Span<uint16_t> for float16 and bfloat16");
  }
  CheckSize(kName, "out", out.size(), x.rows, "one per row of x");
  logsumexp(x, out.data());
}

}  // namespace

// reduce
float sum(Span<const float> x) { return sum(x.data(), x.size()); }
double sum(Span<const double> x) { return sum(x.data(), x.size()); }
float norm(Span<const float> x) { return norm(x.data(), x.size()); }
double norm(Span<const double> x) { return norm(x.data(), x.size()); }
float min(Span<const float> x) { return min(x.data(), x.size()); }
double min(Span<const double> x) { return min(x.data(), x.size()); }
float max(Span<const float> x) { return max(x.data(), x.size()); }
double max(Span<const double> x) { return max(x.data(), x.size()); }
std::size_t argmin(Span<const float> x) { return argmin(x.data(), x.size()); }
std::size_t argmin(Span<const double> x) { return argmin(x.data(), x.size()); }
std::size_t argmax(Span<const float> x) { return argmax(x.data(), x.size()); }
std::size_t argmax(Span<const double> x) { return argmax(x.data(), x.size()); }

float dot(Span<const float> a, Span<const float> b) {
  CheckSize("dot", "b", b.size(), a.size(), "as many as a");
  return dot(a.data(), b.data(), a.size());
}
double dot(Span<const double> a, Span<const double> b) {
  CheckSize("dot", "b", b.size(), a.size(), "as many as a");
  return dot(a.data(), b.data(), a.size());
}

void sum_rows(const MatrixView& x, Span<float> out) { ReduceRows("sum_rows", sum_rows, x, out); }
void sum_rows(const MatrixView& x, Span<double> out) { ReduceRows("sum_rows", sum_rows, x, out); }
void norm_rows(const MatrixView& x, Span<float> out) { ReduceRows("norm_rows", norm_rows, x, out); }
void norm_rows(const MatrixView& x, Span<double> out) {
  ReduceRows("norm_rows", norm_rows, x, out);
}
void min_rows(const MatrixView& x, Span<float> out) { ReduceRows("min_rows", min_rows, x, out); }
void min_rows(const MatrixView& x, Span<double> out) { ReduceRows("min_rows", min_rows, x, out); }
void max_rows(const MatrixView& x, Span<float> out) { ReduceRows("max_rows", max_rows, x, out); }
void max_rows(const MatrixView& x, Span<double> out) { ReduceRows("max_rows", max_rows, x, out); }
void argmin_rows(const MatrixView& x, Span<std::size_t> out) {
  IndexRows("argmin_rows", argmin_rows, argmin_rows, x, out);
}
void argmax_rows(const MatrixView& x, Span<std::size_t> out) {
  IndexRows("argmax_rows", argmax_rows, argmax_rows, x, out);
}
void dot_rows(const MatrixView& a, const MatrixView& b, Span<float> out) { DotRows(a, b, out); }
void dot_rows(const MatrixView& a, const MatrixView& b, Span<double> out) { DotRows(a, b, out); }

// distance
float distance(Metric metric, Span<const float> a, Span<const float> b) {
  CheckSize("distance", "b", b.size(), a.size(), "as many as a");
  return distance(metric, a.data(), b.data(), a.size());
}
double distance(Metric metric, Span<const double> a, Span<const double> b) {
  CheckSize("distance", "b", b.size(), a.size(), "as many as a");
  return distance(metric, a.data(), b.data(), a.size());
}
void paired(Metric metric, const MatrixView& a, const MatrixView& b, Span<float> out) {
  Paired(metric, a, b, out);
}
void paired(Metric metric, const MatrixView& a, const MatrixView& b, Span<double> out) {
  Paired(metric, a, b, out);
}
void cdist(Metric metric, const MatrixView& a, const MatrixView& b, const MutableMatrixView& out,
           std::size_t threads) {
  CheckShape("cdist", "out", out, ResultDType(a.dtype), a.rows, b.rows);
  cdist(metric, a, b, out.data, out.row_stride, threads);
}
void cdist(Metric metric, const MatrixView& a, const PackedMatrix& b, const MutableMatrixView& out,
           std::size_t threads) {
  CheckShape("cdist", "out", out, ResultDType(a.dtype), a.rows, b.rows());
  cdist(metric, a, b, out.data, out.row_stride, threads);
}
void pdist(Metric metric, const MatrixView& x, Span<float> out, std::size_t threads) {
  Pdist(metric, x, out, threads);
}
void pdist(Metric metric, const MatrixView& x, Span<double> out, std::size_t threads) {
  Pdist(metric, x, out, threads);
}
void topk(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
          Span<std::int64_t> indices, Span<float> distances, std::size_t threads) {
  TopK(metric, queries, x, k, indices, distances, threads);
}
void topk(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
          Span<std::int64_t> indices, Span<double> distances, std::size_t threads) {
  TopK(metric, queries, x, k, indices, distances, threads);
}
void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x, std::size_t k,
          Span<std::int64_t> indices, Span<float> distances, std::size_t threads) {
  TopK(metric, queries, x, k, indices, distances, threads);
}
void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x, std::size_t k,
          Span<std::int64_t> indices, Span<double> distances, std::size_t threads) {
  TopK(metric, queries, x, k, indices, distances, threads);
}

// convert
void to_bfloat16(Span<const float> x, Span<std::uint16_t> out) {
  SameSize("to_bfloat16", to_bfloat16, x, out);
}
void from_bfloat16(Span<const std::uint16_t> x, Span<float> out) {
  SameSize("from_bfloat16", from_bfloat16, x, out);
}
void to_float16(Span<const float> x, Span<std::uint16_t> out) {
  SameSize("to_float16", to_float16, x, out);
}
void from_float16(Span<const std::uint16_t> x, Span<float> out) {
  SameSize("from_float16", from_float16, x, out);
}
void to_float8_e4m3(Span<const float> x, Span<std::uint8_t> out) {
  SameSize("to_float8_e4m3", to_float8_e4m3, x, out);
}
void from_float8_e4m3(Span<const std::uint8_t> x, Span<float> out) {
  SameSize("from_float8_e4m3", from_float8_e4m3, x, out);
}
void to_float8_e5m2(Span<const float> x, Span<std::uint8_t> out) {
  SameSize("to_float8_e5m2", to_float8_e5m2, x, out);
}
void from_float8_e5m2(Span<const std::uint8_t> x, Span<float> out) {
  SameSize("from_float8_e5m2", from_float8_e5m2, x, out);
}

void quantize_int8(const MatrixView& x, const MutableMatrixView& q, Span<float> scale) {
  constexpr const char* kName = "quantize_int8";
  CheckDType(kName, "x", x.dtype, DType::kFloat32, "int8 quantization reads float32");
  CheckShape(kName, "q", q, DType::kInt8, x.rows, x.cols);
  CheckSize(kName, "scale", scale.size(), x.rows, "one per row of x");
  quantize_int8(Data<float>(x), x.rows, x.cols, x.row_stride, static_cast<std::int8_t*>(q.data),
                q.row_stride, scale.data());
}

void dequantize_int8(const MatrixView& q, Span<const float> scale, const MutableMatrixView& out) {
  constexpr const char* kName = "dequantize_int8";
  CheckDType(kName, "q", q.dtype, DType::kInt8, "quantized rows");
  CheckShape(kName, "out", out, DType::kFloat32, q.rows, q.cols);
  CheckSize(kName, "scale", scale.size(), q.rows, "one per row of q");
  dequantize_int8(Data<std::int8_t>(q), q.rows, q.cols, q.row_stride, scale.data(),
                  static_cast<float*>(out.data), out.row_stride);
}

// math
void apply(Function function, Span<const float> x, Span<float> y) { Apply(function, x, y); }
void apply(Function function, Span<const double> x, Span<double> y) { Apply(function, x, y); }

void apply_rows(Function function, const MatrixView& x, const MutableMatrixView& y) {
  CheckShape("apply_rows", "y", y, x.dtype, x.rows, x.cols);
  apply_rows(function, x, y.data, y.row_stride);
}
void apply_rowwise(RowFunction function, const MatrixView& x, const MutableMatrixView& y) {
  CheckShape("apply_rowwise", "y", y, x.dtype, x.rows, x.cols);
  apply_rowwise(function, x, y.data, y.row_stride);
}
void softmax(const MatrixView& x, const MutableMatrixView& y) {
  apply_rowwise(RowFunction::kSoftmax, x, y);
}
void log_softmax(const MatrixView& x, const MutableMatrixView& y) {
  apply_rowwise(RowFunction::kLogSoftmax, x, y);
}
void normalize(const MatrixView& x, const MutableMatrixView& y) {
  apply_rowwise(RowFunction::kNormalize, x, y);
}
void logsumexp(const MatrixView& x, Span<float> out) { LogSumExp(x, out); }
void logsumexp(const MatrixView& x, Span<double> out) { LogSumExp(x, out); }
void logsumexp(const MatrixView& x, Span<std::uint16_t> out) { LogSumExp(x, out); }

}  // namespace simdkit
