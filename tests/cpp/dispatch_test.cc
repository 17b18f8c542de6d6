#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp/target_param.h"
#include "hwy/targets.h"
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

// Runs `body` with the environment variable set (or unset for nullptr), then
// restores automatic dispatch.
template <typename Body>
void WithEnvironment(const char* name, const char* value, const Body& body) {
  if (value == nullptr) {
    unsetenv(name);
  } else {
    setenv(name, value, 1);
  }
  body();
  unsetenv(name);
  simdkit::disable_targets("");
  simdkit::reset_target();
}

TEST(Dispatch, EnvironmentForcesTarget) {
  const std::string last = simdkit::supported_targets().back();
  WithEnvironment("SIMDKIT_TARGET", last.c_str(), [&] {
    EXPECT_TRUE(simdkit::apply_environment().empty());
    EXPECT_EQ(simdkit::active_target(), last);
    EXPECT_EQ(simdkit::probe_target(), last);
  });
}

TEST(Dispatch, BadEnvironmentWarnsAndAutomaticChoiceStands) {
  const std::string best = simdkit::supported_targets().front();
  for (const char* name : {"SIMDKIT_TARGET", "SIMDKIT_DISABLE"}) {
    WithEnvironment(name, "bogus", [&] {
      const std::vector<std::string> warnings = simdkit::apply_environment();
      ASSERT_EQ(warnings.size(), 1u);
      EXPECT_NE(warnings[0].find(std::string(name) + "=bogus"), std::string::npos) << warnings[0];
      EXPECT_NE(warnings[0].find(simdkit::compiled_targets().back()), std::string::npos)
          << "the warning should list the valid names: " << warnings[0];
      EXPECT_EQ(simdkit::active_target(), best);
      EXPECT_EQ(simdkit::probe_target(), best);
    });
  }
}

TEST(Dispatch, EnvironmentDisablesTargets) {
  const auto supported = simdkit::supported_targets();
  if (supported.size() < 2) GTEST_SKIP() << "only one target is supported here";
  // The best one or two, keeping at least one usable; spaces are allowed.
  const size_t count = std::min<size_t>(2, supported.size() - 1);
  const std::vector<std::string> disabled(supported.begin(), supported.begin() + count);
  std::string names;
  for (const auto& name : disabled) names += name + " , ";
  WithEnvironment("SIMDKIT_DISABLE", names.c_str(), [&] {
    EXPECT_TRUE(simdkit::apply_environment().empty());
    const auto remaining = simdkit::supported_targets();
    for (const auto& name : disabled) EXPECT_FALSE(Contains(remaining, name)) << name;
    EXPECT_EQ(simdkit::disabled_targets(), disabled);
    EXPECT_EQ(simdkit::active_target(), supported[count]);
    EXPECT_EQ(simdkit::probe_target(), supported[count]);
    EXPECT_THROW(simdkit::set_target(supported[0]), std::runtime_error);
  });
}

TEST(Dispatch, CannotDisableEverything) {
  std::string all;
  for (const auto& name : simdkit::supported_targets()) all += name + ",";
  EXPECT_THROW(simdkit::disable_targets(all), std::invalid_argument);
  EXPECT_TRUE(simdkit::disabled_targets().empty());
  EXPECT_EQ(simdkit::probe_target(), simdkit::supported_targets().front());
}

TEST(Dispatch, CannotDisableTheForcedTarget) {
  const std::string last = simdkit::supported_targets().back();
  simdkit::set_target(last);
  EXPECT_THROW(simdkit::disable_targets(last), std::invalid_argument);
  simdkit::reset_target();
}

// The heterogeneous-CPU matrix (tests/heterogeneous/run_matrix.py) runs this
// binary under emulated CPU models and names the target each must choose.
TEST(Dispatch, ChoosesTheExpectedTargetForThisCpu) {
  simdkit::reset_target();
  std::printf("simdkit on '%s' chose %s, probe %s\n", simdkit::cpu_model().c_str(),
              simdkit::active_target().c_str(), simdkit::probe_target().c_str());
  const char* expected = std::getenv("SIMDKIT_EXPECTED_TARGET");
  if (expected == nullptr) GTEST_SKIP() << "SIMDKIT_EXPECTED_TARGET not set";
  EXPECT_EQ(simdkit::active_target(), expected) << simdkit::cpu_model();
  EXPECT_EQ(simdkit::probe_target(), expected) << simdkit::cpu_model();
}

// The build links the Highway it was compiled against (the system's, or the
// other Debian release's through the build's run path): a library of the
// same soname but another version would mean the test ran something else.
TEST(Dispatch, LoadsTheHighwayItWasCompiledWith) {
  // Read by tests/heterogeneous/run_matrix.py, whose expected targets depend
  // on the Highway version.
  std::cout << "Highway " << simdkit::highway_version() << " compiled, "
            << simdkit::highway_loaded_version() << " loaded\n";
  EXPECT_EQ(simdkit::highway_loaded_version(), simdkit::highway_version())
      << simdkit::highway_library_path();
  const std::string path = simdkit::highway_library_path();
  if (!path.empty()) {
    EXPECT_NE(path.find("libhwy.so." + simdkit::highway_version()), std::string::npos) << path;
  }
}

TEST(Dispatch, DescribesTheCpu) {
  EXPECT_FALSE(simdkit::cpu_model().empty());
  EXPECT_EQ(simdkit::highway_version().find("1."), 0u) << simdkit::highway_version();
  const auto features = simdkit::cpu_features();
  const bool has_simd = Contains(simdkit::supported_targets(), "SSSE3") ||
                        Contains(simdkit::supported_targets(), "NEON");
  if (has_simd) EXPECT_FALSE(features.empty());
  if (Contains(simdkit::supported_targets(), "AVX2")) EXPECT_TRUE(Contains(features, "avx2"));
  if (Contains(simdkit::supported_targets(), "SVE")) EXPECT_TRUE(Contains(features, "sve"));
}

// Highway's bit for a target name (the test's own compile may list fewer
// targets in HWY_TARGETS than the library's: look through every bit).
int64_t HighwayBitNamed(const std::string& name) {
  for (int shift = 0; shift < 63; ++shift) {
    const int64_t bit = int64_t{1} << shift;
    if (name == hwy::TargetName(bit)) return bit;
  }
  return 0;
}

// Another library in the process that uses the same libhwy.so changes
// Highway's process-wide choice: its first dispatch resets it to the CPU's
// best (hwy::SupportedTargets()), and it may set a target of its own.
// simdkit keeps its choice apart and runs the target it reports.
TEST(Dispatch, OtherHighwayUsersCannotChangeWhatRuns) {
  const auto supported = simdkit::supported_targets();
  if (supported.size() < 2) GTEST_SKIP() << "only one target is supported here";
  simdkit::set_target(supported.back());
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  EXPECT_EQ(simdkit::probe_target(), supported.back());
  EXPECT_EQ(simdkit::active_target(), supported.back());

  simdkit::reset_target();
  hwy::GetChosenTarget().Update(HighwayBitNamed(supported.back()));
  EXPECT_EQ(simdkit::probe_target(), supported.front());
  hwy::GetChosenTarget().DeInit();  // "not chosen yet", as before any dispatch
  EXPECT_EQ(simdkit::probe_target(), supported.front());
  EXPECT_EQ(simdkit::active_target(), supported.front());
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
