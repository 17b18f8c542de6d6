// The distance family's batch entry points of one storage type, as the
// dispatcher chose them. Each storage type is compiled in a translation unit
// of its own (kernels/distance_<dtype>.cc, through
// distance_entry_points-inl.h): the family instantiates its panels and tiles
// per metric, per tile shape and per target, and one unit for all of it was
// the longest compile of every build by far. Highway-free.
#ifndef SIMDKIT_KERNELS_DISTANCE_ENTRY_POINTS_H_
#define SIMDKIT_KERNELS_DISTANCE_ENTRY_POINTS_H_

#include <cstddef>
#include <cstdint>

#include "simdkit/distance.h"

namespace simdkit {
namespace internal {

// The second operand's squared norms (b_squared_norms, x_squared_norms) are
// those squared_norms computed for a PackedMatrix on this same target, or
// nullptr: a row's norm depends on the target's lanes, and a pair's value
// must not depend on whether its rows were packed.
struct DistanceEntryPoints {
  void (*paired)(Metric metric, const MatrixView& a, const MatrixView& b, void* out);
  void (*cdist)(Metric metric, const MatrixView& a, const MatrixView& b,
                const double* b_squared_norms, void* out, std::size_t out_stride,
                std::size_t threads);
  void (*topk)(Metric metric, const MatrixView& queries, const MatrixView& x,
               const double* x_squared_norms, std::size_t k, std::int64_t* indices,
               void* distances, std::size_t threads);
  // The condensed matrix of x's rows (pdist_index), x.rows >= 2.
  void (*pdist)(Metric metric, const MatrixView& x, void* out, std::size_t threads);
  // sum(row^2) of every row into out[0, rows.rows).
  void (*squared_norms)(const MatrixView& rows, double* out);
};

// The entry points of the target SIMDKIT_DYNAMIC_DISPATCH chooses now, for
// inputs of `dtype`; defined in kernels/distance_<dtype>.cc.
template <DType dtype>
DistanceEntryPoints DispatchedDistanceEntryPoints();

template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kFloat64>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kFloat32>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kFloat16>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kBFloat16>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kInt8>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kUInt8>();
template <> DistanceEntryPoints DispatchedDistanceEntryPoints<DType::kBits>();

}  // namespace internal
}  // namespace simdkit

#endif  // SIMDKIT_KERNELS_DISTANCE_ENTRY_POINTS_H_
