#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp/target_param.h"
#include "simdkit/dispatch.h"

namespace simdkit::testing {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(Dispatch, AutomaticChoiceIsBestSupportedAndActuallyRuns) {
  simdkit::reset_target();
  const auto supported = simdkit::supported_targets();
  ASSERT_FALSE(supported.empty());
  EXPECT_EQ(simdkit::active_target(), supported.front());
  EXPECT_EQ(simdkit::probe_target(), supported.front());
  for (const auto& name : supported) EXPECT_TRUE(Contains(simdkit::compiled_targets(), name));
}

TEST(Dispatch, UnknownNameListsValidNames) {
  try {
    simdkit::set_target("NOT_A_TARGET");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("NOT_A_TARGET"), std::string::npos) << message;
    for (const auto& name : simdkit::compiled_targets()) {
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
}

TEST(Dispatch, UnsupportedTargetIsRefusedNotExecuted) {
  const auto supported = simdkit::supported_targets();
  const std::string before = simdkit::active_target();
  for (const auto& name : simdkit::compiled_targets()) {
    if (Contains(supported, name)) continue;
    EXPECT_THROW(simdkit::set_target(name), std::runtime_error) << name;
    EXPECT_EQ(simdkit::active_target(), before);
  }
}

TEST(Dispatch, NamesAreCaseInsensitive) {
  const std::string best = simdkit::supported_targets().front();
  std::string lower = best;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  simdkit::set_target(lower);
  EXPECT_EQ(simdkit::active_target(), best);
  simdkit::reset_target();
}

TEST(Dispatch, EnvironmentForcesTargetOrWarns) {
  const std::string last = simdkit::supported_targets().back();
  setenv("SIMDKIT_TARGET", last.c_str(), 1);
  EXPECT_EQ(simdkit::apply_environment(), "");
  EXPECT_EQ(simdkit::probe_target(), last);
  simdkit::reset_target();

  setenv("SIMDKIT_TARGET", "bogus", 1);
  const std::string warning = simdkit::apply_environment();
  EXPECT_NE(warning.find("SIMDKIT_TARGET=bogus"), std::string::npos) << warning;
  EXPECT_EQ(simdkit::active_target(), simdkit::supported_targets().front());
  unsetenv("SIMDKIT_TARGET");
  EXPECT_EQ(simdkit::apply_environment(), "");
}

// Report and probe agree for every target, and the vector width is the
// target's.
using DispatchPerTarget = PerTarget;
TEST_P(DispatchPerTarget, ReportMatchesExecutedCode) {
  EXPECT_EQ(simdkit::active_target(), GetParam());
  EXPECT_EQ(simdkit::probe_target(), GetParam());
  // SCALAR handles one element at a time; every SIMD target has >= 128 bits.
  EXPECT_GE(simdkit::probe_vector_bytes(), GetParam() == "SCALAR" ? 1u : 16u);
}
SIMDKIT_INSTANTIATE_PER_TARGET(DispatchPerTarget);

}  // namespace
}  // namespace simdkit::testing
