// Elementwise math (exp, log, sin, ..., the activations) and row kernels
// (softmax, log_softmax, logsumexp, normalize) over float32 and float64,
// written once over Highway tags and compiled per target.
//
// The transcendentals come from hwy/contrib/math where Highway 1.0.3 has
// them; that code is only valid on part of the domain (e.g. Exp up to 104,
// Log on (0, FLT_MAX], Sin and Cos on [-39000, 39000]), so each function
// here patches the rest of the domain to what NumPy returns: overflow to
// Inf, poles, NaN outside the domain, NaN propagated, and the large
// arguments of sin/cos through the C library (rare lanes only).
//
// Re-included once per target: the include guard toggles with
// HWY_TARGET_TOGGLE, as in hwy/contrib.
#if defined(SIMDKIT_KERNELS_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_MATH_INL_H_
#undef SIMDKIT_KERNELS_MATH_INL_H_
#else
#define SIMDKIT_KERNELS_MATH_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "hwy/cache_control.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/capabilities-inl.h"
#include "kernels/convert-inl.h"
#include "kernels/partial-inl.h"
#include "simdkit/math.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Edges of the domains, per lane type.
template <typename T>
struct MathLimits;
template <>
struct MathLimits<float> {
  static constexpr float kExpOverflow = 88.72283172607421875f;  // largest x with finite exp
  static constexpr float kSiluTail = -85.0f;  // below, e^x nears the subnormals
  static constexpr float kTrigLimit = 39000.0f;                  // hn::Sin / hn::Cos
};
template <>
struct MathLimits<double> {
  static constexpr double kExpOverflow = 709.782712893383973096;
  static constexpr double kSiluTail = -700.0;
};

template <class D>
HWY_INLINE hn::Vec<D> Infinity(D d) {
  return hn::Set(d, std::numeric_limits<hn::TFromD<D>>::infinity());
}

template <class D>
HWY_INLINE hn::Vec<D> QuietNaN(D d) {
  return hn::Set(d, std::numeric_limits<hn::TFromD<D>>::quiet_NaN());
}

// NaN lanes of x pass through unchanged (as NumPy's ufuncs return them).
template <class V>
HWY_INLINE V KeepNaN(V x, V result) {
  return hn::IfThenElse(hn::IsNaN(x), x, result);
}

// For the functions with f(x) ~ x at 0: f(+-0) = +-0 (polynomials lose
// the sign of a zero) and f(NaN) = NaN, as NumPy gives them. |x| > 0 is
// false for both; vectors without either skip the blend.
template <class V>
HWY_INLINE V OddPassThrough(V x, V result) {
  const auto regular = hn::Gt(hn::Abs(x), hn::Zero(hn::DFromV<V>()));
  if (HWY_LIKELY(hn::AllTrue(hn::DFromV<V>(), regular))) return result;
  return hn::IfThenElse(regular, result, x);
}

// e^x where the result is a normal number, |x| <= kExpNormalRange: about
// half the instructions of hn::Exp, whose float-to-int conversion, range
// checks and two-step scaling serve the whole line. x = q ln2 + r with q
// rounded to nearest by adding 1.5 * 2^(mantissa bits) (so q sits in the low
// mantissa bits; the exponent bias is added with it, and shifting those bits
// into the exponent field makes 2^q directly); e^r = 1 + r + r^2 P(r) on
// [-ln2/2, ln2/2], P a degree-4 minimax fit for float32 (0.05 ULP) and
// degree 9 for float64 (tools/minimax.py exp_tail_f64: 0.1 x 2^-53); the
// final (1 + p) 2^q is one multiply-add (and with kMinusOne, e^x - 1 =
// p 2^q + (2^q - 1) is too: 2^q - 1 is exact down to q = -(mantissa bits
// + 1), and below it rounds to where e^x - 1 does). Max error of e^x 1.01
// ULP over every float32 in range (checked exhaustively; docs/accuracy.md).
template <typename T>
constexpr T kExpNormalRange = sizeof(T) == 4 ? T(87.3) : T(708.0);

// exp_tail_f64_carried's P(r) = even(r^2) + r odd(r^2): P(-r) from the
// same two (sinh's e^|x| and e^-|x|), and each a chain of half the length
// of Horner's in r.
template <class D, class V>
HWY_INLINE V ExpTailEvenOdd(D d, V r, V& odd) {
  const V r2 = hn::Mul(r, r);
  V even = hn::MulAdd(hn::Set(d, 0.0000000020826632886062006), r2, hn::Set(d, 0.0000002755758175951737));
  even = hn::MulAdd(even, r2, hn::Set(d, 0.000024801586926834244));
  even = hn::MulAdd(even, r2, hn::Set(d, 0.0013888888889115464));
  even = hn::MulAdd(even, r2, hn::Set(d, 0.041666666666666095));
  even = hn::MulAdd(even, r2, hn::Set(d, 0.5));
  odd = hn::MulAdd(hn::Set(d, 0.000000025112025300501553), r2, hn::Set(d, 0.0000027557234894207066));
  odd = hn::MulAdd(odd, r2, hn::Set(d, 0.0001984126989635243));
  odd = hn::MulAdd(odd, r2, hn::Set(d, 0.008333333333317046));
  odd = hn::MulAdd(odd, r2, hn::Set(d, 0.16666666666666682));
  return even;
}

// P(r) of e^r = 1 + r + r^2 P(r) on [-ln2/2, ln2/2] (tools/minimax.py
// exp_tail_f32 / exp_tail_f64; with kCarried, for float64,
// exp_tail_f64_carried: one degree more, for ExpParts).
template <bool kCarried = false, class D, class V>
HWY_INLINE V ExpTailPolynomial(D d, V r) {
  using T = hn::TFromD<D>;
  V p;
  if constexpr (kCarried && sizeof(T) == 8) {
    // ExpParts' chain of dependent steps is long: the terms from r^3 on in
    // Estrin's scheme (two products more than Horner, half its latency),
    // the last three in Horner's, whose roundings are the ones that count
    // (expm1 scales them by up to 3.4: ExpTailEvenOdd's two roundings at
    // 1/2 cost it 0.15 ULP).
    const V r2 = hn::Mul(r, r);
    const V r4 = hn::Mul(r2, r2);
    // By reference: GCC 12 on aarch64 crashes (ICE) copying an SVE vector into a lambda.
    const auto pair = [&](double high, double low) HWY_ATTR {
      return hn::MulAdd(hn::Set(d, high), r, hn::Set(d, low));
    };
    const V p3_6 = hn::MulAdd(pair(0.000024801586926834244, 0.0001984126989635243), r2,
                              pair(0.0013888888889115464, 0.008333333333317046));
    const V p7_10 = hn::MulAdd(pair(0.0000000020826632886062006, 0.000000025112025300501553), r2,
                               pair(0.0000002755758175951737, 0.0000027557234894207066));
    p = hn::MulAdd(p7_10, r4, p3_6);
    p = hn::MulAdd(p, r, hn::Set(d, T(0.041666666666666095)));
    p = hn::MulAdd(p, r, hn::Set(d, T(0.16666666666666682)));
    p = hn::MulAdd(p, r, hn::Set(d, T(0.5)));
  } else if constexpr (sizeof(T) == 4) {
    p = hn::MulAdd(hn::Set(d, 0.001381461275741458f), r, hn::Set(d, 0.008368710055947304f));
    p = hn::MulAdd(p, r, hn::Set(d, 0.04166838899254799f));
    p = hn::MulAdd(p, r, hn::Set(d, 0.1666652113199234f));
    p = hn::MulAdd(p, r, hn::Set(d, 0.4999999403953552f));
  } else {
    p = hn::MulAdd(hn::Set(d, 0.000000025000080062517594), r, hn::Set(d, 0.00000027630235104208103));
    p = hn::MulAdd(p, r, hn::Set(d, 0.0000027557586248189625));
    p = hn::MulAdd(p, r, hn::Set(d, 0.000024801493132647708));
    p = hn::MulAdd(p, r, hn::Set(d, 0.00019841269506790164));
    p = hn::MulAdd(p, r, hn::Set(d, 0.001388888894360135));
    p = hn::MulAdd(p, r, hn::Set(d, 0.008333333333494335));
    p = hn::MulAdd(p, r, hn::Set(d, 0.04166666666653025));
    p = hn::MulAdd(p, r, hn::Set(d, 0.16666666666666413));
    p = hn::MulAdd(p, r, hn::Set(d, 0.5000000000000011));
  }
  return p;
}

// The reduction of ExpNormalRange (with kBaseTwo, of 2^x: q = round(x) and
// r = (x - q) ln2, x - q exact, so only the product rounds: 0.35 ULP of r at
// most): x = q ln2 + r, r returned rounded and r_low_out its rounding error
// (base e only: x - q ln2_hi is exact, and ln2's two parts leave 2^-76 of
// q's), q's biased value left in t's low mantissa bits. Callers that drop
// r_low_out drop its computation with it. (Out-parameters, not a struct:
// SVE's vectors cannot be members.)
// 1.5 2^(mantissa bits) + the exponent bias: t = x / ln2 + kExpShift holds
// q + the bias in its low mantissa bits, and 2 kExpShift - t (exact) -q + the
// bias.
template <typename T>
constexpr T kExpShift =
    T(1.5) * T(1ull << (std::numeric_limits<T>::digits - 1)) + T(std::numeric_limits<T>::max_exponent - 1);

template <bool kBaseTwo = false, class D, class V>
HWY_INLINE V ReduceExpArgument(D d, V x, V& t_out, V& r_low_out) {
  using T = hn::TFromD<D>;
  const V shift = hn::Set(d, kExpShift<T>);
  const V t = kBaseTwo ? hn::Add(x, shift) : hn::MulAdd(x, hn::Set(d, T(1.44269504088896340736)), shift);
  t_out = t;
  const V q = hn::Sub(t, shift);
  if constexpr (kBaseTwo) {
    r_low_out = hn::Zero(d);
    return hn::Mul(hn::Sub(x, q), hn::Set(d, T(0.69314718055994530942)));
  } else {
    // Cody-Waite: q times ln2's leading bits is exact (32 bits for float64).
    const V minus_ln2_high = hn::Set(d, sizeof(T) == 4 ? T(-0.693145751953125f) : T(-6.93147180369123816490e-01));
    const V minus_ln2_low =
        hn::Set(d, sizeof(T) == 4 ? T(-1.428606765330187045e-6f) : T(-1.90821492927058770002e-10));
    const V r_high = hn::MulAdd(q, minus_ln2_high, x);
    const V r = hn::MulAdd(q, minus_ln2_low, r_high);
    r_low_out = hn::MulAdd(q, minus_ln2_low, hn::Sub(r_high, r));
    return r;
  }
}

// ReduceExpArgument and the polynomial: e^x = (1 + p) 2^q, p returned, t as
// there.
template <bool kBaseTwo = false, class D, class V>
HWY_INLINE V ReduceExp(D d, V x, V& t_out) {
  V r_low;
  const V r = ReduceExpArgument<kBaseTwo>(d, x, t_out, r_low);
  return hn::MulAdd(ExpTailPolynomial(d, r), hn::Mul(r, r), r);
}

// 2^(q + kOffset), q as ReduceExp leaves it in t.
template <int kOffset = 0, class D, class V>
HWY_INLINE V PowerOfTwoOf(D d, V t) {
  const hn::RebindToSigned<D> di;
  constexpr int kMantissaBits = std::numeric_limits<hn::TFromD<D>>::digits - 1;
  auto biased = hn::BitCast(di, t);
  if constexpr (kOffset != 0) biased = hn::Add(biased, hn::Set(di, kOffset));
  return hn::BitCast(d, hn::ShiftLeft<kMantissaBits>(biased));
}

// a * b - p exactly, for p = a * b rounded (the rounding error of a
// product): one FMA where the target has it, Dekker's splitting elsewhere.
template <class D, class V>
HWY_INLINE V ProductError(D d, V a, V b, V p) {
#if HWY_NATIVE_FMA
  (void)d;
  return hn::MulSub(a, b, p);
#else
  using T = hn::TFromD<D>;
  // Splits v into a high half of at most half the significand's bits and
  // the rest, so that products of halves are exact.
  const V splitter = hn::Set(d, sizeof(T) == 4 ? T(4097) : T(134217729));
  const auto split = [&](V v, V& high, V& low) {
    const V scaled = hn::Mul(v, splitter);
    high = hn::Sub(scaled, hn::Sub(scaled, v));
    low = hn::Sub(v, high);
  };
  V a_high, a_low, b_high, b_low;
  split(a, a_high, a_low);
  split(b, b_high, b_low);
  V error = hn::Sub(hn::Mul(a_high, b_high), p);
  error = hn::Add(error, hn::Mul(a_high, b_low));
  error = hn::Add(error, hn::Mul(a_low, b_high));
  return hn::Add(error, hn::Mul(a_low, b_low));
#endif
}

// e^x (or with kMinusOne e^x - 1) = high + low for |x| <= kExpNormalRange,
// |low| <= ULP(high) / 2, for the float64 functions that need it well within
// an ULP before their last rounding: ReduceExpArgument's r and its rounding
// error r_low, 2^q - 1 (or 2^q) + 2^q r summed exactly (Fast2Sum: |2^q - 1|
// >= 2^q |r| for q != 0, and for q = 0 the sum is 2^q r itself; 2^q - 1's
// own rounding, q >= 54, kept), then 2^q (r^2 P(r) + r_low (1 + r)) (r_low^2
// is below 2^-106) and that sum's error in one multiply-add. What rounds is
// r^2 and that multiply-add: 0.4 ULP of expm1 at most, near x = ln2/2 where
// 2^q = 2 scales e^r - 1 by 3.4 (0.45 without FMA); expm1 is high alone.
// Below q = -53, 2^q - 1 rounds to -1: e^x - 1 is then -1 within 0.7 ULP.
// With kOffset, e^x 2^kOffset (no kMinusOne then).
template <bool kMinusOne, int kOffset = 0, class D, class V>
HWY_INLINE V ExpParts(D d, V x, V& low) {
  using T = hn::TFromD<D>;
  static_assert(!kMinusOne || kOffset == 0, "e^x - 1 is not scaled");
  V t, r_low;
  const V r = ReduceExpArgument(d, x, t, r_low);
  const V scale = PowerOfTwoOf<kOffset>(d, t);
  const V a = kMinusOne ? hn::Sub(scale, hn::Set(d, T(1))) : scale;
  const V b = hn::Mul(r, scale);
  const V sum = hn::Add(a, b);
  V sum_low = hn::Add(hn::Sub(a, sum), b);
  if constexpr (kMinusOne) sum_low = hn::Add(sum_low, hn::Sub(hn::Sub(scale, a), hn::Set(d, T(1))));
  const V scaled_r_low = hn::Mul(r_low, scale);
  const V rest = hn::MulAdd(hn::Mul(r, b), ExpTailPolynomial</*kCarried=*/true>(d, r),
                            hn::Add(hn::MulAdd(r, scaled_r_low, scaled_r_low), sum_low));
  const V high = hn::Add(sum, rest);
  low = hn::Add(hn::Sub(sum, high), rest);
  return high;
}

