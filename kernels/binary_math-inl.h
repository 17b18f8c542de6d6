// Binary elementwise math: atan2, hypot and power (NumPy's arctan2, hypot
// and power over float dtypes), y = f(a, b) lane by lane, over rows whose
// operands are either vectors or one element broadcast along the row.
//
// float64 is computed natively; float32 atan2 natively, float32 power
// natively where the target has FMA, float32 hypot and (without FMA) power
// in float64 lanes (promoted, computed, rounded once back); float16 and
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

// log2's table (Log2HighLow, Log2OfFloat): a positive normal float64 is
// 2^k z with z in [0.71875, 1.4375), and z lies in one of 8 cells of 2^49
// bit patterns each (the top three bits of its offset from 0.71875). Each
// cell has a c whose 1/c has at most 5 significant bits, so that
// r = z / c - 1 = z (1/c) - 1 is exact in one FMA (|r| <= 0.0703), and
// log2 c as high, a multiple of 2^-42 (k + high is exact for every k), and
// low. The cell around 1 has c = 1: near x = 1, log2 x = log2(1 + r) keeps
// its relative accuracy. tools/minimax.py --log2-table derives them.
alignas(64) constexpr double kLog2InverseC[8] = {1.3125, 1.25, 1.125, 1.0625,
                                                 1.0,    0.875, 0.8125, 0.71875};
alignas(64) constexpr double kLog2CHigh[8] = {
    -0.39231742277866033, -0.3219280948874257, -0.16992500144237965, -0.0874628412502716,
    0.0,                  0.1926450779424158,  0.29956028185893047,  0.47643804394306244};
alignas(64) constexpr double kLog2CLow[8] = {
    -9.995925486528699e-14,  6.33385952568616e-14,    6.728996427240727e-14,
    -6.781363655020842e-14,  0.0,                     -1.9917399279874596e-14,
    -2.262651135603261e-14,  -7.531150579247643e-14};
// The same cells for float32 lanes (the same 1/c: z (1/c) - 1 is exact in
// float32 too), log2 c's high part a multiple of 2^-16 (k + high is exact
// for |k| < 256): tools/minimax.py --log2-table float32. The 8 twice, one
// AVX-512 register (LookUp8).
constexpr FloatTable16 kLog2InverseCF32 =
    RepeatEight({1.3125f, 1.25f, 1.125f, 1.0625f, 1.0f, 0.875f, 0.8125f, 0.71875f});
constexpr FloatTable16 kLog2CHighF32 =
    RepeatEight({-0.3923187255859375f, -0.321929931640625f, -0.169921875f, -0.08746337890625f, 0.0f,
                 0.1926422119140625f, 0.299560546875f, 0.4764404296875f});
constexpr FloatTable16 kLog2CLowF32 =
    RepeatEight({1.3028072e-06f, 1.8367533e-06f, -3.1264424e-06f, 5.376559e-07f, 0.0f,
                 2.8660284e-06f, -2.650161e-07f, -2.3857444e-06f});

