// Conversions between float32 and the 16-bit float formats (bfloat16, IEEE
// binary16) and symmetric int8 quantization, written once over Highway tags
// and compiled per target.
//
// The 16-bit formats are handled as their bit patterns, with integer and
// float32 ops that every target has, never with Highway's f16/bf16
// PromoteTo/DemoteTo: their 1.0.3 emulation reads the all-ones float16
// exponent as finite (SSSE3, SSE4, SCALAR, EMU128), and native instructions
// quiet signalling NaNs where NumPy keeps them. Results are therefore the
// same bits on every target:
// - float32 -> bfloat16 as ml_dtypes' astype: round to nearest even, ±Inf
//   kept, overflow to ±Inf, subnormals rounded (not flushed), and every NaN
//   becomes the canonical quiet NaN of its sign (0x7FC0 / 0xFFC0; ml_dtypes
//   drops the payload).
// - float32 -> float16 as NumPy's astype (npy_floatbits_to_halfbits): round
//   to nearest even including half subnormals, overflow (|x| >= 65520) to
//   ±Inf; a NaN keeps its sign and the top 10 bits of its payload unquieted
//   (0x7FA00000 -> 0x7D00), and becomes 0x7C01 (with its sign) when those
//   bits are all zero, so that it stays a NaN.
// - bfloat16/float16 -> float32: exact, payload bits kept in place (as
//   ml_dtypes and NumPy do: no quieting).
//
// Vector functions take and return the 16-bit patterns in the low half of
// uint32 lanes (RebindToUnsigned<DF>), so that they compose with float32
// vectors of the same lane count on every target; Narrow16/Widen16 move
// between those and uint16 lanes (Rebind<uint16_t, DF>) for loads/stores.
// For example, to write float32 results as bfloat16:
//   hn::StoreU(Narrow16(df, Float32ToBFloat16Bits(df, v)), hn::Rebind<uint16_t, DF>(), p);
// and to read float16 input as float32:
//   Float16BitsToFloat32(df, Widen16(df, hn::LoadU(hn::Rebind<uint16_t, DF>(), p)));
// Whole rows: Float32ToBFloat16Row, Float32ToFloat16Row, BFloat16ToFloat32Row,
// Float16ToFloat32Row (n elements, nothing read or written past them).
//
// Re-included once per target: the include guard toggles with
// HWY_TARGET_TOGGLE, as in hwy/contrib.
#if defined(SIMDKIT_KERNELS_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_CONVERT_INL_H_
#undef SIMDKIT_KERNELS_CONVERT_INL_H_
#else
#define SIMDKIT_KERNELS_CONVERT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwy/highway.h"
#include "kernels/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// uint32 lanes, each holding a 16-bit pattern, as uint16 lanes (exact: the
// values are below 2^16, so the saturating i32 -> u16 demotion keeps them).
template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, DF>> Narrow16(DF df,
                                                      hn::Vec<hn::RebindToUnsigned<DF>> bits) {
  (void)df;
  return hn::DemoteTo(hn::Rebind<uint16_t, DF>(), hn::BitCast(hn::RebindToSigned<DF>(), bits));
}

// uint16 lanes widened (zero-extended) to the uint32 lanes of DF.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> Widen16(DF df,
                                                     hn::Vec<hn::Rebind<uint16_t, DF>> bits) {
  (void)df;
  return hn::PromoteTo(hn::RebindToUnsigned<DF>(), bits);
}

// bfloat16 patterns (low halves of uint32 lanes) -> float32, exact.
template <class DF>
HWY_INLINE hn::Vec<DF> BFloat16BitsToFloat32(DF df, hn::Vec<hn::RebindToUnsigned<DF>> bits) {
  return hn::BitCast(df, hn::ShiftLeft<16>(bits));
}

