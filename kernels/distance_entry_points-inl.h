// The per-target entry points of one storage type, included once per target
// by kernels/distance_<dtype>.cc (through hwy/foreach_target.h), which first
// defines SIMDKIT_DISTANCE_DTYPE (a DType enumerator) and
// SIMDKIT_DISTANCE_STORED (its storage type in distance-inl.h). No include
// guard: every target needs its own pass.
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "kernels/dispatched.h"
#include "kernels/distance-inl.h"
#include "kernels/distance_entry_points.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace {  // internal linkage: every storage type's unit has functions of these names

void Paired(Metric metric, const MatrixView& a, const MatrixView& b, void* out) {
  PairedOnTarget<SIMDKIT_DISTANCE_STORED>(metric, a, b, out);
}

void Cdist(Metric metric, const MatrixView& a, const MatrixView& b, const double* b_squared_norms,
           void* out, size_t out_stride, size_t threads) {
  CdistOnTarget<SIMDKIT_DISTANCE_STORED>(metric, a, b, b_squared_norms, out, out_stride, threads);
}

void TopK(Metric metric, const MatrixView& queries, const MatrixView& x,
          const double* x_squared_norms, size_t k, int64_t* indices, void* distances,
          size_t threads) {
  TopKOnTarget<SIMDKIT_DISTANCE_STORED>(metric, queries, x, x_squared_norms, k, indices,
                                        distances, threads);
}

void Pdist(Metric metric, const MatrixView& x, void* out, size_t threads) {
  PdistOnTarget<SIMDKIT_DISTANCE_STORED>(metric, x, out, threads);
}

void SquaredNorms(const MatrixView& rows, double* out) {
  SquaredNormsOnTarget<SIMDKIT_DISTANCE_STORED>(rows, out);
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdkit {

HWY_EXPORT(Paired);
HWY_EXPORT(Cdist);
HWY_EXPORT(TopK);
HWY_EXPORT(Pdist);
HWY_EXPORT(SquaredNorms);

namespace internal {

template <>
DistanceEntryPoints DispatchedDistanceEntryPoints<DType::SIMDKIT_DISTANCE_DTYPE>() {
  return {SIMDKIT_DYNAMIC_DISPATCH(Paired), SIMDKIT_DYNAMIC_DISPATCH(Cdist),
          SIMDKIT_DYNAMIC_DISPATCH(TopK), SIMDKIT_DYNAMIC_DISPATCH(Pdist),
          SIMDKIT_DYNAMIC_DISPATCH(SquaredNorms)};
}

}  // namespace internal
}  // namespace simdkit
#endif  // HWY_ONCE
