// Per-target entry points of the reduce family and the public C++ API over
// them. Each public call pays SIMDKIT_DYNAMIC_DISPATCH once, however many rows.
#include <cstddef>
#include <stdexcept>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/reduce.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/reduce-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {

// HWY_EXPORT needs plain function names, one per element type.
void ReduceRowsF32(ReduceOp op, const float* x, size_t rows, size_t cols, size_t row_stride,
                   void* out) {
  ReduceRowsOnTarget(hn::ScalableTag<float>(), op, x, rows, cols, row_stride, out);
}
void ReduceRowsF64(ReduceOp op, const double* x, size_t rows, size_t cols, size_t row_stride,
                   void* out) {
  ReduceRowsOnTarget(hn::ScalableTag<double>(), op, x, rows, cols, row_stride, out);
}
void DotRowsF32(const float* a, size_t a_stride, const float* b, size_t b_stride, size_t rows,
                size_t cols, float* out) {
  DotRowsOnTarget(hn::ScalableTag<float>(), a, a_stride, b, b_stride, rows, cols, out);
}
void DotRowsF64(const double* a, size_t a_stride, const double* b, size_t b_stride,
                size_t rows, size_t cols, double* out) {
  DotRowsOnTarget(hn::ScalableTag<double>(), a, a_stride, b, b_stride, rows, cols, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "api/checks.h"
#include "kernels/dispatched.h"
#include "simdkit/reduce.h"

namespace simdkit {

HWY_EXPORT(ReduceRowsF32);
HWY_EXPORT(ReduceRowsF64);
HWY_EXPORT(DotRowsF32);
HWY_EXPORT(DotRowsF64);

namespace {

void DispatchReduceRows(ReduceOp op, const float* x, size_t rows, size_t cols,
                        size_t row_stride, void* out) {
  SIMDKIT_DYNAMIC_DISPATCH(ReduceRowsF32)(op, x, rows, cols, row_stride, out);
}
void DispatchReduceRows(ReduceOp op, const double* x, size_t rows, size_t cols,
                        size_t row_stride, void* out) {
  SIMDKIT_DYNAMIC_DISPATCH(ReduceRowsF64)(op, x, rows, cols, row_stride, out);
}
void DispatchDotRows(const float* a, size_t a_stride, const float* b, size_t b_stride,
                     size_t rows, size_t cols, float* out) {
  SIMDKIT_DYNAMIC_DISPATCH(DotRowsF32)(a, a_stride, b, b_stride, rows, cols, out);
}
void DispatchDotRows(const double* a, size_t a_stride, const double* b, size_t b_stride,
                     size_t rows, size_t cols, double* out) {
  SIMDKIT_DYNAMIC_DISPATCH(DotRowsF64)(a, a_stride, b, b_stride, rows, cols, out);
}

const char* OpName(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kNorm: return "norm";
    case ReduceOp::kMin: return "min";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kArgMin: return "argmin";
    case ReduceOp::kArgMax: return "argmax";
  }
  return "reduce";
}

bool HasIdentity(ReduceOp op) { return op == ReduceOp::kSum || op == ReduceOp::kNorm; }

// Why ReduceRowsChecked refuses a reduction's arguments.
SIMDKIT_REFUSAL void RejectReduceArguments(ReduceOp op, const void* x, size_t rows, size_t cols,
                                           const void* out) {
  const char* name = OpName(op);
  if (rows != 0 && cols != 0 && x == nullptr) {
    throw std::invalid_argument(internal::Where(name) + "null data pointer with a non-empty shape");
  }
  // As NumPy: an empty reduced axis is an error even when there are no rows.
  if (cols == 0 && !HasIdentity(op)) {
    throw std::invalid_argument(internal::Where(name) + "zero-size input has no " + name +
                                "; expected at least one element per row");
  }
  if (out == nullptr) throw std::invalid_argument(internal::Where(name) + "null output pointer");
  throw std::invalid_argument(internal::Where(name) +
                              "out overlaps x; expected separate memory for outputs");
}

template <typename T>
void ReduceRowsChecked(ReduceOp op, const T* x, size_t rows, size_t cols, size_t row_stride,
                       void* out) {
  if ((x == nullptr && rows != 0 && cols != 0) || (cols == 0 && !HasIdentity(op))) {
    RejectReduceArguments(op, x, rows, cols, out);
  }
  if (rows == 0) return;
  const bool index = op == ReduceOp::kArgMin || op == ReduceOp::kArgMax;
  if (out == nullptr ||
      internal::Overlaps(internal::ElementsExtent(out, rows, index ? sizeof(size_t) : sizeof(T)),
                         internal::RowsExtent(x, rows, cols, row_stride, sizeof(T)))) {
    RejectReduceArguments(op, x, rows, cols, out);
  }
  DispatchReduceRows(op, x, rows, cols, row_stride, out);
}

template <typename T>
T ReduceToValue(ReduceOp op, const T* x, size_t n) {
  T result;
  ReduceRowsChecked(op, x, 1, n, n, &result);
  return result;
}

template <typename T>
size_t ReduceToIndex(ReduceOp op, const T* x, size_t n) {
  size_t result;
  ReduceRowsChecked(op, x, 1, n, n, &result);
  return result;
}

// Why DotRowsChecked refuses dot's arguments.
SIMDKIT_REFUSAL void RejectDotArguments(const void* a, size_t a_stride, const void* b,
                                        size_t b_stride, size_t rows, size_t cols, const void* out,
                                        size_t element_size) {
  if (cols != 0 && (a == nullptr || b == nullptr)) {
    throw std::invalid_argument("simdkit::dot: null data pointer with a non-empty shape");
  }
  if (out == nullptr) throw std::invalid_argument("simdkit::dot: null output pointer");
  const internal::Extent out_extent = internal::ElementsExtent(out, rows, element_size);
  internal::CheckNoOverlap("dot", "out", out_extent, "a",
                           internal::RowsExtent(a, rows, cols, a_stride, element_size));
  internal::CheckNoOverlap("dot", "out", out_extent, "b",
                           internal::RowsExtent(b, rows, cols, b_stride, element_size));
  throw std::logic_error("simdkit::dot: internal error: RejectDotArguments found nothing to refuse");
}

template <typename T>
void DotRowsChecked(const T* a, size_t a_stride, const T* b, size_t b_stride, size_t rows,
                    size_t cols, T* out) {
  if (rows == 0) return;
  const internal::Extent out_extent = internal::ElementsExtent(out, rows, sizeof(T));
  if ((cols != 0 && (a == nullptr || b == nullptr)) || out == nullptr ||
      internal::Overlaps(out_extent, internal::RowsExtent(a, rows, cols, a_stride, sizeof(T))) ||
      internal::Overlaps(out_extent, internal::RowsExtent(b, rows, cols, b_stride, sizeof(T)))) {
    RejectDotArguments(a, a_stride, b, b_stride, rows, cols, out, sizeof(T));
  }
  DispatchDotRows(a, a_stride, b, b_stride, rows, cols, out);
}

}  // namespace

float sum(const float* x, size_t n) { return ReduceToValue(ReduceOp::kSum, x, n); }
double sum(const double* x, size_t n) { return ReduceToValue(ReduceOp::kSum, x, n); }
float norm(const float* x, size_t n) { return ReduceToValue(ReduceOp::kNorm, x, n); }
double norm(const double* x, size_t n) { return ReduceToValue(ReduceOp::kNorm, x, n); }
float min(const float* x, size_t n) { return ReduceToValue(ReduceOp::kMin, x, n); }
double min(const double* x, size_t n) { return ReduceToValue(ReduceOp::kMin, x, n); }
float max(const float* x, size_t n) { return ReduceToValue(ReduceOp::kMax, x, n); }
double max(const double* x, size_t n) { return ReduceToValue(ReduceOp::kMax, x, n); }
size_t argmin(const float* x, size_t n) { return ReduceToIndex(ReduceOp::kArgMin, x, n); }
size_t argmin(const double* x, size_t n) { return ReduceToIndex(ReduceOp::kArgMin, x, n); }
size_t argmax(const float* x, size_t n) { return ReduceToIndex(ReduceOp::kArgMax, x, n); }
size_t argmax(const double* x, size_t n) { return ReduceToIndex(ReduceOp::kArgMax, x, n); }

float dot(const float* a, const float* b, size_t n) {
  float result = 0.0f;
  DotRowsChecked(a, 0, b, 0, 1, n, &result);
  return result;
}
double dot(const double* a, const double* b, size_t n) {
  double result = 0.0;
  DotRowsChecked(a, 0, b, 0, 1, n, &result);
  return result;
}

#define SIMDKIT_DEFINE_ROWS(name, op, T, OutT)                                      \
  void name(const T* x, size_t rows, size_t cols, size_t row_stride, OutT* out) { \
    ReduceRowsChecked(op, x, rows, cols, row_stride, out);                          \
  }
SIMDKIT_DEFINE_ROWS(sum_rows, ReduceOp::kSum, float, float)
SIMDKIT_DEFINE_ROWS(sum_rows, ReduceOp::kSum, double, double)
SIMDKIT_DEFINE_ROWS(norm_rows, ReduceOp::kNorm, float, float)
SIMDKIT_DEFINE_ROWS(norm_rows, ReduceOp::kNorm, double, double)
SIMDKIT_DEFINE_ROWS(min_rows, ReduceOp::kMin, float, float)
SIMDKIT_DEFINE_ROWS(min_rows, ReduceOp::kMin, double, double)
SIMDKIT_DEFINE_ROWS(max_rows, ReduceOp::kMax, float, float)
SIMDKIT_DEFINE_ROWS(max_rows, ReduceOp::kMax, double, double)
SIMDKIT_DEFINE_ROWS(argmin_rows, ReduceOp::kArgMin, float, size_t)
SIMDKIT_DEFINE_ROWS(argmin_rows, ReduceOp::kArgMin, double, size_t)
SIMDKIT_DEFINE_ROWS(argmax_rows, ReduceOp::kArgMax, float, size_t)
SIMDKIT_DEFINE_ROWS(argmax_rows, ReduceOp::kArgMax, double, size_t)
#undef SIMDKIT_DEFINE_ROWS

void dot_rows(const float* a, size_t a_stride, const float* b, size_t b_stride, size_t rows,
              size_t cols, float* out) {
  DotRowsChecked(a, a_stride, b, b_stride, rows, cols, out);
}
void dot_rows(const double* a, size_t a_stride, const double* b, size_t b_stride, size_t rows,
              size_t cols, double* out) {
  DotRowsChecked(a, a_stride, b, b_stride, rows, cols, out);
}

}  // namespace simdkit
#endif  // HWY_ONCE
