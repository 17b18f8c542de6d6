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

// A narrow float format's conversions, over its bit patterns (uint16_t for
// bfloat16 and float16, uint8_t for the float8 formats).
template <typename Bits>
using ToNarrow = void (*)(const float*, std::size_t, Bits*);
template <typename Bits>
using FromNarrow = void (*)(const Bits*, std::size_t, float*);

// Narrow inputs are RandomData converted once by simdkit itself, so that
// they are ordinary values of the format (the timed path of real data).
template <typename Bits>
const std::vector<Bits>& NarrowData(std::size_t n, ToNarrow<Bits> to_narrow) {
  static std::map<std::pair<std::size_t, ToNarrow<Bits>>, std::vector<Bits>> cache;
  auto [it, inserted] = cache.try_emplace({n, to_narrow});
  if (inserted) {
    it->second.resize(n);
    to_narrow(RandomData<float>(n, 0).data(), n, it->second.data());
  }
  return it->second;
}

template <typename Bits>
void BenchmarkToNarrow(benchmark::State& state, const std::string& target,
                       ToNarrow<Bits> to_narrow, std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const float* x = RandomData<float>(n, 0).data();
  std::vector<Bits> out(n);
  for (auto _ : state) {
    to_narrow(x, n, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, n * (sizeof(float) + sizeof(Bits)));
}

template <typename Bits>
void BenchmarkFromNarrow(benchmark::State& state, const std::string& target,
                         FromNarrow<Bits> from_narrow, ToNarrow<Bits> to_narrow, std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const Bits* x = NarrowData(n, to_narrow).data();
  std::vector<float> out(n);
  for (auto _ : state) {
    from_narrow(x, n, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetThroughput(state, n, n * (sizeof(float) + sizeof(Bits)));
}

// Both directions of one format at every size.
template <typename Bits>
void RegisterFormat(const std::vector<std::string>& targets, const char* to_name,
                    const char* from_name, const char* dtype, ToNarrow<Bits> to_narrow,
                    FromNarrow<Bits> from_narrow) {
  for (std::size_t n : kSizes) {
    const std::string size = std::to_string(n);
    for (const std::string& target : targets) {
      benchmark::RegisterBenchmark(
          BenchmarkName({"convert", to_name, "f32", target, size}).c_str(),
          [=](benchmark::State& state) { BenchmarkToNarrow<Bits>(state, target, to_narrow, n); });
    }
    for (const std::string& target : targets) {
      benchmark::RegisterBenchmark(
          BenchmarkName({"convert", from_name, dtype, target, size}).c_str(),
          [=](benchmark::State& state) {
            BenchmarkFromNarrow<Bits>(state, target, from_narrow, to_narrow, n);
          });
    }
  }
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
  RegisterFormat<std::uint16_t>(targets, "to_bfloat16", "from_bfloat16", "bf16",
                                simdkit::to_bfloat16, simdkit::from_bfloat16);
  RegisterFormat<std::uint16_t>(targets, "to_float16", "from_float16", "f16", simdkit::to_float16,
                                simdkit::from_float16);
  RegisterFormat<std::uint8_t>(targets, "to_float8_e4m3", "from_float8_e4m3", "f8e4m3",
                               simdkit::to_float8_e4m3, simdkit::from_float8_e4m3);
  RegisterFormat<std::uint8_t>(targets, "to_float8_e5m2", "from_float8_e5m2", "f8e5m2",
                               simdkit::to_float8_e5m2, simdkit::from_float8_e5m2);
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
