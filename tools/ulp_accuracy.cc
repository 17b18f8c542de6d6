// simdkit_ulp_accuracy: the maximum error, in ULP, of every elementwise math
// function (simdkit::apply) against a higher-precision reference, written as
// a Markdown report (docs/accuracy.md).
//
//   float32  every one of the 2^32 bit patterns, in blocks of 2^20 inputs
//            (one simdkit::apply call per block), spread over the cores;
//            reference: the C library in double.
//   float64  10^7 samples per function (the test domains, the whole line
//            and each function's edge regions); reference: the C library
//            in long double (80-bit on x86), the argument of gelu and
//            gelu_tanh's tails carried in a wider type.
//
// The error is |result - reference| in units of the result type's spacing
// at the reference's magnitude (subnormal spacing below the normal range),
// as UlpError in tests/cpp/math_test.cc. NaN against non-NaN and Inf
// against finite (or the other Inf) are counted apart: they are errors, not
// ULP. Only the public API is used; the target is the automatic choice
// unless --target forces one.
//
// Usage: simdkit_ulp_accuracy [--target NAME] [--functions exp,log,...]
//          [--dtype float32|float64|all] [--quick] [--threads N]
//          [--float64-samples N] [--strict] [--output FILE]
// Exit status: 0 once the report is written; 2 for bad arguments; with
// --strict, 1 when some result is NaN or Inf where the reference is not, or
// the reverse (the report lists the first such input per function).
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#define SIMDKIT_HAVE_GLIBC_VERSION 1
#endif

#include "simdkit/dispatch.h"
#include "simdkit/math.h"
#include "simdkit/version.h"

