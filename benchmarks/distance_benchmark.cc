// simdkit_benchmarks, distance family: one pair, all pairs (cdist, pdist)
// and the k nearest rows (topk) on every Highway target this CPU supports.
//
// Names are
//   distance/<metric>/<dtype>/<TARGET>/<n>              e.g. distance/sqeuclidean/f32/AVX2/128
//   cdist/<metric>/<dtype>/<TARGET>/<rows_a>x<rows_b>x<d>  e.g. cdist/cosine/f32/AVX2/1000x1000x768
//   pdist/<metric>/<dtype>/<TARGET>/<rows>x<d>          e.g. pdist/cosine/f32/AVX2/2000x768
//   topk/<metric>/<dtype>/<TARGET>/<queries>x<rows>x<d>/<k>
// with dtype f64, f32, f16, bf16, i8, u8 or bits (d then counts bytes, 8
// components each). cdist, pdist and topk run on one thread (threads=1), so
// that targets compare kernel against kernel. items/s counts element pairs
// (n, rows_a * rows_b * d, or rows (rows - 1) / 2 * d); cdist, pdist and topk
// also report pairs/s (rows compared per second); distance reports bytes/s
// of input read.
//
// The smoke run of the test script (--benchmark_filter='/16$') runs the
// distance benchmarks at n = 16 and the small topk shape (k = 16); the large
// shapes take seconds per target and only run when selected.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "benchmark_util.h"
#include "simdkit/distance.h"

namespace simdkit::benchmarks {
namespace {

const char* ShortName(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return "f64";
    case DType::kFloat32: return "f32";
    case DType::kFloat16: return "f16";
    case DType::kBFloat16: return "bf16";
    case DType::kInt8: return "i8";
    case DType::kUInt8: return "u8";
    case DType::kBits: return "bits";
  }
  return "?";
}

// float16 or bfloat16 bit patterns of random sign and magnitude in [1/4, 4)
// (exponent and mantissa drawn directly, so no conversion is involved),
// cached like RandomData.
const std::vector<std::uint16_t>& HalfData(std::size_t n, int operand, bool bfloat16) {
  static std::map<std::tuple<std::size_t, int, bool>, std::vector<std::uint16_t>> cache;
  auto [it, inserted] = cache.try_emplace({n, operand, bfloat16});
  if (inserted) {
    std::mt19937_64 rng(0x4a1f0000u + static_cast<std::uint64_t>(operand));
    const int mantissa_bits = bfloat16 ? 7 : 10;
    const unsigned bias = bfloat16 ? 127 : 15;
    it->second.resize(n);
    for (std::uint16_t& value : it->second) {
      const std::uint64_t r = rng();
      const unsigned sign = r & 1;
      const unsigned exponent = bias - 2 + ((r >> 1) & 3);  // 2^-2 .. 2^1
      const unsigned mantissa = (r >> 3) & ((1u << mantissa_bits) - 1);
      value = static_cast<std::uint16_t>((sign << 15) | (exponent << mantissa_bits) | mantissa);
    }
  }
  return it->second;
}

// n elements of `dtype` (uint8: random bytes, also as packed bits).
const void* Data(DType dtype, std::size_t n, int operand) {
  switch (dtype) {
    case DType::kFloat64: return RandomData<double>(n, operand).data();
    case DType::kFloat32: return RandomData<float>(n, operand).data();
    case DType::kFloat16: return HalfData(n, operand, false).data();
    case DType::kBFloat16: return HalfData(n, operand, true).data();
    case DType::kInt8: return RandomData<std::int8_t>(n, operand).data();
    default: return RandomData<std::uint8_t>(n, operand).data();
  }
}

void BenchmarkDistance(benchmark::State& state, const std::string& target, Metric metric,
                       DType dtype, std::size_t n) {
  if (!ForceTarget(state, target)) return;
  const void* a = Data(dtype, n, 0);
  const void* b = Data(dtype, n, 1);
  for (auto _ : state) {
    double result = simdkit::distance(metric, dtype, a, b, n);
    benchmark::DoNotOptimize(result);
  }
  SetThroughput(state, n, 2 * n * simdkit::dtype_size(dtype));
}

struct Shape {
  std::size_t rows_a, rows_b, cols;
  std::string Name() const {
    return std::to_string(rows_a) + 'x' + std::to_string(rows_b) + 'x' + std::to_string(cols);
  }
};

void SetPairThroughput(benchmark::State& state, const Shape& shape) {
  const std::size_t pairs = shape.rows_a * shape.rows_b;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pairs * shape.cols));
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(pairs), benchmark::Counter::kIsIterationInvariantRate);
}

