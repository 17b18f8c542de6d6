// The distance family's public C++ API. Each public call checks its
// arguments, then pays SIMDKIT_DYNAMIC_DISPATCH once (EntryPoints: the per-target
// code is in kernels/distance_<dtype>.cc); rows, pairs, tiles and worker
// threads all live inside target code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "api/checks.h"
#include "dispatch/amx_control.h"
#include "kernels/amx_distance.h"
#include "kernels/distance_common.h"
#include "kernels/distance_entry_points.h"

namespace simdkit {

namespace {

constexpr Metric kMetrics[] = {Metric::kDot,       Metric::kCosine,    Metric::kSqEuclidean,
                               Metric::kEuclidean, Metric::kCityblock, Metric::kHamming,
                               Metric::kJaccard};

// The dispatched entry points of `dtype`'s translation unit: the one place
// where a DType selects one.
internal::DistanceEntryPoints EntryPoints(DType dtype) {
  using internal::DispatchedDistanceEntryPoints;
  switch (dtype) {
    case DType::kFloat64: return DispatchedDistanceEntryPoints<DType::kFloat64>();
    case DType::kFloat32: return DispatchedDistanceEntryPoints<DType::kFloat32>();
    case DType::kFloat16: return DispatchedDistanceEntryPoints<DType::kFloat16>();
    case DType::kBFloat16: return DispatchedDistanceEntryPoints<DType::kBFloat16>();
    case DType::kInt8: return DispatchedDistanceEntryPoints<DType::kInt8>();
    case DType::kUInt8: return DispatchedDistanceEntryPoints<DType::kUInt8>();
    case DType::kBits: return DispatchedDistanceEntryPoints<DType::kBits>();
  }
  throw std::invalid_argument("simdkit: unknown dtype");
}

using internal::Where;

void CheckMetric(const char* function, Metric metric, DType dtype) {
  if (!metric_supports(metric, dtype)) {
    throw std::invalid_argument(Where(function) + "metric '" + metric_name(metric) +
                                "' does not apply to dtype " + dtype_name(dtype) +
                                "; packed bits support 'hamming' and 'jaccard'");
  }
}

void CheckView(const char* function, const char* name, const MatrixView& view) {
  if (view.rows != 0 && view.cols != 0 && view.data == nullptr) {
    throw std::invalid_argument(Where(function) + "null data pointer for '" + name +
                                "' with a non-empty shape");
  }
  if (view.rows > 1 && view.row_stride < view.cols) {
    throw std::invalid_argument(Where(function) + "row_stride of '" + name + "' (" +
                                std::to_string(view.row_stride) + ") is smaller than its " +
                                std::to_string(view.cols) + " columns");
  }
}

bool IsValidView(const MatrixView& view) {
  return (view.rows == 0 || view.cols == 0 || view.data != nullptr) &&
         (view.rows <= 1 || view.row_stride >= view.cols);
}

// Why CheckPair refuses a pair of operands.
SIMDKIT_REFUSAL void RejectPair(const char* function, Metric metric, const MatrixView& a,
                                const MatrixView& b) {
  CheckMetric(function, metric, a.dtype);
  if (a.dtype != b.dtype) {
    throw std::invalid_argument(Where(function) + "a has dtype " + dtype_name(a.dtype) +
                                " but b has dtype " + dtype_name(b.dtype) +
                                "; expected the same dtype");
  }
  if (a.cols != b.cols) {
    throw std::invalid_argument(Where(function) + "a has " + std::to_string(a.cols) +
                                " columns but b has " + std::to_string(b.cols) +
                                "; expected vectors of equal length");
  }
  CheckView(function, "a", a);
  CheckView(function, "b", b);
  throw std::logic_error(Where(function) + "internal error: RejectPair found nothing to refuse");
}

void CheckPair(const char* function, Metric metric, const MatrixView& a, const MatrixView& b) {
  if (!metric_supports(metric, a.dtype) || a.dtype != b.dtype || a.cols != b.cols ||
      !IsValidView(a) || !IsValidView(b)) {
    RejectPair(function, metric, a, b);
  }
}

MatrixView Row(DType dtype, const void* data, std::size_t n) { return {data, dtype, 1, n, n}; }

// Results are written while a and b are read: they must not share memory.
void CheckOutput(const char* function, const char* name, internal::Extent out, const MatrixView& a,
                 const char* a_name, const MatrixView& b, const char* b_name) {
  internal::CheckNoOverlap(function, name, out, a_name, internal::ViewExtent(a));
  internal::CheckNoOverlap(function, name, out, b_name, internal::ViewExtent(b));
}

// The AMX backend takes bfloat16/int8/uint8 calls it supports while
// amx_status() says used; calls without depth stay with the kernels below.
bool AmxRuns(Metric metric, const MatrixView& a) {
  return a.cols != 0 && amx::Supports(metric, a.dtype) && *internal::AmxNotUsedReason() == '\0';
}

std::size_t ResultSize(DType dtype) { return result_is_double(dtype) ? sizeof(double) : sizeof(float); }

// Rows start on 64-byte lines: one AVX-512 load of a row's start never
// splits a cache line.
constexpr std::size_t kPackedRowAlignment = 64;
// Large packings start on a huge page and ask for transparent huge pages,
// as NumPy does for its arrays (Linux leaves them to madvise by default): a
// stream over tens of MiB of 4 KiB pages misses the TLB on every page, which
// measured 10-20 % slower than the NumPy array it was packed from.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kHugePagesFrom = std::size_t{4} << 20;

struct AlignedDelete {
  std::size_t alignment = kPackedRowAlignment;
  void operator()(unsigned char* p) const { ::operator delete[](p, std::align_val_t{alignment}); }
};

// `bytes` zeros, 64-byte aligned (huge-page aligned and advised when large).
std::unique_ptr<unsigned char[], AlignedDelete> AllocatePacked(std::size_t bytes) {
  const std::size_t alignment = bytes >= kHugePagesFrom ? kHugePageBytes : kPackedRowAlignment;
  std::unique_ptr<unsigned char[], AlignedDelete> storage(
      new (std::align_val_t{alignment}) unsigned char[bytes], AlignedDelete{alignment});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Before the first touch, so that the pages are faulted in huge; a refusal
  // (THP disabled) leaves ordinary pages.
  if (alignment == kHugePageBytes) madvise(storage.get(), bytes, MADV_HUGEPAGE);
#endif
  std::fill(storage.get(), storage.get() + bytes, static_cast<unsigned char>(0));
  return storage;
}

}  // namespace

struct PackedMatrix::State {
  std::unique_ptr<unsigned char[], AlignedDelete> storage;
  std::size_t storage_bytes = 0;
  MatrixView view;
  std::vector<double> squared_norms;  // empty for packed bits
  // The squared_norms entry point that computed them: its target's kernels
  // may take them, any other computes its own.
  void (*norms_target)(const MatrixView&, double*) = nullptr;
};

namespace {

// The packed operand's squared norms where `entries` (the dispatched target)
// computed them, else nullptr.
const double* KnownSquaredNorms(const PackedMatrix* packed,
                                const internal::DistanceEntryPoints& entries) {
  if (packed == nullptr) return nullptr;
  const PackedMatrix::State& state = packed->state();
  if (state.squared_norms.empty() || state.norms_target != entries.squared_norms) return nullptr;
  return state.squared_norms.data();
}

}  // namespace

PackedMatrix::PackedMatrix(const MatrixView& rows) {
  CheckView("PackedMatrix", "rows", rows);
  auto state = std::make_shared<State>();
  const std::size_t element = dtype_size(rows.dtype);
  const std::size_t row_bytes =
      (rows.cols * element + kPackedRowAlignment - 1) / kPackedRowAlignment * kPackedRowAlignment;
  state->storage_bytes = rows.rows * row_bytes;
  if (state->storage_bytes != 0) state->storage = AllocatePacked(state->storage_bytes);
  const auto* in = static_cast<const unsigned char*>(rows.data);
  for (std::size_t r = 0; r < rows.rows; ++r) {
    std::copy(in + r * rows.row_stride * element, in + (r * rows.row_stride + rows.cols) * element,
              state->storage.get() + r * row_bytes);
  }
  state->view = MatrixView(state->storage.get(), rows.dtype, rows.rows, rows.cols,
                           row_bytes / element);
  if (rows.dtype != DType::kBits) {
    state->squared_norms.resize(rows.rows);
    EntryPoints(rows.dtype).squared_norms(state->view, state->squared_norms.data());
    // Read after the call: before a first dispatch the table holds Highway's
    // chooser, not the target's function.
    state->norms_target = EntryPoints(rows.dtype).squared_norms;
  }
  state_ = std::move(state);
}

DType PackedMatrix::dtype() const { return state_->view.dtype; }
std::size_t PackedMatrix::rows() const { return state_->view.rows; }
std::size_t PackedMatrix::cols() const { return state_->view.cols; }
MatrixView PackedMatrix::view() const { return state_->view; }
std::size_t PackedMatrix::nbytes() const {
  return state_->storage_bytes + state_->squared_norms.size() * sizeof(double);
}

Metric metric_from_name(std::string_view name) {
  for (Metric metric : kMetrics) {
    if (name == metric_name(metric)) return metric;
  }
  std::string valid;
  for (Metric metric : kMetrics) valid += std::string(valid.empty() ? "" : ", ") + metric_name(metric);
  throw std::invalid_argument("unknown metric '" + std::string(name) + "'; expected one of: " +
                              valid);
}

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::kDot: return "dot";
    case Metric::kCosine: return "cosine";
    case Metric::kSqEuclidean: return "sqeuclidean";
    case Metric::kEuclidean: return "euclidean";
    case Metric::kCityblock: return "cityblock";
    case Metric::kHamming: return "hamming";
    case Metric::kJaccard: return "jaccard";
  }
  return "unknown";
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return "float64";
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kBits: return "bits";
  }
  return "unknown";
}

