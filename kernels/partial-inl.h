// The first `count` lanes of a vector loaded from or stored to the end of
// an array, touching nothing past them: every family's row tails. With
// in-bounds masked moves (SIMDKIT_IN_BOUNDS_MASKED_MOVES_MIN_LANE_BYTES) one masked
// instruction; elsewhere through a stack buffer (whose stores and reload
// cost a store-forwarding stall: 10-20 ns of a call on one element).
//
// Per-target include guard, as Highway's -inl.h files.
#if defined(SIMDKIT_KERNELS_PARTIAL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_PARTIAL_INL_H_
#undef SIMDKIT_KERNELS_PARTIAL_INL_H_
#else
#define SIMDKIT_KERNELS_PARTIAL_INL_H_
#endif

#include <stddef.h>

#include "hwy/highway.h"
#include "kernels/capabilities-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lanes of the widest vector of T on this target: MaxLanes of a partial
// SVE descriptor (a Rebind of float lanes to int8, say) can be smaller than
// its Lanes at run time.
template <typename T>
constexpr size_t kBufferLanes = HWY_MAX(HWY_MAX_BYTES / sizeof(T), 1);

template <typename T>
constexpr bool HasInBoundsMaskedMoves() {
  return sizeof(T) >= SIMDKIT_IN_BOUNDS_MASKED_MOVES_MIN_LANE_BYTES;
}

// `count` <= Lanes(d) elements from p; the other lanes hold `pad`.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadFirstN(D d, const T* HWY_RESTRICT p, size_t count, T pad) {
  if constexpr (HasInBoundsMaskedMoves<T>()) {
    const auto first = hn::FirstN(d, count);
    return hn::IfThenElse(first, hn::MaskedLoad(first, d, p), hn::Set(d, pad));
  } else {
    if (count == hn::Lanes(d)) return hn::LoadU(d, p);
    HWY_ALIGN T buffer[kBufferLanes<T>];
    for (size_t i = 0; i < hn::Lanes(d); ++i) buffer[i] = i < count ? p[i] : pad;
    return hn::Load(d, buffer);
  }
}

// The first `count` <= Lanes(d) lanes of v stored at p.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreFirstN(D d, hn::Vec<D> v, T* HWY_RESTRICT p, size_t count) {
  if constexpr (HasInBoundsMaskedMoves<T>()) {
    hn::BlendedStore(v, hn::FirstN(d, count), d, p);
  } else {
    if (count == hn::Lanes(d)) return hn::StoreU(v, d, p);
    HWY_ALIGN T buffer[kBufferLanes<T>];
    hn::Store(v, d, buffer);
    // count <= Lanes(d) is the contract; saying so lets GCC see that only
    // stored lanes are read (it warned of uninitialised reads on SCALAR).
    const size_t stored = HWY_MIN(count, hn::Lanes(d));
    for (size_t i = 0; i < stored; ++i) p[i] = buffer[i];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_PARTIAL_INL_H_
