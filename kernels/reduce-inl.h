// Reduction kernels (sum, dot, norm, min, max, argmin, argmax), written once
// over a Highway tag `d` and compiled per target through foreach_target.h.
//
// Re-included once per target: the include guard toggles with
// HWY_TARGET_TOGGLE, as in hwy/contrib.
#if defined(SIMDKIT_KERNELS_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_REDUCE_INL_H_
#undef SIMDKIT_KERNELS_REDUCE_INL_H_
#else
#define SIMDKIT_KERNELS_REDUCE_INL_H_
#endif

#include <stddef.h>

#include <cmath>
#include <limits>

#include "hwy/highway.h"
#include "kernels/partial-inl.h"
#include "kernels/reduce_op.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Independent accumulator chains: enough to hide add/FMA latency (4 cycles)
// behind the two vector loads per cycle of current cores.
constexpr size_t kChains = 4;
// A pairwise leaf: each chain adds 8 vectors in sequence before leaves are
// combined pairwise, so rounding error grows with log2(n), not n. The bound is
// derived in docs/reduce.md; change it there too.
constexpr size_t kLeafVectors = 8 * kChains;

// The terms of a pairwise sum: each knows how to add its full vector at
// element offset i, and a final partial vector of `count` elements.
template <typename T>
struct SumTerms {
  const T* HWY_RESTRICT x;
  template <class D, class V>
  HWY_INLINE V Add(D d, size_t i, V acc) const {
    return hn::Add(acc, hn::LoadU(d, x + i));
  }
  template <class D, class V>
  HWY_INLINE V AddPartial(D d, size_t i, size_t count, V acc) const {
    return hn::Add(acc, LoadFirstN(d, x + i, count, T(0)));
  }
};

template <typename T>
struct SquareTerms {
  const T* HWY_RESTRICT x;
  template <class D, class V>
  HWY_INLINE V Add(D d, size_t i, V acc) const {
    const V v = hn::LoadU(d, x + i);
    return hn::MulAdd(v, v, acc);
  }
  template <class D, class V>
  HWY_INLINE V AddPartial(D d, size_t i, size_t count, V acc) const {
    const V v = LoadFirstN(d, x + i, count, T(0));
    return hn::MulAdd(v, v, acc);
  }
};

template <typename T>
struct ProductTerms {
  const T* HWY_RESTRICT a;
  const T* HWY_RESTRICT b;
  template <class D, class V>
  HWY_INLINE V Add(D d, size_t i, V acc) const {
    return hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc);
  }
  template <class D, class V>
  HWY_INLINE V AddPartial(D d, size_t i, size_t count, V acc) const {
    return hn::MulAdd(LoadFirstN(d, a + i, count, T(0)),
                      LoadFirstN(d, b + i, count, T(0)), acc);
  }
};

// Sum of terms [begin, begin + count) as a vector of partial sums: leaves of
// kLeafVectors vectors accumulated in kChains chains, leaves added pairwise.
template <class D, class Terms>
hn::Vec<D> PairwiseSum(D d, const Terms& terms, size_t begin, size_t count) {
  const size_t lanes = hn::Lanes(d);
  const size_t leaf = kLeafVectors * lanes;
  if (count > leaf) {
    // Split on a leaf boundary so that only the last leaf is partial.
    const size_t leaves = (count + leaf - 1) / leaf;
    const size_t first = (leaves / 2) * leaf;
    return hn::Add(PairwiseSum(d, terms, begin, first),
                   PairwiseSum(d, terms, begin + first, count - first));
  }
  auto sum0 = hn::Zero(d);
  auto sum1 = hn::Zero(d);
  auto sum2 = hn::Zero(d);
  auto sum3 = hn::Zero(d);
  size_t i = 0;
  for (; i + kChains * lanes <= count; i += kChains * lanes) {
    sum0 = terms.Add(d, begin + i, sum0);
    sum1 = terms.Add(d, begin + i + lanes, sum1);
    sum2 = terms.Add(d, begin + i + 2 * lanes, sum2);
    sum3 = terms.Add(d, begin + i + 3 * lanes, sum3);
  }
  // At most three full vectors and a partial one remain: one per chain keeps
  // every chain within 8 additions.
  if (i + lanes <= count) {
    sum0 = terms.Add(d, begin + i, sum0);
    i += lanes;
  }
  if (i + lanes <= count) {
    sum1 = terms.Add(d, begin + i, sum1);
    i += lanes;
  }
  if (i + lanes <= count) {
    sum2 = terms.Add(d, begin + i, sum2);
    i += lanes;
  }
  if (i < count) {
    sum3 = terms.AddPartial(d, begin + i, count - i, sum3);
  }
  return hn::Add(hn::Add(sum0, sum1), hn::Add(sum2, sum3));
}

