// Target selection on top of Highway's process-wide hwy::ChosenTarget, which
// HWY_DYNAMIC_DISPATCH reads (one atomic load) on every call.
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
#include "simdkit/dispatch.h"

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

// hwy::SupportedTargets() re-detects and, as a side effect, resets
// hwy::ChosenTarget to the automatic choice. Call it exactly once, before
// anything is forced, and keep the answer.
int64_t SupportedMask() {
  static const int64_t mask = [] {
    const int64_t supported = hwy::SupportedTargets() & HWY_TARGETS;
    hwy::GetChosenTarget().Update(supported);
    return supported;
  }();
  return mask;
}

// 0 while the choice is automatic; otherwise the forced target's bit.
std::atomic<int64_t> forced_target_bit{0};

std::string ToUpper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
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

}  // namespace

std::string active_target() {
  const int64_t forced = forced_target_bit.load();
  const int64_t supported = SupportedMask();
  return hwy::TargetName(forced != 0 ? forced : (supported & -supported));
}

std::vector<std::string> compiled_targets() { return NamesOf(HWY_TARGETS); }

std::vector<std::string> supported_targets() { return NamesOf(SupportedMask()); }

void set_target(std::string_view name) {
  const int64_t bit = CompiledBitNamed(name);
  if ((SupportedMask() & bit) == 0) {
    throw std::runtime_error("simdkit target " + std::string(hwy::TargetName(bit)) +
                             " is not supported by this CPU; supported targets: " +
                             JoinNames(supported_targets()));
  }
  forced_target_bit.store(bit);
  hwy::GetChosenTarget().Update(bit);
}

void reset_target() {
  forced_target_bit.store(0);
  hwy::GetChosenTarget().Update(SupportedMask());
}

std::string forced_target() {
  const int64_t forced = forced_target_bit.load();
  return forced != 0 ? hwy::TargetName(forced) : "";
}

std::string apply_environment() {
  const char* value = std::getenv("SIMDKIT_TARGET");
  if (value == nullptr || *value == '\0') return "";
  try {
    set_target(value);
  } catch (const std::exception& error) {
    return std::string("SIMDKIT_TARGET=") + value + " ignored: " + error.what();
  }
  return "";
}

}  // namespace simdkit
