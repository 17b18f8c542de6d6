// Binary elementwise math: atan2, hypot and power (NumPy's arctan2, hypot
// and power over float dtypes), y = f(a, b) lane by lane, over rows whose
// operands are either vectors or one element broadcast along the row.
//
// float64 is computed natively; float32 atan2 natively, float32 hypot and
// power in float64 lanes (promoted, computed, rounded once back); float16 and
// bfloat16 through float32. The exp and log helpers of kernels/math-inl.h
// (ReduceExp, PowerOfTwoOf, ProductError, ...) are reused, not copied.
//
// Re-included once per target: the include guard toggles with
// HWY_TARGET_TOGGLE, as in hwy/contrib.

// Highway-free, defined once: what the per-target entry points
// (kernels/binary_math.cc) take.
#ifndef SIMDKIT_KERNELS_BINARY_ROWS_
#define SIMDKIT_KERNELS_BINARY_ROWS_
#include <stddef.h>

namespace simdkit {
// One operand of a batch as the kernels read it: row r starts at
// data + offsets[r] (offsets given) or data + r * row_stride; `scalar`: one
// element per row, for every column.
template <typename T>
struct BinaryRows {
  const T* data;
  size_t row_stride;
  const ptrdiff_t* offsets;
  bool scalar;

  const T* At(size_t row, size_t col) const {
    const T* start = offsets != nullptr ? data + offsets[row] : data + row * row_stride;
    return scalar ? start : start + col;
  }
};

}  // namespace simdkit
#endif  // SIMDKIT_KERNELS_BINARY_ROWS_

#if defined(SIMDKIT_KERNELS_BINARY_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_BINARY_MATH_INL_H_
#undef SIMDKIT_KERNELS_BINARY_MATH_INL_H_
#else
#define SIMDKIT_KERNELS_BINARY_MATH_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include <limits>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/capabilities-inl.h"
#include "kernels/convert-inl.h"
#include "kernels/math-inl.h"
#include "kernels/partial-inl.h"
#include "simdkit/math.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lanes whose sign bit is set (-0 and negative NaN included).
template <class D, class V>
HWY_INLINE auto SignBitSet(D d, V v) {
  const hn::RebindToSigned<D> di;
  return hn::RebindMask(d, hn::Lt(hn::BitCast(di, v), hn::Zero(di)));
}

// A's coefficients for float64, the highest degree first.
constexpr double kAtanTailF64[] = {
    -0.00002066141896564025, 0.0002268402541894645, -0.001180729904656555, 0.003900343532375712,
    -0.00926519898957655, 0.017083939921820227, -0.025930610166822583, 0.034145181006359146,
    -0.040970625845066375, 0.046758949681992436, -0.05239888016405211, 0.058774749359068776,
    -0.06665892143913948, 0.07692217315014314, -0.09090901657638997, 0.1111111070552862,
    -0.14285714272354574, 0.19999999999774815, -0.33333333333331994,
};

// atan t for t in [0, 1]: t + t^3 A(t^2), A a minimax fit
// (tools/minimax.py atan_tail_f32: degree 7, 0.36 x 2^-24; atan_tail_f64:
// degree 18).
template <class D, class V>
HWY_INLINE V AtanOfUnit(D d, V t) {
  using T = hn::TFromD<D>;
  const V w = hn::Mul(t, t);
  V p;
  if constexpr (sizeof(T) == 4) {
    p = hn::MulAdd(hn::Set(d, 0.0029744846f), w, hn::Set(d, -0.016580766f));
    for (const float c : {0.043552868f, -0.075805224f, 0.10678915f, -0.14214203f, 0.19994137f,
                          -0.33333167f}) {
      p = hn::MulAdd(p, w, hn::Set(d, c));
    }
  } else {
    p = hn::MulAdd(hn::Set(d, kAtanTailF64[0]), w, hn::Set(d, kAtanTailF64[1]));
    for (size_t i = 2; i < sizeof(kAtanTailF64) / sizeof(kAtanTailF64[0]); ++i) {
      p = hn::MulAdd(p, w, hn::Set(d, kAtanTailF64[i]));
    }
  }
  return hn::MulAdd(hn::Mul(t, w), p, t);
}