// IEEE binary16 patterns (low halves of uint32 lanes) -> float32, exact for
// every pattern: zeros, subnormals, normals, ±Inf, NaN payloads in place.
template <class DF>
HWY_INLINE hn::Vec<DF> Float16BitsToFloat32(DF df, hn::Vec<hn::RebindToUnsigned<DF>> bits) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto sign = hn::ShiftLeft<16>(hn::And(bits, hn::Set(du, 0x8000u)));
  const auto exponent = hn::And(hn::ShiftRight<10>(bits), hn::Set(du, 0x1Fu));
  const auto mantissa = hn::And(bits, hn::Set(du, 0x3FFu));
  // Normal: rebias 15 -> 127; Inf/NaN: all-ones exponent, mantissa kept.
  const auto biased = hn::IfThenElse(hn::Eq(exponent, hn::Set(du, 0x1Fu)), hn::Set(du, 0xFFu),
                                     hn::Add(exponent, hn::Set(du, 112u)));
  const auto normal = hn::BitCast(df, hn::Or(hn::ShiftLeft<23>(biased), hn::ShiftLeft<13>(mantissa)));
  // Zero and subnormal: mantissa * 2^-24, exact in float32.
  const auto small = hn::Mul(hn::ConvertTo(df, hn::BitCast(di, mantissa)), hn::Set(df, 0x1.0p-24f));
  const auto magnitude = hn::IfThenElse(hn::RebindMask(df, hn::Eq(exponent, hn::Zero(du))), small, normal);
  return hn::Or(magnitude, hn::BitCast(df, sign));
}

// float32 -> bfloat16 patterns in the upper halves of uint32 lanes (the
// lower halves are not cleared), as ml_dtypes: round to nearest even, NaN ->
// 0x7FC0 with the input's sign. The row helper packs the upper halves of
// two vectors with one ConcatOdd.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> Float32ToBFloat16Upper(DF /* df */, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const auto bits = hn::BitCast(du, v);
  // Adding 0x7FFF plus the lowest kept bit carries into the upper half
  // exactly when the dropped half is above one half, or equal to it with an
  // odd kept half. Finite values near the top carry into the exponent: ±Inf.
  const auto bias = hn::Add(hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u)), hn::Set(du, 0x7FFFu));
  const auto rounded = hn::Add(bits, bias);
  // IsNaN, not Ne(v, v): Highway 1.0.3's float Ne is an ordered compare on
  // AVX2 and AVX3 (false for NaN).
  const auto quiet_nan = hn::OrAnd(hn::Set(du, 0x7FC00000u), bits, hn::Set(du, 0x80000000u));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), quiet_nan, rounded);
}

// The same in the low halves of uint32 lanes (upper halves zero).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> Float32ToBFloat16Bits(DF df, hn::Vec<DF> v) {
  return hn::ShiftRight<16>(Float32ToBFloat16Upper(df, v));
}

// float32 -> IEEE binary16 patterns in the low halves of uint32 lanes, as
// NumPy's astype(float16) (see the file comment for NaN).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> Float32ToFloat16Bits(DF df, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto bits = hn::BitCast(du, v);
  const auto sign = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 0x8000u));
  const auto magnitude = hn::And(bits, hn::Set(du, 0x7FFFFFFFu));
  // Magnitudes are below 2^31: signed compares order them as unsigned.
  const auto magnitude_i = hn::BitCast(di, magnitude);
  // Normal halves (|x| >= 2^-14): rebias 127 -> 15 and round the 13 dropped
  // bits to nearest even; a carry out of the mantissa bumps the exponent.
  const auto kept_lsb = hn::And(hn::ShiftRight<13>(magnitude), hn::Set(du, 1u));
  const auto normal = hn::ShiftRight<13>(
      hn::Add(hn::Sub(magnitude, hn::Set(du, 0x38000000u)), hn::Add(hn::Set(du, 0xFFFu), kept_lsb)));
  // Subnormal halves (|x| < 2^-14): adding 0.5 leaves |x| / 2^-24 rounded
  // to nearest even in the mantissa, because 0.5's ulp is 2^-24 (a result
  // of 2^-14 is 0x400, the smallest normal half, as it should be).
  const auto half = hn::Set(df, 0.5f);
  const auto subnormal =
      hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, magnitude), half)), hn::BitCast(du, half));
  auto result = hn::IfThenElse(hn::RebindMask(du, hn::Lt(magnitude_i, hn::Set(di, 0x38800000))),
                               subnormal, normal);
  // 65520 and above (and Inf) round to Inf.
  result = hn::IfThenElse(hn::RebindMask(du, hn::Gt(magnitude_i, hn::Set(di, 0x477FEFFF))),
                          hn::Set(du, 0x7C00u), result);
  // NaN: the top 10 payload bits, and the lowest bit set if they are zero.
  const auto payload = hn::And(hn::ShiftRight<13>(magnitude), hn::Set(du, 0x3FFu));
  const auto nan = hn::Or(hn::Set(du, 0x7C00u),
                          hn::IfThenElseZero(hn::Eq(payload, hn::Zero(du)), hn::Set(du, 1u)));
  result = hn::IfThenElse(hn::RebindMask(du, hn::Gt(magnitude_i, hn::Set(di, 0x7F800000))),
                          hn::Or(nan, payload), result);
  return hn::Or(result, sign);
}

