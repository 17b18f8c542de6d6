// Helpers shared by the benchmark files of simdkit_benchmarks: input data,
// forcing a target, throughput counters and names. main() is in
// benchmark_main.cc; each family registers its benchmarks at run time, one
// per target this CPU supports.
#ifndef SIMDKIT_BENCHMARKS_BENCHMARK_UTIL_H_
#define SIMDKIT_BENCHMARKS_BENCHMARK_UTIL_H_

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "simdkit/dispatch.h"

namespace simdkit::benchmarks {

// Random values, generated on first use and kept for the whole run: every
// target then reads identical data, and large arrays are built once rather
// than once per target. `operand` distinguishes the inputs of two-operand
// kernels, which would otherwise be the same array. float/double: standard
// normal; int8_t and uint8_t: uniform over the whole range.
template <typename T>
const std::vector<T>& RandomData(std::size_t n, int operand) {
  static std::map<std::pair<std::size_t, int>, std::vector<T>> cache;
  auto [it, inserted] = cache.try_emplace({n, operand});
  if (inserted) {
    std::mt19937_64 rng(0x5eed0000u + static_cast<std::uint64_t>(operand));
    it->second.resize(n);
    if constexpr (std::is_floating_point_v<T>) {
      std::normal_distribution<T> normal;
      for (T& value : it->second) value = normal(rng);
    } else {
      static_assert(sizeof(T) == 1, "RandomData: float, double, int8_t or uint8_t");
      for (T& value : it->second) value = static_cast<T>(rng());
    }
  }
  return it->second;
}

// The target is process-wide state, so it is set when a benchmark runs rather
// than when it is registered; probe_target() proves the kernels really run on
// it instead of trusting the bookkeeping.
inline bool ForceTarget(benchmark::State& state, const std::string& target) {
  try {
    simdkit::set_target(target);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
    return false;
  }
  const std::string actual = simdkit::probe_target();
  if (actual != target) {
    state.SkipWithError(("kernels ran on " + actual + " instead of " + target).c_str());
    return false;
  }
  state.SetLabel(target);
  return true;
}

// items/s and bytes/s from the per-iteration element and byte counts.
inline void SetThroughput(benchmark::State& state, std::size_t elements, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(elements));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

// "sum", "f32", "AVX2", "1024" -> "sum/f32/AVX2/1024".
inline std::string BenchmarkName(std::initializer_list<std::string_view> parts) {
  std::string name;
  for (std::string_view part : parts) {
    if (!name.empty()) name += '/';
    name += part;
  }
  return name;
}

// Per family, in <family>_benchmark.cc files; the machine's limits (peak FMA
// rate, STREAM triad) in machine_limits.cc.
void RegisterReduceBenchmarks(const std::vector<std::string>& targets);
void RegisterDistanceBenchmarks(const std::vector<std::string>& targets);
void RegisterMathBenchmarks(const std::vector<std::string>& targets);
void RegisterConvertBenchmarks(const std::vector<std::string>& targets);
void RegisterLimitBenchmarks(const std::vector<std::string>& targets);

}  // namespace simdkit::benchmarks

#endif  // SIMDKIT_BENCHMARKS_BENCHMARK_UTIL_H_