// atan2(y, x), the angle of the point (x, y), with C99's special values.
// With a = |y|, b = |x| and t = min / max (one division, correctly rounded:
// no cancellation anywhere), the angle in the first quadrant is atan t or
// pi/2 - atan t, and the others follow from the signs: base + -atan t, base
// one of 0, pi/2, pi, carried as high + low parts. 0/0 (both zero) reads as
// t = 0 and Inf/Inf as t = 1, which gives C99's +-0, +-pi, +-pi/4 and
// +-3pi/4 there; NaN in either gives NaN.
template <class D, class V>
HWY_INLINE V Atan2Lanes(D d, V y, V x) {
  using T = hn::TFromD<D>;
  const V a = hn::Abs(y);
  const V b = hn::Abs(x);
  const V low = hn::Min(a, b);
  const V high = hn::Max(a, b);
  V t = hn::Div(low, high);
  const auto regular = hn::And(hn::Gt(high, hn::Zero(d)), hn::Lt(low, Infinity(d)));
  if (HWY_UNLIKELY(!hn::AllTrue(d, regular))) {
    t = hn::IfThenElse(hn::Eq(high, hn::Zero(d)), hn::Zero(d), t);
    t = hn::IfThenElse(hn::IsInf(low), hn::Set(d, T(1)), t);
  }
  const V p = AtanOfUnit(d, t);
  // pi/2 = half_pi + half_pi_low.
  const T half_pi = sizeof(T) == 4 ? T(1.57079637050628662109375) : T(1.5707963267948965580);
  const T half_pi_low = sizeof(T) == 4 ? T(-4.37113900018624283e-8) : T(6.123233995736766036e-17);
  const auto steep = hn::Gt(a, b);           // the angle is pi/2 -+ atan t
  const auto backward = SignBitSet(d, x);    // x < 0 or x = -0: pi - ...
  // base: 0 (ahead, flat), pi/2 (steep, either side), pi (backward, flat).
  const V quarter_turns = hn::IfThenElse(steep, hn::Set(d, T(1)),
                                         hn::IfThenElseZero(backward, hn::Set(d, T(2))));
  const V base = hn::Mul(quarter_turns, hn::Set(d, half_pi));
  const V base_low = hn::Mul(quarter_turns, hn::Set(d, half_pi_low));
  // atan t is subtracted when exactly one of steep and backward holds.
  const auto subtract = hn::Xor(steep, backward);
  const V signed_p = hn::IfThenElse(subtract, hn::Neg(p), p);
  V angle = hn::Add(base, hn::Add(signed_p, base_low));
  angle = hn::CopySign(angle, y);
  return hn::IfThenElse(hn::Or(hn::IsNaN(x), hn::IsNaN(y)), hn::Add(x, y), angle);
}

// sqrt(x^2 + y^2) without spurious overflow or underflow: float64 lanes
// whose larger magnitude is beyond 2^+-500 are scaled by 2^-+600 first (an
// exact power of two; the smaller one's lost bits are below the result's
// rounding), and the result scaled back. +Inf if either is infinite, even
// with a NaN (C99, NumPy); otherwise NaN if either is NaN. Float32 lanes
// come here promoted to float64, where neither can happen.
template <class D, class V>
HWY_INLINE V HypotLanes(D d, V x, V y) {
  using T = hn::TFromD<D>;
  static_assert(sizeof(T) == 8, "float32 hypot is computed in float64 lanes");
  const V a = hn::Abs(x);
  const V b = hn::Abs(y);
  const V high = hn::Max(a, b);
  const V low = hn::Min(a, b);
  const auto in_range = hn::And(hn::Le(high, hn::Set(d, T(0x1p500))),
                                hn::Ge(high, hn::Set(d, T(0x1p-500))));
  V result;
  if (HWY_LIKELY(hn::AllTrue(d, in_range))) {
    result = hn::Sqrt(hn::MulAdd(high, high, hn::Mul(low, low)));
  } else {
    const auto large = hn::Gt(high, hn::Set(d, T(0x1p500)));
    const auto small = hn::Lt(high, hn::Set(d, T(0x1p-500)));
    const V one = hn::Set(d, T(1));
    const V down = hn::IfThenElse(large, hn::Set(d, T(0x1p-600)),
                                  hn::IfThenElse(small, hn::Set(d, T(0x1p600)), one));
    const V up = hn::IfThenElse(large, hn::Set(d, T(0x1p600)),
                                hn::IfThenElse(small, hn::Set(d, T(0x1p-600)), one));
    const V h = hn::Mul(high, down);
    const V l = hn::Mul(low, down);
    result = hn::Mul(hn::Sqrt(hn::MulAdd(h, h, hn::Mul(l, l))), up);
  }
  const auto finite = hn::And(hn::IsFinite(x), hn::IsFinite(y));
  if (HWY_LIKELY(hn::AllTrue(d, finite))) return result;
  result = hn::IfThenElse(hn::Or(hn::IsNaN(x), hn::IsNaN(y)), hn::Add(x, y), result);
  return hn::IfThenElse(hn::Or(hn::IsInf(x), hn::IsInf(y)), Infinity(d), result);
}