// Row helpers: convert `n` elements, full vectors in place and the last
// n % Lanes elements with LoadFirstN/StoreFirstN, so that nothing before
// `from` or past from[n - 1] / to[n - 1] is read or written.

// to[i] = the 16-bit half of Narrowing(df, from[i]) over n floats: the
// upper half if kUpper, else the lower one (the upper one being zero).
template <bool kUpper, class DF, class Narrowing>
HWY_INLINE void NarrowRow(DF df, const float* HWY_RESTRICT from, size_t n,
                          uint16_t* HWY_RESTRICT to, Narrowing narrowing) {
  const hn::Rebind<uint16_t, DF> d16;
  const auto narrow_one = [&](hn::Vec<DF> v) {
    const auto bits = narrowing(df, v);
    return Narrow16(df, kUpper ? hn::ShiftRight<16>(bits) : bits);
  };
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
#if HWY_TARGET != HWY_SCALAR
  // Two vectors at a time, packed with one ConcatOdd/ConcatEven: measured
  // faster than two saturating demotions (f32 -> bf16 at 1 Mi on AVX2: 128
  // -> 108 us; f32 -> f16 at 256 Ki on AVX3: 59 -> 51 us).
  const hn::Repartition<uint16_t, DF> d16x2;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto lo = hn::BitCast(d16x2, narrowing(df, hn::LoadU(df, from + i)));
    const auto hi = hn::BitCast(d16x2, narrowing(df, hn::LoadU(df, from + i + lanes)));
    hn::StoreU(kUpper ? hn::ConcatOdd(d16x2, hi, lo) : hn::ConcatEven(d16x2, hi, lo), d16x2,
               to + i);
  }
#endif
  for (; i + lanes <= n; i += lanes) hn::StoreU(narrow_one(hn::LoadU(df, from + i)), d16, to + i);
  if (i < n) StoreFirstN(d16, narrow_one(LoadFirstN(df, from + i, n - i, 0.0f)), to + i, n - i);
}

// to[i] = Widening(df, from[i]) over n 16-bit patterns.
template <class DF, class Widening>
HWY_INLINE void WidenRow(DF df, const uint16_t* HWY_RESTRICT from, size_t n,
                         float* HWY_RESTRICT to, Widening widening) {
  const hn::Rebind<uint16_t, DF> d16;
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(widening(df, Widen16(df, hn::LoadU(d16, from + i))), df, to + i);
  }
  if (i < n) {
    const auto bits = LoadFirstN(d16, from + i, n - i, uint16_t{0});
    StoreFirstN(df, widening(df, Widen16(df, bits)), to + i, n - i);
  }
}

template <class DF>
HWY_INLINE void Float32ToBFloat16Row(DF df, const float* HWY_RESTRICT from, size_t n,
                                     uint16_t* HWY_RESTRICT to) {
  NarrowRow<true>(df, from, n, to,
                  [](DF d, hn::Vec<DF> v) { return Float32ToBFloat16Upper(d, v); });
}

template <class DF>
HWY_INLINE void Float32ToFloat16Row(DF df, const float* HWY_RESTRICT from, size_t n,
                                    uint16_t* HWY_RESTRICT to) {
  NarrowRow<false>(df, from, n, to,
                   [](DF d, hn::Vec<DF> v) { return Float32ToFloat16Bits(d, v); });
}