// The table's reduction of a positive normal float64 (as its bits): r, with
// k and the cell left in k_out and cell_out. Without FMA, z (1/c) rounds
// (float64 z has up to 53 bits; float32 values in float64 lanes do not):
// r = z (1/c) - 1 is then formed from the rounded product (exactly), and
// kWithError leaves the product's rounding error in product_error, the
// e of z / c = (1 + r) + e (0 with FMA).
// Float32 lanes (kernels with FMA only) read the float32 table.
template <bool kWithError, class D, class VI, class V = hn::Vec<D>>
HWY_INLINE V ReduceLog2(D d, VI bits, VI& k_out, VI& cell_out, V& product_error) {
  using T = hn::TFromD<D>;
  using TI = hn::TFromV<VI>;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  const hn::RebindToSigned<D> di;
  const VI offset = hn::Sub(  // from 0.71875
      bits, hn::Set(di, static_cast<TI>(sizeof(T) == 8 ? 0x3FE7000000000000 : 0x3F380000)));
  k_out = hn::ShiftRight<kMantissaBits>(offset);
  cell_out = hn::ShiftRight<kMantissaBits - 3>(offset);  // its low 3 bits: LookUp8
  const V z = hn::BitCast(d, hn::Sub(bits, hn::ShiftLeft<kMantissaBits>(k_out)));
  const V inverse_c = [&]() HWY_ATTR {
    if constexpr (sizeof(T) == 8) {
      return LookUp8(d, kLog2InverseC, cell_out);
    } else {
      return LookUp8(d, kLog2InverseCF32.lanes, cell_out);
    }
  }();
#if HWY_NATIVE_FMA
  product_error = hn::Zero(d);
  return hn::MulAdd(z, inverse_c, hn::Set(d, T(-1)));
#else
  static_assert(sizeof(T) == 8, "float32 lanes take this table only with FMA");
  const V product = hn::Mul(z, inverse_c);
  product_error = kWithError ? ProductError(d, z, inverse_c, product) : hn::Zero(d);
  return hn::Sub(product, hn::Set(d, 1.0));  // exact: product is within [0.9, 1.1]
#endif
}

// ReduceLog2 of a >= 0: where not all_normal, subnormal lanes are scaled
// into the normals by 2^(mantissa bits) first (exact) and their k lowered
// to match; lanes of 0, Inf or NaN give values the caller replaces.
template <bool kWithError, class D, class V, class VI>
HWY_INLINE V ReduceLog2OfMagnitude(D d, V a, bool all_normal, VI& k_out, VI& cell_out,
                                   V& product_error) {
  using T = hn::TFromD<D>;
  using TI = hn::TFromV<VI>;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  const hn::RebindToSigned<D> di;
  const V smallest_normal = hn::Set(d, std::numeric_limits<T>::min());
  V scaled = a;
  if (HWY_UNLIKELY(!all_normal)) {
    scaled = hn::IfThenElse(hn::Lt(a, smallest_normal),
                            hn::Mul(a, hn::Set(d, T(1ull << kMantissaBits))), a);
  }
  const V r = ReduceLog2<kWithError>(d, hn::BitCast(di, scaled), k_out, cell_out, product_error);
  if (HWY_UNLIKELY(!all_normal)) {
    const auto subnormal = hn::RebindMask(di, hn::Lt(a, smallest_normal));
    k_out = hn::Add(k_out, hn::IfThenElseZero(subnormal, hn::Set(di, TI{-kMantissaBits})));
  }
  return r;
}

// log2 0 = -Inf and log2 Inf = Inf with low 0, in the lanes of a that hold
// them (Log2HighLow and Log2HighLowF32, when not every lane is normal).
template <class D, class V>
HWY_INLINE void Log2OfZeroAndInfinity(D d, V a, V& high, V& low) {
  const auto zero = hn::Eq(a, hn::Zero(d));
  const auto inf = hn::Eq(a, Infinity(d));
  high = hn::IfThenElse(zero, hn::Neg(Infinity(d)), hn::IfThenElse(inf, a, high));
  low = hn::IfThenZeroElse(hn::Or(zero, inf), low);
}

// a[0] + a[1] x + ... + a[9] x^9 by Estrin's scheme (pairs a[i] + a[i+1] x,
// then combined by x^2, x^4, x^8): four multiply-adds deep rather than
// Horner's nine, for loops that wait on their chains' latency as much as
// on the ports (float64 power: 12 % faster; the float64 log family, with
// fewer operations a value, is bound by the ports and ran slower with the
// two more operations). x2 = x^2 and x4 = x^4, which the caller has.
template <class D, class V, typename T = hn::TFromD<D>>
HWY_INLINE V EstrinDegree9(D d, V x, V x2, V x4, const T (&a)[10]) {
  const auto pair = [&](size_t i) HWY_ATTR {
    return hn::MulAdd(hn::Set(d, a[i + 1]), x, hn::Set(d, a[i]));
  };
  const V low = hn::MulAdd(pair(2), x2, pair(0));
  const V high = hn::MulAdd(pair(6), x2, pair(4));
  return hn::MulAdd(pair(8), hn::Mul(x4, x4), hn::MulAdd(high, x4, low));
}