// 2 sinh a = e^a - e^-a = high + low for 0 <= a <= kExpNormalRange, as
// ExpParts for both signs from one reduction: 2^q + 2^q r and 2^-q - 2^-q r
// each summed exactly, their difference by Fast2Sum (the first is the
// larger), then the rest: 2^+-q r^2 P(+-r) (P's even and odd parts shared)
// and r's rounding error times e^a + e^-a. No division (m / (m + 1) after
// expm1 made a chain of dependent steps too long for consecutive vectors
// to overlap: twice the time).
template <class D, class V>
HWY_INLINE V TwiceSinhParts(D d, V a, V& low) {
  using T = hn::TFromD<D>;
  V t, r_low;
  const V r = ReduceExpArgument(d, a, t, r_low);
  const V scale = PowerOfTwoOf(d, t);
  const V inverse_scale = PowerOfTwoOf(d, hn::Sub(hn::Set(d, T(2) * kExpShift<T>), t));
  V odd;
  const V even = ExpTailEvenOdd(d, r, odd);
  const V b = hn::Mul(r, scale);
  const V minus_b_inverse = hn::Mul(r, inverse_scale);  // -(the same for -r)
  const V e = hn::Add(scale, b);
  const V inverse = hn::Sub(inverse_scale, minus_b_inverse);
  const V e_rest = hn::MulAdd(hn::Mul(r, b), hn::MulAdd(r, odd, even), hn::Add(hn::Sub(scale, e), b));
  const V inverse_rest = hn::MulAdd(hn::Mul(r, minus_b_inverse), hn::NegMulAdd(r, odd, even),
                                    hn::Sub(hn::Sub(inverse_scale, inverse), minus_b_inverse));
  const V high = hn::Sub(e, inverse);
  low = hn::Add(hn::MulAdd(r_low, hn::Add(e, inverse), hn::Sub(hn::Sub(e, high), inverse)),
                hn::Sub(e_rest, inverse_rest));
  return high;
}

template <bool kMinusOne = false, class D, class V>
HWY_INLINE V ExpNormalRange(D d, V x) {
  using T = hn::TFromD<D>;
  V t;
  const V p = ReduceExp(d, x, t);
  const V scale = PowerOfTwoOf(d, t);
  if constexpr (kMinusOne) return hn::MulAdd(p, scale, hn::Sub(scale, hn::Set(d, T(1))));
  return hn::MulAdd(p, scale, scale);
}

// e^a / 2 for a >= 0 up to past the overflow edge of sinh and cosh (where
// they are e^a / 2 to the last bit): the fast exp's steps, with 2^q applied
// as 2^(q - 2) times 2 so that 2^q need not be representable; Inf past the
// edge (a is clamped just beyond it first, which keeps q - 2 in range).
// float64 takes ExpParts' steps (0.55 ULP rather than 1.05, for the
// float64 edges of sinh, cosh and expm1).
template <class D, class V>
HWY_INLINE V HalfExpOfLarge(D d, V a) {
  using T = hn::TFromD<D>;
  const V clamped = hn::Min(a, hn::Set(d, sizeof(T) == 4 ? T(89.5) : T(710.5)));
  if constexpr (sizeof(T) == 8) {
    V low;  // below half an ULP of the rounded high
    return hn::Mul(ExpParts</*kMinusOne=*/false, -2>(d, clamped, low), hn::Set(d, T(2)));
  }
  V t;
  const V p = ReduceExp(d, clamped, t);
  const V scale = PowerOfTwoOf<-2>(d, t);
  return hn::Mul(hn::MulAdd(p, scale, scale), hn::Set(d, T(2)));
}

// 2^x on the whole line. Within the normal range, ReduceExp's base-2 steps;
// beyond, 2^(x -+ s) 2^(+-s) with s half the range (x clamped where the
// result is already 0 or Inf): one more rounding, into the subnormals below.
template <class D, class V>
HWY_INLINE V Exp2Full(D d, V x) {
  using T = hn::TFromD<D>;
  const T range = sizeof(T) == 4 ? T(126) : T(1022);
  const T half = sizeof(T) == 4 ? T(64) : T(512);
  const auto fast_lanes = hn::Le(hn::Abs(x), hn::Set(d, range));
  const auto exp2 = [d](V v) HWY_ATTR {
    V t;
    const V p = ReduceExp</*kBaseTwo=*/true>(d, v, t);
    const V scale = PowerOfTwoOf(d, t);
    return hn::MulAdd(p, scale, scale);
  };
  const V fast = exp2(x);
  if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return fast;
  const V limit = hn::Set(d, range + half);
  const V clamped = hn::Min(hn::Max(x, hn::Neg(limit)), limit);
  const auto positive = hn::Gt(x, hn::Zero(d));
  const V s = hn::IfThenElse(positive, hn::Set(d, half), hn::Set(d, -half));
  const V power = hn::IfThenElse(positive, hn::Set(d, sizeof(T) == 4 ? T(0x1p64) : T(0x1p512)),
                                 hn::Set(d, sizeof(T) == 4 ? T(0x1p-64) : T(0x1p-512)));
  const V outside = hn::Mul(exp2(hn::Sub(clamped, s)), power);
  return KeepNaN(x, hn::IfThenElse(fast_lanes, fast, outside));
}

// exp on the whole line: Inf past the overflow edge, NaN kept (hn::Exp
// returns 0 for NaN).
// The fix-ups run only for vectors that need them: one compare and a mask
// test instead of two blends on every vector.
// A lane's result never depends on its neighbours: where some lanes are out
// of the fast range, the others keep the fast path's values.
template <class D, class V>
HWY_INLINE V ExpFull(D d, V x) {
  using T = hn::TFromD<D>;
  const auto fast_lanes = hn::Le(hn::Abs(x), hn::Set(d, kExpNormalRange<T>));
  const V fast = ExpNormalRange(d, x);
  if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return fast;
  const V overflow = hn::Set(d, MathLimits<T>::kExpOverflow);
  const V y = hn::IfThenElse(hn::Gt(x, overflow), Infinity(d), hn::Exp(d, x));
  return KeepNaN(x, hn::IfThenElse(fast_lanes, fast, y));
}

// tanh(x) = sign(x) m / (m + 2), m = e^2|x| - 1, as hn::Tanh but with the
// fast exp's reduction (the same steps end in 2^q (1 + p) - 1 =
// p 2^q + (2^q - 1), one multiply-add, exact for q = 0 and small |x|)
// instead of hn::Expm1, which costs twice as much. 2|x| is clamped into
// the fast range: beyond, m / (m + 2) rounds to 1. Zeros come out with
// their sign; NaN is left to the caller (OddPassThrough).
template <class D, class V>
HWY_INLINE V TanhByExpm1(D d, V x) {
  using T = hn::TFromD<D>;
  const V a = hn::Abs(x);
  const V m = ExpNormalRange</*kMinusOne=*/true>(
      d, hn::Min(hn::Add(a, a), hn::Set(d, kExpNormalRange<T>)));
  return hn::CopySignToAbs(hn::Div(m, hn::Add(m, hn::Set(d, T(2)))), x);
}

// e^z for z <= 0 or NaN (softmax's x - max): one compare picks the fast path.
template <class D, class V>
HWY_INLINE V ExpOfNonPositive(D d, V z) {
  using T = hn::TFromD<D>;
  if (HWY_LIKELY(hn::AllTrue(d, hn::Ge(z, hn::Set(d, -kExpNormalRange<T>))))) {
    return ExpNormalRange(d, z);
  }
  return ExpFull(d, z);
}

// The log family's edges: log(0) = -Inf, log(x < 0) = NaN, log(Inf) = Inf.
// `zero_at` is where the pole lies (0 for log, -1 for log1p).
template <class D, class V>
HWY_INLINE V LogEdges(D d, V x, V zero_at, V y) {
  // Only vectors with a lane outside (zero_at, Inf) (NaN included) need them.
  if (HWY_LIKELY(hn::AllTrue(d, hn::And(hn::Gt(x, zero_at), hn::Lt(x, Infinity(d)))))) return y;
  y = hn::IfThenElse(hn::Eq(x, zero_at), hn::Neg(Infinity(d)), y);
  y = hn::IfThenElse(hn::Lt(x, zero_at), QuietNaN(d), y);
  y = hn::IfThenElse(hn::Eq(x, Infinity(d)), x, y);
  return KeepNaN(x, y);
}

// Whether lo <= u < hi for 0 <= lo < hi <= Inf: one unsigned compare of the
// bits (negatives and NaN fall above), so that the common vector tests a
// single mask.
template <class D, class V>
HWY_INLINE auto IsInRange(D d, V u, hn::TFromD<D> lo, hn::TFromD<D> hi) {
  const hn::RebindToUnsigned<D> du;
  const auto lo_bits = hn::BitCast(du, hn::Set(d, lo));
  const auto above_lo = hn::Sub(hn::BitCast(du, u), lo_bits);
  return hn::RebindMask(d, hn::Lt(above_lo, hn::Sub(hn::BitCast(du, hn::Set(d, hi)), lo_bits)));
}

// Whether u is positive, normal and finite.
template <class D, class V>
HWY_INLINE auto IsPositiveNormal(D d, V u) {
  using T = hn::TFromD<D>;
  return IsInRange(d, u, std::numeric_limits<T>::min(), std::numeric_limits<T>::infinity());
}

// float32 logarithms without a division (hn::Log divides, and a division
// costs as much as the rest of the function): a positive normal u is
// 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)) read from the bits, f exact,
// and log(1 + f) = f + tail, tail = f^2 Q(f) with Q a degree-8 minimax fit
// (tools/minimax.py log_tail_f32: 0.13 x 2^-24 relative). The base's
// constants are applied to k, f and tail apart, so log2 and log10 are not
// log times a rounded constant.
enum class LogBase { kE, kTwo, kTen };

// log_base(2^(k + k_offset) (1 + f)) where u = 2^k (1 + f) is a positive
// normal float (`k_offset`, an integer vector: the callers' exact scalings of
// u by powers of two); with kCorrected, of u + c for a correction |c| <
// ulp(u), c / u folded into the tail: c / u is a few ULP of the result at
// most, so 1 / u = 2^-k / (1 + f) needs only a few bits, 1 - f + f^2
// (relative error |f|^3 < 0.08), with 2^-k built from the bits and k
// clamped to 126 (past it, the callers' c is 0).
// The base's constants are applied to k, f and the tail apart: k times the
// constant's leading bits is exact (k has at most 8 bits, the leading parts
// 15), and f times the reciprocal of ln(base) keeps its rounding error
// (ProductError), so the only roundings are of the small terms and the
// final sums.
template <LogBase kBase, bool kCorrected, class D, class V, class VI>
HWY_INLINE V LogOfNormalF32(D d, V u, V c, VI k_offset) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0f);
  const VI bits = hn::BitCast(di, u);
  const VI below_sqrt_half = hn::Sub(bits, hn::Set(di, 0x3F3504F3));  // sqrt(1/2)'s bits
  const VI k_int = hn::ShiftRight<23>(below_sqrt_half);
  const VI k_shifted = hn::ShiftLeft<23>(k_int);
  const V f = hn::Sub(hn::BitCast(d, hn::Sub(bits, k_shifted)), one);
  V q = hn::MulAdd(hn::Set(d, -0.07823198f), f, hn::Set(d, 0.13004771f));
  q = hn::MulAdd(q, f, hn::Set(d, -0.13208838f));
  q = hn::MulAdd(q, f, hn::Set(d, 0.1416348f));
  q = hn::MulAdd(q, f, hn::Set(d, -0.16611147f));
  q = hn::MulAdd(q, f, hn::Set(d, 0.20003015f));
  q = hn::MulAdd(q, f, hn::Set(d, -0.25001523f));
  q = hn::MulAdd(q, f, hn::Set(d, 0.33333308f));
  q = hn::MulAdd(q, f, hn::Set(d, -0.49999988f));
  V tail = hn::Mul(hn::Mul(f, f), q);  // log(1 + f) - f
  if constexpr (kCorrected) {
    const VI clamped = hn::Min(k_shifted, hn::Set(di, 126 << 23));
    const V power = hn::BitCast(d, hn::Sub(hn::Set(di, 127 << 23), clamped));  // 2^-k
    const V reciprocal = hn::Mul(hn::MulAdd(f, hn::Sub(f, one), one), power);
    tail = hn::MulAdd(c, reciprocal, tail);
  } else {
    (void)c;
  }
  const V k = hn::ConvertTo(d, hn::Add(k_int, k_offset));
  if constexpr (kBase == LogBase::kE) {
    // ln 2 = 0.693145751953125 (15 bits) + 1.4286068203094173e-6.
    const V small = hn::MulAdd(k, hn::Set(d, 1.4286068203094173e-6f), tail);
    return hn::MulAdd(k, hn::Set(d, 0.693145751953125f), hn::Add(f, small));
  } else {
    // 1 / ln(base) = reciprocal + reciprocal_low.
    const V reciprocal = hn::Set(d, kBase == LogBase::kTwo ? 1.44269502162933349609f
                                                           : 0.43429449200630187988f);
    const V reciprocal_low = hn::Set(d, kBase == LogBase::kTwo ? 1.9259629911266175e-8f
                                                               : -1.0103050052231683e-8f);
    const V product = hn::Mul(f, reciprocal);
    V small = hn::MulAdd(f, reciprocal_low, ProductError(d, f, reciprocal, product));
    small = hn::MulAdd(tail, reciprocal, small);
    if constexpr (kBase == LogBase::kTwo) return hn::Add(k, hn::Add(product, small));
    // log10(2) = 0.301025390625 (15 bits) + 4.605038981195214e-6.
    small = hn::MulAdd(k, hn::Set(d, 4.605038981195214e-6f), small);
    return hn::MulAdd(k, hn::Set(d, 0.301025390625f), hn::Add(product, small));
  }
}


