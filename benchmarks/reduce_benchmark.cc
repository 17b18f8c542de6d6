// simdkit_benchmarks, reduce family: throughput of every reduce kernel on
// every Highway target this CPU supports, so targets can be compared side by
// side and regressions caught per target (main() in benchmark_main.cc).
//
// Names are <kernel>/<dtype>/<TARGET>/<n>, e.g. sum/f32/AVX2/1024, and
// sum_rows/f32/<TARGET>/<rows>x<cols> for the batch form. Bytes/s counts the
// input read (n * sizeof(T) per input array); items/s counts elements.
// All standard Google Benchmark flags work, e.g.
//   simdkit_benchmarks --benchmark_filter='sum/f32/.*/65536$'
//                      --benchmark_out=reduce.json --benchmark_out_format=json

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

#include "benchmark_util.h"
#include "simdkit/reduce.h"

namespace simdkit::benchmarks {
namespace {

// From a single element (the cost of a call) through sizes that stay in L1,
// up to far larger than any last-level cache.
constexpr std::size_t kSizes[] = {1, 16, 128, 1024, 65536, 16777216};

struct RowShape {
  std::size_t rows;
  std::size_t cols;
};
// Short rows are where per-call dispatch overhead would dominate, so they show
// that a batch pays it once; long rows are the bandwidth-bound contrast.
constexpr RowShape kRowShapes[] = {{1024, 16}, {1024, 1024}};

template <typename T>
const char* DtypeName();
template <>
const char* DtypeName<float>() { return "f32"; }
template <>
const char* DtypeName<double>() { return "f64"; }

// `kernel(a, b, n)` runs one reduction; single-input kernels ignore `b`.
template <typename T, typename Kernel>
void BenchmarkReduce(benchmark::State& state, const std::string& target, Kernel kernel,
                     int inputs, std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const T* a = RandomData<T>(n, 0).data();
  const T* b = inputs == 2 ? RandomData<T>(n, 1).data() : a;
  for (auto _ : state) {
    auto result = kernel(a, b, n);
    benchmark::DoNotOptimize(result);
  }
  SetThroughput(state, n, inputs * n * sizeof(T));
}

template <typename T>
void BenchmarkSumRows(benchmark::State& state, const std::string& target, RowShape shape) {
  if (!ForceTarget(state, target)) return;
  const std::size_t elements = shape.rows * shape.cols;
  const T* x = RandomData<T>(elements, 0).data();
  std::vector<T> out(shape.rows);
  for (auto _ : state) {
    simdkit::sum_rows(x, shape.rows, shape.cols, shape.cols, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, elements, elements * sizeof(T));
}

// Registered size-major with targets innermost, so that the console output
// lists the targets for one kernel, dtype and size next to each other.
template <typename T, typename Kernel>
void RegisterKernelForType(const char* name, int inputs, Kernel kernel,
                           const std::vector<std::string>& targets) {
  for (std::size_t n : kSizes) {
    for (const std::string& target : targets) {
      benchmark::RegisterBenchmark(
          BenchmarkName({name, DtypeName<T>(), target, std::to_string(n)}).c_str(),
          [=](benchmark::State& state) { BenchmarkReduce<T>(state, target, kernel, inputs, n); });
    }
  }
}

// `kernel` is generic over the element type, so one entry covers f32 and f64.
template <typename Kernel>
void RegisterKernel(const char* name, int inputs, Kernel kernel,
                    const std::vector<std::string>& targets) {
  RegisterKernelForType<float>(name, inputs, kernel, targets);
  RegisterKernelForType<double>(name, inputs, kernel, targets);
}

}  // namespace

void RegisterReduceBenchmarks(const std::vector<std::string>& targets) {
  using std::size_t;
  RegisterKernel("sum", 1, [](auto x, auto, size_t n) { return simdkit::sum(x, n); }, targets);
  RegisterKernel("dot", 2, [](auto a, auto b, size_t n) { return simdkit::dot(a, b, n); }, targets);
  RegisterKernel("norm", 1, [](auto x, auto, size_t n) { return simdkit::norm(x, n); }, targets);
  RegisterKernel("min", 1, [](auto x, auto, size_t n) { return simdkit::min(x, n); }, targets);
  RegisterKernel("max", 1, [](auto x, auto, size_t n) { return simdkit::max(x, n); }, targets);
  RegisterKernel("argmin", 1, [](auto x, auto, size_t n) { return simdkit::argmin(x, n); },
                 targets);
  RegisterKernel("argmax", 1, [](auto x, auto, size_t n) { return simdkit::argmax(x, n); },
                 targets);

  for (const RowShape& shape : kRowShapes) {
    const std::string size = std::to_string(shape.rows) + 'x' + std::to_string(shape.cols);
    for (const std::string& target : targets) {
      benchmark::RegisterBenchmark(
          BenchmarkName({"sum_rows", DtypeName<float>(), target, size}).c_str(),
          [=](benchmark::State& state) { BenchmarkSumRows<float>(state, target, shape); });
    }
  }
}

}  // namespace simdkit::benchmarks