// Whether every lane of x is a positive normal float (none zero, subnormal,
// negative, Inf or NaN): one vfpclassps/pd on AVX-512.
template <class D, class V>
HWY_INLINE bool AllPositiveNormal(D d, V x) {
  using T = hn::TFromD<D>;
#if SIMDKIT_HAS_AVX512_FLOAT_CLASS_AND_SCALE
  // Classes: QNaN, +0, -0, +Inf, -Inf, subnormal, negative finite, SNaN.
  if constexpr (sizeof(V) == 64 && sizeof(T) == 4) {
    return _mm512_fpclass_ps_mask(x.raw, 0xFF) == 0;
  } else if constexpr (sizeof(V) == 64) {
    return _mm512_fpclass_pd_mask(x.raw, 0xFF) == 0;
  }
#endif
  return hn::AllTrue(d, hn::And(hn::Ge(x, hn::Set(d, std::numeric_limits<T>::min())),
                                hn::Lt(x, Infinity(d))));
}

// log2(a) = high + low for float64 a > 0, to about 2^-64 relative (pow's
// y log2 x reaches 1075 in magnitude, and each 2^-53 of it is most of an
// ULP of the result). a = 2^k c (1 + r) by the table (subnormals scaled by
// 2^52 first); log2(1 + r) = r A + r^2 B + r^3 P(r) (tools/minimax.py
// log2_tail_f64: P of degree 10), A = 1/ln 2 and B = -1/(2 ln 2) in two
// parts, and r A, r^2 B and r^3 P(0) in double-double (ProductError: one
// FMA where the target has it); the rest of r^3 P is at most 2^-13 of the
// sum, where double suffices. The terms are summed smallest first into
// k + log2 c (exact), each rounding error kept in low (|low| a few ULP of
// high). a = 0 gives -Inf, Inf gives Inf (low 0); NaN and negatives are
// left to the caller. all_normal: the caller knows every lane is a
// positive normal float64 (the range check is then skipped).
template <class D, class V>
HWY_INLINE V Log2HighLow(D d, V a, V& low_out, bool all_normal) {
  using T = hn::TFromD<D>;
  static_assert(sizeof(T) == 8, "float64 only");
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  if (!all_normal) all_normal = AllPositiveNormal(d, a);
  VI k_int, cell;
  V product_error;
  const V r =
      ReduceLog2OfMagnitude</*kWithError=*/true>(d, a, all_normal, k_int, cell, product_error);
  // r A = m1 + e1.
  const V inv_ln2 = hn::Set(d, 1.4426950408889634);
  const V m1 = hn::Mul(r, inv_ln2);
  const V e1 = hn::MulAdd(r, hn::Set(d, 2.0355273740931033e-17), ProductError(d, r, inv_ln2, m1));
  // r^2 B = t2 + e2.
  const V r2 = hn::Mul(r, r);
  const V minus_half_inv_ln2 = hn::Set(d, -0.7213475204444817);
  const V t2 = hn::Mul(r2, minus_half_inv_ln2);
  const V e2 = hn::MulAdd(
      r2, hn::Set(d, -1.0177636870465517e-17),
      hn::MulAdd(ProductError(d, r, r, r2), minus_half_inv_ln2,
                 ProductError(d, r2, minus_half_inv_ln2, t2)));
  // r^3 P(r) = r^3 P(0) + r^4 (P(r) - P(0)) / r, r^3 P(0) = t3 + e3: it
  // reaches 2^-9 of the sum, where a few roundings would be 2^-62 of it.
  const V r3 = hn::Mul(r2, r);
  const V r3_error = hn::MulAdd(ProductError(d, r, r, r2), r, ProductError(d, r2, r, r3));
  const V p0 = hn::Set(d, 0.4808983469629877);
  const V t3 = hn::Mul(r3, p0);
  const V e3 = hn::MulAdd(r3_error, p0, ProductError(d, r3, p0, t3));
  // P's degree-9 rest (Estrin: the chain's latency bounds the loop).
  const V r4 = hn::Mul(r2, r2);
  const V p = EstrinDegree9(d, r, r2, r4,
                            {-0.3606737602222503, 0.2885390081780805, -0.2404491734580888,
                             0.20609929120220638, -0.1803369004638756, 0.160299633180403,
                             -0.14426145303295262, 0.1311100505346693, -0.12170785141164377,
                             0.115321894701107});
  const V tail = hn::Mul(r4, p);
  // k + log2 c exactly; then each sum's error by Fast2Sum (the first
  // operand the larger in magnitude, or k + log2 c = 0: the cells keep
  // |log2 c| > |r A| elsewhere).
  const V base = hn::Add(hn::ConvertTo(d, k_int), LookUp8(d, kLog2CHigh, cell));
  const V w = hn::Add(t3, tail);
  const V w_error = hn::Sub(tail, hn::Sub(w, t3));
  const V v = hn::Add(t2, w);
  const V v_error = hn::Sub(w, hn::Sub(v, t2));
  const V s1 = hn::Add(base, m1);
  const V s1_error = hn::Sub(m1, hn::Sub(s1, base));
  V high = hn::Add(s1, v);
  const V s2_error = hn::Sub(v, hn::Sub(high, s1));
  V low = hn::Add(hn::Add(hn::Add(LookUp8(d, kLog2CLow, cell), e1), hn::Add(e2, e3)),
                  hn::Add(hn::Add(w_error, v_error), hn::Add(s1_error, s2_error)));
#if !HWY_NATIVE_FMA
  // log2(1 + r + e) = log2(1 + r) + e A / (1 + r) to 2^-106.
  low = hn::Add(low, hn::Div(hn::Mul(product_error, inv_ln2), hn::Add(r, hn::Set(d, 1.0))));
#endif
  if (HWY_UNLIKELY(!all_normal)) Log2OfZeroAndInfinity(d, a, high, low);
  low_out = low;
  return high;
}