// log_base(x) on the whole line: subnormals are scaled into the normal range
// first, and LogEdges gives the rest (0, negatives, Inf, NaN); both only in
// vectors that hold such lanes.
template <LogBase kBase, class D, class V>
HWY_INLINE V LogF32(D d, V x) {
  const hn::RebindToSigned<D> di;
  if (HWY_LIKELY(hn::AllTrue(d, IsPositiveNormal(d, x)))) {
    return LogOfNormalF32<kBase, false>(d, x, x, hn::Zero(di));
  }
  const auto subnormal = hn::Lt(x, hn::Set(d, std::numeric_limits<float>::min()));
  const V scaled = hn::IfThenElse(subnormal, hn::Mul(x, hn::Set(d, 33554432.0f)), x);  // 2^25
  const auto k_offset = hn::IfThenElseZero(hn::RebindMask(di, subnormal), hn::Set(di, -25));
  const V y = LogOfNormalF32<kBase, false>(d, scaled, scaled, k_offset);
  return LogEdges(d, x, hn::Zero(d), y);
}

// log1p(x) = log(u + c) with u = 1 + x rounded and c = x - (u - 1), the
// rounding error (u - 1 is exact for u <= 2^24; beyond, c is 0 or too
// small to matter). u is normal for every x > -1.
template <class D, class V>
HWY_INLINE V Log1pF32(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V u = hn::Add(x, hn::Set(d, 1.0f));
  const V c = hn::Sub(x, hn::Sub(u, hn::Set(d, 1.0f)));
  const V y = LogOfNormalF32<LogBase::kE, true>(d, u, c, hn::Zero(di));
  if (HWY_LIKELY(hn::AllTrue(d, IsPositiveNormal(d, u)))) return y;
  return LogEdges(d, x, hn::Set(d, -1.0f), y);
}

// float64 logarithms without a division: a positive normal u is 2^k m with
// m in [0.71875, 1.4375) read from the bits; 3 bits of m pick one of 8
// intervals, each with a centre c (c = 1 on the one around 1, so that log
// near 1 has no table rounding), and log(u) = k ln 2 + log(c) + log(1 + r),
// r = m / c - 1 = m inv_c - 1 in [-0.056, 0.0625]: m inv_c = p + p_error
// exactly (ProductError) and r = p - 1 exactly (Sterbenz), p_error kept as
// r_low; log(1 + r + r_low) = r - r^2 / 2 + r^3 P(r) + r_low (1 - r), P a
// degree-8 minimax fit (tools/minimax.py log1p_tail_f64: 0.03 x 2^-53).
// The table (tools/minimax.py --log-table) sits in one register where a
// vector holds 8 lanes and is gathered elsewhere. log(c) is split into a
// high part on the grid of 2^-42, like ln 2's high part, so that k ln2_high
// + log_c_high is exact (|k| < 2^11); the result is high + low, high that
// sum plus r (exact error kept in low: the sum is 0 or larger than r), to
// about 2^-58 relative, so that a change of base loses little.
HWY_ALIGN constexpr double kLogInverseC[8] = {
    1.3333333333333333, 1.2307692307692308, 1.1428571428571428, 1.0666666666666667,
    1.0,                0.8888888888888888, 0.8,                0.7272727272727273};
HWY_ALIGN constexpr double kLogCHigh[8] = {
    -0.28768207245184385, -0.20763936477828793, -0.13353139262449076, -0.0645385211375924,
    0.0,                  0.11778303565643,     0.22314355131425145,  0.31845373111855224};
HWY_ALIGN constexpr double kLogCLow[8] = {
    6.297908504131321e-14,  4.3369911444011306e-14, -3.1804225197847076e-14, 2.1239485832617812e-14,
    0.0,                    -4.649178632475319e-14, -4.175347699650321e-14,  -1.765318688778829e-14};

// A float32 table of 8 for LookUp8: the 8 twice, one AVX-512 register.
struct FloatTable16 {
  alignas(64) float lanes[16];
};
constexpr FloatTable16 RepeatEight(const float (&eight)[8]) {
  FloatTable16 table{};
  for (size_t i = 0; i < 16; ++i) table.lanes[i] = eight[i % 8];
  return table;
}

// table[index mod 8] for any index (the bits above the low three are
// ignored, so callers need not mask them off), table of the lane type
// (float32 tables padded to 16 entries that repeat the 8: AVX-512's vpermps
// reads four index bits). In one register where a vector holds 8 lanes or
// 16, and from both halves and a blend on four-lane vectors (AVX2 and
// SVE_256 float64, NEON float32) rather than a gather: AVX2-only CPUs
// (Haswell, Zen 1-3) run vgatherqpd as microcode, and qemu 7.2 (Debian 12,
// the matrix's emulator) returned table[0] for vgatherqpd indexed by ymm4
// (SIB index 100b, "no index" outside VSIB) where the lanes held 4.
template <class D, class VI>
HWY_INLINE hn::Vec<D> LookUp8(D d, const hn::TFromD<D>* table, VI index) {
  constexpr size_t kLanes = HWY_HAVE_SCALABLE ? 0 : hn::MaxLanes(D());
#if SIMDKIT_HAS_LOW_BITS_PERMUTE
  using T = hn::TFromD<D>;
  if constexpr (kLanes * sizeof(T) == 64 && sizeof(T) == 4) {
    return hn::Vec<D>{_mm512_permutexvar_ps(index.raw, hn::LoadU(d, table).raw)};
  } else if constexpr (kLanes * sizeof(T) == 64) {
    return hn::Vec<D>{_mm512_permutexvar_pd(index.raw, hn::LoadU(d, table).raw)};
  } else if constexpr (kLanes == 8 && sizeof(T) == 4) {
    return hn::Vec<D>{_mm256_permutevar8x32_ps(hn::LoadU(d, table).raw, index.raw)};
  }
#endif
  const hn::RebindToSigned<D> di;
  index = hn::And(index, hn::Set(di, hn::TFromV<VI>{7}));
  if constexpr (kLanes == 8 || kLanes == 16) {
    return hn::TableLookupLanes(hn::LoadU(d, table), hn::IndicesFromVec(d, index));
  } else if constexpr (kLanes == 4) {
    const auto within_half = hn::IndicesFromVec(d, hn::And(index, hn::Set(di, 3)));
    const auto upper = hn::RebindMask(d, hn::Gt(index, hn::Set(di, 3)));
    return hn::IfThenElse(upper, hn::TableLookupLanes(hn::LoadU(d, table + 4), within_half),
                          hn::TableLookupLanes(hn::LoadU(d, table), within_half));
  } else {
    return hn::GatherIndex(d, table, index);
  }
}

// log(2^k_offset (u + c)) = high + low for u a positive normal double and,
// with kCorrected, a correction |c| < a few ULP of u (c 2^-k inv_c is
// added to r_low; 2^-k from the bits, k clamped where c is 0 anyway).
template <bool kCorrected, class D, class V, class VI>
HWY_INLINE V LogHighLowF64(D d, V u, V c, VI k_offset, V& low_out) {
  const hn::RebindToSigned<D> di;
  const VI bits = hn::BitCast(di, u);
  const VI from_start = hn::Sub(bits, hn::Set(di, int64_t{0x3FE7000000000000}));
  const VI k_int = hn::ShiftRight<52>(from_start);
  const VI index = hn::ShiftRight<49>(from_start);  // its low 3 bits: LookUp8
  const VI k_shifted = hn::ShiftLeft<52>(k_int);
  const V m = hn::BitCast(d, hn::Sub(bits, k_shifted));
  const V inv_c = LookUp8(d, kLogInverseC, index);
  const V p = hn::Mul(m, inv_c);
  const V r = hn::Sub(p, hn::Set(d, 1.0));
  V r_low = ProductError(d, m, inv_c, p);
  if constexpr (kCorrected) {
    const VI k_clamped = hn::Min(k_shifted, hn::Set(di, int64_t{1000} << 52));
    const V power = hn::BitCast(d, hn::Sub(hn::Set(di, int64_t{1023} << 52), k_clamped));  // 2^-k
    r_low = hn::MulAdd(hn::Mul(c, power), inv_c, r_low);
  } else {
    (void)c;
  }
  const V k = hn::ConvertTo(d, hn::Add(k_int, k_offset));
  // ln 2 = 0.6931471805598903 (on the grid of 2^-42) + 5.497923018708371e-14.
  const V t = hn::MulAdd(k, hn::Set(d, 0.6931471805598903), LookUp8(d, kLogCHigh, index));
  const V high = hn::Add(t, r);
  const V high_error = hn::Add(hn::Sub(t, high), r);
  V q = hn::MulAdd(hn::Set(d, 0.08860124631067173), r, hn::Set(d, -0.10070579263684586));
  q = hn::MulAdd(q, r, hn::Set(d, 0.11113049287860907));
  q = hn::MulAdd(q, r, hn::Set(d, -0.12499787583317346));
  q = hn::MulAdd(q, r, hn::Set(d, 0.14285709354739998));
  q = hn::MulAdd(q, r, hn::Set(d, -0.16666666931128435));
  q = hn::MulAdd(q, r, hn::Set(d, 0.20000000004626176));
  q = hn::MulAdd(q, r, hn::Set(d, -0.2499999999988895));
  q = hn::MulAdd(q, r, hn::Set(d, 0.33333333333332116));
  q = hn::MulAdd(q, r, hn::Set(d, -0.5));
  // low = k ln2_low + log_c_low + high_error + r_low (1 - r) + r^2 q.
  V low = hn::MulAdd(k, hn::Set(d, 5.497923018708371e-14), LookUp8(d, kLogCLow, index));
  low = hn::NegMulAdd(r, r_low, hn::Add(hn::Add(low, high_error), r_low));
  low_out = hn::MulAdd(hn::Mul(r, r), q, low);
  return high;
}

// high + low times 1 / ln(base) (in two parts), high times its leading part
// rounded once.
template <LogBase kBase, class D, class V>
HWY_INLINE V ToBase(D d, V high, V low) {
  if constexpr (kBase == LogBase::kE) {
    (void)d;
    return hn::Add(high, low);
  } else {
    // 1 / ln(base) = reciprocal + reciprocal_low.
    const V reciprocal = hn::Set(d, kBase == LogBase::kTwo ? 1.4426950408889634 : 0.4342944819032518);
    const V reciprocal_low =
        hn::Set(d, kBase == LogBase::kTwo ? 2.0355273740931033e-17 : 1.098319650216765e-17);
    const V small = hn::MulAdd(low, reciprocal, hn::Mul(high, reciprocal_low));
#if HWY_NATIVE_FMA
    return hn::MulAdd(high, reciprocal, small);  // the product exact inside the FMA
#else
    const V product = hn::Mul(high, reciprocal);
    return hn::Add(product, hn::Add(small, ProductError(d, high, reciprocal, product)));
#endif
  }
}

// The float64 counterparts of LogF32 and Log1pF32.
template <LogBase kBase, class D, class V>
HWY_INLINE V LogF64(D d, V x) {
  const hn::RebindToSigned<D> di;
  V low;
  if (HWY_LIKELY(hn::AllTrue(d, IsPositiveNormal(d, x)))) {
    const V high = LogHighLowF64<false>(d, x, x, hn::Zero(di), low);
    return ToBase<kBase>(d, high, low);
  }
  const auto subnormal = hn::Lt(x, hn::Set(d, std::numeric_limits<double>::min()));
  const V scaled = hn::IfThenElse(subnormal, hn::Mul(x, hn::Set(d, 0x1p54)), x);
  const auto k_offset = hn::IfThenElseZero(hn::RebindMask(di, subnormal), hn::Set(di, int64_t{-54}));
  const V high = LogHighLowF64<false>(d, scaled, scaled, k_offset, low);
  return LogEdges(d, x, hn::Zero(d), ToBase<kBase>(d, high, low));
}

template <class D, class V>
HWY_INLINE V Log1pF64(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V u = hn::Add(x, hn::Set(d, 1.0));
  const V c = hn::Sub(x, hn::Sub(u, hn::Set(d, 1.0)));
  V low;
  const V high = LogHighLowF64<true>(d, u, c, hn::Zero(di), low);
  const V y = hn::Add(high, low);
  if (HWY_LIKELY(hn::AllTrue(d, IsPositiveNormal(d, u)))) return y;
  return LogEdges(d, x, hn::Set(d, -1.0), y);
}