void BenchmarkCdist(benchmark::State& state, const std::string& target, Metric metric,
                    DType dtype, Shape shape) {
  if (!ForceTarget(state, target)) return;
  const MatrixView a{Data(dtype, shape.rows_a * shape.cols, 0), dtype, shape.rows_a, shape.cols,
                     shape.cols};
  const MatrixView b{Data(dtype, shape.rows_b * shape.cols, 1), dtype, shape.rows_b, shape.cols,
                     shape.cols};
  std::vector<double> out(shape.rows_a * shape.rows_b);  // room for float or double results
  for (auto _ : state) {
    simdkit::cdist(metric, a, b, out.data(), shape.rows_b, /*threads=*/1);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetPairThroughput(state, shape);
}

void BenchmarkPdist(benchmark::State& state, const std::string& target, Metric metric,
                    DType dtype, std::size_t rows, std::size_t cols) {
  if (!ForceTarget(state, target)) return;
  const MatrixView x{Data(dtype, rows * cols, 0), dtype, rows, cols, cols};
  std::vector<double> out(simdkit::pdist_size(rows));  // room for float or double results
  for (auto _ : state) {
    simdkit::pdist(metric, x, out.data(), /*threads=*/1);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const std::size_t pairs = simdkit::pdist_size(rows);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pairs * cols));
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(pairs), benchmark::Counter::kIsIterationInvariantRate);
}

void BenchmarkTopk(benchmark::State& state, const std::string& target, Metric metric, DType dtype,
                   Shape shape, std::size_t k) {
  if (!ForceTarget(state, target)) return;
  const MatrixView queries{Data(dtype, shape.rows_a * shape.cols, 0), dtype, shape.rows_a,
                           shape.cols, shape.cols};
  const MatrixView x{Data(dtype, shape.rows_b * shape.cols, 1), dtype, shape.rows_b, shape.cols,
                     shape.cols};
  std::vector<std::int64_t> indices(shape.rows_a * k);
  std::vector<double> distances(shape.rows_a * k);
  for (auto _ : state) {
    simdkit::topk(metric, queries, x, k, indices.data(), distances.data(), /*threads=*/1);
    benchmark::DoNotOptimize(indices.data());
    benchmark::ClobberMemory();
  }
  SetPairThroughput(state, shape);
}

constexpr Metric kAllMetrics[] = {Metric::kDot,       Metric::kCosine,    Metric::kSqEuclidean,
                                  Metric::kEuclidean, Metric::kCityblock, Metric::kHamming,
                                  Metric::kJaccard};

// (metric, dtype) pairs: every metric on float32, the common ones on the
// other dtypes, and the two that apply to packed bits.
std::vector<std::pair<Metric, DType>> MetricDTypes() {
  std::vector<std::pair<Metric, DType>> pairs;
  for (Metric metric : kAllMetrics) pairs.push_back({metric, DType::kFloat32});
  for (DType dtype : {DType::kFloat64, DType::kFloat16, DType::kBFloat16, DType::kInt8, DType::kUInt8}) {
    for (Metric metric : {Metric::kDot, Metric::kCosine, Metric::kSqEuclidean}) {
      pairs.push_back({metric, dtype});
    }
  }
  pairs.push_back({Metric::kHamming, DType::kBits});
  pairs.push_back({Metric::kJaccard, DType::kBits});
  return pairs;
}

// One component (the cost of a call), then vector lengths of embeddings:
// tiny, common, large.
constexpr std::size_t kDistanceSizes[] = {1, 16, 128, 1536};

// Large shapes, for the ratios the Python comparison reports as well: f32
// against the narrow dtypes on the same shape.
const std::pair<Metric, DType> kLargeCdist[] = {
    {Metric::kCosine, DType::kFloat32},  {Metric::kSqEuclidean, DType::kFloat32},
    {Metric::kDot, DType::kFloat32},     {Metric::kCosine, DType::kBFloat16},
    {Metric::kCosine, DType::kFloat16},  {Metric::kCosine, DType::kInt8},
    {Metric::kDot, DType::kBFloat16},    {Metric::kDot, DType::kInt8},
    {Metric::kHamming, DType::kBits}};
const std::pair<Metric, DType> kLargeTopk[] = {{Metric::kCosine, DType::kFloat32},
                                               {Metric::kCosine, DType::kBFloat16},
                                               {Metric::kCosine, DType::kInt8}};