// 2^(j/8) for j = 0..7 in two parts of each lane type (tools/minimax.py
// --exp2-table float32|float64), for LookUp8.
constexpr FloatTable16 kExp2EighthsHighF32 = RepeatEight(
    {1.0f, 1.0905077f, 1.1892071f, 1.2968396f, 1.4142135f, 1.5422108f, 1.6817929f, 1.8340081f});
constexpr FloatTable16 kExp2EighthsLowF32 =
    RepeatEight({0.0f, -1.307754e-08f, 3.7976353e-08f, -4.0189995e-08f, 2.4203235e-08f,
                 8.070905e-09f, -2.4755327e-08f, -1.1239278e-08f});
alignas(64) constexpr double kExp2EighthsHighF64[8] = {
    1.0,                1.0905077326652577, 1.189207115002721,  1.2968395546510096,
    1.4142135623730951, 1.5422108254079407, 1.681792830507429,  1.8340080864093424};
alignas(64) constexpr double kExp2EighthsLowF64[8] = {
    0.0,                    -3.046782079812471e-17, 3.982015231465646e-17, 2.5382502794888315e-17,
    -9.667293313452913e-17, 7.949834809697621e-17,  8.199010020581497e-17, 3.283107224245627e-17};

// 2^(z + z_low) for float lanes, z_low a correction (|z_low| <= 2^-8 |z|,
// finite where z is), rounded once. Where some |z| reaches 125 (1020 for
// float64), or is NaN, z is clamped to +-160 (+-1100), where the result is
// already 0 or Inf and z_low irrelevant (NaN when z overflowed); NaN z
// gives 0 or Inf, for the caller to replace. N = round(8 (z + z_low)),
// f = (z - N/8) + z_low (z - N/8
// exact, |f| <= 1/16, so that f's rounding is 2^-4 of an ULP of its
// type), 2^(N/8) = 2^n 2^(j/8) (n = floor(N/8), j = N mod 8; the table in
// two parts) and 2^f = 1 + f E(f) (tools/minimax.py exp2_table_ratio_f32,
// degree 3; exp2_table_ratio_f64, degree 6), the result's one rounding in
// high + (high f E + low). Times 2^n: by vscalefps/pd on AVX-512 (one
// rounding, subnormal and infinite results included); elsewhere from the
// bits where 2^n is a normal float (every |z| within the range), else
// times 2^(n/2) (exact) and 2^(n - n/2) (one rounding). all_in_range_out:
// whether every |z| was within the range (so finite; callers skip their
// special values' check on it).
template <class D, class V>
HWY_INLINE V Exp2ByEighths(D d, V z, V z_low, bool& all_in_range_out) {
  using T = hn::TFromD<D>;
  constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;
  constexpr int kBias = std::numeric_limits<T>::max_exponent - 1;
  const hn::RebindToSigned<D> di;
  // False for NaN z.
  const bool all_in_range =
      hn::AllTrue(d, hn::Lt(hn::Abs(z), hn::Set(d, sizeof(T) == 4 ? T(125) : T(1020))));
  if (HWY_UNLIKELY(!all_in_range)) {
    const V limit = hn::Set(d, sizeof(T) == 4 ? T(160) : T(1100));
    z_low = hn::IfThenElseZero(hn::Lt(hn::Abs(z), limit), z_low);
    z = hn::Min(hn::Max(z, hn::Neg(limit)), limit);
  }
  all_in_range_out = all_in_range;
  // Adding 1.5 2^(mantissa bits) rounds 8 (z + z_low) to an integer N,
  // whose bits (plus 8 times the bias) are then t's low bits.
  const V shift = hn::Set(d, T(1.5) * T(1ull << kMantissaBits) + T(8 * kBias));
  const V t = hn::MulAdd(hn::Add(z, z_low), hn::Set(d, T(8)), shift);
  const V eighths = hn::Sub(t, shift);  // N, exact
  const V f = hn::Add(hn::MulAdd(eighths, hn::Set(d, T(-0.125)), z), z_low);
  const auto bits = hn::BitCast(di, t);  // j in the low 3 bits: LookUp8
  V e, high, low;
  if constexpr (sizeof(T) == 4) {
    e = hn::MulAdd(hn::Set(d, 0.0096190665f), f, hn::Set(d, 0.05551064f));
    e = hn::MulAdd(e, f, hn::Set(d, 0.2402265f));
    e = hn::MulAdd(e, f, hn::Set(d, 0.6931472f));
    high = LookUp8(d, kExp2EighthsHighF32.lanes, bits);
    low = LookUp8(d, kExp2EighthsLowF32.lanes, bits);
  } else {
    e = hn::MulAdd(hn::Set(d, 0.000015253707207826813), f, hn::Set(d, 0.00015404525214424017));
    for (const double c : {0.0013333558115213343, 0.009618129085029646, 0.05550410866482527,
                           0.2402265069591153, 0.6931471805599453}) {
      e = hn::MulAdd(e, f, hn::Set(d, c));
    }
    high = LookUp8(d, kExp2EighthsHighF64, bits);
    low = LookUp8(d, kExp2EighthsLowF64, bits);
  }
  const V power = hn::Add(high, hn::MulAdd(high, hn::Mul(f, e), low));
#if SIMDKIT_HAS_AVX512_FLOAT_CLASS_AND_SCALE
  if constexpr (sizeof(V) == 64) {
    (void)all_in_range;
    const V n = hn::Mul(eighths, hn::Set(d, T(0.125)));  // its floor is n
    if constexpr (sizeof(T) == 4) {
      return V{_mm512_scalef_ps(power.raw, n.raw)};
    } else {
      return V{_mm512_scalef_pd(power.raw, n.raw)};
    }
  }
#endif
  if (HWY_LIKELY(all_in_range)) {
    return hn::Mul(power, hn::BitCast(d, hn::ShiftLeft<kMantissaBits>(hn::ShiftRight<3>(bits))));
  }
  const auto n = hn::ShiftRight<3>(hn::Sub(bits, hn::BitCast(di, shift)));
  const auto half = hn::ShiftRight<1>(n);
  return hn::Mul(hn::Mul(power, PowerOfTwoOf<kBias>(d, hn::BitCast(d, half))),
                 PowerOfTwoOf<kBias>(d, hn::BitCast(d, hn::Sub(n, half))));
}