namespace {

using simdkit::Function;

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

// A type wider than long double, for the few arguments whose rounding the
// result amplifies (gelu and gelu_tanh far in the negative tail).
#if LDBL_MANT_DIG >= 113
using Wide = long double;
constexpr int kWideDigits = LDBL_MANT_DIG;
#elif defined(__SIZEOF_FLOAT128__)
using Wide = __float128;
constexpr int kWideDigits = 113;
#else
using Wide = long double;
constexpr int kWideDigits = LDBL_MANT_DIG;
#endif

// sqrt(v) to Wide precision: one Newton step from long double's root.
Wide WideSqrt(Wide v) {
  const Wide s = std::sqrt(static_cast<long double>(v));
  return s + (v - s * s) / (2 * s);
}

// atan(1 / n) by its series, to Wide precision.
Wide WideAtanInverse(int n) {
  const Wide x = Wide(1) / n;
  const Wide x2 = x * x;
  Wide power = x, sum = 0;
  for (int k = 0; k < 200; ++k) {
    const Wide term = power / (2 * k + 1);
    sum += (k % 2 == 0) ? term : -term;
    power *= x2;
    if (static_cast<long double>(power) < 1e-45L) break;
  }
  return sum;
}

struct WideConstants {
  Wide sqrt_2_over_pi;  // gelu_tanh: u = sqrt(2/pi) (x + k x^3)
  Wide k;               // 0.044715
  Wide sqrt_half;       // gelu: erfc(-x sqrt(1/2))
};

const WideConstants& Constants() {
  static const WideConstants constants = [] {
    // Machin: pi = 16 atan(1/5) - 4 atan(1/239).
    const Wide pi = 16 * WideAtanInverse(5) - 4 * WideAtanInverse(239);
    if (static_cast<long double>(pi) != std::acos(-1.0L)) {
      throw std::logic_error("pi in the wide type disagrees with acosl(-1)");
    }
    return WideConstants{WideSqrt(Wide(2) / pi), Wide(44715) / Wide(1000000), WideSqrt(Wide(0.5))};
  }();
  return constants;
}

// e^x. In double, the answer past double's range is known without the C
// library's overflow and underflow path (which sets errno and costs more
// than the function itself); the results are the same.
template <typename R>
R Exp(R x) {
  if constexpr (std::is_same_v<R, double>) {
    if (x < -746) return 0;
    if (x > 710) return std::numeric_limits<double>::infinity();
  }
  return std::exp(x);
}

// 1 / (1 + e^-x), as e^x / (1 + e^x) below 0 (no cancellation, relative
// accuracy kept where it is tiny).
template <typename R>
R Sigmoid(R x) {
  if (x >= 0) return 1 / (1 + Exp(-x));
  const R e = Exp(x);
  return e / (1 + e);
}

// gelu_tanh(x) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), which
// equals 0.5 x (1 + tanh u). In double (float32's reference) the rounding of
// 2u is ~1e-14 relative at most where float32 results are not zero.
double GeluTanhReference(double x) {
  if (std::isinf(x)) return x > 0 ? x : -0.0;
  const double two_u = 1.5957691216057307117597842397375 * (x + 0.044715 * x * x * x);
  return x * Sigmoid(two_u);
}

// In long double (float64's reference), 2u is formed in Wide and split as
// hi + lo: sigmoid(hi + lo) = s + s (1 - s) lo, s = sigmoid(hi), so that the
// exponent's size (up to ~745 in the tail) does not amplify long double's
// rounding of it into the result.
long double GeluTanhReference(long double x) {
  if (std::isinf(x)) return x > 0 ? x : -0.0L;
  const WideConstants& c = Constants();
  const Wide wx = x;
  const Wide two_u = 2 * c.sqrt_2_over_pi * (wx + c.k * wx * wx * wx);
  const long double hi = static_cast<long double>(two_u);
  const long double lo = static_cast<long double>(two_u - Wide(hi));
  return x * (Sigmoid(hi) + Sigmoid(hi) * Sigmoid(-hi) * lo);
}

// gelu(x) = 0.5 x erfc(-x / sqrt(2)).
double GeluReference(double x) {
  if (std::isinf(x)) return x > 0 ? x : -0.0;
  const double z = -x * 0.70710678118654752440084436210485;
  // erfc(z) < 1e-325 past 27.5: 0 in double (as the C library would say).
  return 0.5 * x * (z > 27.5 ? 0.0 : std::erfc(z));
}

// In long double, z = -x / sqrt(2) is formed in Wide and split as hi + lo:
// erfc(hi + lo) = erfc(hi) - (2 / sqrt(pi)) e^(-hi^2) lo.
long double GeluReference(long double x) {
  if (std::isinf(x)) return x > 0 ? x : -0.0L;
  const Wide z = -Wide(x) * Constants().sqrt_half;
  const long double hi = static_cast<long double>(z);
  const long double lo = static_cast<long double>(z - Wide(hi));
  const long double two_over_sqrt_pi = 1.12837916709551257389615890312154517L;
  return 0.5L * x * (std::erfc(hi) - two_over_sqrt_pi * std::exp(-hi * hi) * lo);
}

// f(x) in R: double for float32 inputs, long double for float64 ones.
// Outside the domain (NaN) and at the poles (-Inf) the answer is given
// directly: the C library's error path (errno) would cost more than the
// function itself, for a quarter of the float32 inputs or more.
template <Function kF, typename R>
R Reference(R x) {
  constexpr R kNaN = std::numeric_limits<R>::quiet_NaN();
  constexpr R kInf = std::numeric_limits<R>::infinity();
  if constexpr (kF == Function::kLog || kF == Function::kLog2 || kF == Function::kLog10) {
    if (x <= 0) return x == 0 ? -kInf : kNaN;
  }
  if constexpr (kF == Function::kLog1p) {
    if (x <= -1) return x == -1 ? -kInf : kNaN;
  }
  if constexpr (kF == Function::kAsin || kF == Function::kAcos) {
    if (std::fabs(x) > 1) return kNaN;
  }
  if constexpr (kF == Function::kSqrt) {
    if (x < 0) return kNaN;
  }
  if constexpr (kF == Function::kAtanh) {
    if (std::fabs(x) >= 1) return std::fabs(x) == 1 ? std::copysign(kInf, x) : kNaN;
  }
  if constexpr (kF == Function::kAcosh) {
    if (x < 1) return kNaN;
  }
  if constexpr (kF == Function::kExp) return Exp(x);
  if constexpr (kF == Function::kExpm1) return x > 710 ? kInf : std::expm1(x);
  if constexpr (kF == Function::kLog) return std::log(x);
  if constexpr (kF == Function::kLog1p) return std::log1p(x);
  if constexpr (kF == Function::kLog2) return std::log2(x);
  if constexpr (kF == Function::kLog10) return std::log10(x);
  if constexpr (kF == Function::kSin) return std::sin(x);
  if constexpr (kF == Function::kCos) return std::cos(x);
  if constexpr (kF == Function::kTanh) return std::tanh(x);
  if constexpr (kF == Function::kSinh) {
    return std::fabs(x) > 711 ? std::copysign(kInf, x) : std::sinh(x);
  }
  if constexpr (kF == Function::kAtan) return std::atan(x);
  if constexpr (kF == Function::kAsin) return std::asin(x);
  if constexpr (kF == Function::kAcos) return std::acos(x);
  if constexpr (kF == Function::kAsinh) return std::asinh(x);
  if constexpr (kF == Function::kSqrt) return std::sqrt(x);
  if constexpr (kF == Function::kSigmoid) return Sigmoid(x);
  if constexpr (kF == Function::kSoftplus) {
    return x > 0 ? x + std::log1p(Exp(-x)) : std::log1p(Exp(x));
  }
  if constexpr (kF == Function::kSilu) return (std::isinf(x) && x < 0) ? R(-0.0) : x * Sigmoid(x);
  if constexpr (kF == Function::kGeluTanh) return GeluTanhReference(x);
  if constexpr (kF == Function::kGelu) return GeluReference(x);
  if constexpr (kF == Function::kExp2) return std::exp2(x);
  if constexpr (kF == Function::kCosh) return std::fabs(x) > 711 ? kInf : std::cosh(x);
  if constexpr (kF == Function::kAtanh) return std::atanh(x);
  if constexpr (kF == Function::kAcosh) return std::acosh(x);
  if constexpr (kF == Function::kTan) return std::tan(x);
  if constexpr (kF == Function::kErf) return std::erf(x);
  if constexpr (kF == Function::kErfc) return std::erfc(x);
  if constexpr (kF == Function::kCbrt) return std::cbrt(x);
}

// Calls body(std::integral_constant<Function, f>) for the runtime function.
template <typename Body>
void ForFunction(Function function, const Body& body) {
  switch (function) {
#define SIMDKIT_CASE(name) \
  case Function::name: return body(std::integral_constant<Function, Function::name>());
    SIMDKIT_CASE(kExp)
    SIMDKIT_CASE(kExpm1)
    SIMDKIT_CASE(kLog)
    SIMDKIT_CASE(kLog1p)
    SIMDKIT_CASE(kLog2)
    SIMDKIT_CASE(kLog10)
    SIMDKIT_CASE(kSin)
    SIMDKIT_CASE(kCos)
    SIMDKIT_CASE(kTanh)
    SIMDKIT_CASE(kSinh)
    SIMDKIT_CASE(kAtan)
    SIMDKIT_CASE(kAsin)
    SIMDKIT_CASE(kAcos)
    SIMDKIT_CASE(kAsinh)
    SIMDKIT_CASE(kSqrt)
    SIMDKIT_CASE(kSigmoid)
    SIMDKIT_CASE(kSoftplus)
    SIMDKIT_CASE(kSilu)
    SIMDKIT_CASE(kGeluTanh)
    SIMDKIT_CASE(kGelu)
    SIMDKIT_CASE(kExp2)
    SIMDKIT_CASE(kCosh)
    SIMDKIT_CASE(kAtanh)
    SIMDKIT_CASE(kAcosh)
    SIMDKIT_CASE(kTan)
    SIMDKIT_CASE(kErf)
    SIMDKIT_CASE(kErfc)
    SIMDKIT_CASE(kCbrt)
#undef SIMDKIT_CASE
  }
}

// ---------------------------------------------------------------------------
// Error statistics
// ---------------------------------------------------------------------------

template <typename T>
std::uint64_t BitsOf(T value) {
  if constexpr (sizeof(T) == 4) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, 4);
    return bits;
  } else {
    std::uint64_t bits;
    std::memcpy(&bits, &value, 8);
    return bits;
  }
}

