// Every kernel on every supported target over the same inputs: exact kernels
// must agree bit for bit across targets, floating reductions must each stay
// within the documented error bound. A kernel joins the matrix with one line
// in kKernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "simdkit/dispatch.h"
#include "simdkit/reduce.h"

namespace simdkit::testing {
namespace {

// One input: the same values as float and double, and a second operand.
struct Data {
  std::string name;
  std::vector<float> f32, g32;
  std::vector<double> f64, g64;
  size_t n() const { return f32.size(); }
};

struct Reference {
  long double value;
  long double scale;  // error bounds are gamma_h * scale
};

enum class Agreement { kIdentical, kWithinBound };

struct CrossTargetKernel {
  const char* name;
  Agreement agreement;
  std::function<double(const Data&)> run;
  std::function<Reference(const Data&)> reference;  // for kWithinBound
};

template <typename T>
Reference SumReference(const std::vector<T>& x, const std::vector<T>* y, bool square_root) {
  long double value = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const long double term = y ? static_cast<long double>(x[i]) * (*y)[i]
                               : (square_root ? static_cast<long double>(x[i]) * x[i] : x[i]);
    value += term;
    scale += std::fabs(term);
  }
  if (square_root) return {std::sqrt(value), std::sqrt(value)};
  return {value, scale};
}

// h = ceil(log2 n) + 7 and unit roundoff u of the kernel's dtype (docs/reduce.md).
long double Bound(size_t n, long double scale, bool single) {
  if (n == 0) return 0;
  const long double u = single ? std::ldexp(1.0L, -24) : std::ldexp(1.0L, -53);
  const long double h = std::ceil(std::log2(static_cast<long double>(n))) + 7;
  return h * u / (1 - h * u) * scale;
}

const CrossTargetKernel kKernels[] = {
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
  for (Data& data : inputs) {
    data.f64.assign(data.f32.begin(), data.f32.end());
    data.g64.assign(data.g32.begin(), data.g32.end());
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
      for (size_t t = 0; t < targets.size(); ++t) {
        const std::string where = std::string(kernel.name) + " on " + targets[t] + ", " + data.name;
        if (kernel.agreement == Agreement::kIdentical) {
          EXPECT_TRUE(SameBits(results[t], results[0]) || (std::isnan(results[t]) && std::isnan(results[0])))
              << where << ": " << results[t] << " vs " << results[0] << " on " << targets[0];
          continue;
        }
        const Reference reference = kernel.reference(data);
        if (std::isnan(static_cast<double>(reference.value)) || std::isinf(static_cast<double>(reference.value))) {
          EXPECT_TRUE(SameBits(results[t], static_cast<double>(reference.value)) ||
                      (std::isnan(results[t]) && std::isnan(static_cast<double>(reference.value))))
              << where << ": " << results[t];
          continue;
        }
        const bool single = std::string(kernel.name).find("f32") != std::string::npos;
        EXPECT_LE(std::fabs(results[t] - reference.value), Bound(data.n(), reference.scale, single))
            << where << ": " << results[t] << " vs exact " << static_cast<double>(reference.value);
      }
    }
  }
}

}  // namespace
}  // namespace simdkit::testing
