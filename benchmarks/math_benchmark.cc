// simdkit_benchmarks, math family: every elementwise function and every row
// kernel on every Highway target this CPU supports (main() in
// benchmark_main.cc).
//
// Names are
//   math/<function>/<dtype>/<TARGET>/<n>            e.g. math/exp/f32/AVX2/1024
//   math/<row kernel>/<dtype>/<TARGET>/<rows>x<cols> e.g. math/softmax/f32/AVX2/1024x1024
// with dtype f32 or f64, and f16 for the elementwise functions at 1 Mi
// elements (widened to float32 and rounded back, except sqrt on targets with
// float16 arithmetic). Elementwise inputs are uniform over each function's
// usual domain (positive for the logarithms, [-1, 1] for asin and acos, else
// [-10, 10]: the same ranges as benchmarks/report's Python side), so that
// the timed path is the one real data takes rather than the NaN branch.
// items/s counts elements, bytes/s the input read plus the output written.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "benchmark_util.h"
#include "simdkit/convert.h"
#include "simdkit/math.h"

namespace simdkit::benchmarks {
namespace {

// From a single call's cost (n = 1) to an array far past L2.
constexpr std::size_t kSizes[] = {1, 16, 128, 1024, 1048576};
// Many short rows (where a per-row cost would show) and a square matrix.
constexpr std::pair<std::size_t, std::size_t> kRowShapes[] = {{1024, 16}, {1024, 1024}};

struct Domain {
  double low, high;
};

Domain DomainOf(std::string_view function) {
  if (function == "log" || function == "log2" || function == "log10") return {0.01, 100.0};
  if (function == "log1p") return {-0.5, 100.0};
  if (function == "sqrt") return {0.0, 100.0};
  if (function == "asin" || function == "acos") return {-1.0, 1.0};
  if (function == "atanh") return {-0.99, 0.99};
  if (function == "acosh") return {1.0, 100.0};
  return {-10.0, 10.0};
}

// Uniform values over `domain`, generated once per (n, domain) and type.
template <typename T>
const std::vector<T>& UniformData(std::size_t n, Domain domain) {
  static std::map<std::tuple<std::size_t, double, double>, std::vector<T>> cache;
  auto [it, inserted] = cache.try_emplace({n, domain.low, domain.high});
  if (inserted) {
    std::mt19937_64 rng(0x3a7b0000u + n);
    std::uniform_real_distribution<T> uniform(static_cast<T>(domain.low), static_cast<T>(domain.high));
    it->second.resize(n);
    for (T& value : it->second) value = uniform(rng);
  }
  return it->second;
}

template <typename T>
constexpr const char* ShortName() {
  return sizeof(T) == 4 ? "f32" : "f64";
}

template <typename T>
constexpr DType DTypeOf() {
  return sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
}

template <typename T>
void BenchmarkApply(benchmark::State& state, const std::string& target, Function function,
                    std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const T* x = UniformData<T>(n, DomainOf(function_name(function))).data();
  std::vector<T> y(n);
  for (auto _ : state) {
    simdkit::apply(function, x, y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, 2 * n * sizeof(T));
}

void BenchmarkApplyFloat16(benchmark::State& state, const std::string& target, Function function,
                           std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const std::vector<float>& wide = UniformData<float>(n, DomainOf(function_name(function)));
  std::vector<std::uint16_t> x(n), y(n);
  simdkit::to_float16(wide.data(), n, x.data());
  for (auto _ : state) {
    simdkit::apply(function, DType::kFloat16, x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, 2 * n * sizeof(std::uint16_t));
}

// The row kernels: softmax, log_softmax and normalize write a matrix,
// logsumexp one value per row.
// atan2, hypot, power of two arrays (power's base positive, as NumPy's
// comparison in compare_math.py).
template <typename T>
void BenchmarkBinary(benchmark::State& state, const std::string& target, BinaryFunction function,
                     std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const bool power = function == BinaryFunction::kPower;
  const T* a = UniformData<T>(n, power ? Domain{0.1, 10.0} : Domain{-10.0, 10.0}).data();
  const T* b = UniformData<T>(n, power ? Domain{-3.0, 3.0} : Domain{-10.0, 9.0}).data();
  std::vector<T> y(n);
  for (auto _ : state) {
    simdkit::apply(function, a, b, y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, 3 * n * sizeof(T));
}

enum class RowKernel { kSoftmax, kLogSoftmax, kNormalize, kLogsumexp };
constexpr std::pair<RowKernel, const char*> kRowKernels[] = {{RowKernel::kSoftmax, "softmax"},
                                                             {RowKernel::kLogSoftmax, "log_softmax"},
                                                             {RowKernel::kNormalize, "normalize"},
                                                             {RowKernel::kLogsumexp, "logsumexp"}};

template <typename T>
void BenchmarkRows(benchmark::State& state, const std::string& target, RowKernel kernel,
                   std::size_t rows, std::size_t cols) {
  if (!ForceTarget(state, target)) return;
  const std::size_t elements = rows * cols;
  const MatrixView x{RandomData<T>(elements, 0).data(), DTypeOf<T>(), rows, cols, cols};
  const bool one_per_row = kernel == RowKernel::kLogsumexp;
  std::vector<T> y(one_per_row ? rows : elements);
  for (auto _ : state) {
    switch (kernel) {
      case RowKernel::kSoftmax: simdkit::softmax(x, y.data(), cols); break;
      case RowKernel::kLogSoftmax: simdkit::log_softmax(x, y.data(), cols); break;
      case RowKernel::kNormalize: simdkit::normalize(x, y.data(), cols); break;
      case RowKernel::kLogsumexp: simdkit::logsumexp(x, y.data()); break;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, elements, (elements + y.size()) * sizeof(T));
}

void RegisterFloat16(const std::vector<std::string>& targets) {
  constexpr std::size_t n = 1048576;
  for (std::size_t index = 0; index < kFunctionCount; ++index) {
    const auto function = static_cast<Function>(index);
    for (const std::string& target : targets) {
      benchmark::RegisterBenchmark(
          BenchmarkName({"math", function_name(function), "f16", target, std::to_string(n)}).c_str(),
          [=](benchmark::State& state) { BenchmarkApplyFloat16(state, target, function, n); });
    }
  }
}

template <typename T>
void RegisterForType(const std::vector<std::string>& targets) {
  for (std::size_t index = 0; index < kFunctionCount; ++index) {
    const auto function = static_cast<Function>(index);
    for (std::size_t n : kSizes) {
      for (const std::string& target : targets) {
        benchmark::RegisterBenchmark(
            BenchmarkName({"math", function_name(function), ShortName<T>(), target, std::to_string(n)}).c_str(),
            [=](benchmark::State& state) { BenchmarkApply<T>(state, target, function, n); });
      }
    }
  }
  for (std::size_t index = 0; index < kBinaryFunctionCount; ++index) {
    const auto function = static_cast<BinaryFunction>(index);
    for (std::size_t n : {std::size_t{16}, std::size_t{1024}, std::size_t{1048576}}) {
      for (const std::string& target : targets) {
        benchmark::RegisterBenchmark(
            BenchmarkName({"math", binary_function_name(function), ShortName<T>(), target,
                           std::to_string(n)})
                .c_str(),
            [=](benchmark::State& state) { BenchmarkBinary<T>(state, target, function, n); });
      }
    }
  }
  for (auto [kernel, name] : kRowKernels) {
    for (auto [rows, cols] : kRowShapes) {
      const std::string shape = std::to_string(rows) + 'x' + std::to_string(cols);
      for (const std::string& target : targets) {
        benchmark::RegisterBenchmark(
            BenchmarkName({"math", name, ShortName<T>(), target, shape}).c_str(),
            [=, kernel = kernel, rows = rows, cols = cols](benchmark::State& state) {
              BenchmarkRows<T>(state, target, kernel, rows, cols);
            });
      }
    }
  }
}

}  // namespace

// Registered size-major with targets innermost, so that the console output
// lists the targets for one function, dtype and size next to each other.
void RegisterMathBenchmarks(const std::vector<std::string>& targets) {
  RegisterForType<float>(targets);
  RegisterForType<double>(targets);
  RegisterFloat16(targets);
}

}  // namespace simdkit::benchmarks
