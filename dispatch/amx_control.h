// Library-internal: whether the AMX backend (kernels/amx_distance.h) runs
// the next supported call, decided with the dispatch state of
// dispatch/targets.cc. Highway-free.
#ifndef SIMDKIT_DISPATCH_AMX_CONTROL_H_
#define SIMDKIT_DISPATCH_AMX_CONTROL_H_

namespace simdkit::internal {

// "" when the backend runs: its gate said yes, "AMX" is not disabled and the
// active target is AVX3_DL or better (forcing AVX3 or lower turns it off).
// Otherwise why not, as amx_status().reason.
const char* AmxNotUsedReason();

}  // namespace simdkit::internal

#endif  // SIMDKIT_DISPATCH_AMX_CONTROL_H_