// log2(a) = high + low for float64 a > 0, to about 2^-64 relative (pow's
// y log2 x reaches 1075 in magnitude, and each 2^-53 of it is most of an
// ULP of the result). a = 2^k (1 + f), 1 + f in [sqrt(1/2), sqrt(2)) read
// from the bits (subnormals scaled by 2^54 first), f exact;
// log(1 + f) = 2 s + 2 s^3 / 3 + s^5 P(s^2) with s = f / (2 + f), |s| <=
// 0.1716: s and the first two terms in double-double (ProductError: one FMA
// where the target has it), s^5 P (tools/minimax.py log_odd_tail_f64: degree
// 6) in double, which it is far below (2^-12.5 of the sum). The natural log
// is turned into base 2 by 1 / ln 2 in two parts. a = 0 gives -Inf, Inf
// gives Inf (low 0); NaN and negatives are left to the caller.
template <class D, class V>
HWY_INLINE V Log2HighLow(D d, V a, V& low_out) {
  using T = hn::TFromD<D>;
  static_assert(sizeof(T) == 8, "float64 only");
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  const V one = hn::Set(d, 1.0);
  const V two = hn::Set(d, 2.0);
  const auto normal = hn::And(hn::Ge(a, hn::Set(d, std::numeric_limits<double>::min())),
                              hn::Lt(a, Infinity(d)));
  const bool all_normal = hn::AllTrue(d, normal);
  V u_in = a;
  VI k_offset = hn::Zero(di);
  if (HWY_UNLIKELY(!all_normal)) {
    const auto subnormal = hn::Lt(a, hn::Set(d, std::numeric_limits<double>::min()));
    u_in = hn::IfThenElse(subnormal, hn::Mul(a, hn::Set(d, 0x1p54)), a);
    k_offset = hn::IfThenElseZero(hn::RebindMask(di, subnormal), hn::Set(di, int64_t{-54}));
  }
  const VI bits = hn::BitCast(di, u_in);
  const VI below = hn::Sub(bits, hn::Set(di, int64_t{0x3FE6A09E667F3BCD}));  // sqrt(1/2)
  const VI k_int = hn::ShiftRight<52>(below);
  const V f = hn::Sub(hn::BitCast(d, hn::Sub(bits, hn::ShiftLeft<52>(k_int))), one);
  // s = f / (2 + f) = s_high + s_low; 2 + f = d_high + d_low exactly.
  const V d_high = hn::Add(f, two);
  const V d_low = hn::Sub(f, hn::Sub(d_high, two));
  const V reciprocal = hn::Div(one, d_high);
  const V s = hn::Mul(f, reciprocal);
  const V product = hn::Mul(s, d_high);
  // f - s d_high exactly: f - product is exact (they agree to a few ULP).
  const V remainder = hn::Sub(hn::Sub(f, product), ProductError(d, s, d_high, product));
  const V s_low = hn::Mul(hn::NegMulAdd(s, d_low, remainder), reciprocal);
  // s^2 and s^3 in two parts.
  const V w = hn::Mul(s, s);
  const V w_low = hn::MulAdd(hn::Add(s, s), s_low, ProductError(d, s, s, w));
  const V s3 = hn::Mul(w, s);
  const V s3_low = hn::MulAdd(w_low, s, hn::MulAdd(w, s_low, ProductError(d, w, s, s3)));
  // 2/3 = two_thirds + two_thirds_low.
  const V two_thirds = hn::Set(d, 0.66666666666666662966);
  const V t3 = hn::Mul(s3, two_thirds);
  const V t3_low = hn::MulAdd(s3, hn::Set(d, 3.7007434154171882e-17),
                              hn::MulAdd(s3_low, two_thirds, ProductError(d, s3, two_thirds, t3)));
  V p = hn::MulAdd(hn::Set(d, 0.13196223719965505), w, hn::Set(d, 0.13256828331250678));
  for (const double c : {0.1538675691156972, 0.18181784375377738, 0.22222222519839724,
                         0.28571428570099966, 0.40000000000002256}) {
    p = hn::MulAdd(p, w, hn::Set(d, c));
  }
  const V rest = hn::Mul(hn::Mul(s3, w), p);
  // log(1 + f) = h + h_low: 2s + t3 (|2s| > |t3|, the same sign) and the rest.
  const V twice_s = hn::Add(s, s);
  const V h = hn::Add(twice_s, t3);
  const V h_error = hn::Sub(t3, hn::Sub(h, twice_s));
  const V h_low = hn::Add(h_error, hn::Add(hn::Add(s_low, s_low), hn::Add(t3_low, rest)));
  // To base 2: 1 / ln 2 = inv_ln2 + inv_ln2_low.
  const V inv_ln2 = hn::Set(d, 1.4426950408889634074);
  const V m = hn::Mul(h, inv_ln2);
  const V m_low = hn::MulAdd(h_low, inv_ln2, hn::MulAdd(h, hn::Set(d, 2.0355273740931033e-17),
                                                        ProductError(d, h, inv_ln2, m)));
  // + k, exactly: |k| >= 1 > |m| unless k = 0.
  const V k = hn::ConvertTo(d, hn::Add(k_int, k_offset));
  const V sum = hn::Add(k, m);
  const V sum_low = hn::Add(hn::Sub(m, hn::Sub(sum, k)), m_low);
  // Renormalized (|low| <= ULP of high): Exp2HighLow takes e^(low ln 2) as
  // 1 + low ln 2.
  V high = hn::Add(sum, sum_low);
  V low = hn::Sub(sum_low, hn::Sub(high, sum));
  if (HWY_UNLIKELY(!all_normal)) {
    const auto zero = hn::Eq(a, hn::Zero(d));
    const auto inf = hn::Eq(a, Infinity(d));
    high = hn::IfThenElse(zero, hn::Neg(Infinity(d)), hn::IfThenElse(inf, a, high));
    low = hn::IfThenZeroElse(hn::Or(zero, inf), low);
  }
  low_out = low;
  return high;
}

