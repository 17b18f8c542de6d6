// A kernel that reports the target it was compiled for, so that what the
// dispatcher claims can be checked against what actually executes.
#include <cstddef>
#include <cstdint>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/probe.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {

int64_t ProbeTarget() { return HWY_TARGET; }

size_t ProbeVectorBytes() { return hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<uint8_t>()); }

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/dispatched.h"
#include "simdkit/dispatch.h"

namespace simdkit {

HWY_EXPORT(ProbeTarget);
HWY_EXPORT(ProbeVectorBytes);

std::string probe_target() { return hwy::TargetName(SIMDKIT_DYNAMIC_DISPATCH(ProbeTarget)()); }

size_t probe_vector_bytes() { return SIMDKIT_DYNAMIC_DISPATCH(ProbeVectorBytes)(); }

}  // namespace simdkit
#endif  // HWY_ONCE