template <class D, class Terms>
HWY_INLINE hn::TFromD<D> SumOfTerms(D d, const Terms& terms, size_t count) {
  // At most one vector: the partial chain alone, which is what PairwiseSum
  // would return (its other chains are +0, which changes nothing once added
  // to +0), without its call and loop; a small call's kernel is most of its
  // cost.
  if (count <= hn::Lanes(d)) {
    return hn::GetLane(hn::SumOfLanes(d, terms.AddPartial(d, 0, count, hn::Zero(d))));
  }
  return hn::GetLane(hn::SumOfLanes(d, PairwiseSum(d, terms, 0, count)));
}

// Index of the first element in [0, n) whose lane satisfies `match` (a
// vector predicate returning a mask), or n if none does.
template <class D, class Match, typename T = hn::TFromD<D>>
size_t FindFirst(D d, const T* HWY_RESTRICT x, size_t n, const Match& match) {
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto any = hn::Or(hn::Or(match(hn::LoadU(d, x + i)),
                                   match(hn::LoadU(d, x + i + lanes))),
                            hn::Or(match(hn::LoadU(d, x + i + 2 * lanes)),
                                   match(hn::LoadU(d, x + i + 3 * lanes))));
    if (!hn::AllFalse(d, any)) break;  // the vector loop below pins it down
  }
  for (; i + lanes <= n; i += lanes) {
    const auto found = match(hn::LoadU(d, x + i));
    if (!hn::AllFalse(d, found)) return i + hn::FindKnownFirstTrue(d, found);
  }
  if (i < n) {
    const auto found = hn::And(match(LoadFirstN(d, x + i, n - i, T(0))),
                               hn::FirstN(d, n - i));
    if (!hn::AllFalse(d, found)) return i + hn::FindKnownFirstTrue(d, found);
  }
  return n;
}

template <class D, typename T = hn::TFromD<D>>
HWY_INLINE size_t FindFirstNaN(D d, const T* HWY_RESTRICT x, size_t n) {
  return FindFirst(d, x, n, [](hn::Vec<D> v) { return hn::IsNaN(v); });
}

enum class Extreme { kMin, kMax };

template <Extreme kWhich, class V>
HWY_INLINE V Closer(V a, V b) {
  if constexpr (kWhich == Extreme::kMin) {
    return hn::Min(a, b);
  } else {
    return hn::Max(a, b);
  }
}

// The smallest (largest) lane of v, which holds no NaN. Highway 1.0.3's
// EMU128 MinOfLanes/MaxOfLanes start from the largest (smallest) *finite*
// value, so a vector of +Inf (-Inf) reduced to a finite number that is no
// element at all (argmin then found no match and returned n). The true
// answer is always one of the lanes; when none equals the reduction, every
// lane is that infinity.
template <Extreme kWhich, class D, class V = hn::Vec<D>, typename T = hn::TFromD<D>>
HWY_INLINE T ExtremeLane(D d, V v) {
  constexpr bool kMin = kWhich == Extreme::kMin;
  T reduced;
  if constexpr (kMin) {
    reduced = hn::GetLane(hn::MinOfLanes(d, v));
  } else {
    reduced = hn::GetLane(hn::MaxOfLanes(d, v));
  }
  if (hn::AllFalse(d, hn::Eq(v, hn::Set(d, reduced)))) {
    return kMin ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
  }
  return reduced;
}

// Minimum or maximum of x[0, n), n >= 1; NaN if any element is NaN.
// hn::Min/Max leave NaN handling to the target (x86 drops a NaN operand), so
// NaN is detected separately: a NaN among four vectors makes their sum NaN.
// Infinities of both signs can also sum to NaN; FindFirstNaN then decides.
template <Extreme kWhich, class D, typename T = hn::TFromD<D>>
T ExtremeOf(D d, const T* HWY_RESTRICT x, size_t n) {
  const size_t lanes = hn::Lanes(d);
  if (n <= lanes) {  // one vector, padded with x[0]: a single load and test
    const auto v = LoadFirstN(d, x, n, x[0]);
    if (!hn::AllFalse(d, hn::IsNaN(v))) return std::numeric_limits<T>::quiet_NaN();
    return ExtremeLane<kWhich>(d, v);
  }
  auto best0 = hn::Set(d, x[0]);
  auto best1 = best0;
  auto best2 = best0;
  auto best3 = best0;
  auto maybe_nan = hn::FirstN(d, 0);
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto v0 = hn::LoadU(d, x + i);
    const auto v1 = hn::LoadU(d, x + i + lanes);
    const auto v2 = hn::LoadU(d, x + i + 2 * lanes);
    const auto v3 = hn::LoadU(d, x + i + 3 * lanes);
    best0 = Closer<kWhich>(best0, v0);
    best1 = Closer<kWhich>(best1, v1);
    best2 = Closer<kWhich>(best2, v2);
    best3 = Closer<kWhich>(best3, v3);
    maybe_nan = hn::Or(maybe_nan, hn::IsNaN(hn::Add(hn::Add(v0, v1), hn::Add(v2, v3))));
  }
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, x + i);
    best0 = Closer<kWhich>(best0, v);
    maybe_nan = hn::Or(maybe_nan, hn::IsNaN(v));
  }
  if (i < n) {
    const auto v = LoadFirstN(d, x + i, n - i, x[0]);
    best1 = Closer<kWhich>(best1, v);
    maybe_nan = hn::Or(maybe_nan, hn::IsNaN(v));
  }
  if (!hn::AllFalse(d, maybe_nan) && FindFirstNaN(d, x, n) != n) {
    return std::numeric_limits<T>::quiet_NaN();
  }
  return ExtremeLane<kWhich>(
      d, Closer<kWhich>(Closer<kWhich>(best0, best1), Closer<kWhich>(best2, best3)));
}