// The k = 100 searches the report holds beside FAISS's IndexFlat and NumPy
// (issue 16): from one query, which only streams X, to batches that are
// matrix products, over rows of 128, 768 and 1536 components.
constexpr Metric kSearchMetrics[] = {Metric::kDot, Metric::kSqEuclidean};
const Shape kSearchShapes[] = {{1, 100000, 128},   {16, 100000, 128}, {100, 100000, 128},
                               {1000, 100000, 128}, {100, 50000, 768}, {1000, 20000, 1536}};
constexpr std::size_t kSearchK = 100;

template <typename Body>
void Register(const std::string& name, const Body& body) {
  benchmark::RegisterBenchmark(name.c_str(), body);
}

}  // namespace

// Registered size-major with targets innermost, so that the console output
// lists the targets for one kernel, dtype and size next to each other.
void RegisterDistanceBenchmarks(const std::vector<std::string>& targets) {
  const auto pairs = MetricDTypes();
  for (std::size_t n : kDistanceSizes) {
    for (auto [metric, dtype] : pairs) {
      for (const std::string& target : targets) {
        Register(BenchmarkName({"distance", metric_name(metric), ShortName(dtype), target, std::to_string(n)}),
                 [=](benchmark::State& state) { BenchmarkDistance(state, target, metric, dtype, n); });
      }
    }
  }

  const Shape small{64, 64, 128}, large{1000, 1000, 768};
  for (auto [metric, dtype] : pairs) {
    for (const std::string& target : targets) {
      Register(BenchmarkName({"cdist", metric_name(metric), ShortName(dtype), target, small.Name()}),
               [=](benchmark::State& state) { BenchmarkCdist(state, target, metric, dtype, small); });
    }
  }
  for (auto [metric, dtype] : kLargeCdist) {
    for (const std::string& target : targets) {
      Register(BenchmarkName({"cdist", metric_name(metric), ShortName(dtype), target, large.Name()}),
               [=](benchmark::State& state) { BenchmarkCdist(state, target, metric, dtype, large); });
    }
  }

  // pdist: a small matrix for every (metric, dtype), and SciPy's favourite
  // shape on float32 and float64 for the metrics users time it with.
  for (auto [metric, dtype] : pairs) {
    for (const std::string& target : targets) {
      Register(BenchmarkName({"pdist", metric_name(metric), ShortName(dtype), target, "64x128"}),
               [=](benchmark::State& state) { BenchmarkPdist(state, target, metric, dtype, 64, 128); });
    }
  }
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (Metric metric : {Metric::kCosine, Metric::kEuclidean}) {
      for (const std::string& target : targets) {
        Register(BenchmarkName({"pdist", metric_name(metric), ShortName(dtype), target, "2000x768"}),
                 [=](benchmark::State& state) {
                   BenchmarkPdist(state, target, metric, dtype, 2000, 768);
                 });
      }
    }
  }

  // topk: a small shape (in the smoke run, k = 16) for every metric on
  // float32, cosine at 100 queries against 10^5 rows of d = 128, k = 10,
  // and the k = 100 searches on float32.
  const Shape topk_small{16, 1024, 16}, topk_large{100, 100000, 128};
  for (Metric metric : kAllMetrics) {
    for (const std::string& target : targets) {
      Register(BenchmarkName({"topk", metric_name(metric), "f32", target, topk_small.Name(), "16"}),
               [=](benchmark::State& state) {
                 BenchmarkTopk(state, target, metric, DType::kFloat32, topk_small, 16);
               });
    }
  }
  for (auto [metric, dtype] : kLargeTopk) {
    for (const std::string& target : targets) {
      Register(BenchmarkName({"topk", metric_name(metric), ShortName(dtype), target, topk_large.Name(), "10"}),
               [=](benchmark::State& state) {
                 BenchmarkTopk(state, target, metric, dtype, topk_large, 10);
               });
    }
  }
  for (const Shape& shape : kSearchShapes) {
    for (Metric metric : kSearchMetrics) {
      for (const std::string& target : targets) {
        Register(BenchmarkName({"topk", metric_name(metric), "f32", target, shape.Name(),
                                std::to_string(kSearchK)}),
                 [=](benchmark::State& state) {
                   BenchmarkTopk(state, target, metric, DType::kFloat32, shape, kSearchK);
                 });
      }
    }
  }
}

}  // namespace simdkit::benchmarks
