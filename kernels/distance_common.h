// Shared by the per-target distance kernels; Highway-free. How each metric
// decomposes into sums of per-element terms, how the sums become the
// metric's value and the top-k selection (the row-parallel loop is in
// parallel.h).
#ifndef SIMDKIT_KERNELS_DISTANCE_COMMON_H_
#define SIMDKIT_KERNELS_DISTANCE_COMMON_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "kernels/parallel.h"
#include "simdkit/distance.h"

namespace simdkit {

// Storage tag of DType::kBits: bytes, read 8 components at a time.
struct PackedBits {};

template <typename Stored>
constexpr bool IsBits() {
  return std::is_same_v<Stored, PackedBits>;
}

// Per-element terms whose sums make up the metrics.
enum class Term : std::uint8_t {
  kNone,
  kProduct,            // a * b
  kSquareA,            // a * a
  kSquareB,            // b * b
  kSquaredDifference,  // (a - b)^2
  kAbsDifference,      // |a - b|
  kUnequal,            // a != b (NaN differs from everything)
  kOneNonzero,         // (a != 0) != (b != 0)
  kEitherNonzero,      // a != 0 || b != 0
  kBitsDiffering,      // popcount(a ^ b)
  kBitsInBoth,         // popcount(a & b)
  kBitsInEither,       // popcount(a | b)
};

// The terms a metric sums over one pair (up to three), and the single term a
// tile of pairs sums for it in cdist (kNone: no tiled form). Cosine's
// tile term is the product alone: its norms are computed once per row.
template <Term t0, Term t1, Term t2, Term tile>
struct Plan {
  static constexpr Term kTerms[3] = {t0, t1, t2};
  static constexpr Term kTileTerm = tile;
};

// Calls plan_user(Plan<...>{}) with the plan of `metric` for this storage.
template <typename Stored, typename PlanUser>
decltype(auto) ForPlan(Metric metric, PlanUser&& plan_user) {
  constexpr Term kNone = Term::kNone;
  if constexpr (IsBits<Stored>()) {
    switch (metric) {
      case Metric::kHamming:
        return plan_user(Plan<Term::kBitsDiffering, kNone, kNone, Term::kBitsDiffering>{});
      case Metric::kJaccard:
        return plan_user(Plan<Term::kBitsInBoth, Term::kBitsInEither, kNone, kNone>{});
      default:
        throw std::invalid_argument(std::string("simdkit: metric '") + metric_name(metric) +
                                    "' does not apply to packed bits");
    }
  } else {
    switch (metric) {
      case Metric::kDot:
        return plan_user(Plan<Term::kProduct, kNone, kNone, Term::kProduct>{});
      case Metric::kCosine:
        return plan_user(Plan<Term::kProduct, Term::kSquareA, Term::kSquareB, Term::kProduct>{});
      case Metric::kSqEuclidean:
      case Metric::kEuclidean:
        return plan_user(
            Plan<Term::kSquaredDifference, kNone, kNone, Term::kSquaredDifference>{});
      case Metric::kCityblock:
        return plan_user(Plan<Term::kAbsDifference, kNone, kNone, Term::kAbsDifference>{});
      case Metric::kHamming:
        return plan_user(Plan<Term::kUnequal, kNone, kNone, Term::kUnequal>{});
      case Metric::kJaccard:
        return plan_user(Plan<Term::kOneNonzero, Term::kEitherNonzero, kNone, kNone>{});
    }
    throw std::invalid_argument("simdkit: unknown metric");
  }
}

// The metrics cdist and topk finish from squared norms and the dot product
// when they go through panels (NormFormFloor, kernels/distance-inl.h).
constexpr bool IsNormForm(Metric metric) {
  return metric == Metric::kSqEuclidean || metric == Metric::kEuclidean;
}

// 1 - similarity, clamped to [0, 2] where rounding stepped outside; NaN
// stays NaN.
inline double CosineDistance(double similarity) {
  double distance = 1.0 - similarity;
  if (distance < 0.0) distance = 0.0;
  if (distance > 2.0) distance = 2.0;
  return distance;
}

// The metric's value from its sums over n components (SciPy's formulas).
inline double Finish(Metric metric, bool bits, const double* sums, std::size_t n) {
  switch (metric) {
    case Metric::kDot:
    case Metric::kSqEuclidean:
    case Metric::kCityblock:
      return sums[0];
    case Metric::kEuclidean:
      return std::sqrt(sums[0]);
    case Metric::kCosine: {
      if (sums[1] == 0.0 || sums[2] == 0.0) return std::numeric_limits<double>::quiet_NaN();
      // Two square roots, not sqrt(|a|^2 |b|^2): that product overflows (or
      // underflows) for float64 norms beyond 2^±256, e.g. 1e150 and 1e9.
      return CosineDistance(sums[0] / (std::sqrt(sums[1]) * std::sqrt(sums[2])));
    }
    case Metric::kHamming:
      return bits ? sums[0] : sums[0] / static_cast<double>(n);
    case Metric::kJaccard:
      if (sums[1] == 0.0) return 0.0;
      return bits ? 1.0 - sums[0] / sums[1] : sums[0] / sums[1];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// The metric's value from the one sum a tile computes per pair (the metric's
// kTileTerm), given the pair's inverse row norms for cosine.
inline double FinishTileSum(Metric metric, bool bits, double sum, double a_inverse_norm,
                            double b_inverse_norm, std::size_t n) {
  // A multiply by precomputed inverse norms: a square root and a division
  // per pair would cost as much as a short row's products.
  if (metric == Metric::kCosine) return CosineDistance(sum * a_inverse_norm * b_inverse_norm);
  const double sums[3] = {sum, 0.0, 0.0};
  return Finish(metric, bits, sums, n);
}

// The k best of a stream of (value, index) candidates: smallest value first,
// largest for dot; NaN last; ties to the lower index. Candidates that beat
// the k-th best known are appended to a buffer of up to 2k + 16, which is cut
// back to its k best (nth_element) when full: each entering candidate costs
// an append and a share of a linear-time cut, where a heap of k costs two
// sifts of log2 k comparisons each (a tenth of a 100-query topk's time at
// k = 100). A rejected candidate costs one comparison.
// The cut and the final sort compare integer keys (OrderKey), not floats:
// the float order with its NaN and direction tests took most of a cut.
template <typename Value>
class TopKList {
 public:
  TopKList(std::size_t k, Metric metric)
      : k_(k), capacity_(2 * k + 16), larger_first_(larger_is_closer(metric)) {}

  // Offers values[j] as candidate index first_index + j, for j < count.
  void Offer(const Value* values, std::size_t count, std::size_t first_index) {
    const auto better = Better();
    if (kept_.capacity() == 0) kept_.reserve(capacity_);
    for (std::size_t j = 0; j < count; ++j) {
      const Candidate candidate{values[j], OrderKey(values[j]),
                                static_cast<std::int64_t>(first_index + j)};
      if (cut_ && !better(candidate, worst_)) continue;
      kept_.push_back(candidate);
      if (kept_.size() == capacity_) Cut();
    }
  }

  // For candidates offered in index order: the k-th best of those kept at
  // the last cut, which a later candidate must beat strictly to enter (the k
  // best can only get better since); before the first cut (and when that
  // value is NaN) NaN, which compares false with anything.
  Value Threshold() const {
    return cut_ ? worst_.value : std::numeric_limits<Value>::quiet_NaN();
  }

  // Whether a candidate later in index order than every one offered so far
  // may enter: it beats Threshold() (always true while that is NaN; Offer
  // then decides exactly).
  static bool MayEnter(Value value, Value threshold, bool larger_first) {
    return larger_first ? !(value <= threshold) : !(value >= threshold);
  }

  // Offer() for candidates that come in index order (first_index above every
  // index offered before): those that cannot enter cost one comparison each
  // and never touch the buffer.
  void OfferInIndexOrder(const Value* values, std::size_t count, std::size_t first_index) {
    for (std::size_t j = 0; j < count; ++j) {
      if (MayEnter(values[j], Threshold(), larger_first_)) Offer(values + j, 1, first_index + j);
    }
  }

  // The k best (all of them if fewer were offered), best first; returns how
  // many. Consumes the list.
  std::size_t Write(std::int64_t* indices, Value* values) {
    if (kept_.size() > k_) Cut();
    std::sort(kept_.begin(), kept_.end(), Better());
    for (std::size_t i = 0; i < kept_.size(); ++i) {
      indices[i] = kept_[i].index;
      values[i] = kept_[i].value;
    }
    return kept_.size();
  }

 private:
  // Unsigned integers of the value's width, in the list's order: the float
  // order made an integer one (flip the sign bit of positive values, every
  // bit of negative ones), reversed for larger_first, with -0 as +0 (equal
  // values tie to the lower index) and every NaN the largest key (last).
  using Key = std::conditional_t<sizeof(Value) == 4, std::uint32_t, std::uint64_t>;

  struct Candidate {
    Value value;
    Key key;
    std::int64_t index;
  };

  Key OrderKey(Value value) const {
    if (std::isnan(value)) return std::numeric_limits<Key>::max();
    constexpr Key kSign = Key{1} << (8 * sizeof(Key) - 1);
    Key bits;
    const Value unsigned_zero = value + Value{0};  // -0 + 0 = +0
    std::memcpy(&bits, &unsigned_zero, sizeof(bits));
    const Key ascending = (bits & kSign) != 0 ? ~bits : bits | kSign;
    // Infinities' keys (and their inverses) are below the NaN key.
    return larger_first_ ? ~ascending : ascending;
  }

  static auto Better() {
    return [](const Candidate& a, const Candidate& b) {
      return a.key != b.key ? a.key < b.key : a.index < b.index;
    };
  }

  // Keeps the k best, the k-th of them last, as worst_.
  void Cut() {
    std::nth_element(kept_.begin(), kept_.begin() + (k_ - 1), kept_.end(), Better());
    kept_.resize(k_);
    worst_ = kept_.back();
    cut_ = true;
  }

  std::size_t k_, capacity_;
  bool larger_first_;
  bool cut_ = false;
  Candidate worst_{};
  std::vector<Candidate> kept_;
};

// A call's scratch array of `count` T, 64-byte aligned: inside the object
// (on the caller's stack) when it fits kInlineBytes, else from the heap. A
// small call then allocates nothing: three or four hwy::AllocateAligned
// made a third of a 4 x 4 x 16 cdist. Neither copied nor moved (get()
// may point into the object itself); uninitialized, as an allocation is.
template <typename T, std::size_t kInlineBytes = 4096>
class ScratchArray {
 public:
  explicit ScratchArray(std::size_t count)
      : heap_(count * sizeof(T) > kInlineBytes ? hwy::AllocateAligned<T>(count) : nullptr),
        data_(heap_ ? heap_.get() : reinterpret_cast<T*>(inline_)) {}
  ScratchArray(const ScratchArray&) = delete;
  ScratchArray& operator=(const ScratchArray&) = delete;

  T* get() const { return data_; }

 private:
  alignas(64) unsigned char inline_[kInlineBytes];
  hwy::AlignedFreeUniquePtr<T[]> heap_;
  T* data_;
};

}  // namespace simdkit

#endif  // SIMDKIT_KERNELS_DISTANCE_COMMON_H_