// log2(a) for float64 lanes that hold float32 values (normal in float64,
// subnormals included), to about 2^-35 relative: a = 2^k c (1 + r) by the
// table (ReduceLog2), log2(1 + r) = r L(r), L a minimax fit
// (tools/minimax.py log2_table_ratio_f64: degree 6, 2^-36.0), log2 c's high
// part alone (2^-43 off at most). Enough for float32 power, whose y log2 x
// then errs by 2^-28 at most where it matters (|y log2 x| <= 160). Unless
// the caller knows every lane of a is positive and finite (all_regular),
// a = 0 gives -Inf and Inf gives Inf.
template <class D, class V>
HWY_INLINE V Log2OfFloat(D d, V a, bool all_regular) {
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  VI k_int, cell;
  V unused;
  const V r = ReduceLog2</*kWithError=*/false>(d, hn::BitCast(di, a), k_int, cell, unused);
  V q = hn::MulAdd(hn::Set(d, 0.2103044211990079), r, hn::Set(d, -0.24191705591250443));
  for (const double c : {0.28851865624261597, -0.3606703460854468, 0.48089837387079376,
                         -0.7213475224347474, 1.4426950408837749}) {
    q = hn::MulAdd(q, r, hn::Set(d, c));
  }
  V log2 = hn::MulAdd(r, q, hn::Add(hn::ConvertTo(d, k_int), LookUp8(d, kLog2CHigh, cell)));
  if (HWY_UNLIKELY(!all_regular)) {
    log2 = hn::IfThenElse(hn::Eq(a, hn::Zero(d)), hn::Neg(Infinity(d)),
                          hn::IfThenElse(hn::Eq(a, Infinity(d)), a, log2));
  }
  return log2;
}