bool metric_supports(Metric metric, DType dtype) {
  return dtype != DType::kBits || metric == Metric::kHamming || metric == Metric::kJaccard;
}

void paired(Metric metric, const MatrixView& a, const MatrixView& b, void* out) {
  CheckPair("paired", metric, a, b);
  if (a.rows != b.rows) {
    throw std::invalid_argument(Where("paired") + "a has " + std::to_string(a.rows) +
                                " rows but b has " + std::to_string(b.rows) +
                                "; expected the same number");
  }
  if (a.rows == 0) return;
  if (out == nullptr) throw std::invalid_argument(Where("paired") + "null output pointer");
  CheckOutput("paired", "out", internal::ElementsExtent(out, a.rows, ResultSize(a.dtype)), a, "a",
              b, "b");
  EntryPoints(a.dtype).paired(metric, a, b, out);
}

// paired() of one row each, without its output checks: the result is a
// local, which cannot overlap the inputs.
double distance(Metric metric, DType dtype, const void* a, const void* b, std::size_t n) {
  const MatrixView a_row = Row(dtype, a, n), b_row = Row(dtype, b, n);
  CheckPair("distance", metric, a_row, b_row);
  double result = 0.0;
  float result_float = 0.0f;
  EntryPoints(dtype).paired(metric, a_row, b_row,
                            result_is_double(dtype) ? static_cast<void*>(&result) : &result_float);
  return result_is_double(dtype) ? result : result_float;
}

