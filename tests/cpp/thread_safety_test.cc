// Switching the target while other threads run kernels never crashes and
// never yields a result that no target would produce.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "simdkit/dispatch.h"
#include "simdkit/reduce.h"

namespace simdkit::testing {
namespace {

TEST(ThreadSafety, SwitchingTargetsWhileKernelsRun) {
  const std::vector<std::string> targets = simdkit::supported_targets();
  std::vector<float> x(100003);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (float& value : x) value = normal(rng);

  // Each target may round sums differently; collect every target's answer.
  std::set<float> valid_sums;
  for (const std::string& target : targets) {
    simdkit::set_target(target);
    valid_sums.insert(simdkit::sum(x.data(), x.size()));
  }
  simdkit::reset_target();
  const size_t expected_argmax = simdkit::argmax(x.data(), x.size());

  std::atomic<bool> stop{false};
  std::atomic<size_t> wrong{0}, calls{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        if (valid_sums.count(simdkit::sum(x.data(), x.size())) == 0) ++wrong;
        if (simdkit::argmax(x.data(), x.size()) != expected_argmax) ++wrong;
        ++calls;
      }
    });
  }
  size_t switches = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < end) {
    simdkit::set_target(targets[switches % targets.size()]);
    if (switches % 7 == 0) simdkit::reset_target();
    ++switches;
  }
  stop = true;
  for (std::thread& worker : workers) worker.join();
  simdkit::reset_target();

  EXPECT_EQ(wrong.load(), 0u) << "of " << calls.load() << " calls";
  EXPECT_GT(calls.load(), 0u);
  EXPECT_GT(switches, targets.size());
  EXPECT_EQ(simdkit::probe_target(), targets.front());
}

}  // namespace
}  // namespace simdkit::testing
