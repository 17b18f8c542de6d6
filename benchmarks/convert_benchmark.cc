// simdkit_benchmarks, convert family: the float32 <-> bfloat16 / float16
// conversions and int8 quantization on every Highway target this CPU
// supports (main() in benchmark_main.cc).
//
// Names are
//   convert/<function>/<input dtype>/<TARGET>/<n>           e.g. convert/to_bfloat16/f32/AVX2/1024
//   convert/<quantize_int8|dequantize_int8>/<dtype>/<TARGET>/<rows>x<cols>
// items/s counts elements, bytes/s the input read plus the output written
// (and the per-row scales of the int8 pair).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "benchmark_util.h"
#include "simdkit/convert.h"

namespace simdkit::benchmarks {
namespace {

constexpr std::size_t kSizes[] = {1, 16, 128, 1024, 1048576};
constexpr std::pair<std::size_t, std::size_t> kRowShapes[] = {{1024, 16}, {1024, 1024}};

using ToHalf = void (*)(const float*, std::size_t, std::uint16_t*);
using FromHalf = void (*)(const std::uint16_t*, std::size_t, float*);

// Half-precision inputs are RandomData converted once by simdkit itself, so
// that they are ordinary values of the format (the timed path of real data).
const std::vector<std::uint16_t>& HalfData(std::size_t n, ToHalf to_half) {
  static std::map<std::pair<std::size_t, ToHalf>, std::vector<std::uint16_t>> cache;
  auto [it, inserted] = cache.try_emplace({n, to_half});
  if (inserted) {
    it->second.resize(n);
    to_half(RandomData<float>(n, 0).data(), n, it->second.data());
  }
  return it->second;
}

void BenchmarkToHalf(benchmark::State& state, const std::string& target, ToHalf to_half,
                     std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const float* x = RandomData<float>(n, 0).data();
  std::vector<std::uint16_t> out(n);
  for (auto _ : state) {
    to_half(x, n, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, n * (sizeof(float) + sizeof(std::uint16_t)));
}

void BenchmarkFromHalf(benchmark::State& state, const std::string& target, FromHalf from_half,
                       ToHalf to_half, std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const std::uint16_t* x = HalfData(n, to_half).data();
  std::vector<float> out(n);
  for (auto _ : state) {
    from_half(x, n, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, n * (sizeof(float) + sizeof(std::uint16_t)));
}

void BenchmarkQuantize(benchmark::State& state, const std::string& target, std::size_t rows,
                       std::size_t cols) {
  if (!ForceTarget(state, target)) return;
  const std::size_t elements = rows * cols;
  const float* x = RandomData<float>(elements, 0).data();
  std::vector<std::int8_t> q(elements);
  std::vector<float> scale(rows);
  for (auto _ : state) {
    simdkit::quantize_int8(x, rows, cols, cols, q.data(), cols, scale.data());
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, elements, elements * (sizeof(float) + 1) + rows * sizeof(float));
}

void BenchmarkDequantize(benchmark::State& state, const std::string& target, std::size_t rows,
                         std::size_t cols) {
  if (!ForceTarget(state, target)) return;
  const std::size_t elements = rows * cols;
  const std::int8_t* q = RandomData<std::int8_t>(elements, 0).data();
  const std::vector<float> scale(rows, 1.0f / 127);
  std::vector<float> out(elements);
  for (auto _ : state) {
    simdkit::dequantize_int8(q, rows, cols, cols, scale.data(), out.data(), cols);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, elements, elements * (1 + sizeof(float)) + rows * sizeof(float));
}

template <typename Body>
void Register(const std::string& name, const Body& body) {
  benchmark::RegisterBenchmark(name.c_str(), body);
}

}  // namespace

// Registered size-major with targets innermost, so that the console output
// lists the targets for one function and size next to each other.
void RegisterConvertBenchmarks(const std::vector<std::string>& targets) {
  const struct {
    const char* to_name;
    const char* from_name;
    const char* half_dtype;
    ToHalf to_half;
    FromHalf from_half;
  } kFormats[] = {{"to_bfloat16", "from_bfloat16", "bf16", simdkit::to_bfloat16, simdkit::from_bfloat16},
                  {"to_float16", "from_float16", "f16", simdkit::to_float16, simdkit::from_float16}};
  for (const auto& format : kFormats) {
    for (std::size_t n : kSizes) {
      const std::string size = std::to_string(n);
      for (const std::string& target : targets) {
        Register(BenchmarkName({"convert", format.to_name, "f32", target, size}),
                 [=](benchmark::State& state) { BenchmarkToHalf(state, target, format.to_half, n); });
      }
      for (const std::string& target : targets) {
        Register(BenchmarkName({"convert", format.from_name, format.half_dtype, target, size}),
                 [=](benchmark::State& state) {
                   BenchmarkFromHalf(state, target, format.from_half, format.to_half, n);
                 });
      }
    }
  }
  for (auto [rows, cols] : kRowShapes) {
    const std::string shape = std::to_string(rows) + 'x' + std::to_string(cols);
    for (const std::string& target : targets) {
      Register(BenchmarkName({"convert", "quantize_int8", "f32", target, shape}),
               [=, rows = rows, cols = cols](benchmark::State& state) {
                 BenchmarkQuantize(state, target, rows, cols);
               });
    }
    for (const std::string& target : targets) {
      Register(BenchmarkName({"convert", "dequantize_int8", "i8", target, shape}),
               [=, rows = rows, cols = cols](benchmark::State& state) {
                 BenchmarkDequantize(state, target, rows, cols);
               });
    }
  }
}

}  // namespace simdkit::benchmarks