template <class DF>
HWY_INLINE void BFloat16ToFloat32Row(DF df, const uint16_t* HWY_RESTRICT from, size_t n,
                                     float* HWY_RESTRICT to) {
  WidenRow(df, from, n, to, [](DF d, hn::Vec<hn::RebindToUnsigned<DF>> bits) {
    return BFloat16BitsToFloat32(d, bits);
  });
}

template <class DF>
HWY_INLINE void Float16ToFloat32Row(DF df, const uint16_t* HWY_RESTRICT from, size_t n,
                                    float* HWY_RESTRICT to) {
  WidenRow(df, from, n, to, [](DF d, hn::Vec<hn::RebindToUnsigned<DF>> bits) {
    return Float16BitsToFloat32(d, bits);
  });
}

// The OCP 8-bit float formats, as ml_dtypes names them: float8_e4m3fn (4
// exponent bits, bias 7, no infinities, one NaN magnitude 0x7F, largest
// finite 448) and float8_e5m2 (5 exponent bits, bias 15, IEEE-like: ±Inf
// 0x7C, NaN above it, largest finite 57344). Codes are the 8-bit patterns.
struct Float8E4M3 {
  static constexpr int kMantissaBits = 3, kBias = 7;
  static constexpr int32_t kMaxFinite = 0x7E;
  static constexpr int32_t kOverflow = 0x7F;  // no infinity: overflow is NaN
  static constexpr int32_t kNaN = 0x7F;
  static constexpr int32_t kFirstSpecial = 0x7F;  // magnitudes from here on: NaN
};
struct Float8E5M2 {
  static constexpr int kMantissaBits = 2, kBias = 15;
  static constexpr int32_t kMaxFinite = 0x7B;
  static constexpr int32_t kOverflow = 0x7C;  // infinity
  static constexpr int32_t kNaN = 0x7E;
  static constexpr int32_t kFirstSpecial = 0x7C;  // infinity, then NaN
};

// float32 -> 8-bit codes in int32 lanes, as ml_dtypes' astype: round to
// nearest even (subnormals of the format included), overflow to the
// format's kOverflow (E4M3: NaN; E5M2: ±Inf), ±Inf likewise, NaN -> kNaN;
// the sign kept throughout, payloads dropped. Normals round on the float32
// pattern (adding half an ulp of the format less one, plus its last kept
// bit: a carry into the exponent is the correct next value); the format's
// subnormals are |x| * 2^(bias - 1 + mantissa bits) rounded to an integer
// by the 1.5 * 2^23 addition, to nearest even (exact: the product is a
// power-of-two scaling, and below 2^mantissa bits).
template <class Format, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Float32ToFloat8Codes(DF df, hn::Vec<DF> v) {
  const hn::RebindToSigned<DF> di;
  constexpr int kShift = 23 - Format::kMantissaBits;
  const auto bits = hn::BitCast(di, v);
  const auto sign = hn::And(hn::ShiftRight<24>(hn::BitCast(hn::RebindToUnsigned<DF>(), v)),
                            hn::BitCast(hn::RebindToUnsigned<DF>(), hn::Set(di, 0x80)));
  const auto magnitude = hn::And(bits, hn::Set(di, 0x7FFFFFFF));
  // NaN patterns as Inf's here (they are replaced below): no sum can wrap.
  const auto finite_or_inf = hn::Min(magnitude, hn::Set(di, 0x7F800000));
  const auto lowest_kept = hn::And(hn::ShiftRight<kShift>(finite_or_inf), hn::Set(di, 1));
  const auto rounded = hn::ShiftRight<kShift>(
      hn::Add(finite_or_inf, hn::Add(hn::Set(di, (1 << (kShift - 1)) - 1), lowest_kept)));
  const auto normal = hn::Sub(rounded, hn::Set(di, (127 - Format::kBias) << Format::kMantissaBits));
  constexpr float kSubnormalScale =
      static_cast<float>(1u << (Format::kBias - 1 + Format::kMantissaBits));
  const auto magic = hn::Set(df, 12582912.0f);
  const auto scaled = hn::Mul(hn::BitCast(df, magnitude), hn::Set(df, kSubnormalScale));
  const auto subnormal = hn::ConvertTo(di, hn::Sub(hn::Add(scaled, magic), magic));
  const auto smallest_normal = hn::Set(di, (128 - Format::kBias) << 23);
  auto code = hn::IfThenElse(hn::Lt(magnitude, smallest_normal), subnormal, normal);
  code = hn::IfThenElse(hn::Gt(code, hn::Set(di, Format::kMaxFinite)),
                        hn::Set(di, Format::kOverflow), code);
  code = hn::IfThenElse(hn::Gt(magnitude, hn::Set(di, 0x7F800000)), hn::Set(di, Format::kNaN),
                        code);
  return hn::Or(code, hn::BitCast(di, sign));
}