// One input, what the function returned and the reference there.
struct Example {
  bool present = false;
  std::uint64_t bits = 0;
  long double x = 0, got = 0, ref = 0;
};

// Keeps the example with the smallest bit pattern, so that the report does
// not depend on how blocks were spread over threads.
void KeepFirst(Example& kept, const Example& candidate) {
  if (candidate.present && (!kept.present || candidate.bits < kept.bits)) kept = candidate;
}

struct Stats {
  std::uint64_t checked = 0;
  std::uint64_t above_one = 0;  // finite results more than 1 ULP off
  double max_ulp = 0;
  Example worst;
  std::uint64_t nan_mismatches = 0, inf_mismatches = 0, zero_sign_mismatches = 0;
  Example nan_example, inf_example, zero_sign_example;
  double seconds = 0;

  void Merge(const Stats& other) {
    checked += other.checked;
    above_one += other.above_one;
    if (other.worst.present &&
        (!worst.present || other.max_ulp > max_ulp ||
         (other.max_ulp == max_ulp && other.worst.bits < worst.bits))) {
      max_ulp = other.max_ulp;
      worst = other.worst;
    }
    nan_mismatches += other.nan_mismatches;
    inf_mismatches += other.inf_mismatches;
    zero_sign_mismatches += other.zero_sign_mismatches;
    KeepFirst(nan_example, other.nan_example);
    KeepFirst(inf_example, other.inf_example);
    KeepFirst(zero_sign_example, other.zero_sign_example);
  }
};

template <typename T, typename R>
Example MakeExample(T x, T got, R ref) {
  return Example{true, BitsOf(x), static_cast<long double>(x), static_cast<long double>(got),
                 static_cast<long double>(ref)};
}

// The spacing of float at |ref| (a finite double): 2^(e - 23) with e the
// exponent of ref, at least float's subnormal spacing 2^-149.
inline double FloatSpacing(double ref) {
  std::uint64_t bits;
  std::memcpy(&bits, &ref, 8);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  exponent = std::max(exponent, -126);
  const std::uint64_t spacing_bits = static_cast<std::uint64_t>(exponent - 23 + 1023) << 52;
  double spacing;
  std::memcpy(&spacing, &spacing_bits, 8);
  return spacing;
}

// The spacing of double at |ref| (a finite long double), at least 2^-1074.
inline long double DoubleSpacing(long double ref) {
  int exponent = ref == 0 ? -1022 : std::ilogb(ref);
  exponent = std::max(exponent, -1022);
  return std::ldexp(1.0L, exponent - 52);
}

// Scores one result `got` = f(x) of type T against the reference `ref` in R.
template <typename T, typename R>
inline void Score(T x, T got, R ref, Stats& stats) {
  if (std::isnan(ref) || std::isnan(got)) {
    if (std::isnan(ref) != std::isnan(got)) {
      if (stats.nan_mismatches++ == 0) stats.nan_example = MakeExample(x, got, ref);
    }
    return;
  }
  const T expected = static_cast<T>(ref);  // rounds to Inf past T's range
  if (std::isinf(expected) || std::isinf(got)) {
    if (got != expected) {
      if (stats.inf_mismatches++ == 0) stats.inf_example = MakeExample(x, got, ref);
    }
    return;
  }
  if (got == 0 && expected == 0 && std::signbit(got) != std::signbit(expected)) {
    if (stats.zero_sign_mismatches++ == 0) stats.zero_sign_example = MakeExample(x, got, ref);
  }
  double error;
  if constexpr (sizeof(T) == 4) {
    error = std::fabs(static_cast<double>(got) - ref) / FloatSpacing(ref);
  } else {
    const long double difference = std::fabs(static_cast<long double>(got) - ref);
    error = static_cast<double>(difference / DoubleSpacing(ref));
  }
  stats.above_one += error > 1.0;
  if (error > stats.max_ulp || !stats.worst.present) {
    stats.max_ulp = error;
    stats.worst = MakeExample(x, got, ref);
  }
}

