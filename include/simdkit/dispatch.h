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

// Compiled targets that this CPU can run and that are not disabled, best
// first. The automatic choice is the first.
SIMDKIT_EXPORT std::vector<std::string> supported_targets();

// Forces `name` for all later kernel calls.
// Throws std::invalid_argument if `name` is not a compiled target (the message
// lists the valid names) and std::runtime_error if this CPU cannot run it or
// it is disabled.
SIMDKIT_EXPORT void set_target(std::string_view name);

// Returns to the automatic choice (the best supported target).
SIMDKIT_EXPORT void reset_target();

// The target forced by set_target, or "" while the choice is automatic.
SIMDKIT_EXPORT std::string forced_target();

// Forces `name` (as set_target, throwing as it does) for the lifetime of
// the object, then restores the previous choice: the C++ form of Python's
// `with simdkit.use_target(name):`. If the previous target can no longer be
// forced when the scope ends (disabled meanwhile), the automatic choice is
// restored instead: a destructor does not throw.
class ScopedTarget {
 public:
  explicit ScopedTarget(std::string_view name) : previous_(forced_target()) { set_target(name); }
  ~ScopedTarget() {
    try {
      if (previous_.empty()) {
        reset_target();
      } else {
        set_target(previous_);
      }
    } catch (...) {
      reset_target();
    }
  }
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;

 private:
  std::string previous_;
};

// Excludes the comma-separated targets from use (replacing any earlier
// exclusion; "" clears it). "AMX" names the AMX backend (see amx_status), a
// pseudo-target above the Highway targets. Throws std::invalid_argument for
// unknown names, if no Highway target would remain, or if the forced target
// is among them.
SIMDKIT_EXPORT void disable_targets(std::string_view comma_separated_names);

// Targets excluded by disable_targets, best first ("AMX" first if named).
SIMDKIT_EXPORT std::vector<std::string> disabled_targets();

// Applies the environment: SIMDKIT_DISABLE=NAME[,NAME...] excludes targets,
// then SIMDKIT_TARGET=NAME forces one. A value that cannot be applied is
// ignored as a whole and explained in the returned warnings (one per
// variable); the automatic choice then stands.
SIMDKIT_EXPORT std::vector<std::string> apply_environment();

// The AMX backend: bfloat16/int8/uint8 cdist and topk on Intel's tile
// instructions, beside the Highway targets (docs/distance.md). It runs when
// the CPU, the OS (XCR0) and the kernel's permission allow it (`available`,
// decided once per process), it is not disabled ("AMX" in disable_targets /
// SIMDKIT_DISABLE) and the active target is AVX3_DL or better (`used`).
// Otherwise those calls run on the active target; `reason` says why, e.g.
// "cpu lacks AMX", "OS does not enable tile state", "kernel refused
// permission", "compiler lacks AMX", "disabled (SIMDKIT_DISABLE /
// disable_targets)", "target below AVX3_DL" ("" while used).
struct AmxStatus {
  bool available = false;
  bool used = false;
  std::string reason;
};
SIMDKIT_EXPORT AmxStatus amx_status();

// The CPU's model name and SIMD-related features, as the CPU reports them
// (CPUID on x86, the auxiliary vector on Arm; an emulator's model, not the
// host's).
SIMDKIT_EXPORT std::string cpu_model();
SIMDKIT_EXPORT std::vector<std::string> cpu_features();

// Version of the Highway headers the library was compiled with.
SIMDKIT_EXPORT std::string highway_version();

// Version of the Highway library this process loaded ("1.2.0"), read from the
// versioned file name behind libhwy.so.1; highway_version() where Highway is
// linked statically. Both Debian 12 (1.0.3) and 13 (1.2.0) ship soname 1, so a
// build can run on the other's library; the process has one Highway, shared
// with every other library that uses it.
SIMDKIT_EXPORT std::string highway_loaded_version();

// Path of that shared library, symbolic links resolved; "" where Highway is
// linked statically.
SIMDKIT_EXPORT std::string highway_library_path();

// Name of the target compiled into the code that a dispatched call actually
// executes (HWY_TARGET, read from inside the kernel). Agrees with
// active_target(); exists so that tests can prove it.
SIMDKIT_EXPORT std::string probe_target();

// Vector width in bytes of the dispatched code (e.g. 64 on AVX3, 16 on SSE4).
SIMDKIT_EXPORT std::size_t probe_vector_bytes();

}  // namespace simdkit

#endif  // SIMDKIT_DISPATCH_H_
