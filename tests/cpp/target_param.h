// Runs a test suite once per target that is compiled and supported here, with
// that target forced for the duration of each test.
#ifndef SIMDKIT_TESTS_CPP_TARGET_PARAM_H_
#define SIMDKIT_TESTS_CPP_TARGET_PARAM_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "simdkit/dispatch.h"

namespace simdkit::testing {

// The supported targets to test: all of them, or those named in
// SIMDKIT_TEST_TARGETS (comma-separated, as the pytest suite reads it). The
// heterogeneous matrix names the one target an emulated CPU chooses; the
// native run covers the others.
inline std::vector<std::string> TargetsToTest() {
  std::vector<std::string> targets = simdkit::supported_targets();
  const char* only = std::getenv("SIMDKIT_TEST_TARGETS");
  if (only == nullptr || *only == '\0') return targets;
  std::vector<std::string> named;
  std::stringstream list(only);
  for (std::string name; std::getline(list, name, ',');) {
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    named.push_back(name);
  }
  targets.erase(std::remove_if(targets.begin(), targets.end(),
                               [&](const std::string& target) {
                                 return std::find(named.begin(), named.end(), target) ==
                                        named.end();
                               }),
                targets.end());
  return targets;
}

// True under an emulated CPU (SIMDKIT_TEST_SAMPLED=1, set by the
// heterogeneous matrix): emulation is there to run each target's code paths
// on that target's instructions, so exhaustive and very long checks take a
// sample of their inputs (every path still reached); the native run keeps
// them whole. long double is software quad precision on AArch64, and qemu's
// SVE is slow on some hosts: the whole inputs would take tens of minutes.
inline bool SampledRun() {
  const char* sampled = std::getenv("SIMDKIT_TEST_SAMPLED");
  return sampled != nullptr && std::string(sampled) == "1";
}

class PerTarget : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    simdkit::set_target(GetParam());
    ASSERT_EQ(simdkit::probe_target(), GetParam());
  }
  void TearDown() override { simdkit::reset_target(); }
};

inline std::string TargetTestName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace simdkit::testing

#define SIMDKIT_INSTANTIATE_PER_TARGET(Suite)                                      \
  INSTANTIATE_TEST_SUITE_P(Targets, Suite,                                         \
                           ::testing::ValuesIn(simdkit::testing::TargetsToTest()),      \
                           simdkit::testing::TargetTestName)

#endif  // SIMDKIT_TESTS_CPP_TARGET_PARAM_H_
