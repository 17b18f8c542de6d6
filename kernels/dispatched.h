// SIMDKIT_DISPATCHED(entry): one of a family's HWY_EXPORTed entry points as a
// callable that dispatches when it is called, so that a public call pays
// HWY_DYNAMIC_DISPATCH once, for the entry point it uses. For the families'
// .cc files, after their HWY_EXPORT lines (and hwy/highway.h).
#ifndef SIMDKIT_KERNELS_DISPATCHED_H_
#define SIMDKIT_KERNELS_DISPATCHED_H_

#include <utility>

#define SIMDKIT_DISPATCHED(entry)                                                        \
  [](auto&&... arguments) {                                                              \
    return HWY_DYNAMIC_DISPATCH(entry)(std::forward<decltype(arguments)>(arguments)...); \
  }

#endif  // SIMDKIT_KERNELS_DISPATCHED_H_