// asinh a = log(s), s = a + sqrt(a^2 + 1) (kPlusOne), or acosh a = log(s),
// s = a + sqrt(a^2 - 1) (a >= 1), with the rounding errors of a^2 +- 1, of
// the square root and of the sum carried as a correction (log(s + c)): no
// cancellation near a = 0 or 1, so no second formula there. Past 2^12
// (float32) or 2^27 (float64), sqrt(a^2 +- 1) is a to the last bit and the
// result is log(a) + ln 2, which also keeps a^2 finite. Sign, zeros, NaN,
// Inf and acosh's a < 1 are left to the caller. Half the divisions of
// hn::Asinh.
template <bool kPlusOne, class D, class V>
HWY_INLINE V LogOfRootSum(D d, V a) {
  using T = hn::TFromD<D>;
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, T(1));
  // Past it, a^2 +- 1 rounds to a^2. There the square root's argument is
  // made 0 (b = 0 and no 1 for asinh, b = 1 for acosh), so that r = 0,
  // s = a and both corrections are 0 without blends.
  const auto large = hn::Gt(a, hn::Set(d, sizeof(T) == 4 ? T(4096) : T(134217728)));
  V h, h_error;  // b^2 +- 1 = h + h_error exactly
  if constexpr (kPlusOne) {
    const V b = hn::IfThenZeroElse(large, a);
    const V addend = hn::IfThenZeroElse(large, one);
    h = hn::MulAdd(b, b, addend);
    h_error = ProductError(d, b, b, hn::Sub(h, addend));  // h - 1 is exact
  } else {
    // b^2 - 1 = (square - 1) + square_error, square - 1 exact for b >= 1.
    const V b = hn::IfThenElse(large, one, a);
    const V square = hn::Mul(b, b);
    const V square_error = ProductError(d, b, b, square);
    const V square_m1 = hn::Sub(square, one);
    h = hn::Add(square_m1, square_error);
    h_error = hn::Sub(square_error, hn::Sub(h, square_m1));
  }
  const V r = hn::Sqrt(h);
  // sqrt(h + e) = r + (h - r^2 + e) / (2 r) to well below r's ULP (the
  // denominator kept off 0 where h = 0, where the numerator is 0).
  const V twice_r_error = hn::Div(hn::Sub(h_error, ProductError(d, r, r, h)),
                                  hn::Max(r, hn::Set(d, std::numeric_limits<T>::min())));
  const V s = hn::Add(a, r);
  // (a + r) - s exactly, the larger of the two subtracted first.
  const V sum_error = kPlusOne ? hn::Sub(a, hn::Sub(s, r)) : hn::Sub(r, hn::Sub(s, a));
  const V c = hn::MulAdd(twice_r_error, hn::Set(d, T(0.5)), sum_error);
  const auto k_offset = hn::IfThenElseZero(hn::RebindMask(di, large), hn::Set(di, 1));
  if constexpr (sizeof(T) == 4) {
    return LogOfNormalF32<LogBase::kE, true>(d, s, c, k_offset);
  } else {
    V low;
    const V high = LogHighLowF64<true>(d, s, c, k_offset, low);
    return hn::Add(high, low);
  }
}

// atanh x = sign(x) log(N / M) / 2, N = 1 + a, M = 1 - a, a = |x|, with
// N / M = 2 / M - 1 (N = 2 - M): one division, q = 1 / m for m = M
// rounded, and M = m + m_error exactly (the 1 is the larger term); u =
// 2 q - 1 is exact (q >= 1), and 2 / M - 1 = u + c to well below u's ULP
// with c = 2 q (e - m_error q), e = 1 - m q exactly (a reciprocal's
// residual), passed to the log as its correction. a = 1 (Inf) and a > 1
// (NaN) are patched in vectors that hold them.
template <class D, class V>
HWY_INLINE V AtanhF64(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0);
  const V a = hn::Abs(x);
  const V m = hn::Sub(one, a);
  const V m_error = hn::Sub(hn::Sub(one, m), a);
  const V q = hn::Div(one, m);
#if HWY_NATIVE_FMA
  const V e = hn::NegMulAdd(m, q, one);  // exact: q is m's reciprocal rounded
#else
  const V mq = hn::Mul(m, q);
  const V e = hn::Sub(hn::Sub(one, mq), ProductError(d, m, q, mq));
#endif
  const V u = hn::MulSub(q, hn::Set(d, 2.0), one);
  const V c = hn::Mul(hn::Add(q, q), hn::NegMulAdd(m_error, q, e));
  V low;
  const V high = LogHighLowF64<true>(d, u, c, hn::Zero(di), low);
  const V y = hn::CopySignToAbs(hn::Mul(hn::Add(high, low), hn::Set(d, 0.5)), x);
  // Below 2^-27, atanh a rounds to a (while u is 1 + a ULP or two, and the
  // rounding of the low part could cost up to an ULP): x itself, as for
  // zeros and NaN. One test for all the edges.
  const auto regular = IsInRange(d, a, 0x1p-27, 1.0);
  if (HWY_LIKELY(hn::AllTrue(d, regular))) return y;
  const V edge = hn::IfThenElse(hn::Eq(a, one), hn::CopySignToAbs(Infinity(d), x),
                                hn::IfThenElse(hn::Gt(a, one), QuietNaN(d), x));
  return hn::IfThenElse(regular, y, edge);
}

// f of each lane through the C library.
template <class D, class V, typename F>
HWY_INLINE V ByLane(D d, V w, F f) {
  using T = hn::TFromD<D>;
  HWY_ALIGN T lanes[hn::MaxLanes(d)];
  hn::Store(w, d, lanes);
  for (size_t i = 0; i < hn::Lanes(d); ++i) lanes[i] = f(lanes[i]);
  return hn::Load(d, lanes);
}

// Below it, x = q pi/2 + r is reduced exactly enough by ReduceByHalfPi
// (q < 2^17: the products by pi/2's parts stay exact, and the smallest |r|
// there, about 2^-52, keeps 60 good bits); beyond, the C library reduces.
template <typename T>
constexpr T kHalfPiReductionLimit = sizeof(T) == 4 ? T(10000) : T(100000);

// r = x - q pi/2 as r_high (returned) + r_low, q integral and round(x 2/pi)
// for |x| <= kHalfPiReductionLimit. With FMA: pi/2 = C1 + C2 + C3, parts
// of the lane's precision (159 bits float64, 72 float32); r1 = x - q C1 is
// exact in one FMA (a multiple of 2^-52 (2^-24) below 1), and r1 - p =
// r_high + its rounding exactly by Fast2Sum for p = q C2 rounded (r1 is a
// multiple of p's ULP: |p| < 2^-36 (2^-11)). Otherwise pi/2 = c1 + c2 + c3 + rest, float32 parts of
// 11 bits (and the rest in two floats, 68 bits in all: 0.1 ULP of
// the smallest |r| below the limit, 4.2e-9 at x = 252.898), float64 parts
// of 26 bits (131 bits). q times a part is exact with or without FMA;
// x - q c1 - q c2 is exact too, and r_low carries the rounding of
// subtracting q c3 and the rest.
template <class D, class V>
HWY_INLINE V ReduceByHalfPi(D d, V x, V q, V& r_low) {
  using T = hn::TFromD<D>;
  constexpr bool kIsFloat = sizeof(T) == 4;
#if HWY_NATIVE_FMA
  {
    const V c2 = hn::Set(d, kIsFloat ? T(-4.371138828673793e-08) : T(6.123233995736766e-17));
    const V r1 = hn::NegMulAdd(q, hn::Set(d, kIsFloat ? T(1.5707963705062866) : T(1.5707963267948966)), x);
    const V r_high = hn::Sub(r1, hn::Mul(q, c2));
    // (r1 - r_high) - q c2: Fast2Sum's exact difference, then the rounding
    // and the product's error in one FMA.
    r_low = hn::NegMulAdd(q, hn::Set(d, kIsFloat ? T(-1.7151245100058819e-15) : T(-1.4973849048591698e-33)),
                          hn::NegMulAdd(q, c2, hn::Sub(r1, r_high)));
    return r_high;
  }
#endif
  const V c1 = hn::Set(d, kIsFloat ? T(1.5703125) : T(1.5707963109016418));
  const V c2 = hn::Set(d, kIsFloat ? T(0.0004837512969970703) : T(1.5893254712295857e-08));
  const V c3 = hn::Set(d, kIsFloat ? T(7.549533620476723e-08) : T(6.123233932053594e-17));
  V rest = hn::Mul(q, hn::Set(d, kIsFloat ? T(6.123234262925839e-17) : T(6.36831716351095e-25)));
  if constexpr (kIsFloat) rest = hn::MulAdd(q, hn::Set(d, 2.5632829192545614e-12f), rest);
  const V reduced = hn::NegMulAdd(q, c2, hn::NegMulAdd(q, c1, x));
  const V product = hn::Mul(q, c3);
  const V r_high = hn::Sub(reduced, product);
  // reduced - product - r_high exactly (TwoSum: either may be the larger).
  const V back = hn::Sub(r_high, reduced);
  r_low = hn::Sub(hn::Sub(hn::Sub(reduced, hn::Sub(r_high, back)), hn::Add(product, back)), rest);
  return r_high;
}

// float64 sin x (kSine) or cos x for |x| <= kHalfPiReductionLimit (other
// lanes: anything): x = q pi/2 + r (ReduceByHalfPi), |r| <= pi/4, and
// sin r = r + r^3 S(r^2), cos r = 1 - r^2/2 + r^4 C(r^2) (tools/minimax.py
// sin_tail_f64, cos_tail_f64: degree 5, 0.06 and 0.01 x 2^-53), both
// computed and one picked by q's parity (the result's sign by q's second
// bit; cos x = sin(x + pi/2) takes the quadrant one ahead). r_low enters at first order:
// sin(r + r_low) = sin r + r_low (1 - r^2/2), cos(r + r_low) = cos r -
// r_low r. cos keeps the rounding of 1 - r^2/2 (0.5 ULP otherwise).
// q = round(x 2/pi) lands in the low mantissa bits of x 2/pi + 1.5 2^52,
// from where its parity and sign bit are read.
template <bool kSine, class D, class V>
HWY_INLINE V SinCosByReduction(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0);
  const V half = hn::Set(d, 0.5);
  // 1.5 * 2^52, plus 1 for cos (whose quadrant is one ahead).
  const V shift = hn::Set(d, kSine ? 6755399441055744.0 : 6755399441055745.0);
  const V shifted = hn::MulAdd(x, hn::Set(d, 0.63661977236758134308), shift);
  V r_low;
  const V r = ReduceByHalfPi(d, x, hn::Sub(shifted, shift), r_low);
  const V t = hn::Mul(r, r);
  V s = hn::MulAdd(hn::Set(d, 0.0000000001589682740059711), t,
                   hn::Set(d, -0.000000025050758643154687));
  for (const double c : {0.0000027557313695153394, -0.00019841269829816706, 0.008333333333322424,
                         -0.16666666666666632}) {
    s = hn::MulAdd(s, t, hn::Set(d, c));
  }
  V c = hn::MulAdd(hn::Set(d, -0.000000000011358535779373611), t,
                   hn::Set(d, 0.0000000020875700826359285));
  for (const double k : {-0.00000027557314179170013, 0.000024801587288851213,
                         -0.0013888888888873056, 0.041666666666666595}) {
    c = hn::MulAdd(c, t, hn::Set(d, k));
  }
  // sin r = r + t (r S - r_low / 2) + r_low.
  const V sin_r = hn::Add(r, hn::MulAdd(t, hn::MulSub(r, s, hn::Mul(r_low, half)), r_low));
  const V half_t = hn::Mul(t, half);
  const V w = hn::Sub(one, half_t);
  const V w_error = hn::Sub(hn::Sub(one, w), half_t);  // exact: 1 - w is
  const V cos_r = hn::Add(w, hn::MulAdd(hn::Mul(t, t), c, hn::NegMulAdd(r, r_low, w_error)));
  const auto quadrant = hn::BitCast(di, shifted);
  const auto odd = hn::RebindMask(d, hn::TestBit(quadrant, hn::Set(di, 1)));
  // The quadrant's second bit moved to the sign (its first lands in bit 62).
  const V sign = hn::And(hn::BitCast(d, hn::ShiftLeft<62>(quadrant)), hn::Set(d, -0.0));
  return hn::Xor(hn::IfThenElse(odd, cos_r, sin_r), sign);
}

// sin or cos. float64: SinCosByReduction; float32: hn::Sin / hn::Cos.
// Lanes beyond the range (and Inf) go through the C library, which
// reduces large arguments exactly; sin keeps -0.
template <bool kSine, class D, class V>
HWY_INLINE V SinCos(D d, V x) {
  using T = hn::TFromD<D>;
  if constexpr (sizeof(T) == 8) {
    const hn::RebindToUnsigned<D> du;
    V y = SinCosByReduction<kSine>(d, x);
    const V a = hn::Abs(x);
    const auto in_range = hn::Le(a, hn::Set(d, kHalfPiReductionLimit<T>));
    if constexpr (kSine) {
      // 0 < |x| <= limit in one unsigned compare: |x|'s bits minus 1 wrap
      // around for zeros.
      const auto bits = hn::Sub(hn::BitCast(du, a), hn::Set(du, 1));
      const auto limit = hn::BitCast(du, hn::Set(d, kHalfPiReductionLimit<T>));
      if (HWY_LIKELY(hn::AllTrue(du, hn::Lt(bits, limit)))) return y;
      y = hn::IfThenElse(hn::Eq(a, hn::Zero(d)), x, y);
    } else {
      if (HWY_LIKELY(hn::AllTrue(d, in_range))) return y;
    }
    if (!hn::AllTrue(d, in_range)) {
      y = hn::IfThenElse(in_range, y, ByLane(d, x, [](T v) { return kSine ? std::sin(v) : std::cos(v); }));
    }
    return KeepNaN(x, y);
  } else {
    V y = kSine ? hn::Sin(d, x) : hn::Cos(d, x);
    const auto large = hn::Gt(hn::Abs(x), hn::Set(d, MathLimits<T>::kTrigLimit));
    if (HWY_UNLIKELY(!hn::AllFalse(d, large))) {
      y = hn::IfThenElse(large, ByLane(d, x, [](T v) { return kSine ? std::sin(v) : std::cos(v); }), y);
    }
    y = KeepNaN(x, y);
    return kSine ? OddPassThrough(x, y) : y;
  }
}

