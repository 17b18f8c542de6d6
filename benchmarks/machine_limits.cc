// simdkit_benchmarks, this machine's limits, against which the report states
// how close each kernel comes:
//
//   limits/peak_fma/<dtype>/<TARGET>   independent multiply-add chains in
//       registers on one core: the peak floating-point rate of each target
//       (items/s = flops/s, two per lane per multiply-add). The best target's
//       figure is the compute limit of compute-bound kernels.
//   limits/read/f64/<TARGET>/<working set>    the sum of one array of
//       doubles with independent accumulators: the most one core reads per
//       second, the limit of kernels that only read (reductions, distances,
//       cdist and topk inputs).
//   limits/triad/f64/<TARGET>/<working set>   STREAM's triad
//       a[i] = b[i] + s * c[i] over three arrays: the limit of kernels that
//       write as much as they read (conversions). bytes/s counts 24 bytes
//       per element as STREAM does (two reads, one write; the
//       write-allocate read is not counted).
// Both bandwidths run on the best target only (the most the machine moves
// per core, not a baseline build's speed), at every power of two of working
// set from 16 KiB to 256 MiB (names say it: 16KiB ... 256MiB), so that the
// report compares each kernel with the bandwidth at its own working set:
// L1, L2, L3 and DRAM, and the steps between them.
//
// Both are single-threaded, as every benchmark here is: a kernel's fraction
// of them is a fraction of what one core can do.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// Defined once: foreach_target re-includes this file for every target.
#ifndef SIMDKIT_BENCHMARKS_MACHINE_LIMITS_ONCE_
#define SIMDKIT_BENCHMARKS_MACHINE_LIMITS_ONCE_
namespace simdkit::benchmarks {
// What a run of the FMA chains did, and where.
struct FmaRun {
  double flops;         // two per lane of each multiply-add
  double checksum;      // the chains' sum, so that none is dead code
  std::int64_t target;  // HWY_TARGET of the code that ran
};
// What a run of the read kernel did, and where.
struct ReadRun {
  double sum;           // so that the loads are not dead code
  std::int64_t target;  // HWY_TARGET of the code that ran
};
}  // namespace simdkit::benchmarks
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/machine_limits.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit::benchmarks {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// `rounds` rounds of one multiply-add on each of ten independent chains:
// enough chains to cover the multiply-add latency times the number of FMA
// units of current cores (4 cycles x 2 units), few enough to stay in
// registers on targets with 16 vector registers. acc * m + a with m < 1
// converges to a / (1 - m), so the values stay normal however long it runs.
template <typename T>
FmaRun FmaChains(std::size_t rounds) {
  const hn::ScalableTag<T> d;
  const auto m = hn::Set(d, T(0.999));
  const auto a = hn::Set(d, T(0.001));
  auto c0 = hn::Set(d, T(1)), c1 = hn::Set(d, T(2)), c2 = hn::Set(d, T(3)), c3 = hn::Set(d, T(4));
  auto c4 = hn::Set(d, T(5)), c5 = hn::Set(d, T(6)), c6 = hn::Set(d, T(7)), c7 = hn::Set(d, T(8));
  auto c8 = hn::Set(d, T(9)), c9 = hn::Set(d, T(10));
  for (std::size_t i = 0; i < rounds; ++i) {
    c0 = hn::MulAdd(c0, m, a);
    c1 = hn::MulAdd(c1, m, a);
    c2 = hn::MulAdd(c2, m, a);
    c3 = hn::MulAdd(c3, m, a);
    c4 = hn::MulAdd(c4, m, a);
    c5 = hn::MulAdd(c5, m, a);
    c6 = hn::MulAdd(c6, m, a);
    c7 = hn::MulAdd(c7, m, a);
    c8 = hn::MulAdd(c8, m, a);
    c9 = hn::MulAdd(c9, m, a);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(hn::Add(c0, c1), hn::Add(c2, c3)),
                                   hn::Add(hn::Add(c4, c5), hn::Add(c6, c7))),
                           hn::Add(c8, c9));
  constexpr int kChains = 10;
  return {2.0 * kChains * static_cast<double>(hn::Lanes(d)) * static_cast<double>(rounds),
          static_cast<double>(hn::GetLane(hn::SumOfLanes(d, sum))), HWY_TARGET};
}

