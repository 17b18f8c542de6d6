// libFuzzer harness for the distance family (include/simdkit/distance.h).
//
// One input is one call: distance (one pair), paired, cdist, pdist or topk, for
// any metric and dtype, with rows of any length, row strides with gaps (or
// too short: then std::invalid_argument is expected), every operand and
// output at an offset of 0..15 elements, and values drawn from ordinary
// numbers, special values (NaN, +-Inf, subnormals, extremes of each format)
// or any bits. On every supported target each result must be what
// tests/cpp/distance_reference.h allows for the exact (long double) sums of
// its pair, widened only where the documented bounds cannot apply:
//   - where a sum's magnitudes reach the accumulation type's overflow
//     threshold, any non-finite result is allowed (a finite one must still
//     be within the bound);
//   - products that underflow add up to one subnormal spacing each;
//   - cosine whose squared norms overflow, or are too small for the
//     accumulation type to hold them precisely (below 4 n times its
//     smallest normal), may be any value in [0, 2] or NaN.
// Exact cases (integer dtypes, packed bits, hamming and jaccard) must give
// the same bits on every target. topk must return distinct indices in
// range, best first (ties to the lower index, NaN last), each with its
// allowed distance, and no row left out that is certainly better than the
// last one returned. pdist must also give each pair cdist(x, x)'s bits.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cpp/distance_reference.h"
#include "fuzz/fuzz_support.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"