// 2^z for float64 lanes whose result is rounded to float32 next: z clamped
// to [-160, 160] (already 0 or Inf in float32), z = q + r with |r| <= 1/2,
// 2^r a minimax fit (tools/minimax.py exp2_f64: degree 6, 2^-29.0), 2^q
// from the bits.
template <class D, class V>
HWY_INLINE V Exp2OfFloat(D d, V z) {
  const V clamped = hn::Min(hn::Max(z, hn::Set(d, -160.0)), hn::Set(d, 160.0));
  const V shift = hn::Set(d, 0x1.8p52 + 1023.0);
  const V t = hn::Add(clamped, shift);
  const V r = hn::Sub(clamped, hn::Sub(t, shift));
  V p = hn::MulAdd(hn::Set(d, 0.00015345801959743702), r, hn::Set(d, 0.00133999311382334));
  for (const double c : {0.009618488994450948, 0.05550328777217318, 0.2402264689028914,
                         0.6931472057371113, 1.000000000554213}) {
    p = hn::MulAdd(p, r, hn::Set(d, c));
  }
  return hn::Mul(p, PowerOfTwoOf(d, t));
}

// x^y from |x|^y (magnitude, with log2 0 = -Inf and log2 Inf = Inf taken
// through) for every x and y: C99's (and NumPy's) special values, as
// PowerLanes describes them.
template <class D, class V>
HWY_INLINE V PowerSpecialValues(D d, V x, V y, V magnitude) {
  using T = hn::TFromD<D>;
  const V one = hn::Set(d, T(1));
  const auto integer = hn::Eq(hn::Round(y), y);  // +-Inf too; NaN not
  const V half = hn::Mul(y, hn::Set(d, T(0.5)));
  const auto odd = hn::AndNot(hn::Eq(hn::Round(half), half), integer);
  V result = hn::IfThenElse(hn::And(odd, SignBitSet(d, x)), hn::Neg(magnitude), magnitude);
  const auto negative_finite = hn::And(hn::Lt(x, hn::Zero(d)), hn::IsFinite(x));
  result = hn::IfThenElse(hn::AndNot(integer, negative_finite), QuietNaN(d), result);
  result = hn::IfThenElse(hn::Or(hn::IsNaN(x), hn::IsNaN(y)), hn::Add(x, y), result);
  const auto is_one = hn::Or(hn::Or(hn::Eq(y, hn::Zero(d)), hn::Eq(x, one)),
                             hn::And(hn::Eq(hn::Abs(x), one), hn::IsInf(y)));
  return hn::IfThenElse(is_one, one, result);
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
  // Positive finite x (normal in float64: float32 lanes are).
  const bool all_normal = AllPositiveNormal(d, x);
  V a = x;
  if (HWY_UNLIKELY(!all_normal)) a = hn::Abs(x);
  V magnitude;
  // Every lane regular: x as above and y finite, so that the special values
  // change nothing.
  bool all_regular;
  if constexpr (kFromFloat) {
    all_regular = all_normal && hn::AllTrue(d, hn::IsFinite(y));
    magnitude = Exp2OfFloat(d, hn::Mul(y, Log2OfFloat(d, a, all_normal)));
  } else {
    V log_low;
    const V log_high = Log2HighLow(d, a, log_low, all_normal);
    const V z = hn::Mul(y, log_high);
    V z_low = hn::MulAdd(y, log_low, ProductError(d, y, log_high, z));
#if !HWY_NATIVE_FMA
    // Dekker's splitting overflows for |y| near the largest floats; there
    // y log2 x is 0 (x = 1) or far past the edges, where z_low is irrelevant.
    z_low = hn::IfThenZeroElse(hn::Gt(hn::Abs(y), hn::Set(d, T(0x1p900))), z_low);
#endif
    // A finite z within the range implies a finite y.
    bool all_in_range;
    magnitude = Exp2ByEighths(d, z, z_low, all_in_range);
    all_regular = all_normal && all_in_range;
  }
  if (HWY_LIKELY(all_regular)) return magnitude;
  return PowerSpecialValues(d, x, y, magnitude);
}