FmaRun FmaChainsF32(std::size_t rounds) { return FmaChains<float>(rounds); }
FmaRun FmaChainsF64(std::size_t rounds) { return FmaChains<double>(rounds); }

// a = b + s * c. Returns the target that ran.
std::int64_t Triad(double* HWY_RESTRICT a, const double* HWY_RESTRICT b,
                   const double* HWY_RESTRICT c, double s, std::size_t n) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto vs = hn::Set(d, s);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::MulAdd(vs, hn::LoadU(d, c + i), hn::LoadU(d, b + i)), d, a + i);
  }
  for (; i < n; ++i) a[i] = b[i] + s * c[i];  // only with vectors of a non-power-of-two size
  return HWY_TARGET;
}

// The sum of x[0, n): eight independent accumulators cover the add latency
// times two loads per cycle, so that the loop is bound by the loads alone.
ReadRun ReadAll(const double* HWY_RESTRICT x, std::size_t n) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  auto s4 = hn::Zero(d), s5 = hn::Zero(d), s6 = hn::Zero(d), s7 = hn::Zero(d);
  std::size_t i = 0;
  for (; i + 8 * lanes <= n; i += 8 * lanes) {
    s0 = hn::Add(s0, hn::LoadU(d, x + i));
    s1 = hn::Add(s1, hn::LoadU(d, x + i + lanes));
    s2 = hn::Add(s2, hn::LoadU(d, x + i + 2 * lanes));
    s3 = hn::Add(s3, hn::LoadU(d, x + i + 3 * lanes));
    s4 = hn::Add(s4, hn::LoadU(d, x + i + 4 * lanes));
    s5 = hn::Add(s5, hn::LoadU(d, x + i + 5 * lanes));
    s6 = hn::Add(s6, hn::LoadU(d, x + i + 6 * lanes));
    s7 = hn::Add(s7, hn::LoadU(d, x + i + 7 * lanes));
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::Add(s0, hn::LoadU(d, x + i));
  const auto sum = hn::Add(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)),
                           hn::Add(hn::Add(s4, s5), hn::Add(s6, s7)));
  double total = hn::GetLane(hn::SumOfLanes(d, sum));
  for (; i < n; ++i) total += x[i];
  return {total, HWY_TARGET};
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit::benchmarks
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <benchmark/benchmark.h>

#include "benchmark_util.h"
#include "hwy/aligned_allocator.h"