// Index of the first minimum (maximum) of x[0, n), n >= 1, or of the first
// NaN if there is one, as numpy.argmin/argmax. Blocks small enough to stay in
// L1 are reduced to their extreme value; only the first block holding the
// overall extreme is scanned again for its position. Memory is thus read
// once, and the inner loop is as cheap as min/max.
template <Extreme kWhich, class D, typename T = hn::TFromD<D>>
size_t IndexOfExtreme(D d, const T* HWY_RESTRICT x, size_t n) {
  if (n <= hn::Lanes(d)) {
    // One vector, padded with x[0] (after every real lane, so never found
    // first): the first NaN, else the first lane holding the extreme, from
    // a single load.
    const auto v = LoadFirstN(d, x, n, x[0]);
    const auto nan = hn::IsNaN(v);
    if (!hn::AllFalse(d, nan)) return hn::FindKnownFirstTrue(d, nan);
    return hn::FindKnownFirstTrue(d, hn::Eq(v, hn::Set(d, ExtremeLane<kWhich>(d, v))));
  }
  constexpr size_t kBlock = 16384 / sizeof(T);
  T best = x[0];
  size_t best_start = 0;
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t length = HWY_MIN(kBlock, n - start);
    const T extreme = ExtremeOf<kWhich>(d, x + start, length);
    if (std::isnan(extreme)) return start + FindFirstNaN(d, x + start, length);
    const bool better = kWhich == Extreme::kMin ? extreme < best : extreme > best;
    if (better) {
      best = extreme;
      best_start = start;
    }
  }
  const size_t length = HWY_MIN(kBlock, n - best_start);
  // Captures the scalar: GCC 12 crashes capturing an SVE (sizeless) vector.
  return best_start + FindFirst(d, x + best_start, length,
                                [d, best](hn::Vec<D> v) { return hn::Eq(v, hn::Set(d, best)); });
}

template <class D, typename T = hn::TFromD<D>>
void ReduceRowsOnTarget(D d, ReduceOp op, const T* HWY_RESTRICT x, size_t rows, size_t cols,
                        size_t row_stride, void* HWY_RESTRICT out) {
  T* values = static_cast<T*>(out);
  size_t* indices = static_cast<size_t*>(out);
  const auto for_each_row = [&](auto* results, const auto& reduce_row) {
    for (size_t r = 0; r < rows; ++r) results[r] = reduce_row(x + r * row_stride);
  };
  switch (op) {
    case ReduceOp::kSum:
      return for_each_row(values, [&](const T* row) {
        return SumOfTerms(d, SumTerms<T>{row}, cols);
      });
    case ReduceOp::kNorm:
      return for_each_row(values, [&](const T* row) {
        return std::sqrt(SumOfTerms(d, SquareTerms<T>{row}, cols));
      });
    case ReduceOp::kMin:
      return for_each_row(values, [&](const T* row) {
        return ExtremeOf<Extreme::kMin>(d, row, cols);
      });
    case ReduceOp::kMax:
      return for_each_row(values, [&](const T* row) {
        return ExtremeOf<Extreme::kMax>(d, row, cols);
      });
    case ReduceOp::kArgMin:
      return for_each_row(indices, [&](const T* row) {
        return IndexOfExtreme<Extreme::kMin>(d, row, cols);
      });
    case ReduceOp::kArgMax:
      return for_each_row(indices, [&](const T* row) {
        return IndexOfExtreme<Extreme::kMax>(d, row, cols);
      });
  }
}

template <class D, typename T = hn::TFromD<D>>
void DotRowsOnTarget(D d, const T* HWY_RESTRICT a, size_t a_stride, const T* HWY_RESTRICT b,
                     size_t b_stride, size_t rows, size_t cols, T* HWY_RESTRICT out) {
  for (size_t r = 0; r < rows; ++r) {
    out[r] = SumOfTerms(d, ProductTerms<T>{a + r * a_stride, b + r * b_stride}, cols);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_REDUCE_INL_H_