// ---------------------------------------------------------------------------
// Work over blocks, on every thread
// ---------------------------------------------------------------------------

// Runs work(block, stats, buffers) for blocks 0..count-1, taken in order by
// `threads` workers; returns the merged statistics.
template <typename T, typename Work>
Stats RunBlocks(std::size_t count, unsigned threads, std::size_t block_size, const Work& work) {
  std::atomic<std::size_t> next{0};
  std::vector<Stats> per_thread(threads);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<T> x(block_size), y(block_size);
      for (std::size_t block; (block = next.fetch_add(1)) < count;) {
        work(block, per_thread[t], x, y);
      }
    });
  }
  Stats total;
  for (unsigned t = 0; t < threads; ++t) {
    workers[t].join();
    total.Merge(per_thread[t]);
  }
  return total;
}

// ---------------------------------------------------------------------------
// float32: every bit pattern (or, with --quick, a strided sample of them)
// ---------------------------------------------------------------------------

constexpr std::size_t kFloat32Block = std::size_t{1} << 20;

// Patterns that a strided sample could miss: signed zeros, Infs, NaNs, the
// range's ends and the kernels' own thresholds.
const std::vector<float>& Float32Specials() {
  static const std::vector<float> specials = [] {
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> values = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                                 -std::numeric_limits<float>::quiet_NaN(), FLT_MAX, -FLT_MAX,
                                 FLT_MIN, -FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN, 1.0f, -1.0f};
    for (const float edge : {88.72283172607421875f, 89.41598510742187500f, 88.7228f, 39000.0f,
                             -103.972084045410156f, 104.0f}) {
      for (const float sign : {1.0f, -1.0f}) {
        values.push_back(sign * edge);
        values.push_back(std::nextafter(sign * edge, inf));
        values.push_back(std::nextafter(sign * edge, -inf));
      }
    }
    return values;
  }();
  return specials;
}

struct Float32Plan {
  std::uint64_t count;   // inputs per function
  std::uint32_t stride;  // input i has bit pattern i * stride (mod 2^32); odd
};

Stats MeasureFloat32(Function function, const Float32Plan& plan, unsigned threads) {
  const auto blocks = static_cast<std::size_t>((plan.count + kFloat32Block - 1) / kFloat32Block);
  Stats stats;
  ForFunction(function, [&](auto constant) {
    constexpr Function kF = decltype(constant)::value;
    const auto work = [&](std::size_t block, Stats& s, std::vector<float>& x,
                          std::vector<float>& y) {
      const std::uint64_t first = static_cast<std::uint64_t>(block) * kFloat32Block;
      const auto n = static_cast<std::size_t>(
          std::min<std::uint64_t>(kFloat32Block, plan.count - first));
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t bits = static_cast<std::uint32_t>((first + i) * plan.stride);
        std::memcpy(&x[i], &bits, 4);
      }
      if (block == 0 && plan.stride != 1) {
        const auto& specials = Float32Specials();
        std::copy(specials.begin(), specials.begin() + std::min(n, specials.size()), x.begin());
      }
      simdkit::apply(function, x.data(), y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const float xi = x[i], got = y[i];
        if (std::isnan(xi)) {  // NaN in, NaN out: no reference to compute
          if (!std::isnan(got) && s.nan_mismatches++ == 0) {
            s.nan_example = MakeExample(xi, got, static_cast<double>(xi));
          }
          continue;
        }
        Score(xi, got, Reference<kF, double>(xi), s);
      }
      s.checked += n;
    };
    stats = RunBlocks<float>(blocks, threads, kFloat32Block, work);
  });
  return stats;
}

// ---------------------------------------------------------------------------
// float64: samples over the test domain, the whole line and edge regions
// ---------------------------------------------------------------------------

// A region of the line to sample: `offset + sign * m` with m uniform in
// [low, high], or log-uniform there when `log_scale`. sign is +1, -1 or
// either (`both_signs`).
struct Region {
  double low, high;
  bool log_scale;
  bool both_signs;
  double offset = 0;
  double sign = 1;
};

Region Linear(double low, double high) { return {low, high, false, false}; }
Region Magnitudes(double low, double high, bool both_signs = true) {
  return {low, high, true, both_signs};
}
Region Near(double offset, double sign, double low, double high) {
  return {low, high, true, false, offset, sign};
}

constexpr double kTiny = std::numeric_limits<double>::denorm_min();
constexpr double kHuge = std::numeric_limits<double>::max();

