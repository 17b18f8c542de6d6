// Every kernel on every supported target over the same inputs: exact kernels
// must agree bit for bit across targets, floating reductions must each stay
// within the documented error bound. A kernel joins the matrix with one line
// in kKernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cpp/distance_reference.h"
#include "cpp/reduce_reference.h"
#include "simdkit/convert.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"
#include "simdkit/reduce.h"

namespace simdkit::testing {
namespace {

// One input: the same values as float and double, and a second operand;
// for the distance family also as float16/bfloat16 bit patterns (rounded),
// int8 and uint8 (scaled and clamped; uint8 doubles as packed bits).
struct Data {
  std::string name;
  std::vector<float> f32, g32;
  std::vector<double> f64, g64;
  std::vector<std::uint16_t> f16, g16, bf16, gbf16;
  std::vector<std::int8_t> i8, j8;
  std::vector<std::uint8_t> u8, v8;
  size_t n() const { return f32.size(); }

  // First (0) or second (1) operand as `dtype`.
  const void* Operand(DType dtype, int which) const {
    switch (dtype) {
      case DType::kFloat64: return which ? g64.data() : f64.data();
      case DType::kFloat32: return which ? g32.data() : f32.data();
      case DType::kFloat16: return which ? g16.data() : f16.data();
      case DType::kBFloat16: return which ? gbf16.data() : bf16.data();
      case DType::kInt8: return which ? j8.data() : i8.data();
      default: return which ? v8.data() : u8.data();
    }
  }
};

struct Reference {
  long double value;
  long double bound;  // |result - value| allowed when value is finite
};

enum class Agreement { kIdentical, kWithinBound };

struct CrossTargetKernel {
  std::string name;
  Agreement agreement;
  std::function<double(const Data&)> run;
  std::function<Reference(const Data&)> reference;  // for kWithinBound
};

// The pairwise bound (docs/reduce.md) with the unit roundoff of the kernel's dtype.
long double Bound(size_t n, long double scale, bool single) {
  return PairwiseSumBound(n, scale, single ? std::ldexp(1.0L, -24) : std::ldexp(1.0L, -53));
}

template <typename T>
Reference SumReference(const std::vector<T>& x, const std::vector<T>* y, bool square_root) {
  long double value = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const long double term = y ? static_cast<long double>(x[i]) * (*y)[i]
                               : (square_root ? static_cast<long double>(x[i]) * x[i] : x[i]);
    value += term;
    scale += std::fabs(term);
  }
  const bool single = std::is_same_v<T, float>;
  if (square_root) return {std::sqrt(value), Bound(x.size(), std::sqrt(value), single)};
  return {value, Bound(x.size(), scale, single)};
}

// distance() over the two operands as `dtype`. Integer and bit metrics are
// exact, so all targets must agree bit for bit; floating ones must each stay
// within distance_reference.h's bound.
CrossTargetKernel DistanceKernel(Metric metric, DType dtype) {
  return {std::string("distance/") + metric_name(metric) + "/" + dtype_name(dtype),
          IsFloating(dtype) ? Agreement::kWithinBound : Agreement::kIdentical,
          [=](const Data& d) {
            return simdkit::distance(metric, dtype, d.Operand(dtype, 0), d.Operand(dtype, 1), d.n());
          },
          [=](const Data& d) {
            const Expected expected =
                ExpectedDistance(metric, dtype, d.Operand(dtype, 0), d.Operand(dtype, 1), d.n());
            return Reference{expected.value, expected.bound};
          }};
}

// A conversion's whole output as one number: FNV-1a over its bytes, kept to
// 52 bits so that the double holds it exactly.
template <typename T>
double Checksum(const std::vector<T>& values) {
  std::uint64_t hash = 14695981039346656037ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  for (size_t i = 0; i < values.size() * sizeof(T); ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return static_cast<double>(hash >> 12);
}

template <typename Out, typename In>
CrossTargetKernel ConvertKernel(const char* name, void (*convert)(const In*, size_t, Out*),
                                const std::vector<In> Data::*input) {
  return {name, Agreement::kIdentical,
          [=](const Data& d) {
            std::vector<Out> out(d.n());
            convert((d.*input).data(), d.n(), out.data());
            return Checksum(out);
          },
          {}};
}

// quantize_int8 of the input as 7 rows (a row with NaN/Inf gives -1), then
// dequantize_int8 of the result.
double QuantizeChecksum(const Data& d) {
  const size_t rows = 7, cols = d.n() / rows;
  std::vector<std::int8_t> q(rows * cols);
  std::vector<float> scale(rows), y(rows * cols);
  try {
    simdkit::quantize_int8(d.f32.data(), rows, cols, cols, q.data(), cols, scale.data());
  } catch (const std::invalid_argument&) {
    return -1;
  }
  simdkit::dequantize_int8(q.data(), rows, cols, cols, scale.data(), y.data(), cols);
  return Checksum(q) + Checksum(scale) + Checksum(y);
}

const CrossTargetKernel kKernels[] = {
    ConvertKernel("to_bfloat16", &simdkit::to_bfloat16, &Data::f32),
    ConvertKernel("to_float16", &simdkit::to_float16, &Data::f32),
    ConvertKernel("from_bfloat16", &simdkit::from_bfloat16, &Data::bf16),
    ConvertKernel("from_float16", &simdkit::from_float16, &Data::f16),
    {"quantize_int8", Agreement::kIdentical, &QuantizeChecksum, {}},
    {"min/f32", Agreement::kIdentical, [](const Data& d) { return double(simdkit::min(d.f32.data(), d.n())); }, {}},
    {"min/f64", Agreement::kIdentical, [](const Data& d) { return simdkit::min(d.f64.data(), d.n()); }, {}},
    {"max/f32", Agreement::kIdentical, [](const Data& d) { return double(simdkit::max(d.f32.data(), d.n())); }, {}},
    {"max/f64", Agreement::kIdentical, [](const Data& d) { return simdkit::max(d.f64.data(), d.n()); }, {}},
    {"argmin/f32", Agreement::kIdentical, [](const Data& d) { return double(simdkit::argmin(d.f32.data(), d.n())); }, {}},
    {"argmin/f64", Agreement::kIdentical, [](const Data& d) { return double(simdkit::argmin(d.f64.data(), d.n())); }, {}},
    {"argmax/f32", Agreement::kIdentical, [](const Data& d) { return double(simdkit::argmax(d.f32.data(), d.n())); }, {}},
    {"argmax/f64", Agreement::kIdentical, [](const Data& d) { return double(simdkit::argmax(d.f64.data(), d.n())); }, {}},
    {"sum/f32", Agreement::kWithinBound, [](const Data& d) { return double(simdkit::sum(d.f32.data(), d.n())); },
     [](const Data& d) { return SumReference<float>(d.f32, nullptr, false); }},
    {"sum/f64", Agreement::kWithinBound, [](const Data& d) { return simdkit::sum(d.f64.data(), d.n()); },
     [](const Data& d) { return SumReference<double>(d.f64, nullptr, false); }},
    {"dot/f32", Agreement::kWithinBound, [](const Data& d) { return double(simdkit::dot(d.f32.data(), d.g32.data(), d.n())); },
     [](const Data& d) { return SumReference(d.f32, &d.g32, false); }},
    {"dot/f64", Agreement::kWithinBound, [](const Data& d) { return simdkit::dot(d.f64.data(), d.g64.data(), d.n()); },
     [](const Data& d) { return SumReference(d.f64, &d.g64, false); }},
    {"norm/f32", Agreement::kWithinBound, [](const Data& d) { return double(simdkit::norm(d.f32.data(), d.n())); },
     [](const Data& d) { return SumReference<float>(d.f32, nullptr, true); }},
    {"norm/f64", Agreement::kWithinBound, [](const Data& d) { return simdkit::norm(d.f64.data(), d.n()); },
     [](const Data& d) { return SumReference<double>(d.f64, nullptr, true); }},
    DistanceKernel(Metric::kDot, DType::kFloat64),
    DistanceKernel(Metric::kDot, DType::kFloat32),
    DistanceKernel(Metric::kDot, DType::kFloat16),
    DistanceKernel(Metric::kDot, DType::kBFloat16),
    DistanceKernel(Metric::kDot, DType::kInt8),
    DistanceKernel(Metric::kDot, DType::kUInt8),
    DistanceKernel(Metric::kCosine, DType::kFloat64),
    DistanceKernel(Metric::kCosine, DType::kFloat32),
    DistanceKernel(Metric::kCosine, DType::kFloat16),
    DistanceKernel(Metric::kCosine, DType::kBFloat16),
    DistanceKernel(Metric::kCosine, DType::kInt8),
    DistanceKernel(Metric::kCosine, DType::kUInt8),
    DistanceKernel(Metric::kSqEuclidean, DType::kFloat64),
    DistanceKernel(Metric::kSqEuclidean, DType::kFloat32),
    DistanceKernel(Metric::kSqEuclidean, DType::kFloat16),
    DistanceKernel(Metric::kSqEuclidean, DType::kBFloat16),
    DistanceKernel(Metric::kSqEuclidean, DType::kInt8),
    DistanceKernel(Metric::kSqEuclidean, DType::kUInt8),
    DistanceKernel(Metric::kEuclidean, DType::kFloat64),
    DistanceKernel(Metric::kEuclidean, DType::kFloat32),
    DistanceKernel(Metric::kEuclidean, DType::kFloat16),
    DistanceKernel(Metric::kEuclidean, DType::kBFloat16),
    DistanceKernel(Metric::kEuclidean, DType::kInt8),
    DistanceKernel(Metric::kEuclidean, DType::kUInt8),
    DistanceKernel(Metric::kCityblock, DType::kFloat64),
    DistanceKernel(Metric::kCityblock, DType::kFloat32),
    DistanceKernel(Metric::kCityblock, DType::kFloat16),
    DistanceKernel(Metric::kCityblock, DType::kBFloat16),
    DistanceKernel(Metric::kCityblock, DType::kInt8),
    DistanceKernel(Metric::kCityblock, DType::kUInt8),
    DistanceKernel(Metric::kHamming, DType::kFloat64),
    DistanceKernel(Metric::kHamming, DType::kFloat32),
    DistanceKernel(Metric::kHamming, DType::kFloat16),
    DistanceKernel(Metric::kHamming, DType::kBFloat16),
    DistanceKernel(Metric::kHamming, DType::kInt8),
    DistanceKernel(Metric::kHamming, DType::kUInt8),
    DistanceKernel(Metric::kHamming, DType::kBits),
    DistanceKernel(Metric::kJaccard, DType::kFloat64),
    DistanceKernel(Metric::kJaccard, DType::kFloat32),
    DistanceKernel(Metric::kJaccard, DType::kFloat16),
    DistanceKernel(Metric::kJaccard, DType::kBFloat16),
    DistanceKernel(Metric::kJaccard, DType::kInt8),
    DistanceKernel(Metric::kJaccard, DType::kUInt8),
    DistanceKernel(Metric::kJaccard, DType::kBits),
};

std::vector<Data> Inputs() {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal;
  std::vector<Data> inputs;
  for (size_t n : {1, 7, 100, 4099, 100003}) {
    Data data{"random n=" + std::to_string(n), {}, {}, {}, {}};
    for (size_t i = 0; i < n; ++i) {
      data.f32.push_back(normal(rng));
      data.g32.push_back(normal(rng));
    }
    inputs.push_back(data);
  }
  Data special = inputs[3];
  special.name = "special values n=4099";
  special.f32[17] = std::numeric_limits<float>::infinity();
  special.f32[1000] = -std::numeric_limits<float>::infinity();
  special.f32[2000] = std::numeric_limits<float>::denorm_min();
  special.f32[4098] = std::numeric_limits<float>::quiet_NaN();
  inputs.push_back(special);
  // Integers from floats: scaled, rounded and clamped (NaN becomes 0).
  const auto to_int = [](float value, float scale, float lowest, float highest) {
    return std::isnan(value) ? 0L : std::lround(std::clamp(value * scale, lowest, highest));
  };
  for (Data& data : inputs) {
    data.f64.assign(data.f32.begin(), data.f32.end());
    data.g64.assign(data.g32.begin(), data.g32.end());
    for (float x : data.f32) {
      data.f16.push_back(FloatToHalf(x));
      data.bf16.push_back(FloatToBFloat16(x));
      data.i8.push_back(static_cast<std::int8_t>(to_int(x, 40, -128, 127)));
      data.u8.push_back(static_cast<std::uint8_t>(to_int(std::fabs(x), 80, 0, 255)));
    }
    for (float x : data.g32) {
      data.g16.push_back(FloatToHalf(x));
      data.gbf16.push_back(FloatToBFloat16(x));
      data.j8.push_back(static_cast<std::int8_t>(to_int(x, 40, -128, 127)));
      data.v8.push_back(static_cast<std::uint8_t>(to_int(std::fabs(x), 80, 0, 255)));
    }
  }
  return inputs;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

TEST(CrossTarget, EveryKernelAgreesAcrossTargets) {
  const std::vector<std::string> targets = simdkit::supported_targets();
  for (const Data& data : Inputs()) {
    for (const CrossTargetKernel& kernel : kKernels) {
      std::vector<double> results;
      for (const std::string& target : targets) {
        simdkit::set_target(target);
        results.push_back(kernel.run(data));
      }
      simdkit::reset_target();
      const Reference reference =
          kernel.agreement == Agreement::kWithinBound ? kernel.reference(data) : Reference{0, 0};
      for (size_t t = 0; t < targets.size(); ++t) {
        const std::string where = kernel.name + " on " + targets[t] + ", " + data.name;
        if (kernel.agreement == Agreement::kIdentical) {
          EXPECT_TRUE(SameBits(results[t], results[0]) || (std::isnan(results[t]) && std::isnan(results[0])))
              << where << ": " << results[t] << " vs " << results[0] << " on " << targets[0];
          continue;
        }
        if (std::isnan(static_cast<double>(reference.value)) || std::isinf(static_cast<double>(reference.value))) {
          EXPECT_TRUE(SameBits(results[t], static_cast<double>(reference.value)) ||
                      (std::isnan(results[t]) && std::isnan(static_cast<double>(reference.value))))
              << where << ": " << results[t];
          continue;
        }
        EXPECT_LE(std::fabs(results[t] - reference.value), reference.bound)
            << where << ": " << results[t] << " vs exact " << static_cast<double>(reference.value);
      }
    }
  }
}

}  // namespace
}  // namespace simdkit::testing