#if HWY_NATIVE_FMA
// log2(a) = high + low for float32 lanes a > 0, to about 2^-32 relative
// (float32 pow's y log2 x reaches 150 in magnitude, and each 2^-25 of it is
// a third of an ULP of the result): Log2HighLow's scheme in float32, FMA
// required. a = 2^k c (1 + r) by the float32 table (subnormals scaled by
// 2^23 first: ReduceLog2OfMagnitude), log(1 + r) = r - r^2/2 + r^3 P(r)
// with the first two terms in double-float (the errors by FMA) and P of
// degree 4 (tools/minimax.py log1p_tail_f32), then times 1/ln 2 in two
// parts; |low| <= 2^-8 |high|.
// a = 0 gives -Inf, Inf gives Inf (low 0); all_normal as in Log2HighLow.
template <class D, class V>
HWY_INLINE V Log2HighLowF32(D d, V a, V& low_out, bool all_normal) {
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  if (!all_normal) all_normal = AllPositiveNormal(d, a);
  VI k_int, cell;
  V unused;
  const V r = ReduceLog2OfMagnitude</*kWithError=*/false>(d, a, all_normal, k_int, cell, unused);
  // log(1 + r) = u + u_low: u = r - r^2/2 rounded once (FMA with the exact
  // -r/2), its error from r - u (exact, by Sterbenz) in another FMA, and
  // r^3 P(r) (at most 2^-9 of u) added.
  const V minus_half_r = hn::Mul(r, hn::Set(d, -0.5f));
  const V u = hn::MulAdd(minus_half_r, r, r);
  const V r2 = hn::Mul(r, r);
  // Estrin's scheme: two multiply-adds deep after r^2 (see Log2HighLow).
  const V p = hn::MulAdd(
      hn::MulAdd(hn::Set(d, 0.14567259f), r2, hn::MulAdd(hn::Set(d, -0.1675326f), r,
                                                        hn::Set(d, 0.19998823f))),
      r2, hn::MulAdd(hn::Set(d, -0.2499986f), r, hn::Set(d, 0.33333334f)));
  const V u_low = hn::MulAdd(hn::Mul(r2, r), p, hn::MulAdd(minus_half_r, r, hn::Sub(r, u)));
  // Times 1/ln 2 (in two parts): t + t_error + the low terms.
  const V inv_ln2 = hn::Set(d, 1.442695f);
  const V t = hn::Mul(u, inv_ln2);
  const V t_low = hn::MulAdd(inv_ln2, u_low,
                             hn::MulAdd(u, hn::Set(d, 1.925963e-08f), ProductError(d, u, inv_ln2, t)));
  // k + log2 c exactly, then Fast2Sum (|base| >= |t| or base = 0, as the
  // cells are chosen).
  const V base = hn::Add(hn::ConvertTo(d, k_int), LookUp8(d, kLog2CHighF32.lanes, cell));
  V high = hn::Add(base, t);
  const V high_error = hn::Sub(t, hn::Sub(high, base));
  V low = hn::Add(hn::Add(LookUp8(d, kLog2CLowF32.lanes, cell), t_low), high_error);
  if (HWY_UNLIKELY(!all_normal)) Log2OfZeroAndInfinity(d, a, high, low);
  low_out = low;
  return high;
}

