// Distances and similarities between vectors: one pair, row pairs, all pairs
// of two matrices (cdist) or of one (pdist) and the k nearest rows (topk),
// over float64, float32, float16, bfloat16, int8, uint8 and packed bits.
//
// Metrics follow scipy.spatial.distance where SciPy has them:
//   dot          sum(a*b), a similarity (larger is closer; not in SciPy)
//   cosine       1 - dot(a, b) / (|a| |b|), clamped to [0, 2]; NaN if a or b
//                is all zeros (as SciPy)
//   sqeuclidean  sum((a-b)^2)
//   euclidean    sqrt(sum((a-b)^2))
//   cityblock    sum(|a-b|)
//   hamming      fraction of positions where a != b (NaN for n = 0, as SciPy)
//   jaccard      fraction of positions where exactly one of a, b is nonzero
//                among those where either is (0 if both are all zeros), as
//                SciPy >= 1.15: nonzero means True
// For DType::kBits each byte holds 8 one-bit components: hamming is the
// number of differing bits and jaccard 1 - |a & b| / |a | b| (0 if both are
// all zeros); the other metrics do not apply.
//
// Accumulation is wide: float16/bfloat16 in float32, int8/uint8 exactly in
// integers (no overflow for any n < 2^31), float32 in float32, float64 in
// float64. Results are float64 for float64 input and float32 otherwise
// (result_is_double()). Error bounds per dtype: docs/distance.md.
//
// Outputs must not overlap the inputs (or each other, in topk). View forms
// take Spans and a MutableMatrixView for the outputs, whose sizes and dtype
// (float64 for float64 input, float32 otherwise) are checked.
//
// Errors: std::invalid_argument for unknown metric names, metrics that do not
// apply to a dtype, mismatched dtypes or columns, null pointers with
// non-empty shapes, row strides shorter than a row, k out of range, outputs
// overlapping inputs, and (view forms) outputs of the wrong size or dtype.
#ifndef SIMDKIT_DISTANCE_H_
#define SIMDKIT_DISTANCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "simdkit/export.h"
#include "simdkit/types.h"

namespace simdkit {

enum class Metric : std::uint8_t {
  kDot,
  kCosine,
  kSqEuclidean,
  kEuclidean,
  kCityblock,
  kHamming,
  kJaccard,
};

// "dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming",
// "jaccard" (case-sensitive, as SciPy). std::invalid_argument listing them
// otherwise.
SIMDKIT_EXPORT Metric metric_from_name(std::string_view name);
SIMDKIT_EXPORT const char* metric_name(Metric metric);

// Whether `metric` is defined for `dtype` (only hamming and jaccard for kBits).
SIMDKIT_EXPORT bool metric_supports(Metric metric, DType dtype);

// Whether larger values rank first (dot, a similarity) in topk.
inline bool larger_is_closer(Metric metric) { return metric == Metric::kDot; }

// One pair of `n`-element vectors.
SIMDKIT_EXPORT double distance(Metric metric, DType dtype, const void* a, const void* b,
                               std::size_t n);
SIMDKIT_EXPORT float distance(Metric metric, const float* a, const float* b, std::size_t n);
SIMDKIT_EXPORT double distance(Metric metric, const double* a, const double* b, std::size_t n);

// out[r] = distance(row r of a, row r of b); a and b have the same shape and
// dtype. `out` holds rows results (float or double, see result_is_double).
SIMDKIT_EXPORT void paired(Metric metric, const MatrixView& a, const MatrixView& b, void* out);

// out[i * out_row_stride + j] = distance(row i of a, row j of b), for every
// i < a.rows and j < b.rows. `threads` workers split the rows of a (0, or
// more than there are cores: one per core; 1: the calling thread only).
SIMDKIT_EXPORT void cdist(Metric metric, const MatrixView& a, const MatrixView& b, void* out,
                          std::size_t out_row_stride, std::size_t threads = 0);

// The condensed distance matrix of x's rows, as scipy.spatial.distance.pdist:
// distance(row i, row j) for every i < j, row by row of the upper triangle,
// at out[pdist_index(x.rows, i, j)]: pdist_size(x.rows) values of the
// result type. Each pair is computed once, with the bits cdist(x, x) gives
// its [i, j] (about half of cdist's work). `threads` as in cdist.
SIMDKIT_EXPORT void pdist(Metric metric, const MatrixView& x, void* out, std::size_t threads = 0);

// x.rows * (x.rows - 1) / 2 (std::invalid_argument where that overflows).
SIMDKIT_EXPORT std::size_t pdist_size(std::size_t rows);
// Where pdist puts the pair i < j of `rows` rows (squareform's order).
constexpr std::size_t pdist_index(std::size_t rows, std::size_t i, std::size_t j) {
  return rows * i - i * (i + 1) / 2 + (j - i - 1);
}

// For each query row q, the k rows of x closest to it, best first:
// indices[q * k + i] and distances[q * k + i] (float or double). Closest is
// the smallest distance, or the largest value for dot. Ties go to the lower
// index; NaN distances rank last. Works tile by tile: memory O(queries * k)
// plus a tile, never queries * x.rows. Requires 1 <= k <= x.rows.
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const MatrixView& x,
                         std::size_t k, std::int64_t* indices, void* distances,
                         std::size_t threads = 0);