// tan x: x = q pi/2 + r, |r| <= pi/4, q = round(x 2/pi) (ReduceByHalfPi;
// q in the low bits of x 2/pi + 1.5 2^23 (2^52), parity read from there);
// tan r = r + r^3 T(r^2), T a minimax fit
// (tools/minimax.py tan_tail_f32: degree 5, 0.38 x 2^-24; tan_tail_f64:
// degree 14, 0.12 x 2^-53), and tan x = -1 / tan r for odd q. Lanes beyond
// the limit (and Inf) go through the C library, which reduces large
// arguments exactly. NaN comes through the arithmetic; zeros are left to the
// caller (r loses -0's sign).
template <class D, class V>
HWY_INLINE V TanByReduction(D d, V x) {
  using T = hn::TFromD<D>;
  constexpr bool kIsFloat = sizeof(T) == 4;
  const hn::RebindToSigned<D> di;
  const V shift = hn::Set(d, kIsFloat ? T(12582912.0) : T(6755399441055744.0));
  const V shifted = hn::MulAdd(x, hn::Set(d, T(0.63661977236758134308)), shift);
  const V q = hn::Sub(shifted, shift);
  V r_low;
  const V r = ReduceByHalfPi(d, x, q, r_low);
  const V t = hn::Mul(r, r);
  V p;
  if constexpr (kIsFloat) {
    p = hn::MulAdd(hn::Set(d, 0.00946557f), t, hn::Set(d, 0.0029744897f));
    for (const float c : {0.024528235f, 0.05338126f, 0.133392f, 0.3333314f}) {
      p = hn::MulAdd(p, t, hn::Set(d, c));
    }
  } else {
    p = hn::MulAdd(hn::Set(d, 0.000009795210042791516), t, hn::Set(d, -0.000024267871744008055));
    for (const double c : {0.000048647729085212996, -0.00002567865521956355, 0.00006728343304053561,
                           0.00008350970935238979, 0.00024377687048200133, 0.0005888553099607579,
                           0.0014560478658313882, 0.0035921004824705422, 0.008863237968167285,
                           0.021869488395972914, 0.05396825397304592, 0.13333333333325037,
                           0.3333333333333338}) {
      p = hn::MulAdd(p, t, hn::Set(d, c));
    }
  }
  // tan(r_high + r_low) = tan r_high + r_low (1 + tan^2 r_high) to well below
  // its rounding.
  V tan_r = hn::MulAdd(hn::Mul(r, t), p, r);
  tan_r = hn::MulAdd(r_low, hn::MulAdd(tan_r, tan_r, hn::Set(d, T(1))), tan_r);
  const auto odd = hn::RebindMask(d, hn::TestBit(hn::BitCast(di, shifted), hn::Set(di, 1)));
  V y = hn::IfThenElse(odd, hn::Neg(hn::Div(hn::Set(d, T(1)), tan_r)), tan_r);
  const auto large = hn::Gt(hn::Abs(x), hn::Set(d, kHalfPiReductionLimit<T>));
  if (HWY_UNLIKELY(!hn::AllFalse(d, large))) {
    y = hn::IfThenElse(large, ByLane(d, x, [](T v) { return std::tan(v); }), y);
  }
  return y;
}

// float64 asin x (kAsin) or acos x: asin w = w + w^3 P(w^2) for w <= 1/2
// (tools/minimax.py asin_tail_f64: degree 12, 0.015 x 2^-53), with
// w = |x| for |x| <= 1/2 and w = sqrt(z), z = (1 - |x|) / 2 (exact) above,
// where asin|x| = pi/2 - 2 asin w and acos|x| = 2 asin w. Every result is
// then c + m w + (m u + c_low): c in {0, pi/2, pi} as high + low parts,
// m w exact (m in {+-1, +-2}), u = asin w - w, and the sum c + m w's
// rounding carried (|c| >= |m w|, so Fast2Sum); the square root's rounding
// e = (z - w^2) / (2w) joins u (asin's slope, up to 1.155 at w = 1/2, taken
// as 1: 0.06 ULP at most), 1 / (2w) approximated from w's bits (e is below
// half an ULP of w: a few bits of it suffice; 0.06 ULP at most again).
// |x| > 1 and NaN come out NaN through the square root or the arithmetic.
template <bool kAsin, class D, class V>
HWY_INLINE V AsinAcosF64(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V one = hn::Set(d, 1.0);
  const V half = hn::Set(d, 0.5);
  const V a = hn::Abs(x);
  const auto outer = hn::Gt(a, half);
  const V z = hn::NegMulAdd(a, half, half);  // exact for a >= 1/2
  const V root = hn::Sqrt(z);
  const V t = hn::IfThenElse(outer, z, hn::Mul(x, x));
  const V w = hn::IfThenElse(outer, root, a);
  // P(t) = E(t^2) + t O(t^2): two chains of half the latency.
  const V t2 = hn::Mul(t, t);
  V even = hn::MulAdd(hn::Set(d, 0.032676802392237164), t2, hn::Set(d, 0.021763403440351315));
  V odd = hn::MulAdd(hn::Set(d, -0.021077154233630248), t2, hn::Set(d, 0.003683080206628517));
  even = hn::MulAdd(even, t2, hn::Set(d, 0.010786519375100567));
  odd = hn::MulAdd(odd, t2, hn::Set(d, 0.011397777597004104));
  even = hn::MulAdd(even, t2, hn::Set(d, 0.013980961275644329));
  odd = hn::MulAdd(odd, t2, hn::Set(d, 0.017351600104018122));
  even = hn::MulAdd(even, t2, hn::Set(d, 0.02237221565981758));
  odd = hn::MulAdd(odd, t2, hn::Set(d, 0.03038194268362496));
  even = hn::MulAdd(even, t2, hn::Set(d, 0.04464285717512091));
  odd = hn::MulAdd(odd, t2, hn::Set(d, 0.07499999999970261));
  even = hn::MulAdd(even, t2, hn::Set(d, 0.16666666666666763));
  const V p = hn::MulAdd(odd, t, even);
  // z - root^2, exact (the residual of a rounded square root is a float).
#if HWY_NATIVE_FMA
  const V residual = hn::NegMulAdd(root, root, z);
#else
  const V square = hn::Mul(root, root);
  const V residual = hn::Sub(hn::Sub(z, square), ProductError(d, root, root, square));
#endif
  // 1 / (2 root) within 12.5 % (over, never under) by negating root's
  // exponent in the bits: 2^-(k+1) (1 - f/2) for root = 2^k (1 + f). For
  // root = 0 (x = +-1) it is finite, and the residual is 0.
  const V reciprocal = hn::BitCast(
      d, hn::Sub(hn::Set(di, int64_t{0x7FD0000000000000}), hn::BitCast(di, root)));
  const V e = hn::IfThenElseZero(outer, hn::Mul(residual, reciprocal));

  const V half_pi = hn::Set(d, 1.5707963267948966);
  const V half_pi_low = hn::Set(d, 6.123233995736766e-17);
  V m, c_high, c_low;
  if constexpr (kAsin) {
    m = hn::IfThenElse(outer, hn::Set(d, -2.0), one);
    c_high = hn::IfThenElseZero(outer, half_pi);
    c_low = hn::IfThenElseZero(outer, half_pi_low);
  } else {
    // acos x = pi/2 - x inside; outside 2 asin w, or pi - 2 asin w for x < 0.
    const V sign = hn::And(x, hn::Set(d, -0.0));
    m = hn::Xor(hn::IfThenElse(outer, hn::Set(d, 2.0), hn::Set(d, -1.0)), sign);
    const auto negative = hn::Lt(x, hn::Zero(d));
    c_high = hn::IfThenElse(outer, hn::IfThenElseZero(negative, hn::Set(d, 3.1415926535897931)),
                            half_pi);
    c_low = hn::IfThenElse(outer, hn::IfThenElseZero(negative, hn::Set(d, 1.2246467991473532e-16)),
                           half_pi_low);
  }
  const V mw = hn::Mul(m, w);
  const V sum = hn::Add(c_high, mw);
  const V sum_error = hn::Sub(mw, hn::Sub(sum, c_high));
  // m u = m w t P + m e, the polynomial's term last (the longest chain).
  const V low = hn::MulAdd(m, e, hn::Add(c_low, sum_error));
  const V y = hn::Add(sum, hn::MulAdd(hn::Mul(mw, t), p, low));
  return kAsin ? hn::CopySign(y, x) : y;
}

// sigmoid(x) = 1 / (1 + e^-x), as e^x / (1 + e^x) for x < 0 so that the
// result keeps its relative accuracy where it is tiny.
template <class D, class V>
HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, hn::TFromD<D>{1});
  const V e = ExpFull(d, hn::Neg(hn::Abs(x)));  // in (0, 1]
  const V s = hn::Div(one, hn::Add(one, e));
  return KeepNaN(x, hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(e, s), s));
}

// x * g(x) for the activations whose gate g tends to 0 at -Inf: the limit
// there is -0 rather than -Inf * 0.
template <class D, class V>
HWY_INLINE V GatedAtMinusInfinity(D d, V x, V gated) {
  return hn::IfThenElse(hn::Eq(x, hn::Neg(Infinity(d))), hn::Set(d, hn::TFromD<D>{-0.0}), gated);
}

// erf and erfc below the split, |x| < kErfSplit: erf(x) = x (2/sqrt(pi) +
// x^2 E(x^2)), E a minimax fit (tools/minimax.py erf_small_f32: degree 4,
// 0.03 x 2^-24; erf_small_f64: degree 9, 0.03 x 2^-53), the leading constant
// in two parts so that x times its high part is exact inside one
// multiply-add. erfc(x) = 1 - erf(x) loses little there (erf < 0.53). The
// split is where erf passes 1/2: above it erf = 1 - erfc, with erfc < 0.48
// and so no coarser in the last place than erf.
template <typename T>
constexpr T kErfSplit = T(0.5);

template <bool kComplement, class D, class V>
HWY_INLINE V ErfOfSmall(D d, V x) {
  using T = hn::TFromD<D>;
  const V s = hn::Mul(x, x);
  V p;
  if constexpr (sizeof(T) == 4) {
    p = hn::MulAdd(hn::Set(d, -0.00077097316f), s, hn::Set(d, 0.0052014445f));
    for (const float c : {-0.026863396f, 0.11283777f, -0.37612638f}) {
      p = hn::MulAdd(p, s, hn::Set(d, c));
    }
  } else {
    p = hn::MulAdd(hn::Set(d, 0.000000013222772270745623), s, hn::Set(d, -0.00000016274233815415952));
    for (const double c : {0.000001645909549486475, -0.000014925588470075649,
                           0.00012055332167684862, -0.0008548327016598883, 0.005223977625406502,
                           -0.026866170645130184, 0.11283791670955125, -0.37612638903183754}) {
      p = hn::MulAdd(p, s, hn::Set(d, c));
    }
  }
  // 2/sqrt(pi) = high + low.
  const V high = hn::Set(d, sizeof(T) == 4 ? T(1.1283792f) : T(1.1283791670955126));
  const V low = hn::Set(d, sizeof(T) == 4 ? T(-5.8635383e-08f) : T(1.533545961316588e-17));
  const V tail = hn::MulAdd(s, p, low);
  if constexpr (kComplement) return hn::NegMulAdd(x, hn::Add(high, tail), hn::Set(d, T(1)));
  return hn::MulAdd(x, high, hn::Mul(x, tail));
}

// erfc(a) for a >= kErfSplit (and NaN): e^(-a^2) t S(t - 1/2) with
// t = 3 / (3 + a), S a minimax fit (tools/minimax.py erfc_scaled_f32:
// degree 10, 0.28 x 2^-24; erfc_scaled_f64: degree 22, 0.43 x 2^-53). The
// factor t takes erfc's 1 / (sqrt(pi) a) decay, so S stays within
// [0.19, 0.74]; centred on 1/2, its terms fall fast enough that Horner's
// roundings do not pile up (in powers of t, up to 0.86, they reached 2 ULP).
// Each rounding that a plain evaluation would amplify is carried instead: a^2 = square + its error exactly (the
// exponent reaches -756, where one rounding of a^2 is many ULP), and t's
// relative error delta (from 3 + a and the division, both exact residuals)
// enters as delta s(t), s = dlog(t S) / dlog t, in [1.1, 2.94] and here
// within 5 % as 1 + t (0.96 + 1.37 t) (a few hundredths of an ULP). The
// product is scaled by 2^(q + kOffset) 2^-kOffset, rounded once into the
// subnormals (below). Past the point where erfc rounds to 0 (10.5 float32, 27.5
// float64), a is clamped there (Inf too); the caller keeps NaN.
template <class D, class V>
HWY_INLINE V ErfcOfLarge(D d, V a) {
  using T = hn::TFromD<D>;
  constexpr bool kIsFloat = sizeof(T) == 4;
  constexpr int kOffset = kIsFloat ? 40 : 80;
  a = hn::Min(a, hn::Set(d, kIsFloat ? T(10.5) : T(27.5)));
  const V one = hn::Set(d, T(1));
  const V three = hn::Set(d, T(3));
  const V denominator = hn::Add(three, a);
  // 3 + a - denominator, exactly (Fast2Sum: the larger operand first).
  const V denominator_error = hn::Sub(hn::Min(three, a), hn::Sub(denominator, hn::Max(three, a)));
  const V t = hn::Div(three, denominator);
  const V product = hn::Mul(t, denominator);
  // 3 - t denominator, exactly (3 - product is exact: they are that close).
  const V residual = hn::Sub(hn::Sub(three, product), ProductError(d, t, denominator, product));
  const V delta = hn::Mul(hn::NegMulAdd(t, denominator_error, residual), hn::Set(d, T(1) / T(3)));
  const V sensitivity = hn::MulAdd(t, hn::MulAdd(t, hn::Set(d, T(1.37)), hn::Set(d, T(0.96))), one);
  const V u = hn::Sub(t, hn::Set(d, T(0.5)));
  V scaled;
  if constexpr (kIsFloat) {
    scaled = hn::MulAdd(hn::Set(d, 0.022980027f), u, hn::Set(d, 0.0431756f));
    for (const float c : {-0.044583388f, -0.12913206f, -0.026009407f, 0.2861449f, 0.6374854f,
                          0.8279129f, 0.7869711f, 0.58892965f, 0.3580023f}) {
      scaled = hn::MulAdd(scaled, u, hn::Set(d, c));
    }
  } else {
    scaled = hn::MulAdd(hn::Set(d, 0.0015306136199753748), u, hn::Set(d, 0.005225902560294578));
    for (const double c : {-0.002046561860256847, -0.009011496980226684, 0.004485136682456852,
                           0.01031320002153708, -0.008981648554449115, -0.010934314593619187,
                           0.015108988990028063, 0.012971339673842694, -0.023853488630145865,
                           -0.02075201047478114, 0.03671433186541226, 0.04723676099390747,
                           -0.04678909390231834, -0.1294533122689707, -0.025864888044965527,
                           0.2861571693307579, 0.6374813935322011, 0.8279126984014951,
                           0.7869711428054692, 0.5889296354465892, 0.3580023023627799}) {
      scaled = hn::MulAdd(scaled, u, hn::Set(d, c));
    }
  }
  const V square = hn::Mul(a, a);
  const V square_error = ProductError(d, a, a, square);
  V exp_t;
  const V p = ReduceExp(d, hn::Neg(square), exp_t);  // e^-square = (1 + p) 2^q
  // (1 + p)(1 - square_error)(1 + delta s) = 1 + w, to below its rounding.
  // (t - 1/2 is exact for t >= 1/4, a <= 9; below, its rounding moves S by
  // a tenth of an ULP.)
  const V c = hn::MulSub(delta, sensitivity, square_error);
  const V w = hn::Add(p, hn::MulAdd(c, p, c));
  const V ts = hn::Mul(t, scaled);
  const V scaled_result = hn::Mul(hn::MulAdd(ts, w, ts), PowerOfTwoOf<kOffset>(d, exp_t));
  // Where the result is normal, 2^-kOffset times the scaled one. Where it is
  // subnormal, adding 2^(kOffset + min exponent) rounds the scaled result to
  // the subnormals' spacing (scaled), and the sum's bits less that
  // constant's are the subnormal's bits: integer steps instead of a
  // multiply with a subnormal result, which costs a microcode assist of
  // about 150 cycles on Intel cores (erfc float32 over [-10, 10] at 1 Mi:
  // 3.5 -> 1.4 ms on the Xeon EMR).
  const V normal_edge = hn::Set(d, kIsFloat ? T(0x1p-86) : T(0x1p-942));  // 2^(kOffset - 126 / 1022)
  const V normal = hn::Mul(hn::Max(scaled_result, normal_edge), hn::Set(d, kIsFloat ? T(0x1p-40) : T(0x1p-80)));
  const auto subnormal_lanes = hn::Lt(scaled_result, normal_edge);
  if (HWY_LIKELY(hn::AllFalse(d, subnormal_lanes))) return normal;
  const hn::RebindToSigned<D> di;
  const V subnormal = hn::BitCast(d, hn::Sub(hn::BitCast(di, hn::Add(scaled_result, normal_edge)),
                                             hn::BitCast(di, normal_edge)));
  return hn::IfThenElse(subnormal_lanes, subnormal, normal);
}