namespace simdkit::fuzz {
namespace {

using simdkit::testing::Expected;
using simdkit::testing::ExpectedBatchedDistance;
using simdkit::testing::ExpectedDistance;
using simdkit::testing::FloatToBFloat16;
using simdkit::testing::FloatToHalf;
using simdkit::testing::IsFloating;
using simdkit::testing::PairSums;
using simdkit::testing::SumPair;

enum class Mode : std::uint8_t { kDistance, kPaired, kCdist, kTopk, kPdist, kCount };

const char* ModeName(Mode mode) {
  constexpr const char* kNames[] = {"distance", "paired", "cdist", "topk", "pdist"};
  return kNames[static_cast<int>(mode)];
}

constexpr std::size_t kMaxCols = 700;

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

// A 16-bit float (mantissa_bits 10: float16, 7: bfloat16): ordinary values
// rounded from float32, the format's own special values, or any bits.
std::uint16_t HalfValue(Input& in, Mix mix, int mantissa_bits) {
  const int exponent_bits = 15 - mantissa_bits;
  if (mix == Mix::kAnyBits) return in.Raw<std::uint16_t>();
  if (mix == Mix::kOrdinary || in.Byte() >= (mix == Mix::kRareSpecials ? 8 : 128)) {
    const float value = Value<float>(in, Mix::kOrdinary);
    return mantissa_bits == 10 ? FloatToHalf(value) : FloatToBFloat16(value);
  }
  const auto magnitude = SpecialMagnitude<std::uint16_t>(in.Byte(), mantissa_bits, exponent_bits);
  return static_cast<std::uint16_t>(magnitude | (in.Bool() ? 0x8000u : 0u));
}

// A byte: small values (many ties and zeros), the extremes, or any.
template <typename S>
S ByteValue(Input& in, Mix mix) {
  switch (mix) {
    case Mix::kOrdinary: return static_cast<S>(static_cast<int>(in.Byte() % 7) - (std::is_signed_v<S> ? 3 : 0));
    case Mix::kManySpecials: {
      constexpr S kSpecials[] = {std::numeric_limits<S>::min(), std::numeric_limits<S>::max(), 0, 1,
                                 static_cast<S>(std::numeric_limits<S>::max() - 1)};
      return kSpecials[in.Choice(5)];
    }
    default: return in.Raw<S>();
  }
}

template <typename S>
S ElementValue(Input& in, DType dtype, Mix mix) {
  if constexpr (std::is_floating_point_v<S>) {
    return Value<S>(in, mix);
  } else if constexpr (std::is_same_v<S, std::uint16_t>) {
    return HalfValue(in, mix, dtype == DType::kFloat16 ? 10 : 7);
  } else {
    return ByteValue<S>(in, mix);
  }
}

template <typename S>
void Fill(Input& in, DType dtype, Matrix<S>& m) {
  const Mix mix = ChooseMix(in);
  for (std::size_t r = 0; r < m.rows(); ++r) {
    for (std::size_t c = 0; c < m.cols(); ++c) m.at(r, c) = ElementValue<S>(in, dtype, mix);
  }
}

// ---------------------------------------------------------------------------
// What a result may be
// ---------------------------------------------------------------------------

struct Allowed {
  Expected expected;
  bool any_non_finite = false;  // an intermediate sum may overflow
  bool any_cosine = false;      // cosine's sums out of range: [0, 2] or NaN
  long double flush_bound = 0;  // added where TDPBF16PS flushes subnormals
};

// The AMX backend's TDPBF16PS (cdist and topk of bfloat16 dot and cosine,
// wherever amx_status() says used; docs/distance.md) reads subnormal
// bfloat16 as zero and flushes subnormal float32 results: off by the
// products that involve a subnormal, plus the smallest normal float per
// accumulation step.
bool Flushes(Mode mode, DType dtype, Metric metric) {
  return (mode == Mode::kCdist || mode == Mode::kTopk || mode == Mode::kPdist) &&
         dtype == DType::kBFloat16 &&
         (metric == Metric::kDot || metric == Metric::kCosine) && simdkit::amx_status().used;
}

long double FlushError(DType dtype, Metric metric, const void* a, const void* b, std::size_t n,
                       const PairSums& s) {
  if (dtype != DType::kBFloat16 || (metric != Metric::kDot && metric != Metric::kCosine)) return 0;
  const auto* x = static_cast<const std::uint16_t*>(a);
  const auto* y = static_cast<const std::uint16_t*>(b);
  const auto subnormal = [](std::uint16_t bits) { return (bits & 0x7F80u) == 0 && (bits & 0x7Fu) != 0; };
  long double lost = static_cast<long double>(n) * std::numeric_limits<float>::min();
  for (std::size_t i = 0; i < n; ++i) {
    if (subnormal(x[i]) || subnormal(y[i])) {
      lost += std::fabs(static_cast<long double>(simdkit::testing::BFloat16ToFloat(x[i])) *
                        simdkit::testing::BFloat16ToFloat(y[i]));
    }
  }
  if (metric == Metric::kDot) return lost;
  const long double norms = std::sqrt(s.squares_a) * std::sqrt(s.squares_b);
  return norms > 0 ? lost / norms : 0;
}

// `batched`: cdist and topk, whose sqeuclidean and euclidean may come from
// the norm form (the panels, and the AMX backend at any shape), with its
// bound (ExpectedBatchedDistance).
Allowed AllowedDistance(Metric metric, const PairSums& s, bool batched) {
  Allowed allowed{batched ? ExpectedBatchedDistance(metric, s) : ExpectedDistance(metric, s)};
  if (!IsFloating(s.dtype) || metric == Metric::kHamming || metric == Metric::kJaccard) {
    return allowed;
  }
  const bool f64 = s.dtype == DType::kFloat64;
  const long double max = f64 ? std::numeric_limits<double>::max() : std::numeric_limits<float>::max();
  const long double smallest_normal =
      f64 ? std::numeric_limits<double>::min() : std::numeric_limits<float>::min();
  const long double underflow =
      static_cast<long double>(s.n) *
      (f64 ? std::numeric_limits<double>::denorm_min() : std::numeric_limits<float>::denorm_min());
  switch (metric) {
    case Metric::kDot:
      allowed.any_non_finite = s.dot_magnitude >= max / 2;
      allowed.expected.bound += underflow;
      break;
    case Metric::kSqEuclidean:
      allowed.any_non_finite = s.squared_diffs >= max / 2;
      allowed.expected.bound += underflow;
      break;
    case Metric::kEuclidean:
      // |sqrt(S + E + U) - sqrt(S + E)| <= sqrt(U) on top of the bound for E.
      allowed.any_non_finite = s.squared_diffs >= max / 2;
      allowed.expected.bound += std::sqrt(underflow);
      break;
    case Metric::kCityblock: allowed.any_non_finite = s.abs_diffs >= max / 2; break;
    case Metric::kCosine: {
      const long double too_small = 4 * static_cast<long double>(s.n) * smallest_normal;
      const bool zero_vector = s.squares_a == 0 || s.squares_b == 0;
      allowed.any_cosine = !zero_vector && (s.squares_a >= max / 4 || s.squares_b >= max / 4 ||
                                            s.dot_magnitude >= max / 4 || s.squares_a < too_small ||
                                            s.squares_b < too_small);
      break;
    }
    default: break;
  }
  return allowed;
}

long double BoundOf(const Allowed& allowed, bool flushing) {
  return allowed.expected.bound + (flushing ? allowed.flush_bound : 0);
}

bool Accepts(const Allowed& allowed, double got, bool flushing) {
  const long double value = allowed.expected.value;
  if (allowed.any_cosine) return std::isnan(got) || (got >= 0 && got <= 2);
  if (std::isnan(value)) return std::isnan(got);
  if (!std::isfinite(got)) return allowed.any_non_finite || got == value;
  return std::isfinite(value) &&
         std::fabs(static_cast<long double>(got) - value) <= BoundOf(allowed, flushing);
}

std::string Describe(const Allowed& allowed, bool flushing) {
  return Str("exact ", static_cast<double>(allowed.expected.value), " +- ",
             static_cast<double>(BoundOf(allowed, flushing)),
             allowed.any_non_finite ? " (may overflow)" : "",
             allowed.any_cosine ? " (cosine out of range)" : "");
}

// Results the same bits on every target: integer sums and counts.
bool IsExact(Metric metric, DType dtype) {
  return !IsFloating(dtype) || metric == Metric::kHamming || metric == Metric::kJaccard;
}

// ---------------------------------------------------------------------------
// The call
// ---------------------------------------------------------------------------

template <typename S>
void FuzzDistance(Input& in, DType dtype) {
  using R = std::conditional_t<std::is_same_v<S, double>, double, float>;
  const auto metric = static_cast<Metric>(in.Choice(7));
  const auto mode = static_cast<Mode>(in.Choice(static_cast<std::size_t>(Mode::kCount)));
  const std::size_t cols = in.Size(kMaxCols);
  std::size_t a_rows = 1, b_rows = 1;
  if (mode == Mode::kPaired) a_rows = b_rows = in.Size(6);
  if (mode == Mode::kCdist) a_rows = in.Size(6), b_rows = in.Size(9);
  if (mode == Mode::kTopk) a_rows = in.Size(5), b_rows = 1 + in.Size(11);
  // pdist: the pairs of a's rows (past a panel block: 6 or 12 rows); b unused.
  if (mode == Mode::kPdist) a_rows = in.Size(14);
  // Mostly valid strides; one in 16 shorter than a row (invalid with two
  // rows or more).
  const auto stride_of = [&]() -> std::size_t {
    const std::size_t kind = in.Choice(16);
    if (kind == 0 && cols > 0) return in.Size(cols - 1);
    return cols + (kind < 8 ? 0 : in.Size(9));
  };
  const std::size_t a_stride = mode == Mode::kDistance ? cols : stride_of();
  const std::size_t b_stride = mode == Mode::kDistance ? cols : stride_of();
  const std::size_t k = mode == Mode::kTopk ? in.Size(b_rows + 1) : 0;  // 0 and b_rows + 1: invalid
  const std::size_t out_stride = b_rows + (in.Bool() ? 0 : in.Size(5));
  const std::size_t threads = in.Choice(3);
  const std::size_t out_offset = in.Size(15), second_out_offset = in.Size(15);
  // Too-short strides make the matrices overlap themselves; allocate as if
  // they did not, the call must refuse before reading.
  const bool bad_stride = (a_rows > 1 && a_stride < cols) || (b_rows > 1 && b_stride < cols);
  Matrix<S> a(a_rows, cols, std::max(a_stride, cols), in.Size(15));
  Matrix<S> b(b_rows, cols, std::max(b_stride, cols), in.Size(15));
  Fill(in, dtype, a);
  Fill(in, dtype, b);
  MatrixView a_view = a.View(dtype), b_view = b.View(dtype);
  a_view.row_stride = a_stride;
  b_view.row_stride = b_stride;
  const std::string shape =
      Str(ModeName(mode), " ", metric_name(metric), " ", dtype_name(dtype), " ", a_rows, "x",
          b_rows, "x", cols, " strides ", a_stride, ",", b_stride, " k=", k, " out_stride=",
          out_stride);

  const bool bad_k = mode == Mode::kTopk && (k == 0 || k > b_rows);
  if (!metric_supports(metric, dtype) || bad_stride || bad_k) {
    bool threw = false;
    try {
      Vector<R> out(std::max(a_rows * std::max(k, b_rows), std::size_t{1}), 0);
      Vector<std::int64_t> indices(std::max(a_rows * k, std::size_t{1}), 0);
      switch (mode) {
        case Mode::kDistance: simdkit::distance(metric, dtype, a.data(), b.data(), cols); break;
        case Mode::kPaired: simdkit::paired(metric, a_view, b_view, out.data()); break;
        case Mode::kCdist: simdkit::cdist(metric, a_view, b_view, out.data(), out_stride, threads); break;
        case Mode::kPdist: simdkit::pdist(metric, a_view, out.data(), threads); break;
        default: simdkit::topk(metric, a_view, b_view, k, indices.data(), out.data(), threads); break;
      }
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    Expect(threw, [&] { return Str(shape, ": invalid arguments but no std::invalid_argument"); });
    return;
  }

  // The exact sums of every pair the call computes, once for all targets
  // (pdist: of a's rows with a's, as a square).
  const bool self_pairs = mode == Mode::kPdist;
  const bool all_pairs = mode == Mode::kCdist || mode == Mode::kTopk || self_pairs;
  const std::size_t columns = self_pairs ? a_rows : all_pairs ? b_rows : 1;
  const auto second_row = [&](std::size_t j) { return self_pairs ? a.row(j) : b.row(j); };
  std::vector<Allowed> allowed(a_rows * columns);
  for (std::size_t i = 0; i < a_rows; ++i) {
    for (std::size_t j = 0; j < columns; ++j) {
      const std::size_t bj = all_pairs ? j : i;
      const PairSums sums = SumPair(dtype, a.row(i), second_row(bj), cols);
      Allowed& pair = allowed[i * columns + j];
      pair = AllowedDistance(metric, sums, all_pairs);
      pair.flush_bound = FlushError(dtype, metric, a.row(i), second_row(bj), cols, sums);
    }
  }
  // A short pair's values, for the failure message.
  const auto operands = [&](std::size_t i, std::size_t j) {
    if (cols > 8) return std::string();
    std::string text = " a=[";
    for (std::size_t c = 0; c < cols; ++c) text += Str(c ? " " : "", static_cast<double>(simdkit::testing::ElementValue(dtype, a.row(i), c)));
    text += "] b=[";
    for (std::size_t c = 0; c < cols; ++c) text += Str(c ? " " : "", static_cast<double>(simdkit::testing::ElementValue(dtype, second_row(j), c)));
    return text + "]";
  };
  bool flushing = false;  // on the current target
  const auto check = [&](double got, const Allowed& expected, std::size_t i, std::size_t j,
                         const auto& where) {
    Expect(Accepts(expected, got, flushing), [&] {
      return Str(shape, " ", where(), ": got ", got, ", ", Describe(expected, flushing),
                 operands(i, j));
    });
  };

  std::optional<std::vector<R>> first_values;
  std::optional<std::vector<std::int64_t>> first_indices;
  ForEachTarget([&](const std::string&) {
    flushing = Flushes(mode, dtype, metric);
    std::vector<R> values;
    std::vector<std::int64_t> indices_copy;
    switch (mode) {
      case Mode::kDistance: {
        double got = 0;
        WithPoisonedGaps([&] { got = simdkit::distance(metric, dtype, a.data(), b.data(), cols); }, a, b);
        check(got, allowed[0], 0, 0, [] { return std::string("pair"); });
        values.push_back(static_cast<R>(got));
        break;
      }
      case Mode::kPaired: {
        Vector<R> out(a_rows, out_offset);
        WithPoisonedGaps([&] { simdkit::paired(metric, a_view, b_view, out.data()); }, a, b);
        for (std::size_t i = 0; i < a_rows; ++i) {
          check(out[i], allowed[i], i, i, [&] { return Str("row ", i); });
          values.push_back(out[i]);
        }
        break;
      }
      case Mode::kCdist: {
        Matrix<R> out(a_rows, b_rows, out_stride, out_offset);
        WithPoisonedGaps(
            [&] { simdkit::cdist(metric, a_view, b_view, out.data(), out_stride, threads); }, a, b,
            out);
        for (std::size_t i = 0; i < a_rows; ++i) {
          for (std::size_t j = 0; j < b_rows; ++j) {
            check(out.at(i, j), allowed[i * b_rows + j], i, j, [&] { return Str("pair ", i, ",", j); });
            values.push_back(out.at(i, j));
          }
        }
        break;
      }
      case Mode::kPdist: {
        Vector<R> out(simdkit::pdist_size(a_rows), out_offset);
        WithPoisonedGaps([&] { simdkit::pdist(metric, a_view, out.data(), threads); }, a, out);
        Matrix<R> square(a_rows, a_rows, a_rows, 0);
        if (a_rows != 0) simdkit::cdist(metric, a_view, a_view, square.data(), a_rows, 1);
        for (std::size_t i = 0; i < a_rows; ++i) {
          for (std::size_t j = i + 1; j < a_rows; ++j) {
            const R got = out[simdkit::pdist_index(a_rows, i, j)];
            check(got, allowed[i * a_rows + j], i, j, [&] { return Str("pair ", i, ",", j); });
            Expect(SameBits(got, square.at(i, j)) || (std::isnan(got) && std::isnan(square.at(i, j))), [&] {
              return Str(shape, " pair ", i, ",", j, ": ", got, ", cdist(x, x) gives ",
                         square.at(i, j));
            });
            values.push_back(got);
          }
        }
        break;
      }
      default: {
        Vector<std::int64_t> indices(a_rows * k, out_offset);
        Vector<R> distances(a_rows * k, second_out_offset);
        WithPoisonedGaps(
            [&] {
              simdkit::topk(metric, a_view, b_view, k, indices.data(), distances.data(), threads);
            },
            a, b);
        const bool larger_first = larger_is_closer(metric);
        for (std::size_t q = 0; q < a_rows; ++q) {
          std::vector<bool> returned(b_rows, false);
          for (std::size_t r = 0; r < k; ++r) {
            const std::int64_t index = indices[q * k + r];
            const double got = distances[q * k + r];
            Expect(index >= 0 && static_cast<std::size_t>(index) < b_rows &&
                       !returned[static_cast<std::size_t>(index)],
                   [&] { return Str(shape, " query ", q, " rank ", r, ": bad or repeated index ", index); });
            returned[static_cast<std::size_t>(index)] = true;
            check(got, allowed[q * b_rows + static_cast<std::size_t>(index)], q,
                  static_cast<std::size_t>(index),
                  [&] { return Str("query ", q, " rank ", r, " row ", index); });
            if (r == 0) continue;
            const double previous = distances[q * k + r - 1];
            const std::int64_t previous_index = indices[q * k + r - 1];
            const bool before = std::isnan(got) ? !std::isnan(previous) || previous_index < index
                                : std::isnan(previous) ? false
                                : previous != got ? (larger_first ? previous > got : previous < got)
                                                  : previous_index < index;
            Expect(before, [&] {
              return Str(shape, " query ", q, ": (", got, ", row ", index, ") listed after (",
                         previous, ", row ", previous_index, ")");
            });
          }
          // No row left out that is certainly better than the last one in.
          const std::size_t last = static_cast<std::size_t>(indices[q * k + k - 1]);
          const Allowed& worst = allowed[q * b_rows + last];
          for (std::size_t j = 0; j < b_rows; ++j) {
            const Allowed& other = allowed[q * b_rows + j];
            if (returned[j] || worst.any_non_finite || worst.any_cosine || other.any_non_finite ||
                other.any_cosine) {
              continue;
            }
            const long double w = worst.expected.value, o = other.expected.value;
            const long double slack = BoundOf(worst, flushing) + BoundOf(other, flushing);
            bool better;
            if (std::isnan(o)) {
              better = false;
            } else if (std::isnan(w)) {
              better = true;
            } else if (slack == 0 && o == w) {
              better = j < last;
            } else {
              better = larger_first ? o - slack > w : o + slack < w;
            }
            Expect(!better, [&] {
              return Str(shape, " query ", q, ": row ", j, " (", Describe(other, flushing),
                         ") left out, row ", last, " (", Describe(worst, flushing), ") ranked last");
            });
          }
        }
        values.assign(distances.data(), distances.data() + a_rows * k);
        indices_copy.assign(indices.data(), indices.data() + a_rows * k);
        break;
      }
    }
    if (!IsExact(metric, dtype)) return;
    if (!first_values) {
      first_values = values;
      first_indices = indices_copy;
      return;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      Expect(SameBits(values[i], (*first_values)[i]), [&] {
        return Str(shape, " result ", i, ": ", values[i], " here, ", (*first_values)[i],
                   " on the first target");
      });
    }
    Expect(indices_copy == *first_indices, [&] { return Str(shape, ": topk indices differ between targets"); });
  });
}

}  // namespace
}  // namespace simdkit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using simdkit::DType;
  simdkit::fuzz::Input in(data, size);
  switch (static_cast<DType>(in.Choice(7))) {
    case DType::kFloat64: simdkit::fuzz::FuzzDistance<double>(in, DType::kFloat64); break;
    case DType::kFloat32: simdkit::fuzz::FuzzDistance<float>(in, DType::kFloat32); break;
    case DType::kFloat16: simdkit::fuzz::FuzzDistance<std::uint16_t>(in, DType::kFloat16); break;
    case DType::kBFloat16: simdkit::fuzz::FuzzDistance<std::uint16_t>(in, DType::kBFloat16); break;
    case DType::kInt8: simdkit::fuzz::FuzzDistance<std::int8_t>(in, DType::kInt8); break;
    case DType::kUInt8: simdkit::fuzz::FuzzDistance<std::uint8_t>(in, DType::kUInt8); break;
    default: simdkit::fuzz::FuzzDistance<std::uint8_t>(in, DType::kBits); break;
  }
  return 0;
}
