// Runtime target selection: which Highway target the kernels run on.
//
// The library is compiled for several targets (e.g. EMU128, SSSE3, SSE4,
// AVX2, AVX3, AVX3_DL on x86; NEON, SVE, SVE2, SVE_256 on Arm). At first use
// the best target that was compiled *and* is supported by this CPU is chosen.
// Target names are case-insensitive on input and upper-case on output.
//
// The choice is process-wide (it lives in Highway's shared dispatch state) and
// may be changed at any time from any thread: a kernel call already running
// finishes on the target it started with.
#ifndef SIMDKIT_DISPATCH_H_
#define SIMDKIT_DISPATCH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "simdkit/export.h"

namespace simdkit {

// Target the next kernel call will run on.
SIMDKIT_EXPORT std::string active_target();

// Targets compiled into the library, best first.
SIMDKIT_EXPORT std::vector<std::string> compiled_targets();

// Compiled targets that this CPU can run, best first.
SIMDKIT_EXPORT std::vector<std::string> supported_targets();

// Forces `name` for all later kernel calls.
// Throws std::invalid_argument if `name` is not a compiled target (the message
// lists the valid names) and std::runtime_error if this CPU cannot run it.
SIMDKIT_EXPORT void set_target(std::string_view name);

// Returns to the automatic choice (the best supported target).
SIMDKIT_EXPORT void reset_target();

// The target forced by set_target, or "" while the choice is automatic.
SIMDKIT_EXPORT std::string forced_target();

// Applies the environment: SIMDKIT_TARGET=NAME forces a target. Returns an
// empty string on success (or when unset), otherwise a warning explaining why
// the value was ignored; the automatic choice then stands.
SIMDKIT_EXPORT std::string apply_environment();

// Name of the target compiled into the code that a dispatched call actually
// executes (HWY_TARGET, read from inside the kernel). Agrees with
// active_target(); exists so that tests can prove it.
SIMDKIT_EXPORT std::string probe_target();

// Vector width in bytes of the dispatched code (e.g. 64 on AVX3, 16 on SSE4).
SIMDKIT_EXPORT std::size_t probe_vector_bytes();

}  // namespace simdkit

#endif  // SIMDKIT_DISPATCH_H_