// erf or (kComplement) erfc on the whole line: the small form below the
// split, erfc(|x|) above it (erf = sign(x) (1 - erfc|x|), erfc(x < 0) =
// 2 - erfc|x|: no cancellation, erfc|x| < 0.48 there); each only in vectors
// that hold such lanes. erf keeps the sign of zero.
template <bool kComplement, class D, class V>
HWY_INLINE V ErfFull(D d, V x) {
  using T = hn::TFromD<D>;
  const V a = hn::Abs(x);
  const auto small = hn::Lt(a, hn::Set(d, kErfSplit<T>));
  if (HWY_LIKELY(hn::AllTrue(d, small))) return ErfOfSmall<kComplement>(d, x);
  const V large = ErfcOfLarge(d, hn::Max(a, hn::Set(d, kErfSplit<T>)));
  const V one = hn::Set(d, T(1));
  V y = kComplement ? hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Sub(hn::Set(d, T(2)), large), large)
                    : hn::CopySignToAbs(hn::Sub(one, large), x);
  if (HWY_UNLIKELY(!hn::AllFalse(d, small))) y = hn::IfThenElse(small, ErfOfSmall<kComplement>(d, x), y);
  return KeepNaN(x, y);
}

// v0, v1 or v2 by the integer lanes of j (0, 1 or 2): one table lookup where
// a vector holds the three, two blends elsewhere.
template <class D, class VI, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> OneOfThree(D d, VI j, T v0, T v1, T v2) {
  if constexpr (hn::MaxLanes(d) >= 4) {
    HWY_ALIGN T table[hn::MaxLanes(d)] = {v0, v1, v2};
    return hn::TableLookupLanes(hn::Load(d, table), hn::IndicesFromVec(d, j));
  } else {
    const hn::RebindToSigned<D> di;
    const auto one = hn::RebindMask(d, hn::Eq(j, hn::Set(di, 1)));
    const auto two = hn::RebindMask(d, hn::Eq(j, hn::Set(di, 2)));
    return hn::IfThenElse(one, hn::Set(d, v1), hn::IfThenElse(two, hn::Set(d, v2), hn::Set(d, v0)));
  }
}

// Cbrt for positive normal a = 2^(-3 k_offset) |x| (the result takes x's
// sign): k_offset is zero but for scaled subnormals, and the fast path
// passes a constant zero.
template <class D, class V, class VI>
HWY_INLINE V CbrtOfNormal(D d, V a, VI k_offset, V x) {
  using T = hn::TFromD<D>;
  constexpr bool kIsFloat = sizeof(T) == 4;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  using TU = hn::TFromD<decltype(du)>;
  using TI = hn::TFromD<decltype(di)>;
  constexpr TU kMinNormal = TU{1} << kMantissaBits;
  const V one = hn::Set(d, T(1));
  const auto bits = hn::BitCast(du, a);
  const V m = hn::BitCast(d, hn::Or(hn::And(bits, hn::Set(du, kMinNormal - 1)), hn::BitCast(du, one)));
  // The biased exponent plus 2 is 3 (k + 43) + j (float32; the biased
  // exponent is 3 (k + 341) + j for float64): q = k + 43 (341) and j, exactly.
  const auto n = hn::Add(hn::BitCast(di, hn::ShiftRight<kMantissaBits>(bits)), hn::Set(di, TI{kIsFloat ? 2 : 0}));
  // n / 3 = (n 21846) >> 16 for 0 <= n < 2^15, as the high half of a 16-bit
  // product (n's lane holds zeros beside it, and 0 / 3 = 0); one-lane
  // vectors cannot be split into 16-bit lanes: there, in the lane type.
  hn::Vec<decltype(di)> q;
  if constexpr (hn::MaxLanes(d) > 1) {
    const hn::Repartition<uint16_t, D> d16;
    q = hn::BitCast(di, hn::MulHigh(hn::BitCast(d16, n), hn::Set(d16, uint16_t{21846})));
  } else {
    q = hn::ConvertTo(di, hn::Floor(hn::Mul(hn::ConvertTo(d, n), hn::Set(d, T(1) / T(3) + T(1e-4)))));
  }
  const auto j = hn::Sub(n, hn::Add(q, hn::Add(q, q)));
  const V a_reduced = hn::BitCast(d, hn::Add(hn::BitCast(di, m), hn::ShiftLeft<kMantissaBits>(j)));  // 2^j m
  V u;
  if constexpr (kIsFloat) {
    u = hn::MulAdd(hn::Set(d, -0.017018521f), m, hn::Set(d, 0.15606776f));
    for (const float c : {-0.59786165f, 1.2437694f, -1.5660172f, 1.7810545f}) u = hn::MulAdd(u, m, hn::Set(d, c));
  } else {
    u = hn::MulAdd(hn::Set(d, -0.017018521438870553), m, hn::Set(d, 0.15606776452866503));
    for (const double c : {-0.5978616668441471, 1.2437694257526173, -1.5660171987782054, 1.7810544470591285}) {
      u = hn::MulAdd(u, m, hn::Set(d, c));
    }
  }
  // 2^(-j/3).
  u = hn::Mul(u, OneOfThree(d, j, T(1), T(0.79370052598409973738), T(0.62996052494743658238)));
  const V third = hn::Set(d, T(1) / T(3));
  if constexpr (!kIsFloat) {
    const V error = hn::NegMulAdd(hn::Mul(u, a_reduced), hn::Mul(u, u), one);  // 1 - a' u^3
    u = hn::MulAdd(hn::Mul(u, error), third, u);
  }
  const V u2 = hn::Mul(u, u);
  const V step = hn::Mul(u2, third);
  V y = hn::Mul(a_reduced, u2);
  const V square = hn::Mul(y, y);
  const V residual = hn::NegMulAdd(y, ProductError(d, y, y, square), hn::NegMulAdd(y, square, a_reduced));
  y = hn::MulAdd(residual, step, y);
  // 2^k: biased, k + bias = q - 43 + 127 (q - 341 + 1023).
  constexpr TI kScaleBias = kIsFloat ? TI{84} : TI{682};
  const V scale = hn::BitCast(d, hn::ShiftLeft<kMantissaBits>(hn::Sub(hn::Add(q, hn::Set(di, kScaleBias)), k_offset)));
  const V result = hn::CopySignToAbs(hn::Mul(y, scale), x);
  return result;
}

// cbrt(x) = sign(x) 2^k cbrt(a') with |x| = 2^(3k + j) m, m in [1, 2) read
// from the bits and a' = 2^j m in [1, 8) (k and j from the biased exponent
// by an exact division by 3). The start is u = 2^(-j/3) U(m), about
// a'^(-1/3) (tools/minimax.py cbrt_inverse_f32, cbrt_inverse_f64: degree 5,
// 2^-17.4), float64 refined once by Newton's step for the inverse cube
// root, u + u (1 - a' u^3) / 3 (2 e^2: no division in it). Then y = a' u^2
// and Newton's step y + (a' - y^3) (u^2 / 3): u^2 / 3 is 1 / (3 y^2) to the
// start's error, so the result is off by about 8 e^2 (2^-32 float32, 2^-64
// float64) before the final rounding. The last residual a' - y^3 is formed
// from y^2 and its rounding error (ProductError) in one multiply-add, so it
// is accurate to its own last bits although it is a tiny part of a': the
// only rounding that counts is the final sum's. Subnormal x is scaled by
// 2^24 (2^54) first; +-0, +-Inf and NaN are x itself.
template <class D, class V>
HWY_INLINE V Cbrt(D d, V x) {
  using T = hn::TFromD<D>;
  constexpr bool kIsFloat = sizeof(T) == 4;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  using TU = hn::TFromD<decltype(du)>;
  using TI = hn::TFromD<decltype(di)>;
  V a = hn::Abs(x);
  // Lanes other than positive normal finite numbers (one unsigned compare of
  // the bits) take the slow path: subnormals scaled by 2^(3 kThird), the
  // rest returned as x.
  constexpr TU kMinNormal = TU{1} << kMantissaBits;
  const auto regular = hn::Lt(hn::Sub(hn::BitCast(du, a), hn::Set(du, kMinNormal)),
                              hn::Set(du, (TU{2 * kBias + 1} << kMantissaBits) - kMinNormal));
  constexpr int kThird = kIsFloat ? 8 : 18;
  if (HWY_LIKELY(hn::AllTrue(du, regular))) return CbrtOfNormal(d, a, hn::Zero(di), x);
  const auto subnormal = hn::And(hn::Lt(a, hn::Set(d, std::numeric_limits<T>::min())), hn::Gt(a, hn::Zero(d)));
  a = hn::IfThenElse(subnormal, hn::Mul(a, hn::Set(d, kIsFloat ? T(0x1p24) : T(0x1p54))), a);
  const auto k_offset = hn::IfThenElseZero(hn::RebindMask(di, subnormal), hn::Set(di, TI{kThird}));
  const V result = CbrtOfNormal(d, a, k_offset, x);
  // +-0, +-Inf and NaN: x itself.
  return hn::IfThenElse(hn::And(hn::Gt(a, hn::Zero(d)), hn::Lt(a, Infinity(d))), result, x);
}