// 2^(z + z_low) for float64 z and a correction |z_low| <= 2^-40 |z|: ReduceExp's base-two
// steps on z (q = round(z), e^r = 1 + p with r = (z - q) ln 2 rounded), with
// r's rounding error and z_low ln 2 carried as c: 2^q (1 + p)(1 + c). Lanes
// with |z| > 1020 (including +-Inf) take 2^(z -+ 512) 2^(+-512) from z
// clamped to +-1100 (where the result is already Inf or 0): the overflow to
// Inf, and the subnormals with one more rounding. NaN z gives NaN.
template <class D, class V>
HWY_INLINE V Exp2HighLow(D d, V z, V z_low) {
  using T = hn::TFromD<D>;
  const V ln2 = hn::Set(d, T(0.69314718055994528623));
  const V ln2_low = hn::Set(d, T(2.3190468138462996e-17));
  // The shift ReduceExp adds to round z to an integer (q + the bias).
  const V shift = hn::Set(d, T(0x1.8p52) + T(1023));
  const auto scaled_power = [&](V x, V correction) HWY_ATTR {
    V t;
    const V p = ReduceExp</*kBaseTwo=*/true>(d, x, t);
    const V fraction = hn::Sub(x, hn::Sub(t, shift));  // x - q, exact
    const V r = hn::Mul(fraction, ln2);
    const V c = hn::MulAdd(fraction, ln2_low,
                           hn::MulAdd(correction, ln2, ProductError(d, fraction, ln2, r)));
    const V p_total = hn::Add(p, hn::MulAdd(p, c, c));
    const V scale = PowerOfTwoOf(d, t);
    return hn::MulAdd(p_total, scale, scale);
  };
  const auto fast_lanes = hn::Le(hn::Abs(z), hn::Set(d, T(1020)));
  const V fast = scaled_power(z, z_low);
  if (HWY_LIKELY(hn::AllTrue(d, fast_lanes))) return fast;
  const V limit = hn::Set(d, T(1100));
  const V clamped = hn::Min(hn::Max(z, hn::Neg(limit)), limit);
  const auto positive = hn::Gt(z, hn::Zero(d));
  const V s = hn::IfThenElse(positive, hn::Set(d, T(512)), hn::Set(d, T(-512)));
  const V power = hn::IfThenElse(positive, hn::Set(d, T(0x1p512)), hn::Set(d, T(0x1p-512)));
  // Beyond 1050 the correction is irrelevant (and NaN for infinite z).
  const V correction = hn::IfThenZeroElse(hn::Gt(hn::Abs(z), hn::Set(d, T(1050))), z_low);
  const V outside = hn::Mul(scaled_power(hn::Sub(clamped, s), correction), power);
  const V result = hn::IfThenElse(fast_lanes, fast, outside);
  return hn::IfThenElse(hn::IsNaN(z), z, result);
}

