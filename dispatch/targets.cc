// Target selection: simdkit's own hwy::ChosenTarget (kernels/dispatched.h),
// which SIMDKIT_DYNAMIC_DISPATCH reads (one atomic load) on every call.
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "dispatch/amx_control.h"
#include "kernels/amx_distance.h"
#include "kernels/dispatched.h"
#include "simdkit/dispatch.h"
#include "simdkit/version.h"

namespace simdkit {
namespace {

// Highway orders target bits so that a lower bit is a better target.
std::vector<int64_t> BitsBestFirst(int64_t mask) {
  std::vector<int64_t> bits;
  for (; mask != 0; mask &= mask - 1) bits.push_back(mask & -mask);
  return bits;
}

std::vector<std::string> NamesOf(int64_t mask) {
  std::vector<std::string> names;
  for (int64_t bit : BitsBestFirst(mask)) names.emplace_back(hwy::TargetName(bit));
  return names;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// Compiled targets this CPU can run. hwy::SupportedTargets() re-detects and,
// as a side effect, resets hwy::ChosenTarget to the automatic choice, and it
// may list targets that were not compiled (AVX3_DL without HWY_WANT_AVX3_DL):
// call it exactly once, before anything is forced, and intersect.
int64_t CpuMask() {
  static const int64_t mask = hwy::SupportedTargets() & HWY_TARGETS;
  return mask;
}

// Targets excluded by disable_targets (SIMDKIT_DISABLE), and the forced
// target's bit (0 while the choice is automatic).
std::atomic<int64_t> disabled_bits{0};
std::atomic<int64_t> forced_bit{0};
// The AMX backend is no Highway target: a flag beside the bits.
constexpr std::string_view kAmxName = "AMX";
std::atomic<bool> amx_disabled{false};

int64_t UsableMask() { return CpuMask() & ~disabled_bits.load(); }

// Makes simdkit's dispatch follow our state: the forced target, else the
// best usable one.
void Apply() {
  const int64_t forced = forced_bit.load();
  internal::dispatch_target.Update(forced != 0 ? forced : UsableMask());
}

}  // namespace

// Constant-initialized (Highway's "not yet chosen" mask, whose table entry
// would defer to Highway's process-wide choice), then set when the library
// is loaded, before any kernel can run.
hwy::ChosenTarget internal::dispatch_target;

namespace {

[[maybe_unused]] const bool kDispatchTargetSet = (Apply(), true);

std::string ToUpper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

std::string Trimmed(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

int64_t CompiledBitNamed(std::string_view name) {
  const std::string wanted = ToUpper(name);
  for (int64_t bit : BitsBestFirst(HWY_TARGETS)) {
    if (wanted == hwy::TargetName(bit)) return bit;
  }
  throw std::invalid_argument("unknown simdkit target '" + std::string(name) +
                              "'; expected one of: " + JoinNames(compiled_targets()) +
                              " (case-insensitive)");
}

// Comma-separated names to a mask of compiled targets, and whether "AMX" is
// among them.
struct NamedTargets {
  int64_t mask = 0;
  bool amx = false;
};

NamedTargets TargetsNamed(std::string_view names) {
  NamedTargets named;
  while (!names.empty()) {
    const size_t comma = names.find(',');
    const std::string name = Trimmed(names.substr(0, comma));
    if (ToUpper(name) == kAmxName) {
      named.amx = true;
    } else if (!name.empty()) {
      try {
        named.mask |= CompiledBitNamed(name);
      } catch (const std::invalid_argument&) {
        throw std::invalid_argument("unknown simdkit target '" + name + "'; expected one of: " +
                                    JoinNames(compiled_targets()) + ", " +
                                    std::string(kAmxName) + " (case-insensitive)");
      }
    }
    names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
  }
  return named;
}

}  // namespace

std::string active_target() {
  const int64_t forced = forced_bit.load();
  const int64_t usable = UsableMask();
  return hwy::TargetName(forced != 0 ? forced : (usable & -usable));
}

std::vector<std::string> compiled_targets() { return NamesOf(HWY_TARGETS); }

std::vector<std::string> supported_targets() { return NamesOf(UsableMask()); }

std::vector<std::string> disabled_targets() {
  std::vector<std::string> names = NamesOf(disabled_bits.load());
  if (amx_disabled.load()) names.insert(names.begin(), std::string(kAmxName));
  return names;
}

void set_target(std::string_view name) {
  if (ToUpper(Trimmed(name)) == kAmxName) {
    throw std::invalid_argument(
        "simdkit target AMX cannot be forced: it runs by itself on AVX3_DL or better where "
        "amx_status() says available; disable it with disable_targets(\"AMX\")");
  }
  const int64_t bit = CompiledBitNamed(name);
  if ((CpuMask() & bit) == 0) {
    throw std::runtime_error("simdkit target " + std::string(hwy::TargetName(bit)) +
                             " is not supported by this CPU (" + cpu_model() +
                             "); supported targets: " + JoinNames(supported_targets()));
  }
  if ((disabled_bits.load() & bit) != 0) {
    throw std::runtime_error("simdkit target " + std::string(hwy::TargetName(bit)) +
                             " is disabled (SIMDKIT_DISABLE / disable_targets); usable targets: " +
                             JoinNames(supported_targets()));
  }
  forced_bit.store(bit);
  Apply();
}

void reset_target() {
  forced_bit.store(0);
  Apply();
}

std::string forced_target() {
  const int64_t forced = forced_bit.load();
  return forced != 0 ? hwy::TargetName(forced) : "";
}

void disable_targets(std::string_view names) {
  const NamedTargets named = TargetsNamed(names);
  const int64_t mask = named.mask;
  if ((CpuMask() & ~mask) == 0) {
    throw std::invalid_argument("cannot disable every supported simdkit target (" +
                                JoinNames(NamesOf(CpuMask())) + "); at least one must remain");
  }
  const int64_t forced = forced_bit.load();
  if ((forced & mask) != 0) {
    throw std::invalid_argument("cannot disable " + std::string(hwy::TargetName(forced)) +
                                ": it is the forced target; call reset_target() first");
  }
  disabled_bits.store(mask);
  amx_disabled.store(named.amx);
  Apply();
}

std::vector<std::string> apply_environment() {
  std::vector<std::string> warnings;
  if (const char* disable = std::getenv("SIMDKIT_DISABLE"); disable != nullptr) {
    try {
      disable_targets(disable);
    } catch (const std::exception& error) {
      warnings.push_back(std::string("SIMDKIT_DISABLE=") + disable + " ignored: " + error.what());
    }
  }
  if (const char* target = std::getenv("SIMDKIT_TARGET"); target != nullptr && *target != '\0') {
    try {
      set_target(target);
    } catch (const std::exception& error) {
      warnings.push_back(std::string("SIMDKIT_TARGET=") + target + " ignored: " + error.what());
    }
  }
  return warnings;
}

namespace internal {

const char* AmxNotUsedReason() {
  const amx::GateDecision& gate = amx::Gate();
  if (!gate.usable) return gate.reason;
  if (amx_disabled.load(std::memory_order_relaxed)) {
    return "disabled (SIMDKIT_DISABLE / disable_targets)";
  }
#if HWY_ARCH_X86
  const int64_t forced = forced_bit.load();
  const int64_t usable = UsableMask();
  const int64_t active = forced != 0 ? forced : (usable & -usable);
  // A lower bit is a better target (Highway 1.2's AVX3_ZEN4 and AVX3_SPR
  // are below AVX3_DL).
  if (active != 0 && active <= HWY_AVX3_DL) return "";
#endif
  return "target below AVX3_DL";
}

}  // namespace internal

AmxStatus amx_status() {
  AmxStatus status;
  status.available = amx::Gate().usable;
  status.reason = internal::AmxNotUsedReason();
  status.used = status.reason.empty();
  return status;
}

const char* version() { return SIMDKIT_VERSION_STRING; }

std::string highway_version() {
  return std::to_string(HWY_MAJOR) + "." + std::to_string(HWY_MINOR) + "." +
         std::to_string(HWY_PATCH);
}

// The file that holds Highway's dispatch state (hwy::SupportedTargets lives
// beside hwy::ChosenTarget), with symbolic links resolved: libhwy.so.1 is a
// link to libhwy.so.MAJOR.MINOR.PATCH, and Debian 12 and 13 both ship
// soname 1 (1.0.3 and 1.2.0), so the soname alone cannot tell them apart.
std::string highway_library_path() {
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(&hwy::SupportedTargets), &where) == 0 ||
      where.dli_fname == nullptr) {
    return "";
  }
  char resolved[PATH_MAX];
  const char* path = realpath(where.dli_fname, resolved) ? resolved : where.dli_fname;
  const std::string_view name = std::string_view(path).substr(
      std::string_view(path).find_last_of('/') + 1);
  // Linked statically: Highway's code sits in libsimdkit or the program.
  if (name.rfind("libhwy", 0) != 0) return "";
  return path;
}

std::string highway_loaded_version() {
  const std::string path = highway_library_path();
  if (path.empty()) return highway_version();
  const size_t suffix = path.rfind(".so.");
  return suffix == std::string::npos ? "unknown (" + path + ")" : path.substr(suffix + 4);
}

}  // namespace simdkit