// View forms. distance: a and b of the same size. paired: out.size() ==
// a.rows, a Span<double> for float64 input and Span<float> otherwise (as
// result_is_double). cdist: out is a.rows x b.rows of the result dtype.
// topk: indices and distances hold queries.rows * k values. pdist: out holds
// pdist_size(x.rows) values.
SIMDKIT_EXPORT float distance(Metric metric, Span<const float> a, Span<const float> b);
SIMDKIT_EXPORT double distance(Metric metric, Span<const double> a, Span<const double> b);
SIMDKIT_EXPORT void paired(Metric metric, const MatrixView& a, const MatrixView& b,
                           Span<float> out);
SIMDKIT_EXPORT void paired(Metric metric, const MatrixView& a, const MatrixView& b,
                           Span<double> out);
SIMDKIT_EXPORT void cdist(Metric metric, const MatrixView& a, const MatrixView& b,
                          const MutableMatrixView& out, std::size_t threads = 0);
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const MatrixView& x,
                         std::size_t k, Span<std::int64_t> indices, Span<float> distances,
                         std::size_t threads = 0);
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const MatrixView& x,
                         std::size_t k, Span<std::int64_t> indices, Span<double> distances,
                         std::size_t threads = 0);
SIMDKIT_EXPORT void pdist(Metric metric, const MatrixView& x, Span<float> out,
                          std::size_t threads = 0);
SIMDKIT_EXPORT void pdist(Metric metric, const MatrixView& x, Span<double> out,
                          std::size_t threads = 0);

// A matrix packed once for many cdist and topk calls that take it as their
// second operand (b, x), as a service answering batch after batch of queries
// against one database does: its rows copied so that each starts on a
// 64-byte line (no load splits a cache line), and every row's squared norm
// (cosine's and the norm form's factors), so that calls pay neither again.
// Results are the same bits as with the unpacked rows: the norms are those
// the dispatched target computes, and a call on another target (after
// set_target) computes its own. Immutable and thread-safe; copies share
// the packed rows. The AMX backend packs its tiles per call.
class SIMDKIT_EXPORT PackedMatrix {
 public:
  // Copies `rows` (any row stride). std::invalid_argument for a null data
  // pointer with a non-empty shape or a row stride shorter than a row.
  explicit PackedMatrix(const MatrixView& rows);

  DType dtype() const;
  std::size_t rows() const;
  std::size_t cols() const;
  // The packed rows: row_stride elements apart, each row 64-byte aligned.
  MatrixView view() const;
  // Memory held: the rows (with their padding) and the norms.
  std::size_t nbytes() const;

  struct State;  // library-internal
  const State& state() const { return *state_; }

 private:
  std::shared_ptr<const State> state_;
};

// cdist and topk with a packed second operand: the same checks and results
// as with b.view() / x.view() (outputs cannot overlap a PackedMatrix).
SIMDKIT_EXPORT void cdist(Metric metric, const MatrixView& a, const PackedMatrix& b, void* out,
                          std::size_t out_row_stride, std::size_t threads = 0);
SIMDKIT_EXPORT void cdist(Metric metric, const MatrixView& a, const PackedMatrix& b,
                          const MutableMatrixView& out, std::size_t threads = 0);
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x,
                         std::size_t k, std::int64_t* indices, void* distances,
                         std::size_t threads = 0);
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x,
                         std::size_t k, Span<std::int64_t> indices, Span<float> distances,
                         std::size_t threads = 0);
SIMDKIT_EXPORT void topk(Metric metric, const MatrixView& queries, const PackedMatrix& x,
                         std::size_t k, Span<std::int64_t> indices, Span<double> distances,
                         std::size_t threads = 0);

}  // namespace simdkit

#endif  // SIMDKIT_DISTANCE_H_