// log2(a) for float64 lanes that hold float32 values (normal in float64,
// subnormals included), to about 2^-35 relative: a = 2^k (1 + f) with
// 1 + f in [sqrt(1/2), sqrt(2)), log2(1 + f) = f L(f), L a minimax fit
// (tools/minimax.py log2_ratio_f64: degree 12, 2^-35.5). Enough for float32
// power, whose y log2 x then errs by 2^-28 at most where it matters
// (|y log2 x| <= 160). a = 0 gives -Inf, Inf gives Inf.
template <class D, class V>
HWY_INLINE V Log2OfFloat(D d, V a) {
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  const VI bits = hn::BitCast(di, a);
  const VI k_int = hn::ShiftRight<52>(hn::Sub(bits, hn::Set(di, int64_t{0x3FE6A09E667F3BCD})));
  const V f = hn::Sub(hn::BitCast(d, hn::Sub(bits, hn::ShiftLeft<52>(k_int))), hn::Set(d, 1.0));
  V q = hn::MulAdd(hn::Set(d, 0.07954340366627546), f, hn::Set(d, -0.14442014113347273));
  for (const double c : {0.14446059000193268, -0.14276896097158717, 0.15876418050055296,
                         -0.18033580337628993, 0.2061775098519705, -0.24045173036712042,
                         0.2885372017819654, -0.36067369947671435, 0.4808983625085103,
                         -0.7213475207460752, 1.4426950408667791}) {
    q = hn::MulAdd(q, f, hn::Set(d, c));
  }
  V log2 = hn::MulAdd(f, q, hn::ConvertTo(d, k_int));
  const auto regular = hn::And(hn::Gt(a, hn::Zero(d)), hn::Lt(a, Infinity(d)));
  if (HWY_UNLIKELY(!hn::AllTrue(d, regular))) {
    log2 = hn::IfThenElse(hn::Eq(a, hn::Zero(d)), hn::Neg(Infinity(d)),
                          hn::IfThenElse(hn::Eq(a, Infinity(d)), a, log2));
  }
  return log2;
}