// f(x) for one vector of float32 or float64 lanes.
template <Function kFunction, class D, class V = hn::Vec<D>>
HWY_INLINE V Evaluate(D d, V x) {
  using T = hn::TFromD<D>;
  const V zero = hn::Zero(d);
  const V one = hn::Set(d, T{1});
  if constexpr (kFunction == Function::kExp) {
    return ExpFull(d, x);
  } else if constexpr (kFunction == Function::kExpm1) {
    // p 2^q + (2^q - 1) from the fast exp: exact for q = 0, where the
    // cancellation would be, and a third of hn::Expm1's cost. Past the
    // fast range: e^x (the 1 is below its rounding) or -1; a lane's
    // result never depends on its neighbours.
    // float64 carries the reduction's and the sum's rounding errors
    // (ExpParts: 2.0 ULP to under 1); float32's error stays under its
    // bound without.
    const auto fast_lanes = hn::Le(hn::Abs(x), hn::Set(d, kExpNormalRange<T>));
    V fast;
    if constexpr (sizeof(T) == 4) {
      fast = ExpNormalRange</*kMinusOne=*/true>(d, x);
    } else {
      V low;
      fast = ExpParts</*kMinusOne=*/true>(d, x, low);
    }
    if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return OddPassThrough(x, fast);
    V e_tail;
    if constexpr (sizeof(T) == 4) {
      e_tail = ExpFull(d, x);
    } else {
      e_tail = hn::Mul(HalfExpOfLarge(d, x), hn::Set(d, T(2)));  // Inf past the edge
    }
    const V tails = hn::IfThenElse(hn::Gt(x, zero), e_tail, hn::Neg(one));
    return OddPassThrough(x, hn::IfThenElse(fast_lanes, fast, tails));
  } else if constexpr (kFunction == Function::kLog || kFunction == Function::kLog2 ||
                       kFunction == Function::kLog10) {
    constexpr LogBase kBase = kFunction == Function::kLog    ? LogBase::kE
                              : kFunction == Function::kLog2 ? LogBase::kTwo
                                                             : LogBase::kTen;
    if constexpr (sizeof(T) == 4) {
      return LogF32<kBase>(d, x);
    } else {
      return LogF64<kBase>(d, x);
    }
  } else if constexpr (kFunction == Function::kLog1p) {
    if constexpr (sizeof(T) == 4) {
      return OddPassThrough(x, Log1pF32(d, x));
    } else {
      return OddPassThrough(x, Log1pF64(d, x));
    }
  } else if constexpr (kFunction == Function::kSin) {
    return SinCos<true>(d, x);
  } else if constexpr (kFunction == Function::kCos) {
    return SinCos<false>(d, x);
  } else if constexpr (kFunction == Function::kTanh) {
    return OddPassThrough(x, TanhByExpm1(d, x));
  } else if constexpr (kFunction == Function::kSinh) {
    // sinh|x| = (m + m / (m + 1)) / 2 with m = e^|x| - 1 from the fast exp:
    // no cancellation near 0, and a third of hn::Sinh's cost. Lanes past
    // the fast range take the whole line's path; the others keep these
    // values whatever their neighbours.
    // For float64, (E - 1/E) / 2 with E = e^|x| and 1/E = e^-|x| carried as
    // sums of two (TwiceSinhParts): no cancellation left near 0 (both carry
    // r exactly there), and the roundings left are a fraction of an ULP and
    // the last one.
    const V a = hn::Abs(x);
    const auto fast_lanes = hn::Le(a, hn::Set(d, kExpNormalRange<T>));
    V sum;
    if constexpr (sizeof(T) == 4) {
      const V m = ExpNormalRange</*kMinusOne=*/true>(d, a);
      sum = hn::Add(m, hn::Div(m, hn::Add(m, one)));
    } else {
      V low;
      const V high = TwiceSinhParts(d, a, low);
      sum = hn::Add(high, low);
    }
    const V fast = hn::CopySignToAbs(hn::Mul(sum, hn::Set(d, T(0.5))), x);
    if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return OddPassThrough(x, fast);
    const V large = hn::CopySignToAbs(HalfExpOfLarge(d, a), x);
    return OddPassThrough(x, hn::IfThenElse(fast_lanes, fast, large));
  } else if constexpr (kFunction == Function::kAtan) {
    return OddPassThrough(x, (hn::Atan(d, x)));
  } else if constexpr (kFunction == Function::kAsin || kFunction == Function::kAcos) {
    if constexpr (sizeof(T) == 8) {
      const V y = AsinAcosF64<kFunction == Function::kAsin>(d, x);
      const auto inside = hn::Le(hn::Abs(x), one);
      if (HWY_LIKELY(hn::AllTrue(d, inside))) return y;
      return KeepNaN(x, hn::IfThenElse(inside, y, QuietNaN(d)));
    } else {
      const V y = kFunction == Function::kAsin ? hn::Asin(d, x) : hn::Acos(d, x);
      const V result = KeepNaN(x, hn::IfThenElse(hn::Gt(hn::Abs(x), one), QuietNaN(d), y));
      return kFunction == Function::kAsin ? OddPassThrough(x, result) : result;
    }
  } else if constexpr (kFunction == Function::kAsinh) {
    // Below 2^-12 (float32) or 2^-26 (float64), asinh a rounds to a (while
    // s is 1 + a ULP or two, and the rounding of the correction could cost
    // up to an ULP): x itself, as for zeros, Inf and NaN. One test for all.
    const V a = hn::Abs(x);
    const V y = hn::CopySignToAbs(LogOfRootSum</*kPlusOne=*/true>(d, a), x);
    const auto regular = IsInRange(d, a, sizeof(T) == 4 ? T(0x1p-12) : T(0x1p-26), std::numeric_limits<T>::infinity());
    if (HWY_LIKELY(hn::AllTrue(d, regular))) return y;
    return hn::IfThenElse(regular, y, x);
  } else if constexpr (kFunction == Function::kSqrt) {
    return hn::Sqrt(x);
  } else if constexpr (kFunction == Function::kSigmoid) {
    return Sigmoid(d, x);
  } else if constexpr (kFunction == Function::kSoftplus) {
    // max(x, 0) + log1p(e^-|x|): no overflow, exact limits at both ends.
    const V y = hn::Add(hn::Max(x, zero), Evaluate<Function::kLog1p>(d, ExpFull(d, hn::Neg(hn::Abs(x)))));
    return KeepNaN(x, y);
  } else if constexpr (kFunction == Function::kSilu) {
    V y = hn::Mul(x, Sigmoid(d, x));
    // Far left, e^x is subnormal (or 0) before x e^x is: there silu(x) =
    // x e^x (1 + e^x is 1) = (x h) h with h = e^(x/2) (exact halving, h
    // normal), rounded once into the subnormals.
    const auto tail = hn::Lt(x, hn::Set(d, MathLimits<T>::kSiluTail));
    if (HWY_UNLIKELY(!hn::AllFalse(d, tail))) {
      const V h = ExpFull(d, hn::Mul(x, hn::Set(d, T(0.5))));
      y = hn::IfThenElse(tail, hn::Mul(hn::Mul(x, h), h), y);
    }
    return GatedAtMinusInfinity(d, x, y);
  } else if constexpr (kFunction == Function::kGeluTanh) {
    // 0.5 x (1 + tanh(u)) = x sigmoid(2u): no cancellation for x < 0.
    const V x3 = hn::Mul(hn::Mul(x, x), x);
    const V two_u = hn::Mul(hn::MulAdd(x3, hn::Set(d, T(0.044715)), x),
                            hn::Set(d, T(1.5957691216057307117597842397375)));  // 2 sqrt(2/pi)
    return GatedAtMinusInfinity(d, x, hn::Mul(x, Sigmoid(d, two_u)));
  } else if constexpr (kFunction == Function::kGelu) {
    // 0.5 x erfc(-x / sqrt(2)): no cancellation for x < 0.
    const V w = hn::Mul(x, hn::Set(d, T(-0.70710678118654752440084436210485)));
    const V e = ErfFull</*kComplement=*/true>(d, w);
    return GatedAtMinusInfinity(d, x, hn::Mul(hn::Mul(x, hn::Set(d, T(0.5))), e));
  } else if constexpr (kFunction == Function::kExp2) {
    return Exp2Full(d, x);
  } else if constexpr (kFunction == Function::kCosh) {
    // (E + 1/E) / 2, E = e^|x| from the fast exp; past its range e^|x| / 2,
    // which cosh is there to the last bit (Inf past the overflow edge).
    const V a = hn::Abs(x);
    const auto fast_lanes = hn::Le(a, hn::Set(d, kExpNormalRange<T>));
    const V e = ExpNormalRange(d, a);
    const V fast = hn::Mul(hn::Add(e, hn::Div(one, e)), hn::Set(d, T(0.5)));
    if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return fast;
    return KeepNaN(x, hn::IfThenElse(fast_lanes, fast, HalfExpOfLarge(d, a)));
  } else if constexpr (kFunction == Function::kAtanh) {
    if constexpr (sizeof(T) == 4) {
      // sign(x) log1p(2a / (1 - a)) / 2, a = |x|: a = 1 gives log1p(Inf) =
      // Inf and a > 1 a log1p argument below -1 (NaN), as NumPy's edges.
      const V a = hn::Abs(x);
      const V y = Log1pF32(d, hn::Div(hn::Add(a, a), hn::Sub(one, a)));
      return OddPassThrough(x, hn::CopySignToAbs(hn::Mul(y, hn::Set(d, T(0.5))), x));
    } else {
      return AtanhF64(d, x);
    }
  } else if constexpr (kFunction == Function::kAcosh) {
    // Defined for x >= 1: NaN below (and for NaN), Inf at Inf.
    const auto regular = IsInRange(d, x, T(1), std::numeric_limits<T>::infinity());
    V y = LogOfRootSum</*kPlusOne=*/false>(d, x);
    if (HWY_LIKELY(hn::AllTrue(d, regular))) return y;
    y = hn::IfThenElse(regular, y, hn::IfThenElse(hn::Eq(x, Infinity(d)), x, QuietNaN(d)));
    return KeepNaN(x, y);
  } else if constexpr (kFunction == Function::kTan) {
    return OddPassThrough(x, TanByReduction(d, x));
  } else if constexpr (kFunction == Function::kErf) {
    return OddPassThrough(x, ErfFull</*kComplement=*/false>(d, x));
  } else if constexpr (kFunction == Function::kErfc) {
    return ErfFull</*kComplement=*/true>(d, x);
  } else if constexpr (kFunction == Function::kCbrt) {
    return Cbrt(d, x);
  }
}

// y[i] = f(d, x[i]) for i < n, f a vector function; y == x works in place
// (each vector is loaded before it is stored). The last partial vector goes
// through a buffer: no access past n.
// x is prefetched 2 KiB ahead: on inputs past L2 the arithmetic and the
// trip from L3 or memory then overlap (log2 f32 at 1 Mi: 380 -> 330 us on a
// Xeon EMR, exp f64 710 -> 650 us); a prefetch past the end is harmless.
template <typename T, class F>
HWY_INLINE void TransformRow(const T* x, size_t n, T* y, const F& f) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  constexpr size_t kPrefetchLanes = 2048 / sizeof(T);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hwy::Prefetch(x + i + kPrefetchLanes);
    hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  }
  if (i < n) StoreFirstN(d, f(d, LoadFirstN(d, x + i, n - i, T{0})), y + i, n - i);
}

template <Function kFunction, typename T>
void ApplyRow(const T* x, T* y, size_t n) {
  TransformRow(x, n, y, [](auto d, auto v) HWY_ATTR { return Evaluate<kFunction>(d, v); });
}

// Calls body(std::integral_constant<Function, f>) for the runtime `function`.
template <typename Body>
void ForFunction(Function function, const Body& body) {
  switch (function) {
#define SIMDKIT_FUNCTION_CASE(name) \
  case Function::name: return body(std::integral_constant<Function, Function::name>());
    SIMDKIT_FUNCTION_CASE(kExp)
    SIMDKIT_FUNCTION_CASE(kExpm1)
    SIMDKIT_FUNCTION_CASE(kLog)
    SIMDKIT_FUNCTION_CASE(kLog1p)
    SIMDKIT_FUNCTION_CASE(kLog2)
    SIMDKIT_FUNCTION_CASE(kLog10)
    SIMDKIT_FUNCTION_CASE(kSin)
    SIMDKIT_FUNCTION_CASE(kCos)
    SIMDKIT_FUNCTION_CASE(kTanh)
    SIMDKIT_FUNCTION_CASE(kSinh)
    SIMDKIT_FUNCTION_CASE(kAtan)
    SIMDKIT_FUNCTION_CASE(kAsin)
    SIMDKIT_FUNCTION_CASE(kAcos)
    SIMDKIT_FUNCTION_CASE(kAsinh)
    SIMDKIT_FUNCTION_CASE(kSqrt)
    SIMDKIT_FUNCTION_CASE(kSigmoid)
    SIMDKIT_FUNCTION_CASE(kSoftplus)
    SIMDKIT_FUNCTION_CASE(kSilu)
    SIMDKIT_FUNCTION_CASE(kGeluTanh)
    SIMDKIT_FUNCTION_CASE(kGelu)
    SIMDKIT_FUNCTION_CASE(kExp2)
    SIMDKIT_FUNCTION_CASE(kCosh)
    SIMDKIT_FUNCTION_CASE(kAtanh)
    SIMDKIT_FUNCTION_CASE(kAcosh)
    SIMDKIT_FUNCTION_CASE(kTan)
    SIMDKIT_FUNCTION_CASE(kErf)
    SIMDKIT_FUNCTION_CASE(kErfc)
    SIMDKIT_FUNCTION_CASE(kCbrt)
#undef SIMDKIT_FUNCTION_CASE
  }
}

// Rows of x into rows of y (strides in elements).
template <typename T>
void ApplyRows(Function function, const T* x, size_t rows, size_t cols, size_t x_stride, T* y,
               size_t y_stride) {
  ForFunction(function, [&](auto constant) {
    constexpr Function kFunction = decltype(constant)::value;
    for (size_t r = 0; r < rows; ++r) ApplyRow<kFunction>(x + r * x_stride, y + r * y_stride, cols);
  });
}

// The largest element of a row (-Inf for n = 0). A NaN element makes the
// result unspecified (Max treats NaN differently on each target); the
// callers find NaN through exp(x - max) instead, which is NaN for a NaN x
// whatever max is, so this loop carries no NaN test.
template <typename T>
T RowMax(const T* x, size_t n) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  const T lowest = -std::numeric_limits<T>::infinity();
  auto best0 = hn::Set(d, lowest), best1 = best0, best2 = best0, best3 = best0;
  size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    best0 = hn::Max(best0, hn::LoadU(d, x + i));
    best1 = hn::Max(best1, hn::LoadU(d, x + i + lanes));
    best2 = hn::Max(best2, hn::LoadU(d, x + i + 2 * lanes));
    best3 = hn::Max(best3, hn::LoadU(d, x + i + 3 * lanes));
  }
  for (; i < n; i += lanes) best0 = hn::Max(best0, LoadFirstN(d, x + i, HWY_MIN(lanes, n - i), lowest));
  return hn::GetLane(hn::MaxOfLanes(d, hn::Max(hn::Max(best0, best1), hn::Max(best2, best3))));
}

template <typename T>
bool RowHasNaN(const T* x, size_t n) {
  return std::any_of(x, x + n, [](T v) { return std::isnan(v); });
}

