// Runs a test suite once per target that is compiled and supported here, with
// that target forced for the duration of each test.
#ifndef SIMDKIT_TESTS_CPP_TARGET_PARAM_H_
#define SIMDKIT_TESTS_CPP_TARGET_PARAM_H_

#include <gtest/gtest.h>

#include <string>

#include "simdkit/dispatch.h"

namespace simdkit::testing {

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
                           ::testing::ValuesIn(simdkit::supported_targets()),      \
                           simdkit::testing::TargetTestName)

#endif  // SIMDKIT_TESTS_CPP_TARGET_PARAM_H_
