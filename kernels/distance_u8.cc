// paired, cdist and topk over uint8 rows, for every target: one storage type
// per translation unit (see kernels/distance_entry_points.h).
#define SIMDKIT_DISTANCE_DTYPE kUInt8
#define SIMDKIT_DISTANCE_STORED uint8_t
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/distance_entry_points-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "kernels/distance_entry_points-inl.h"