// sum(exp(x[i] - shift)); with y, also stores each exp(x[i] - shift) there.
// With next_row, also prefetches next_row[0, n): this loop is bound by
// arithmetic, so the next row's trip from memory overlaps with it instead
// of stalling the next RowMax.
template <typename T>
T SumOfShiftedExp(const T* x, size_t n, T shift, T* y, const T* next_row = nullptr) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  const auto offset = hn::Set(d, shift);
  auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    if (next_row != nullptr) {
      hwy::Prefetch(next_row + i);
      hwy::Prefetch(next_row + i + lanes);
    }
    const auto e0 = ExpOfNonPositive(d, hn::Sub(hn::LoadU(d, x + i), offset));
    const auto e1 = ExpOfNonPositive(d, hn::Sub(hn::LoadU(d, x + i + lanes), offset));
    if (y != nullptr) {
      hn::StoreU(e0, d, y + i);
      hn::StoreU(e1, d, y + i + lanes);
    }
    sum0 = hn::Add(sum0, e0);
    sum1 = hn::Add(sum1, e1);
  }
  for (; i < n; i += lanes) {
    const size_t count = HWY_MIN(lanes, n - i);
    // Padding lanes hold -Inf: exp(-Inf - shift) adds 0.
    const auto e = ExpOfNonPositive(d, hn::Sub(LoadFirstN(d, x + i, count, -std::numeric_limits<T>::infinity()), offset));
    if (y != nullptr) StoreFirstN(d, e, y + i, count);
    sum0 = hn::Add(sum0, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
}

// log(sum(exp(x))) of a row, stably: max + log(sum(exp(x - max))). -Inf for
// an empty or all -Inf row, +Inf if the max is +Inf, NaN if any is NaN.
template <typename T>
T RowLogSumExp(const T* x, size_t n, T row_max) {
  if (!std::isfinite(row_max)) return RowHasNaN(x, n) ? std::numeric_limits<T>::quiet_NaN() : row_max;
  return row_max + std::log(SumOfShiftedExp<T>(x, n, row_max, nullptr));  // NaN if a NaN is in x
}

// softmax of a row of at most one vector: loaded once and scaled in
// registers. The rows of more than one vector store their exponentials and
// scale them after; here that reload would wait on a masked store, which
// does not forward to loads. The same values as SoftmaxRow's other path.
template <typename T>
void SoftmaxOfOneVector(const T* x, size_t n, T* y) {
  const hn::ScalableTag<T> d;
  const auto v = LoadFirstN(d, x, n, -std::numeric_limits<T>::infinity());
  const T row_max = hn::GetLane(hn::MaxOfLanes(d, v));
  const auto e = ExpOfNonPositive(d, hn::Sub(v, hn::Set(d, row_max)));
  const T sum = std::isfinite(row_max) ? hn::GetLane(hn::SumOfLanes(d, e))
                                       : std::numeric_limits<T>::quiet_NaN();
  if (std::isnan(sum)) {
    std::fill(y, y + n, std::numeric_limits<T>::quiet_NaN());
    return;
  }
  StoreFirstN(d, hn::Mul(e, hn::Set(d, T{1} / sum)), y, n);
}

// log_softmax of a row whose max is not finite. Rare, and x - 0 may be
// positive, outside ExpOfNonPositive: scalar. A max of +Inf gives NaN at the
// +Inf entries and -Inf elsewhere; a row of -Inf gives NaN; a NaN anywhere
// makes the row NaN.
template <typename T>
void LogSoftmaxOfNonFiniteMax(const T* x, size_t n, T* y) {
  T sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i]);
  const T log_sum = std::log(sum);
  for (size_t i = 0; i < n; ++i) y[i] = x[i] - log_sum;
}

// log_softmax of a row of at most one vector, loaded once (SoftmaxRow's
// values).
template <typename T>
void LogSoftmaxOfOneVector(const T* x, size_t n, T* y) {
  const hn::ScalableTag<T> d;
  const auto v = LoadFirstN(d, x, n, -std::numeric_limits<T>::infinity());
  const T row_max = hn::GetLane(hn::MaxOfLanes(d, v));
  if (!std::isfinite(row_max)) return LogSoftmaxOfNonFiniteMax(x, n, y);
  const auto shift = hn::Set(d, row_max);
  const auto e = ExpOfNonPositive(d, hn::Sub(v, shift));
  const T log_sum = std::log(hn::GetLane(hn::SumOfLanes(d, e)));
  StoreFirstN(d, hn::Sub(hn::Sub(v, shift), hn::Set(d, log_sum)), y, n);
}

template <typename T>
void SoftmaxRow(RowFunction function, const T* x, size_t n, T* y, const T* next_row) {
  if (n == 0) return;
  if (n <= hn::Lanes(hn::ScalableTag<T>())) {
    return function == RowFunction::kSoftmax ? SoftmaxOfOneVector(x, n, y)
                                             : LogSoftmaxOfOneVector(x, n, y);
  }
  const T row_max = RowMax(x, n);
  if (function == RowFunction::kSoftmax) {
    // As in SciPy, the row is NaN when x - max is NaN anywhere: a NaN in x,
    // or a max of +Inf (Inf - Inf) or -Inf (every element -Inf).
    const T sum = std::isfinite(row_max) ? SumOfShiftedExp<T>(x, n, row_max, y, next_row)
                                         : std::numeric_limits<T>::quiet_NaN();
    if (std::isnan(sum)) {
      std::fill(y, y + n, std::numeric_limits<T>::quiet_NaN());
      return;
    }
    const T inverse = T{1} / sum;
    TransformRow(y, n, y, [inverse](auto d, auto v) HWY_ATTR { return hn::Mul(v, hn::Set(d, inverse)); });
    return;
  }
  // log_softmax as SciPy computes it: (x - shift) - log(sum(exp(x - shift))),
  // the shift being the max, or 0 where the max is not finite. Not
  // x - logsumexp: a large max would swamp the digits of log(sum) (0 instead
  // of -log 2 at two equal entries of 1e36).
  if (!std::isfinite(row_max)) return LogSoftmaxOfNonFiniteMax(x, n, y);
  const T log_sum = std::log(SumOfShiftedExp<T>(x, n, row_max, nullptr, next_row));
  TransformRow(x, n, y, [row_max, log_sum](auto d, auto v) HWY_ATTR {
    return hn::Sub(hn::Sub(v, hn::Set(d, row_max)), hn::Set(d, log_sum));
  });
}

// frexp's exponent of a positive finite m: 2^(e-1) <= m < 2^e. Read from
// the bits for normal m (frexp is a library call, a third of a short row's
// time).
template <typename T>
int BinaryExponent(T m) {
  if (m < std::numeric_limits<T>::min()) {  // subnormal
    int exponent = 0;
    std::frexp(m, &exponent);
    return exponent;
  }
  using Bits = hwy::MakeUnsigned<T>;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
  Bits bits;
  hwy::CopySameSize(&m, &bits);
  return static_cast<int>(bits >> kMantissaBits) - kBias + 1;
}

// 2^k for k in the normal range, exactly (as ldexp(1, k)).
template <typename T>
T PowerOfTwo(int k) {
  using Bits = hwy::MakeUnsigned<T>;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
  const Bits bits = static_cast<Bits>(k + kBias) << kMantissaBits;
  T value;
  hwy::CopySameSize(&bits, &value);
  return value;
}

// x / |x|_2, computed as (x s) / |x s|_2 with s the power of two that
// brings max |x| near 1, so that no square overflows or underflows and the
// scaling is exact (s is applied as two factors, each in range). Zero rows
// stay zero; NaN anywhere gives a NaN row; Inf gives |x| = Inf (as NumPy's
// x / norm(x)).
template <typename T>
void NormalizeRow(const T* x, size_t n, T* y) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  auto largest = hn::Zero(d);
  auto nan = hn::Zero(d);
  for (size_t i = 0; i < n; i += lanes) {
    const auto v = hn::Abs(LoadFirstN(d, x + i, HWY_MIN(lanes, n - i), T{0}));
    nan = hn::Or(nan, hn::IfThenElseZero(hn::IsNaN(v), v));
    largest = hn::Max(largest, v);
  }
  const T m = hn::GetLane(hn::MaxOfLanes(d, largest));
  // Before the zero test: x86's Max drops a NaN operand only sometimes, so
  // m can be 0 for a row of NaN and zeros (SSE4 copied [-730, NaN, NaN]).
  const bool has_nan = !hn::AllFalse(d, hn::IsNaN(nan));
  if (m == T{0} && !has_nan) {
    std::copy(x, x + n, y);  // zeros (with their signs) stay
    return;
  }
  // Both factors are normal: |exponent| / 2 + 1 is well inside the range.
  const int exponent = has_nan || std::isinf(m) ? 0 : BinaryExponent(m);
  const auto scale_a = hn::Set(d, PowerOfTwo<T>(-exponent / 2));
  const auto scale_b = hn::Set(d, PowerOfTwo<T>(-exponent - (-exponent / 2)));
  const auto scaled = [&](size_t i, size_t count) HWY_ATTR {
    return hn::Mul(hn::Mul(LoadFirstN(d, x + i, count, T{0}), scale_a), scale_b);
  };
  T norm;
  if (has_nan) {
    norm = std::numeric_limits<T>::quiet_NaN();
  } else if (std::isinf(m)) {
    norm = m;
  } else {
    auto sum = hn::Zero(d);
    for (size_t i = 0; i < n; i += lanes) {
      const auto v = scaled(i, HWY_MIN(lanes, n - i));
      sum = hn::MulAdd(v, v, sum);
    }
    norm = std::sqrt(hn::GetLane(hn::SumOfLanes(d, sum)));
  }
  const auto divisor = hn::Set(d, norm);
  for (size_t i = 0; i < n; i += lanes) {
    const size_t count = HWY_MIN(lanes, n - i);
    StoreFirstN(d, hn::Div(scaled(i, count), divisor), y + i, count);
  }
}

template <typename T>
void RowwiseRows(RowFunction function, const T* x, size_t rows, size_t cols, size_t x_stride, T* y,
                 size_t y_stride) {
  for (size_t r = 0; r < rows; ++r) {
    const T* row = x + r * x_stride;
    T* out = y + r * y_stride;
    if (function == RowFunction::kNormalize) {
      NormalizeRow(row, cols, out);
    } else {
      SoftmaxRow(function, row, cols, out, r + 1 < rows ? row + x_stride : nullptr);
    }
  }
}

// RowLogSumExp of a row of at most one vector, loaded once (its values).
template <typename T>
T LogSumExpOfOneVector(const T* x, size_t n) {
  const hn::ScalableTag<T> d;
  const auto v = LoadFirstN(d, x, n, -std::numeric_limits<T>::infinity());
  const T row_max = hn::GetLane(hn::MaxOfLanes(d, v));
  if (!std::isfinite(row_max)) {
    return RowHasNaN(x, n) ? std::numeric_limits<T>::quiet_NaN() : row_max;
  }
  const auto e = ExpOfNonPositive(d, hn::Sub(v, hn::Set(d, row_max)));
  return row_max + std::log(hn::GetLane(hn::SumOfLanes(d, e)));
}

template <typename T>
void LogSumExpRows(const T* x, size_t rows, size_t cols, size_t x_stride, T* out) {
  const bool one_vector = cols <= hn::Lanes(hn::ScalableTag<T>());
  for (size_t r = 0; r < rows; ++r) {
    const T* row = x + r * x_stride;
    out[r] = one_vector ? LogSumExpOfOneVector(row, cols)
                        : RowLogSumExp(row, cols, RowMax(row, cols));
  }
}

// float16 and bfloat16 (their bit patterns): widened exactly to float32,
// computed there, rounded back to nearest even (kernels/convert-inl.h).
template <bool kBFloat16>
struct HalfFormat {
  static void Widen(const uint16_t* from, size_t n, float* to) {
    const hn::ScalableTag<float> df;
    if constexpr (kBFloat16) {
      BFloat16ToFloat32Row(df, from, n, to);
    } else {
      Float16ToFloat32Row(df, from, n, to);
    }
  }
  static void Narrow(const float* from, size_t n, uint16_t* to) {
    const hn::ScalableTag<float> df;
    if constexpr (kBFloat16) {
      Float32ToBFloat16Row(df, from, n, to);
    } else {
      Float32ToFloat16Row(df, from, n, to);
    }
  }
};

#if SIMDKIT_HAS_NATIVE_FLOAT16_ARITHMETIC
// sqrt of n float16 values in float16 arithmetic (vsqrtph). The same bits as
// float32's correctly rounded sqrt rounded to float16: a double rounding from
// 24 to 11 significand bits is exact for sqrt, as 24 >= 2 * 11 + 2. In place
// works (each vector is read before it is written).
HWY_INLINE void SqrtFloat16Row(const uint16_t* from, size_t n, uint16_t* to) {
  const hn::ScalableTag<hwy::float16_t> dh;
  const auto* in = reinterpret_cast<const hwy::float16_t*>(from);
  auto* out = reinterpret_cast<hwy::float16_t*>(to);
  const size_t lanes = hn::Lanes(dh);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Sqrt(hn::LoadU(dh, in + i)), dh, out + i);
  if (i < n) hn::StoreN(hn::Sqrt(hn::LoadN(dh, in + i, n - i)), dh, out + i, n - i);
}
#endif

// Elementwise over rows of 16-bit floats, a cache-sized chunk at a time
// (in place works: each chunk is read before it is written).
template <bool kBFloat16>
void ApplyHalfRows(Function function, const uint16_t* x, size_t rows, size_t cols, size_t x_stride,
                   uint16_t* y, size_t y_stride) {
#if SIMDKIT_HAS_NATIVE_FLOAT16_ARITHMETIC
  if (!kBFloat16 && function == Function::kSqrt) {
    for (size_t r = 0; r < rows; ++r) SqrtFloat16Row(x + r * x_stride, cols, y + r * y_stride);
    return;
  }
#endif
  using Format = HalfFormat<kBFloat16>;
  constexpr size_t kChunk = 2048;
  HWY_ALIGN float buffer[kChunk];
  ForFunction(function, [&](auto constant) {
    constexpr Function kFunction = decltype(constant)::value;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < cols; i += kChunk) {
        const size_t count = HWY_MIN(kChunk, cols - i);
        Format::Widen(x + r * x_stride + i, count, buffer);
        ApplyRow<kFunction>(buffer, buffer, count);
        Format::Narrow(buffer, count, y + r * y_stride + i);
      }
    }
  });
}

// Row kernels over 16-bit floats: each row widened whole (the max and the
// sum see every element before anything is written), computed in float32.
template <bool kBFloat16>
void RowwiseHalfRows(RowFunction function, const uint16_t* x, size_t rows, size_t cols,
                     size_t x_stride, uint16_t* y, size_t y_stride) {
  using Format = HalfFormat<kBFloat16>;
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; ++r) {
    Format::Widen(x + r * x_stride, cols, row.data());
    RowwiseRows<float>(function, row.data(), 1, cols, cols, row.data(), cols);
    Format::Narrow(row.data(), cols, y + r * y_stride);
  }
}

template <bool kBFloat16>
void LogSumExpHalfRows(const uint16_t* x, size_t rows, size_t cols, size_t x_stride,
                       uint16_t* out) {
  using Format = HalfFormat<kBFloat16>;
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; ++r) {
    Format::Widen(x + r * x_stride, cols, row.data());
    float total;
    LogSumExpRows<float>(row.data(), 1, cols, cols, &total);
    Format::Narrow(&total, 1, out + r);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_MATH_INL_H_