// The domain each function is sampled on in tests/cpp/math_test.cc
// (DomainOf for float64): log-uniform magnitudes for the log family, sqrt,
// tanh, atan, asinh and cbrt; uniform otherwise.
Region TestDomain(Function function) {
  switch (function) {
    case Function::kExp:
    case Function::kExpm1: return Linear(-724, 709);
    case Function::kLog:
    case Function::kLog2:
    case Function::kLog10:
    case Function::kSqrt: return Magnitudes(kTiny, 1e308, false);
    case Function::kLog1p: return Magnitudes(kTiny, 1e30, true);  // negatives clamped to -0.999
    case Function::kSin:
    case Function::kCos: return Linear(-1e5, 1e5);
    case Function::kTanh:
    case Function::kAtan:
    case Function::kAsinh: return Magnitudes(kTiny, 1e30);
    case Function::kCbrt: return Magnitudes(kTiny, 1e308);
    case Function::kSinh: return Linear(-710, 710);
    case Function::kAsin:
    case Function::kAcos: return Linear(-1, 1);
    default: return Linear(-60, 60);  // the activations
  }
}

// Where each function is hardest or changes formula: overflow and underflow
// edges, poles, cancellation near a root, the C library's range for sin and
// cos, the tails of the activations.
std::vector<Region> EdgeRegions(Function function) {
  const Region tiny = Magnitudes(kTiny, 1e-5);
  switch (function) {
    case Function::kExp:
    case Function::kExpm1:
      return {Linear(-745.2, -708), Linear(700, 709.8), tiny, Linear(-1, 1)};
    case Function::kLog:
    case Function::kLog2:
    case Function::kLog10:
      return {Near(1, 1, 1e-17, 1e-2), Near(1, -1, 1e-17, 1e-2), Linear(0.5, 2),
              Magnitudes(kTiny, 1e-300, false)};
    case Function::kLog1p:
      return {tiny, Near(-1, 1, 1e-17, 1e-2), Linear(-1, 1), Linear(-1.5, -1)};
    case Function::kSin:
    case Function::kCos:
      return {Magnitudes(39000, kHuge), Linear(-40000, 40000), Linear(-10, 10), tiny};
    case Function::kTanh: return {Linear(-25, 25), Linear(-1, 1), tiny};
    case Function::kSinh:
      return {Linear(705, 711), Linear(-711, -705), Linear(-30, 30), tiny};
    case Function::kAtan:
    case Function::kAsinh: return {Linear(-10, 10), tiny, Magnitudes(1e30, kHuge)};
    case Function::kAsin:
    case Function::kAcos:
      return {Near(1, -1, 1e-17, 1e-2), Near(-1, 1, 1e-17, 1e-2), Linear(-1.5, 1.5), tiny};
    case Function::kSqrt: return {Magnitudes(kTiny, 1e-300, false), Linear(0, 4)};
    case Function::kSigmoid:
    case Function::kSoftplus:
    case Function::kSilu: return {Linear(-750, 750), Linear(-40, 40), tiny};
    case Function::kGeluTanh: return {Linear(-25, 5), Linear(-5, 5), tiny};
    case Function::kGelu: return {Linear(-40, 5), Linear(-5, 5), tiny};
    case Function::kExp2:
      return {Linear(-1075, -1020), Linear(1020, 1024.5), tiny, Linear(-2, 2)};
    case Function::kCosh: return {Linear(705, 711), Linear(-711, -705), Linear(-30, 30), tiny};
    case Function::kAtanh:
      return {Near(1, -1, 1e-17, 1e-2), Near(-1, 1, 1e-17, 1e-2), Linear(-1, 1), tiny};
    case Function::kAcosh:
      return {Near(1, 1, 1e-17, 1e-2), Linear(1, 10), Magnitudes(1e30, kHuge, false)};
    case Function::kTan:
      return {Magnitudes(1e4, kHuge), Linear(-2e5, 2e5), Linear(-4, 4), tiny};
    case Function::kErf: return {Linear(-6, 6), Linear(-0.5, 0.5), tiny};
    case Function::kErfc: return {Linear(-6, 30), Linear(-0.5, 0.5), Linear(25, 27.5), tiny};
    case Function::kCbrt: return {Magnitudes(kTiny, 1e-300), Magnitudes(1e300, kHuge), Linear(-8, 8)};
  }
  return {};
}

// Splitmix64: a small, seekable generator (one stream per block).
struct SplitMix {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1p-53; }  // [0, 1)
};

double Sample(const Region& region, SplitMix& rng) {
  double m;
  if (region.log_scale) {
    const double log_low = std::log(region.low), log_high = std::log(region.high);
    m = std::exp(log_low + rng.Unit() * (log_high - log_low));
  } else {
    m = region.low + rng.Unit() * (region.high - region.low);
  }
  const double sign = region.both_signs ? ((rng.Next() & 1) ? -1.0 : 1.0) : region.sign;
  return region.offset + sign * m;
}

const std::vector<double>& Float64Specials() {
  static const std::vector<double> specials = [] {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> values = {0.0, -0.0, inf, -inf, std::numeric_limits<double>::quiet_NaN(),
                                  -std::numeric_limits<double>::quiet_NaN(), DBL_MAX, -DBL_MAX,
                                  DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN, 1.0, -1.0};
    for (const double edge : {709.782712893383973096, 710.475860073943977113, 709.0, 39000.0,
                              -745.133219101941108420, 38.5, 21.9}) {
      for (const double sign : {1.0, -1.0}) {
        values.push_back(sign * edge);
        values.push_back(std::nextafter(sign * edge, inf));
        values.push_back(std::nextafter(sign * edge, -inf));
      }
    }
    return values;
  }();
  return specials;
}