// 8-bit codes in int32 lanes -> float32, exactly, as ml_dtypes' astype:
// normals by moving the exponent and mantissa into place and rebiasing;
// subnormals as their integer mantissa times 2^(1 - bias - mantissa bits)
// (no float32 subnormal is read, so a flush-to-zero mode changes nothing);
// E5M2's infinities stay infinite; every NaN becomes the quiet NaN
// 0x7FC00000 of its sign.
template <class Format, class DF>
HWY_INLINE hn::Vec<DF> Float8CodesToFloat32(DF df, hn::Vec<hn::RebindToSigned<DF>> codes) {
  const hn::RebindToSigned<DF> di;
  constexpr int kM = Format::kMantissaBits;
  const auto sign = hn::ShiftLeft<24>(hn::And(codes, hn::Set(di, 0x80)));
  const auto magnitude = hn::And(codes, hn::Set(di, 0x7F));
  const auto normal =
      hn::Add(hn::ShiftLeft<23 - kM>(magnitude), hn::Set(di, (127 - Format::kBias) << 23));
  constexpr float kSubnormalStep = 1.0f / static_cast<float>(1u << (Format::kBias - 1 + kM));
  const auto subnormal =
      hn::BitCast(di, hn::Mul(hn::ConvertTo(df, magnitude), hn::Set(df, kSubnormalStep)));
  auto bits = hn::IfThenElse(hn::Lt(magnitude, hn::Set(di, 1 << kM)), subnormal, normal);
  const auto special_bits = hn::IfThenElse(hn::Eq(magnitude, hn::Set(di, Format::kOverflow)),
                                           hn::Set(di, Format::kOverflow == Format::kNaN
                                                           ? 0x7FC00000 : 0x7F800000),
                                           hn::Set(di, 0x7FC00000));
  // Gt, not Ge: Highway 1.0.3 has no integer Ge.
  bits = hn::IfThenElse(hn::Gt(magnitude, hn::Set(di, Format::kFirstSpecial - 1)), special_bits,
                        bits);
  return hn::BitCast(df, hn::Or(bits, sign));
}

template <class Format, class DF>
HWY_INLINE void Float32ToFloat8Row(DF df, const float* HWY_RESTRICT from, size_t n,
                                   uint8_t* HWY_RESTRICT to) {
  const hn::Rebind<uint8_t, DF> d8;
  const auto narrow = [&](hn::Vec<DF> v) {
    return hn::DemoteTo(d8, Float32ToFloat8Codes<Format>(df, v));
  };
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(narrow(hn::LoadU(df, from + i)), d8, to + i);
  if (i < n) StoreFirstN(d8, narrow(LoadFirstN(df, from + i, n - i, 0.0f)), to + i, n - i);
}

template <class Format, class DF>
HWY_INLINE void Float8ToFloat32Row(DF df, const uint8_t* HWY_RESTRICT from, size_t n,
                                   float* HWY_RESTRICT to) {
  const hn::Rebind<uint8_t, DF> d8;
  const hn::RebindToSigned<DF> di;
  const auto widen = [&](hn::Vec<decltype(d8)> codes) {
    return Float8CodesToFloat32<Format>(df, hn::PromoteTo(di, codes));
  };
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(widen(hn::LoadU(d8, from + i)), df, to + i);
  if (i < n) StoreFirstN(df, widen(LoadFirstN(d8, from + i, n - i, uint8_t{0})), to + i, n - i);
}