namespace simdkit::benchmarks {

HWY_EXPORT(FmaChainsF32);
HWY_EXPORT(FmaChainsF64);
HWY_EXPORT(Triad);
HWY_EXPORT(ReadAll);

namespace {

// This file's kernels dispatch through Highway's process-wide choice (it is
// a Highway user of its own, beside simdkit, which keeps its choice apart):
// ForceTarget sets simdkit's, and this sets Highway's to the same target.
bool ForceBothTargets(benchmark::State& state, const std::string& target) {
  if (!ForceTarget(state, target)) return false;
  for (std::int64_t targets = HWY_TARGETS; targets != 0; targets &= targets - 1) {
    const std::int64_t bit = targets & -targets;
    if (hwy::TargetName(bit) == target) hwy::GetChosenTarget().Update(bit);
  }
  return true;
}

// ForceBothTargets set this file's dispatch; this checks that it ran there.
bool RanOn(benchmark::State& state, const std::string& target, std::int64_t ran) {
  if (hwy::TargetName(ran) == target) return true;
  state.SkipWithError(
      ("limits ran on " + std::string(hwy::TargetName(ran)) + " instead of " + target).c_str());
  return false;
}

void BenchmarkPeakFma(benchmark::State& state, const std::string& target, bool f32) {
  if (!ForceBothTargets(state, target)) return;
  FmaRun (*chains)(std::size_t) =
      f32 ? HWY_DYNAMIC_DISPATCH(FmaChainsF32) : HWY_DYNAMIC_DISPATCH(FmaChainsF64);
  // 10^4 rounds: the loop overhead is negligible, and a call lasts tens of
  // microseconds, so that Google Benchmark can time it precisely.
  constexpr std::size_t kRounds = 10000;
  FmaRun run{};
  for (auto _ : state) {
    run = chains(kRounds);
    benchmark::DoNotOptimize(run);
  }
  if (!RanOn(state, target, run.target)) return;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(run.flops));
}

// Vector-aligned, as a kernel's own buffers are: a load that splits a cache
// line (std::vector's 16-byte alignment) would halve the in-cache figures.
hwy::AlignedFreeUniquePtr<double[]> FilledArray(std::size_t n, double value) {
  auto array = hwy::AllocateAligned<double>(n);
  std::fill(array.get(), array.get() + n, value);
  return array;
}

// Both bandwidths over a working set of `bytes` (rounded down to whole
// elements): three arrays for the triad, one for the read.
void BenchmarkTriad(benchmark::State& state, const std::string& target, std::size_t bytes) {
  if (!ForceBothTargets(state, target)) return;
  const std::size_t n = bytes / (3 * sizeof(double));
  const auto a = FilledArray(n, 0.0), b = FilledArray(n, 1.0), c = FilledArray(n, 2.0);
  std::int64_t ran = 0;
  for (auto _ : state) {
    ran = HWY_DYNAMIC_DISPATCH(Triad)(a.get(), b.get(), c.get(), 3.0, n);
    benchmark::ClobberMemory();
  }
  if (!RanOn(state, target, ran)) return;
  SetThroughput(state, n, 3 * n * sizeof(double));
}

void BenchmarkRead(benchmark::State& state, const std::string& target, std::size_t bytes) {
  if (!ForceBothTargets(state, target)) return;
  const std::size_t n = bytes / sizeof(double);
  const auto x = FilledArray(n, 1.0);
  ReadRun run{};
  for (auto _ : state) {
    run = HWY_DYNAMIC_DISPATCH(ReadAll)(x.get(), n);
    benchmark::DoNotOptimize(run);
  }
  if (!RanOn(state, target, run.target)) return;
  SetThroughput(state, n, n * sizeof(double));
}

// 16KiB, 32KiB, ..., 256MiB: every power of two, L1 to DRAM.
std::vector<std::pair<std::size_t, std::string>> WorkingSets() {
  std::vector<std::pair<std::size_t, std::string>> sets;
  for (std::size_t bytes = std::size_t{16} << 10; bytes <= std::size_t{256} << 20; bytes *= 2) {
    sets.emplace_back(bytes, bytes < (std::size_t{1} << 20) ? std::to_string(bytes >> 10) + "KiB"
                                                           : std::to_string(bytes >> 20) + "MiB");
  }
  return sets;
}

}  // namespace

void RegisterLimitBenchmarks(const std::vector<std::string>& targets) {
  for (const std::string& target : targets) {
    for (bool f32 : {true, false}) {
      benchmark::RegisterBenchmark(
          BenchmarkName({"limits", "peak_fma", f32 ? "f32" : "f64", target}).c_str(),
          [=](benchmark::State& state) { BenchmarkPeakFma(state, target, f32); });
    }
  }
  if (targets.empty()) return;
  const std::string best = targets.front();  // supported_targets() lists the best first
  for (const auto& [bytes, name] : WorkingSets()) {
    benchmark::RegisterBenchmark(
        BenchmarkName({"limits", "read", "f64", best, name}).c_str(),
        [=](benchmark::State& state) { BenchmarkRead(state, best, bytes); });
    benchmark::RegisterBenchmark(
        BenchmarkName({"limits", "triad", "f64", best, name}).c_str(),
        [=](benchmark::State& state) { BenchmarkTriad(state, best, bytes); });
  }
}

}  // namespace simdkit::benchmarks
#endif  // HWY_ONCE