constexpr std::size_t kFloat64Block = std::size_t{1} << 16;

// Of every 10 samples: 6 in the test domain, 2 over the whole line
// (log-uniform magnitudes from the smallest subnormal to the largest
// double, both signs), 2 in the edge regions.
Stats MeasureFloat64(Function function, std::uint64_t count, std::uint64_t seed, unsigned threads) {
  const Region domain = TestDomain(function);
  const Region line = Magnitudes(kTiny, kHuge);
  const std::vector<Region> edges = EdgeRegions(function);
  const std::size_t blocks = static_cast<std::size_t>((count + kFloat64Block - 1) / kFloat64Block);
  Stats stats;
  ForFunction(function, [&](auto constant) {
    constexpr Function kF = decltype(constant)::value;
    const auto work = [&](std::size_t block, Stats& s, std::vector<double>& x,
                          std::vector<double>& y) {
      const std::uint64_t first = static_cast<std::uint64_t>(block) * kFloat64Block;
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(kFloat64Block, count - first));
      SplitMix rng{seed ^ (static_cast<std::uint64_t>(function) << 48) ^
                   (block * 0x2545F4914F6CDD1Dull)};
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t choice = rng.Next() % 10;
        double value;
        if (choice < 6) {
          value = Sample(domain, rng);
          if (function == Function::kLog1p) value = std::max(value, -0.999);
        } else if (choice < 8) {
          value = Sample(line, rng);
        } else {
          value = Sample(edges[rng.Next() % edges.size()], rng);
        }
        x[i] = value;
      }
      if (block == 0) {
        const auto& specials = Float64Specials();
        std::copy(specials.begin(), specials.begin() + std::min(n, specials.size()), x.begin());
      }
      simdkit::apply(function, x.data(), y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        Score(x[i], y[i], Reference<kF, long double>(x[i]), s);
      }
      s.checked += n;
    };
    stats = RunBlocks<double>(blocks, threads, kFloat64Block, work);
  });
  return stats;
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  return buffer;
}

std::string Value(long double value, bool is_float) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  // Shortest forms that round-trip: 9 digits for float, 17 for double; the
  // reference gets more.
  return Format(is_float ? "%.9Lg" : "%.17Lg", value);
}

std::string RefValue(long double value, bool is_float) {
  if (std::isnan(value) || std::isinf(value)) return Value(value, is_float);
  return Format(is_float ? "%.12Lg" : "%.20Lg", value);
}

std::string Bits(const Example& example, bool is_float) {
  return is_float ? Format("0x%08" PRIx32, static_cast<std::uint32_t>(example.bits))
                  : Format("0x%016" PRIx64, example.bits);
}

// Near 0.5, enough digits to tell correct rounding (at most 0.5) apart.
std::string Ulp(double ulp) {
  if (ulp > 0.4995 && ulp < 0.5005 && ulp != 0.5) return Format("%.8f", ulp);
  return ulp < 10 ? Format("%.3f", ulp) : Format("%.1f", ulp);
}

std::string Percent(std::uint64_t part, std::uint64_t whole) {
  if (part == 0) return "0";
  const double percent = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  return Format("%.3g%%", percent);
}