// Symmetric int8 quantization of one row of n floats: the largest |x| as
// its float32 bit pattern (an integer max, so NaN (above every other
// pattern) and Inf are seen on every target).
template <class DF>
HWY_INLINE uint32_t MaxAbsBits(DF df, const float* HWY_RESTRICT x, size_t n) {
  const hn::RebindToSigned<DF> di;
  const auto abs_mask = hn::Set(di, 0x7FFFFFFF);
  const size_t lanes = hn::Lanes(df);
  auto max0 = hn::Zero(di);
  auto max1 = hn::Zero(di);
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    max0 = hn::Max(max0, hn::And(hn::BitCast(di, hn::LoadU(df, x + i)), abs_mask));
    max1 = hn::Max(max1, hn::And(hn::BitCast(di, hn::LoadU(df, x + i + lanes)), abs_mask));
  }
  for (; i + lanes <= n; i += lanes) {
    max0 = hn::Max(max0, hn::And(hn::BitCast(di, hn::LoadU(df, x + i)), abs_mask));
  }
  int32_t result = hn::GetLane(hn::MaxOfLanes(di, hn::Max(max0, max1)));
  for (; i < n; ++i) {
    int32_t element;
    memcpy(&element, x + i, sizeof(element));
    element &= 0x7FFFFFFF;
    if (element > result) result = element;
  }
  return static_cast<uint32_t>(result);
}

// q[i] = x[i] / scale rounded to nearest even and clamped to [-127, 127]
// (scale > 0 and finite x).
template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<int8_t, DF>> QuantizeVector(DF df, hn::Vec<DF> x,
                                                          hn::Vec<DF> scale) {
  const auto scaled =
      hn::Min(hn::Max(hn::Div(x, scale), hn::Set(df, -127.0f)), hn::Set(df, 127.0f));
  // Adding and subtracting 1.5 * 2^23 rounds |scaled| <= 127 to an integer,
  // to nearest even (the default rounding mode), without the data-dependent
  // branches of the SCALAR target's NearestInt; the conversion is then exact.
  const auto magic = hn::Set(df, 12582912.0f);
  const auto rounded = hn::Sub(hn::Add(scaled, magic), magic);
  return hn::DemoteTo(hn::Rebind<int8_t, DF>(), hn::ConvertTo(hn::RebindToSigned<DF>(), rounded));
}

// One row: writes q[0..n) and *scale = max|x| / 127 (all zeros and scale 0
// when that is 0), and returns true; returns false, writing nothing, when
// the row holds a NaN or an Inf.
template <class DF>
HWY_INLINE bool QuantizeInt8Row(DF df, const float* HWY_RESTRICT x, size_t n,
                                int8_t* HWY_RESTRICT q, float* HWY_RESTRICT scale_out) {
  const uint32_t max_bits = MaxAbsBits(df, x, n);
  if (max_bits >= 0x7F800000u) return false;
  float max_abs;
  memcpy(&max_abs, &max_bits, sizeof(max_abs));
  const float scale = max_abs / 127.0f;
  *scale_out = scale;
  if (scale == 0.0f) {  // an all-zero row (or one whose scale underflows)
    memset(q, 0, n);
    return true;
  }
  const hn::Rebind<int8_t, DF> d8;
  const auto scale_v = hn::Set(df, scale);
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(QuantizeVector(df, hn::LoadU(df, x + i), scale_v), d8, q + i);
  }
  if (i < n) {
    StoreFirstN(d8, QuantizeVector(df, LoadFirstN(df, x + i, n - i, 0.0f), scale_v), q + i, n - i);
  }
  return true;
}

// y[i] = q[i] * scale over one row of n.
template <class DF>
HWY_INLINE void DequantizeInt8Row(DF df, const int8_t* HWY_RESTRICT q, size_t n, float scale,
                                  float* HWY_RESTRICT y) {
  const hn::Rebind<int8_t, DF> d8;
  const hn::RebindToSigned<DF> di;
  const auto scale_v = hn::Set(df, scale);
  const auto widen = [&](hn::Vec<decltype(d8)> bytes) {
    return hn::Mul(hn::ConvertTo(df, hn::PromoteTo(di, bytes)), scale_v);
  };
  const size_t lanes = hn::Lanes(df);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(widen(hn::LoadU(d8, q + i)), df, y + i);
  if (i < n) StoreFirstN(df, widen(LoadFirstN(d8, q + i, n - i, int8_t{0})), y + i, n - i);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_CONVERT_INL_H_