// 2^z for float64 lanes whose result is rounded to float32 next: z clamped
// to [-160, 160] (already 0 or Inf in float32), z = q + r with |r| <= 1/2,
// 2^r a minimax fit (tools/minimax.py exp2_f64: degree 7, 2^-34.5), 2^q
// from the bits.
template <class D, class V>
HWY_INLINE V Exp2OfFloat(D d, V z) {
  const V clamped = hn::Min(hn::Max(z, hn::Set(d, -160.0)), hn::Set(d, 160.0));
  const V shift = hn::Set(d, 0x1.8p52 + 1023.0);
  const V t = hn::Add(clamped, shift);
  const V r = hn::Sub(clamped, hn::Sub(t, shift));
  V p = hn::MulAdd(hn::Set(d, 0.00001520191385756573), r, hn::Set(d, 0.00015469291078657575));
  for (const double c : {0.0013333922597132362, 0.009618027253904126, 0.05550410353406466,
                         0.24022651198155387, 0.6931471807284598, 0.9999999999616822}) {
    p = hn::MulAdd(p, r, hn::Set(d, c));
  }
  return hn::Mul(p, PowerOfTwoOf(d, t));
}

// x^y for float64 lanes with C99's (and NumPy's) special values:
// |x|^y = 2^(y log2 |x|) with log2 |x| in two parts (Log2HighLow) and the
// product y log2|x| too (ProductError), so that its error stays near 2^-53
// however large it is; the sign for negative x and odd integer y; NaN for
// finite negative x and non-integer finite y; 1 for y = +-0, x = 1 and
// (-1)^+-Inf, even with NaN; NaN otherwise for NaN in either. +-0 and +-Inf
// in x or y come out of the arithmetic (log2 0 = -Inf, y log2 x = +-Inf,
// 2^+-Inf = Inf or 0).
// kFromFloat: x and y are float32 values (the result is rounded to float32
// next), and |x|^y takes Log2OfFloat and Exp2OfFloat, a third of the work.
template <bool kFromFloat = false, class D, class V>
HWY_INLINE V PowerLanes(D d, V x, V y) {
  using T = hn::TFromD<D>;
  static_assert(sizeof(T) == 8, "float32 power is computed in float64 lanes");
  const V a = hn::Abs(x);
  V magnitude;
  if constexpr (kFromFloat) {
    magnitude = Exp2OfFloat(d, hn::Mul(y, Log2OfFloat(d, a)));
  } else {
    V log_low;
    const V log_high = Log2HighLow(d, a, log_low);
    const V z = hn::Mul(y, log_high);
    V z_low = hn::MulAdd(y, log_low, ProductError(d, y, log_high, z));
#if !HWY_NATIVE_FMA
    // Dekker's splitting overflows for |y| near the largest floats; there
    // y log2 x is 0 (x = 1) or far past the edges, where z_low is irrelevant.
    z_low = hn::IfThenZeroElse(hn::Gt(hn::Abs(y), hn::Set(d, T(0x1p900))), z_low);
#endif
    magnitude = Exp2HighLow(d, z, z_low);
  }
  const auto regular = hn::And(hn::And(hn::Gt(x, hn::Zero(d)), hn::Lt(x, Infinity(d))),
                               hn::IsFinite(y));
  if (HWY_LIKELY(hn::AllTrue(d, regular))) return magnitude;
  const V one = hn::Set(d, T(1));
  const auto integer = hn::Eq(hn::Round(y), y);  // +-Inf too; NaN not
  const V half = hn::Mul(y, hn::Set(d, T(0.5)));
  const auto odd = hn::AndNot(hn::Eq(hn::Round(half), half), integer);
  V result = hn::IfThenElse(hn::And(odd, SignBitSet(d, x)), hn::Neg(magnitude), magnitude);
  const auto negative_finite = hn::And(hn::Lt(x, hn::Zero(d)), hn::IsFinite(x));
  result = hn::IfThenElse(hn::AndNot(integer, negative_finite), QuietNaN(d), result);
  result = hn::IfThenElse(hn::Or(hn::IsNaN(x), hn::IsNaN(y)), hn::Add(x, y), result);
  const auto is_one = hn::Or(hn::Or(hn::Eq(y, hn::Zero(d)), hn::Eq(x, one)),
                             hn::And(hn::Eq(a, one), hn::IsInf(y)));
  return hn::IfThenElse(is_one, one, result);
}