std::string Count(std::uint64_t count) {
  if (count == (std::uint64_t{1} << 32)) return "2^32";
  std::string digits = std::to_string(count), grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

struct Result {
  Function function;
  Stats stats;
};

struct DTypeRun {
  bool is_float;
  std::string description;
  std::vector<Result> results;
  double seconds = 0;
};

// "f(x) [bits] = result, reference r"
std::string ExampleText(const char* name, const Example& example, bool is_float) {
  return Format("%s(%s) [`%s`] = %s, reference %s", name, Value(example.x, is_float).c_str(),
                Bits(example, is_float).c_str(), Value(example.got, is_float).c_str(),
                RefValue(example.ref, is_float).c_str());
}

std::string Table(const DTypeRun& run) {
  std::ostringstream out;
  out << "| function | max ULP | worst input (bits) | worst input | result there | reference there "
         "| > 1 ULP | inputs checked | NaN / Inf mismatches |\n"
      << "|---|---:|---|---:|---:|---:|---:|---:|---:|\n";
  for (const Result& result : run.results) {
    const Stats& s = result.stats;
    const Example& w = s.worst;
    out << "| " << simdkit::function_name(result.function) << " | " << Ulp(s.max_ulp) << " | `"
        << Bits(w, run.is_float) << "` | " << Value(w.x, run.is_float) << " | "
        << Value(w.got, run.is_float) << " | " << RefValue(w.ref, run.is_float) << " | "
        << Percent(s.above_one, s.checked) << " | " << Count(s.checked) << " | "
        << s.nan_mismatches << " / " << s.inf_mismatches << " |\n";
  }
  std::string problems, zeros;
  for (const Result& result : run.results) {
    const Stats& s = result.stats;
    const char* name = simdkit::function_name(result.function);
    if (s.nan_mismatches > 0) {
      problems += Format("- **%s: %s NaN mismatches**, the first: ", name,
                         Count(s.nan_mismatches).c_str()) +
                  ExampleText(name, s.nan_example, run.is_float) + "\n";
    }
    if (s.inf_mismatches > 0) {
      problems += Format("- **%s: %s Inf mismatches**, the first: ", name,
                         Count(s.inf_mismatches).c_str()) +
                  ExampleText(name, s.inf_example, run.is_float) + "\n";
    }
    if (s.zero_sign_mismatches > 0) {
      zeros += Format("- %s: %s zero results of the other sign, the first: ", name,
                      Count(s.zero_sign_mismatches).c_str()) +
               ExampleText(name, s.zero_sign_example, run.is_float) + "\n";
    }
  }
  out << "\n"
      << (problems.empty() ? "No NaN or Inf mismatches: every result is NaN, infinite (with the "
                             "right sign) or finite exactly where the reference is.\n"
                           : "NaN and Inf mismatches (errors):\n\n" + problems);
  if (!zeros.empty()) {
    out << "\nSigned zeros (not counted as errors; the ULP error of a zero of the other sign "
           "is 0):\n\n"
        << zeros;
  }
  return out.str();
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", &utc);
  return buffer;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

struct Options {
  std::string target;  // "" = automatic
  std::vector<Function> functions;
  bool float32 = true, float64 = true;
  bool quick = false;
  bool strict = false;  // exit 1 on NaN or Inf mismatches
  unsigned threads = 0;
  std::uint64_t float64_samples = 10'000'000;
  std::string output;
  std::string command;
};

#if defined(__clang__)
const char* const kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
const char* const kCompiler = "GCC " __VERSION__;
#else
const char* const kCompiler = "an unknown compiler";
#endif

std::string Report(const Options& options, const std::vector<DTypeRun>& runs) {
  std::ostringstream out;
  out << "# Measured accuracy of the math functions\n\n"
      << "Written by `simdkit_ulp_accuracy` (`tools/ulp_accuracy.cc`; configure with "
         "`-DSIMDKIT_BUILD_TOOLS=ON`, build the target `simdkit_ulp_accuracy`), run from the "
         "repository root as:\n\n"
      << "```sh\n"
      << options.command << "\n"
      << "```\n\n"
      << (options.quick ? "**This is a `--quick` smoke run (sampled float32): not the published "
                          "measurement.**\n\n"
                        : "")
      << "- Date: " << UtcNow() << "\n"
      << "- CPU: " << simdkit::cpu_model() << "\n"
      << "- Target: " << simdkit::active_target()
      << (options.target.empty() ? " (the automatic choice: best supported of "
                                       + Join(simdkit::supported_targets(), ", ") + ")"
                                 : " (forced with `--target`)")
      << "\n"
      << "- simdkit " << SIMDKIT_VERSION_STRING << ", Highway " << simdkit::highway_version()
      << ", this tool compiled by " << kCompiler << "\n"
#ifdef SIMDKIT_HAVE_GLIBC_VERSION
      << "- Reference: glibc " << gnu_get_libc_version() << " libm"
#else
      << "- Reference: the C library's libm"
#endif
      << ", in double for float32 and in long double (" << LDBL_MANT_DIG
      << "-bit significand) for float64; gelu and gelu_tanh's arguments in a " << kWideDigits
      << "-bit significand for float64\n\n"
      << "**ULP** is |result − reference| in units of the result type's spacing at the "
         "reference's magnitude (the subnormal spacing below the normal range), as `UlpError` in "
         "`tests/cpp/math_test.cc`; 0.5 is correct rounding. A **NaN mismatch** is a NaN where the "
         "reference is not, or the reverse; an **Inf mismatch** is an infinite result where the "
         "reference rounds to a finite value, or the reverse (or the wrong sign). They are "
         "errors and are not part of the ULP columns. The activations' references are their "
         "definitions in forms without cancellation (sigmoid below 0 as e^x / (1 + e^x), "
         "softplus as max(x, 0) + log1p(e^-|x|), silu as x·sigmoid(x), gelu_tanh as "
         "x·sigmoid(2u), gelu as 0.5x·erfc(−x/√2) with the C library's `erfc`), with the limits "
         "−0 at −Inf for silu, gelu_tanh and gelu.\n";
  for (const DTypeRun& run : runs) {
    out << "\n## " << (run.is_float ? "float32" : "float64") << "\n\n"
        << run.description << " Measured in " << Format("%.0f", run.seconds) << " s on "
        << options.threads << " threads.\n\n"
        << Table(run);
  }
  return out.str();
}

void Usage(std::ostream& out) {
  out << "usage: simdkit_ulp_accuracy [--target NAME] [--functions exp,log,...]\n"
         "         [--dtype float32|float64|all] [--quick] [--threads N]\n"
         "         [--float64-samples N] [--strict] [--output FILE]\n"
         "Measures the maximum ULP error of simdkit's elementwise math functions:\n"
         "float32 over all 2^32 inputs, float64 on 10^7 samples per function\n"
         "(--quick: a sampled smoke run of a few seconds). Writes a Markdown\n"
         "report to FILE (default: stdout). --strict: exit status 1 if some\n"
         "result is NaN or Inf where the reference is not (or the reverse).\n";
}

std::string Quoted(const std::string& arg) {
  const char* const plain =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+";
  if (!arg.empty() && arg.find_first_not_of(plain) == std::string::npos) return arg;
  std::string quoted = "'";
  for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

int Run(int argc, char** argv) {
  Options options;
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) words.push_back(Quoted(argv[i]));
  options.command = Join(words, " ");
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--target") {
      options.target = value();
    } else if (arg == "--functions") {
      std::stringstream list(value());
      for (std::string name; std::getline(list, name, ',');) {
        if (!name.empty()) options.functions.push_back(simdkit::function_from_name(name));
      }
    } else if (arg == "--dtype") {
      const std::string dtype = value();
      if (dtype != "float32" && dtype != "float64" && dtype != "all") {
        throw std::invalid_argument("--dtype takes float32, float64 or all");
      }
      options.float32 = dtype != "float64";
      options.float64 = dtype != "float32";
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--threads") {
      options.threads = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--float64-samples") {
      options.float64_samples = std::stoull(value());
    } else if (arg == "--strict") {
      options.strict = true;
    } else if (arg == "--output") {
      options.output = value();
    } else if (arg == "--help" || arg == "-h") {
      Usage(std::cout);
      return 0;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (options.functions.empty()) {
    for (std::size_t i = 0; i < simdkit::kFunctionCount; ++i) {
      options.functions.push_back(static_cast<Function>(i));
    }
  }
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  if (!options.target.empty()) simdkit::set_target(options.target);
  const std::string target = simdkit::active_target();
  if (simdkit::probe_target() != target) {
    throw std::runtime_error("the dispatched code runs " + simdkit::probe_target() + ", not " +
                             target);
  }
  Constants();  // checks the wide constants before any work

  const Float32Plan float32_plan = options.quick ? Float32Plan{std::uint64_t{1} << 20, 4099u}
                                                 : Float32Plan{std::uint64_t{1} << 32, 1u};
  const std::uint64_t float64_samples =
      options.quick ? (std::uint64_t{1} << 17) : options.float64_samples;

  std::cout << "simdkit_ulp_accuracy: target " << target << ", " << options.threads
            << " threads, CPU " << simdkit::cpu_model() << "\n";
  std::vector<DTypeRun> runs;
  for (const bool is_float : {true, false}) {
    if (is_float ? !options.float32 : !options.float64) continue;
    DTypeRun run;
    run.is_float = is_float;
    run.description =
        is_float ? (options.quick
                        ? "Sampled (`--quick`): the 2^20 bit patterns i·4099 mod 2^32 and the "
                          "special values."
                        : "Exhaustive: every one of the 2^32 bit patterns (NaN inputs included; "
                          "they must give NaN).")
                 : Format("%s samples per function: 6 in 10 uniform (log-uniform in magnitude "
                          "for the log family, sqrt, tanh, atan, asinh) over the domain "
                          "`DomainOf` in tests/cpp/math_test.cc, 2 in 10 log-uniform in magnitude "
                          "over every finite double of both signs, 2 in 10 in the function's "
                          "edge regions (overflow and underflow edges, near the roots and poles, "
                          "the tails), plus the special values. The fraction above 1 ULP is "
                          "of these samples.",
                          Count(float64_samples).c_str());
    const auto start = std::chrono::steady_clock::now();
    for (const Function function : options.functions) {
      const auto function_start = std::chrono::steady_clock::now();
      Stats stats = is_float ? MeasureFloat32(function, float32_plan, options.threads)
                             : MeasureFloat64(function, float64_samples,
                                              0x5EEDull + static_cast<std::uint64_t>(function),
                                              options.threads);
      stats.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - function_start).count();
      std::printf("%-8s %-9s max %9s ULP at %s (x = %s), > 1 ULP %s, NaN/Inf mismatches %" PRIu64
                  "/%" PRIu64 ", %.1f s (%.1f M inputs/s)\n",
                  is_float ? "float32" : "float64", simdkit::function_name(function),
                  Ulp(stats.max_ulp).c_str(), Bits(stats.worst, is_float).c_str(),
                  Value(stats.worst.x, is_float).c_str(),
                  Percent(stats.above_one, stats.checked).c_str(),
                  stats.nan_mismatches, stats.inf_mismatches, stats.seconds,
                  static_cast<double>(stats.checked) / stats.seconds / 1e6);
      std::fflush(stdout);
      run.results.push_back({function, stats});
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    runs.push_back(std::move(run));
  }

  bool mismatches = false;
  for (const DTypeRun& run : runs) {
    for (const Result& result : run.results) {
      mismatches |= result.stats.nan_mismatches > 0 || result.stats.inf_mismatches > 0;
    }
  }
  const std::string report = Report(options, runs);
  if (options.output.empty()) {
    std::cout << "\n" << report;
  } else {
    std::ofstream file(options.output);
    file << report;
    if (!file.flush()) throw std::runtime_error("cannot write " + options.output);
    std::cout << "wrote " << options.output << "\n";
  }
  if (mismatches) std::cerr << "error: NaN or Inf mismatches (listed in the report)\n";
  return mismatches && options.strict ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "simdkit_ulp_accuracy: " << error.what() << "\n";
    Usage(std::cerr);
    return 2;
  }
}
