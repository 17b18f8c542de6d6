// simdkit's dynamic dispatch, for the families' .cc files (after their
// HWY_EXPORT lines and hwy/highway.h).
//
// HWY_DYNAMIC_DISPATCH reads the process-wide hwy::GetChosenTarget() in
// libhwy.so, which every library in the process that uses the same Highway
// writes: its first dispatch and hwy::SupportedTargets() reset it to the
// CPU's best target, and its own target choices set it. simdkit keeps its
// choice in a hwy::ChosenTarget of its own (dispatch/targets.cc, the only
// writer: set_target, reset_target, disable_targets and the environment),
// so that the target simdkit reports is the one it runs whatever else the
// process does. Same format, same tables (HWY_EXPORT's), same cost: one
// atomic load and a table index per call.
#ifndef SIMDKIT_KERNELS_DISPATCHED_H_
#define SIMDKIT_KERNELS_DISPATCHED_H_

#include <utility>

#include "hwy/highway.h"
#include "hwy/targets.h"

namespace simdkit::internal {

// Set before any kernel runs (when libsimdkit is loaded) and whenever the
// choice changes; its index is that of the best target in its mask.
extern hwy::ChosenTarget dispatch_target;

}  // namespace simdkit::internal

// HWY_DYNAMIC_DISPATCH through simdkit's own choice. A build of a single
// target has one-entry tables (HWY_EXPORT's, as in hwy/highway.h).
#if HWY_IDE || ((HWY_TARGETS & (HWY_TARGETS - 1)) == 0)
#define SIMDKIT_DYNAMIC_DISPATCH(FUNC_NAME) HWY_DYNAMIC_DISPATCH(FUNC_NAME)
#else
#define SIMDKIT_DYNAMIC_DISPATCH(FUNC_NAME) \
  (*(HWY_DISPATCH_TABLE(FUNC_NAME)[::simdkit::internal::dispatch_target.GetIndex()]))
#endif

// SIMDKIT_DISPATCHED(entry): one of a family's HWY_EXPORTed entry points as
// a callable that dispatches when it is called, so that a public call pays
// the dispatch once, for the entry point it uses.
#define SIMDKIT_DISPATCHED(entry)                                                            \
  [](auto&&... arguments) {                                                                  \
    return SIMDKIT_DYNAMIC_DISPATCH(entry)(std::forward<decltype(arguments)>(arguments)...); \
  }

#endif  // SIMDKIT_KERNELS_DISPATCHED_H_