// float64 lanes rounded to float32 (d a float tag of as many lanes), with
// overflow to +-Inf: the portable fallback targets' DemoteTo saturates to
// +-FLT_MAX (Inf included), the others convert as the hardware does.
template <class D, class VD>
HWY_INLINE hn::Vec<D> NarrowToFloat(D d, VD v) {
  auto narrow = hn::DemoteTo(d, v);
#if SIMDKIT_IS_PORTABLE_FALLBACK
  const hn::Rebind<double, D> dd;
  // FLT_MAX + half an ULP and beyond round to Inf.
  const auto overflow = hn::Ge(hn::Abs(v), hn::Set(dd, 0x1.ffffffp127));
  const auto flag = hn::DemoteTo(d, hn::IfThenElseZero(overflow, hn::Set(dd, 1.0)));
  narrow = hn::IfThenElse(hn::Eq(flag, hn::Set(d, 1.0f)), hn::CopySign(Infinity(d), narrow),
                          narrow);
#else
  (void)d;
#endif
  return narrow;
}

// f(a, b) for one vector of the storage lane type T (float or double):
// float32 hypot and power through float64 lanes (d must then be a half-width
// float tag, Rebind<float, ScalableTag<double>>: BinaryLaneTag).
template <BinaryFunction kFunction, class D, class V = hn::Vec<D>>
HWY_INLINE V EvaluateBinary(D d, V a, V b) {
  using T = hn::TFromD<D>;
  if constexpr (kFunction == BinaryFunction::kAtan2) {
    return Atan2Lanes(d, a, b);
  } else if constexpr (sizeof(T) == 4) {
    const hn::Rebind<double, D> dd;
    const auto wide_a = hn::PromoteTo(dd, a);
    const auto wide_b = hn::PromoteTo(dd, b);
    if constexpr (kFunction == BinaryFunction::kHypot) {
      // Exact squares (48 bits), one rounding in the sum and one in sqrt,
      // far below float32's; no overflow or underflow in float64.
      auto result = hn::Sqrt(hn::MulAdd(wide_a, wide_a, hn::Mul(wide_b, wide_b)));
      const auto finite = hn::And(hn::IsFinite(wide_a), hn::IsFinite(wide_b));
      if (HWY_UNLIKELY(!hn::AllTrue(dd, finite))) {
        result = hn::IfThenElse(hn::Or(hn::IsInf(wide_a), hn::IsInf(wide_b)), Infinity(dd), result);
      }
      return NarrowToFloat(d, result);
    } else {
      return NarrowToFloat(d, PowerLanes</*kFromFloat=*/true>(dd, wide_a, wide_b));
    }
  } else if constexpr (kFunction == BinaryFunction::kHypot) {
    return HypotLanes(d, a, b);
  } else {
    return PowerLanes(d, a, b);
  }
}

// The tag a row of T is loaded with for kFunction: full vectors, or for the
// float32 functions computed in float64, as many floats as a float64 vector
// has lanes.
template <BinaryFunction kFunction, typename T>
using BinaryLaneTag =
    std::conditional_t<sizeof(T) == 4 && kFunction != BinaryFunction::kAtan2,
                       hn::Rebind<float, hn::ScalableTag<double>>, hn::ScalableTag<T>>;

// y[i] = f(a[i], b[i]) for i < n, where an operand marked as a scalar is
// its element 0 for every i. y may be a or b itself (each vector is loaded
// before it is stored) unless that operand is a scalar.
template <BinaryFunction kFunction, bool kScalarA, bool kScalarB, typename T>
HWY_INLINE void BinaryRow(const T* a, const T* b, T* y, size_t n) {
  const BinaryLaneTag<kFunction, T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  const V scalar_a = hn::Set(d, kScalarA ? a[0] : T(1));
  const V scalar_b = hn::Set(d, kScalarB ? b[0] : T(1));
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const V va = kScalarA ? scalar_a : hn::LoadU(d, a + i);
    const V vb = kScalarB ? scalar_b : hn::LoadU(d, b + i);
    hn::StoreU(EvaluateBinary<kFunction>(d, va, vb), d, y + i);
  }
  if (i < n) {
    // Padding lanes hold 1, a regular argument of every function.
    const V va = kScalarA ? scalar_a : LoadFirstN(d, a + i, n - i, T(1));
    const V vb = kScalarB ? scalar_b : LoadFirstN(d, b + i, n - i, T(1));
    StoreFirstN(d, EvaluateBinary<kFunction>(d, va, vb), y + i, n - i);
  }
}