float distance(Metric metric, const float* a, const float* b, std::size_t n) {
  return static_cast<float>(distance(metric, DType::kFloat32, a, b, n));
}

double distance(Metric metric, const double* a, const double* b, std::size_t n) {
  return distance(metric, DType::kFloat64, a, b, n);
}

namespace {

// cdist and topk with their second operand packed or not (`packed`: b's or
// x's PackedMatrix, or nullptr).
void Cdist(Metric metric, const MatrixView& a, const MatrixView& b, const PackedMatrix* packed,
           void* out, std::size_t out_row_stride, std::size_t threads) {
  CheckPair("cdist", metric, a, b);
  if (a.rows == 0 || b.rows == 0) return;
  if (out == nullptr) throw std::invalid_argument(Where("cdist") + "null output pointer");
  if (a.rows > 1 && out_row_stride < b.rows) {
    throw std::invalid_argument(Where("cdist") + "out_row_stride (" +
                                std::to_string(out_row_stride) + ") is smaller than b's " +
                                std::to_string(b.rows) + " rows");
  }
  CheckOutput("cdist", "out",
              internal::RowsExtent(out, a.rows, b.rows, out_row_stride, ResultSize(a.dtype)), a,
              "a", b, "b");
  if (AmxRuns(metric, a)) {
    amx::CdistOnHardware(metric, a, b, static_cast<float*>(out), out_row_stride, threads);
    return;
  }
  const internal::DistanceEntryPoints entries = EntryPoints(a.dtype);
  entries.cdist(metric, a, b, KnownSquaredNorms(packed, entries), out, out_row_stride, threads);
}

void TopK(Metric metric, const MatrixView& queries, const MatrixView& x,
          const PackedMatrix* packed, std::size_t k, std::int64_t* indices, void* distances,
          std::size_t threads) {
  CheckPair("topk", metric, queries, x);
  if (k == 0 || k > x.rows) {
    throw std::invalid_argument(Where("topk") + "k = " + std::to_string(k) +
                                " is out of range; expected 1 <= k <= " +
                                std::to_string(x.rows) + " (the number of rows of x)");
  }
  if (queries.rows == 0) return;
  if (indices == nullptr || distances == nullptr) {
    throw std::invalid_argument(Where("topk") + "null output pointer");
  }
  const internal::Extent indices_extent =
      internal::ElementsExtent(indices, queries.rows * k, sizeof(std::int64_t));
  const internal::Extent distances_extent =
      internal::ElementsExtent(distances, queries.rows * k, ResultSize(queries.dtype));
  CheckOutput("topk", "indices", indices_extent, queries, "queries", x, "x");
  CheckOutput("topk", "distances", distances_extent, queries, "queries", x, "x");
  internal::CheckNoOverlap("topk", "distances", distances_extent, "indices", indices_extent);
  if (AmxRuns(metric, queries)) {
    amx::TopKOnHardware(metric, queries, x, k, indices, static_cast<float*>(distances), threads);
    return;
  }
  const internal::DistanceEntryPoints entries = EntryPoints(queries.dtype);
  entries.topk(metric, queries, x, KnownSquaredNorms(packed, entries), k, indices, distances,
               threads);
}

}  // namespace