// x^y for float32 lanes with FMA, natively (16 lanes a vector on AVX-512
// rather than PowerLanes' 8): 2^(y log2|x|) with log2|x| in two parts
// (Log2HighLowF32) and the product's rounding error kept, so that the
// exponent errs by about 2^-26 where |y log2 x| < 150; the same special
// values (PowerSpecialValues). Lanes compute the same result whatever their
// neighbours: the vectors with special lanes take the same arithmetic, with
// scaling added.
template <class D, class V>
HWY_INLINE V PowerF32Lanes(D d, V x, V y) {
  const bool all_normal = AllPositiveNormal(d, x);
  V a = x;
  if (HWY_UNLIKELY(!all_normal)) a = hn::Abs(x);
  V log_low;
  const V log_high = Log2HighLowF32(d, a, log_low, all_normal);
  const V z = hn::Mul(y, log_high);
  const V z_low = hn::MulAdd(y, log_low, ProductError(d, y, log_high, z));
  // A finite z within the range implies a finite y.
  bool all_in_range;
  const V magnitude = Exp2ByEighths(d, z, z_low, all_in_range);
  if (HWY_LIKELY(all_normal && all_in_range)) return magnitude;
  return PowerSpecialValues(d, x, y, magnitude);
}
#endif  // HWY_NATIVE_FMA

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

// Whether float32 power runs in float32 lanes (PowerF32Lanes, which needs
// FMA) rather than float64 ones.
constexpr bool kFloatPowerNative = HWY_NATIVE_FMA;

// f(a, b) for one vector of the storage lane type T (float or double):
// float32 hypot, and power without FMA, through float64 lanes (d must then
// be a half-width float tag, Rebind<float, ScalableTag<double>>:
// BinaryLaneTag).
template <BinaryFunction kFunction, class D, class V = hn::Vec<D>>
HWY_INLINE V EvaluateBinary(D d, V a, V b) {
  using T = hn::TFromD<D>;
  if constexpr (kFunction == BinaryFunction::kAtan2) {
    return Atan2Lanes(d, a, b);
  } else if constexpr (sizeof(T) == 4 && kFunction == BinaryFunction::kPower &&
                       kFloatPowerNative) {
    return PowerF32Lanes(d, a, b);
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
    std::conditional_t<sizeof(T) == 4 && kFunction != BinaryFunction::kAtan2 &&
                           !(kFunction == BinaryFunction::kPower && kFloatPowerNative),
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