template <BinaryFunction kFunction, typename T>
HWY_INLINE void BinaryRowOf(const T* a, bool scalar_a, const T* b, bool scalar_b, T* y, size_t n) {
  if (scalar_a) {
    if (scalar_b) return BinaryRow<kFunction, true, true>(a, b, y, n);
    return BinaryRow<kFunction, true, false>(a, b, y, n);
  }
  if (scalar_b) return BinaryRow<kFunction, false, true>(a, b, y, n);
  return BinaryRow<kFunction, false, false>(a, b, y, n);
}

// Calls body(std::integral_constant<BinaryFunction, f>) for the runtime
// `function`.
template <typename Body>
void ForBinaryFunction(BinaryFunction function, const Body& body) {
  switch (function) {
    case BinaryFunction::kAtan2:
      return body(std::integral_constant<BinaryFunction, BinaryFunction::kAtan2>());
    case BinaryFunction::kHypot:
      return body(std::integral_constant<BinaryFunction, BinaryFunction::kHypot>());
    case BinaryFunction::kPower:
      return body(std::integral_constant<BinaryFunction, BinaryFunction::kPower>());
  }
}

// The elements [begin, end) of a rows x cols batch in row-major order
// (a thread's share: whole rows, or part of one long row), row by row.
template <typename Row>
HWY_INLINE void ForRowParts(size_t cols, size_t begin, size_t end, const Row& row) {
  while (begin < end) {
    const size_t r = begin / cols;
    const size_t c = begin - r * cols;
    const size_t count = HWY_MIN(cols - c, end - begin);
    row(r, c, count);
    begin += count;
  }
}

template <typename T>
void BinaryBatch(BinaryFunction function, const BinaryRows<T>& a, const BinaryRows<T>& b, T* y,
                 size_t y_stride, size_t cols, size_t begin, size_t end) {
  ForBinaryFunction(function, [&](auto constant) {
    constexpr BinaryFunction kFunction = decltype(constant)::value;
    ForRowParts(cols, begin, end, [&](size_t r, size_t c, size_t count) {
      BinaryRowOf<kFunction>(a.At(r, c), a.scalar, b.At(r, c), b.scalar, y + r * y_stride + c,
                             count);
    });
  });
}

// float16 and bfloat16: a chunk of each vector operand widened exactly to
// float32, computed there (the float32 kernels) and rounded back to nearest
// even; scalar operands widened once per row part. In place works (each
// chunk is read before it is written).
template <bool kBFloat16>
void BinaryHalfBatch(BinaryFunction function, const BinaryRows<uint16_t>& a,
                     const BinaryRows<uint16_t>& b, uint16_t* y, size_t y_stride, size_t cols,
                     size_t begin, size_t end) {
  using Format = HalfFormat<kBFloat16>;
  constexpr size_t kChunk = 1024;
  HWY_ALIGN float wide_a[kChunk];
  HWY_ALIGN float wide_b[kChunk];
  HWY_ALIGN float wide_y[kChunk];
  ForBinaryFunction(function, [&](auto constant) {
    constexpr BinaryFunction kFunction = decltype(constant)::value;
    ForRowParts(cols, begin, end, [&](size_t r, size_t c, size_t count) {
      const uint16_t* row_a = a.At(r, c);
      const uint16_t* row_b = b.At(r, c);
      uint16_t* row_y = y + r * y_stride + c;
      if (a.scalar) Format::Widen(row_a, 1, wide_a);
      if (b.scalar) Format::Widen(row_b, 1, wide_b);
      for (size_t i = 0; i < count; i += kChunk) {
        const size_t n = HWY_MIN(kChunk, count - i);
        if (!a.scalar) Format::Widen(row_a + i, n, wide_a);
        if (!b.scalar) Format::Widen(row_b + i, n, wide_b);
        BinaryRowOf<kFunction>(wide_a, a.scalar, wide_b, b.scalar, wide_y, n);
        Format::Narrow(wide_y, n, row_y + i);
      }
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_BINARY_MATH_INL_H_