void cdist(Metric metric, const MatrixView& a, const MatrixView& b, void* out,
           std::size_t out_row_stride, std::size_t threads) {
  Cdist(metric, a, b, nullptr, out, out_row_stride, threads);
}

void cdist(Metric metric, const MatrixView& a, const PackedMatrix& b, void* out,
           std::size_t out_row_stride, std::size_t threads) {
  Cdist(metric, a, b.view(), &b, out, out_row_stride, threads);
}

std::size_t pdist_size(std::size_t rows) {
  if (rows < 2) return 0;
  // rows (rows - 1) / 2 with the halving done first, on the even factor.
  const std::size_t half = rows % 2 == 0 ? rows / 2 : (rows - 1) / 2;
  const std::size_t other = rows % 2 == 0 ? rows - 1 : rows;
  if (half > std::numeric_limits<std::size_t>::max() / other) {
    throw std::invalid_argument(Where("pdist") + std::to_string(rows) +
                                " rows have more pairs than a size_t counts");
  }
  return half * other;
}

void pdist(Metric metric, const MatrixView& x, void* out, std::size_t threads) {
  CheckMetric("pdist", metric, x.dtype);
  CheckView("pdist", "x", x);
  const std::size_t pairs = pdist_size(x.rows);
  if (pairs == 0) return;
  if (out == nullptr) throw std::invalid_argument(Where("pdist") + "null output pointer");
  internal::CheckNoOverlap("pdist", "out", internal::ElementsExtent(out, pairs, ResultSize(x.dtype)),
                           "x", internal::ViewExtent(x));
  if (AmxRuns(metric, x)) {
    amx::PdistOnHardware(metric, x, static_cast<float*>(out), threads);
    return;
  }
  EntryPoints(x.dtype).pdist(metric, x, out, threads);
}

void topk(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
          std::int64_t* indices, void* distances, std::size_t threads) {
  TopK(metric, queries, x, nullptr, k, indices, distances, threads);
}

void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x, std::size_t k,
          std::int64_t* indices, void* distances, std::size_t threads) {
  TopK(metric, queries, x.view(), &x, k, indices, distances, threads);
}

}  // namespace simdkit
