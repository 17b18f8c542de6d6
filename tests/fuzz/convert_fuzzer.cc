// libFuzzer harness for the conversion family (include/simdkit/convert.h).
//
// One input is one call: float32 to and from bfloat16, float16 and the two
// float8 formats (any length, any offsets), or int8 quantization / dequantization over rows
// with strides (gaps, or too short: then std::invalid_argument). Values are
// ordinary numbers, special values, any bits, or float32 values placed on
// and around the 16-bit formats' rounding boundaries (exact halves, one
// float32 spacing either side; for float8, its values and midpoints). On every supported target the result must
// be bit for bit the reference of tests/cpp/convert_reference.h (NumPy's and
// ml_dtypes' answers), and quantization exactly its definition:
// scale = max|x| / 127 and q = clamp(rint(x / scale), -127, 127) in
// float32, zeros where the scale is 0; a row holding NaN or Inf throws
// std::invalid_argument naming the first such row, with the rows before it
// written and nothing from it on. Dequantization is float32(q) * scale,
// one rounding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp/convert_reference.h"
#include "fuzz/fuzz_support.h"
#include "simdkit/convert.h"

namespace simdkit::fuzz {
namespace {

using simdkit::testing::BitsOf;
using simdkit::testing::FloatOf;
using simdkit::testing::ReferenceBFloat16;
using simdkit::testing::ReferenceHalf;
using simdkit::testing::ReferenceHalfToFloatBits;
using simdkit::testing::Float8Magnitude;
using simdkit::testing::Float8Spec;
using simdkit::testing::ReferenceFloat8;
using simdkit::testing::ReferenceFloat8ToFloatBits;

enum class Op : std::uint8_t {
  kToBFloat16,
  kToFloat16,
  kFromBFloat16,
  kFromFloat16,
  kQuantize,
  kDequantize,
  kToFloat8E4M3,
  kFromFloat8E4M3,
  kToFloat8E5M2,
  kFromFloat8E5M2,
  kCount
};

constexpr std::size_t kMaxElements = 3000;
constexpr std::size_t kMaxCols = 700;

// A float32 on or next to a rounding boundary of bfloat16 or float16: a
// 16-bit pattern widened, then its low bits set to just below, at or just
// above the halfway point to the next pattern.
float NearBoundary(Input& in) {
  const auto pattern = in.Raw<std::uint16_t>();
  const bool bfloat16 = in.Bool();
  // The float32 bits dropped by the narrowing: 16 for bfloat16, 13 for a
  // normal float16.
  const std::uint32_t base =
      bfloat16 ? std::uint32_t{pattern} << 16 : ReferenceHalfToFloatBits(pattern);
  const std::uint32_t half = bfloat16 ? 0x8000u : 0x1000u;
  constexpr std::uint32_t kOffsets[] = {0, 1, 0xFFFFFFFFu, 2};
  std::uint32_t low = half + kOffsets[in.Choice(4)];
  if (in.Choice(4) == 0) low = in.Raw<std::uint32_t>() & (2 * half - 1);
  return FloatOf(base + low);
}

float ConvertValue(Input& in, Mix mix) {
  if (mix != Mix::kAnyBits && in.Choice(4) == 0) return NearBoundary(in);
  return Value<float>(in, mix);
}

void FuzzElementwise(Input& in, Op op) {
  const std::size_t n = in.Size(kMaxElements);
  const std::size_t in_offset = in.Size(15), out_offset = in.Size(15);
  const std::string where = Str(op == Op::kToBFloat16    ? "to_bfloat16"
                                : op == Op::kToFloat16   ? "to_float16"
                                : op == Op::kFromBFloat16 ? "from_bfloat16"
                                                          : "from_float16",
                                " n=", n);
  if (op == Op::kToBFloat16 || op == Op::kToFloat16) {
    Vector<float> x(n, in_offset);
    const Mix mix = ChooseMix(in);
    for (std::size_t i = 0; i < n; ++i) x[i] = ConvertValue(in, mix);
    std::vector<std::uint16_t> expected(n);
    for (std::size_t i = 0; i < n; ++i) {
      expected[i] = op == Op::kToBFloat16 ? ReferenceBFloat16(x[i]) : ReferenceHalf(x[i]);
    }
    ForEachTarget([&](const std::string&) {
      Vector<std::uint16_t> out(n, out_offset);
      WithPoisonedGaps(
          [&] {
            if (op == Op::kToBFloat16) {
              simdkit::to_bfloat16(x.data(), n, out.data());
            } else {
              simdkit::to_float16(x.data(), n, out.data());
            }
          },
          x, out);
      for (std::size_t i = 0; i < n; ++i) {
        Expect(out[i] == expected[i], [&] {
          return Str(where, " at ", i, ": x bits 0x", std::hex, BitsOf(x[i]), " gave 0x", out[i],
                     ", expected 0x", expected[i]);
        });
      }
    });
    return;
  }
  Vector<std::uint16_t> x(n, in_offset);
  for (std::size_t i = 0; i < n; ++i) x[i] = in.Raw<std::uint16_t>();
  ForEachTarget([&](const std::string&) {
    Vector<float> out(n, out_offset);
    WithPoisonedGaps(
        [&] {
          if (op == Op::kFromBFloat16) {
            simdkit::from_bfloat16(x.data(), n, out.data());
          } else {
            simdkit::from_float16(x.data(), n, out.data());
          }
        },
        x, out);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t expected =
          op == Op::kFromBFloat16 ? std::uint32_t{x[i]} << 16 : ReferenceHalfToFloatBits(x[i]);
      Expect(BitsOf(out[i]) == expected, [&] {
        return Str(where, " at ", i, ": 0x", std::hex, x[i], " gave 0x", BitsOf(out[i]),
                   ", expected 0x", expected);
      });
    }
  });
}

// A float32 on or next to a float8 rounding point: one of the format's
// values or a midpoint to the next, moved by -1..2 float32 spacings, of
// either sign.
float NearFloat8Boundary(Input& in, const Float8Spec& spec) {
  const std::uint32_t pattern = in.Size(spec.max_finite);
  const double here = Float8Magnitude(spec, pattern);
  const double point = in.Bool() ? here : (here + Float8Magnitude(spec, pattern + 1)) / 2;
  constexpr std::uint32_t kOffsets[] = {0, 1, 0xFFFFFFFFu, 2};
  const float value = FloatOf(BitsOf(static_cast<float>(point)) + kOffsets[in.Choice(4)]);
  return in.Bool() ? -value : value;
}

void FuzzFloat8(Input& in, Op op) {
  const bool e4m3 = op == Op::kToFloat8E4M3 || op == Op::kFromFloat8E4M3;
  const Float8Spec& spec = e4m3 ? simdkit::testing::kE4M3Spec : simdkit::testing::kE5M2Spec;
  const bool narrow = op == Op::kToFloat8E4M3 || op == Op::kToFloat8E5M2;
  // The pointer forms (the names are overloaded with Span forms).
  void (*to_float8)(const float*, std::size_t, std::uint8_t*) = simdkit::to_float8_e5m2;
  void (*from_float8)(const std::uint8_t*, std::size_t, float*) = simdkit::from_float8_e5m2;
  if (e4m3) {
    to_float8 = simdkit::to_float8_e4m3;
    from_float8 = simdkit::from_float8_e4m3;
  }
  const std::size_t n = in.Size(kMaxElements);
  const std::size_t in_offset = in.Size(15), out_offset = in.Size(15);
  const std::string where =
      Str(narrow ? "to_" : "from_", e4m3 ? "float8_e4m3" : "float8_e5m2", " n=", n);
  if (narrow) {
    Vector<float> x(n, in_offset);
    const Mix mix = ChooseMix(in);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = mix != Mix::kAnyBits && in.Choice(2) == 0 ? NearFloat8Boundary(in, spec)
                                                        : Value<float>(in, mix);
    }
    ForEachTarget([&](const std::string&) {
      Vector<std::uint8_t> out(n, out_offset);
      WithPoisonedGaps(
          [&] { to_float8(x.data(), n, out.data()); },
          x, out);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t expected = ReferenceFloat8(spec, x[i]);
        Expect(out[i] == expected, [&] {
          return Str(where, " at ", i, ": x bits 0x", std::hex, BitsOf(x[i]), " gave 0x",
                     int{out[i]}, ", expected 0x", int{expected});
        });
      }
    });
    return;
  }
  Vector<std::uint8_t> x(n, in_offset);
  for (std::size_t i = 0; i < n; ++i) x[i] = in.Raw<std::uint8_t>();
  ForEachTarget([&](const std::string&) {
    Vector<float> out(n, out_offset);
    WithPoisonedGaps(
        [&] { from_float8(x.data(), n, out.data()); },
        x, out);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t expected = ReferenceFloat8ToFloatBits(spec, x[i]);
      Expect(BitsOf(out[i]) == expected, [&] {
        return Str(where, " at ", i, ": 0x", std::hex, int{x[i]}, " gave 0x", BitsOf(out[i]),
                   ", expected 0x", expected);
      });
    }
  });
}

// Row strides: a gap after each row, or one in 16 too short (invalid with
// two rows or more).
std::size_t StrideOf(Input& in, std::size_t cols) {
  const std::size_t kind = in.Choice(16);
  if (kind == 0 && cols > 0) return in.Size(cols - 1);
  return cols + (kind < 8 ? 0 : in.Size(9));
}

template <typename Call>
void ExpectInvalidArgument(const Call& call, const std::string& where) {
  bool threw = false;
  try {
    call();
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  Expect(threw, [&] { return Str(where, ": invalid arguments but no std::invalid_argument"); });
}

void FuzzQuantize(Input& in) {
  const std::size_t rows = in.Size(6), cols = in.Size(kMaxCols);
  const std::size_t x_stride = StrideOf(in, cols), q_stride = StrideOf(in, cols);
  Matrix<float> x(rows, cols, std::max(x_stride, cols), in.Size(15));
  const std::size_t q_offset = in.Size(15), scale_offset = in.Size(15);
  // Rows of very different magnitudes: each its own mix and power of two.
  for (std::size_t r = 0; r < rows; ++r) {
    const Mix mix = ChooseMix(in);
    const int exponent = static_cast<int>(in.Byte() % 64) - 32;
    for (std::size_t c = 0; c < cols; ++c) x.at(r, c) = std::ldexp(ConvertValue(in, mix), exponent);
  }
  const std::string where =
      Str("quantize_int8 ", rows, "x", cols, " strides ", x_stride, ",", q_stride);
  if (rows > 1 && cols > 0 && (x_stride < cols || q_stride < cols)) {
    Matrix<std::int8_t> q(rows, cols, std::max(q_stride, cols), q_offset);
    Vector<float> scale(rows, scale_offset);
    ExpectInvalidArgument(
        [&] { simdkit::quantize_int8(x.data(), rows, cols, x_stride, q.data(), q_stride, scale.data()); },
        where);
    return;
  }

  // The reference, row by row, up to the first row that is not finite.
  std::size_t bad_row = rows;
  std::vector<float> expected_scale(rows);
  std::vector<std::int8_t> expected_q(rows * cols);
  for (std::size_t r = 0; r < rows && bad_row == rows; ++r) {
    float max_abs = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      if (!std::isfinite(x.at(r, c))) bad_row = r;
      max_abs = std::fmax(max_abs, std::fabs(x.at(r, c)));
    }
    const float scale = max_abs / 127.0f;
    expected_scale[r] = scale;
    for (std::size_t c = 0; c < cols; ++c) {
      const float scaled = scale == 0 ? 0.0f : std::fmin(std::fmax(x.at(r, c) / scale, -127.0f), 127.0f);
      expected_q[r * cols + c] = static_cast<std::int8_t>(std::nearbyint(scaled));
    }
  }

  ForEachTarget([&](const std::string&) {
    Matrix<std::int8_t> q(rows, cols, std::max(q_stride, cols), q_offset);
    Vector<float> scale(rows, scale_offset);
    for (std::size_t r = 0; r < rows; ++r) {
      scale[r] = -1.0f;
      for (std::size_t c = 0; c < cols; ++c) q.at(r, c) = 99;
    }
    std::string error;
    WithPoisonedGaps(
        [&] {
          try {
            simdkit::quantize_int8(x.data(), rows, cols, x_stride, q.data(), q_stride, scale.data());
          } catch (const std::invalid_argument& e) {
            error = e.what();
          }
        },
        x, q);
    if (bad_row < rows) {
      Expect(error.find(Str("row ", bad_row, " contains NaN or Inf")) != std::string::npos, [&] {
        return Str(where, ": row ", bad_row, " is not finite, but the error was '", error, "'");
      });
    } else {
      Expect(error.empty(), [&] { return Str(where, ": unexpected error '", error, "'"); });
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const bool written = r < bad_row;
      Expect(written ? SameBits(scale[r], expected_scale[r]) : scale[r] == -1.0f, [&] {
        return Str(where, " row ", r, ": scale ", scale[r], ", expected ",
                   written ? expected_scale[r] : -1.0f);
      });
      for (std::size_t c = 0; c < cols; ++c) {
        const int expected = written ? expected_q[r * cols + c] : 99;
        Expect(q.at(r, c) == expected, [&] {
          return Str(where, " row ", r, " col ", c, ": x=", x.at(r, c), " scale=", scale[r],
                     " gave ", int{q.at(r, c)}, ", expected ", expected);
        });
      }
    }
  });
}

void FuzzDequantize(Input& in) {
  const std::size_t rows = in.Size(6), cols = in.Size(kMaxCols);
  const std::size_t q_stride = StrideOf(in, cols), out_stride = StrideOf(in, cols);
  Matrix<std::int8_t> q(rows, cols, std::max(q_stride, cols), in.Size(15));
  Vector<float> scale(rows, in.Size(15));
  const std::size_t out_offset = in.Size(15);
  const Mix mix = ChooseMix(in);
  for (std::size_t r = 0; r < rows; ++r) {
    scale[r] = Value<float>(in, mix);
    for (std::size_t c = 0; c < cols; ++c) q.at(r, c) = in.Raw<std::int8_t>();
  }
  const std::string where =
      Str("dequantize_int8 ", rows, "x", cols, " strides ", q_stride, ",", out_stride);
  if (rows > 1 && cols > 0 && (q_stride < cols || out_stride < cols)) {
    Matrix<float> out(rows, cols, std::max(out_stride, cols), out_offset);
    ExpectInvalidArgument(
        [&] { simdkit::dequantize_int8(q.data(), rows, cols, q_stride, scale.data(), out.data(), out_stride); },
        where);
    return;
  }
  ForEachTarget([&](const std::string&) {
    Matrix<float> out(rows, cols, out_stride, out_offset);
    WithPoisonedGaps(
        [&] {
          simdkit::dequantize_int8(q.data(), rows, cols, q_stride, scale.data(), out.data(), out_stride);
        },
        q, scale, out);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const float expected = static_cast<float>(q.at(r, c)) * scale[r];
        Expect(SameBits(out.at(r, c), expected) || (std::isnan(out.at(r, c)) && std::isnan(expected)), [&] {
          return Str(where, " row ", r, " col ", c, ": q=", int{q.at(r, c)}, " scale=", scale[r],
                     " gave ", out.at(r, c), ", expected ", expected);
        });
      }
    }
  });
}

}  // namespace
}  // namespace simdkit::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using simdkit::fuzz::Op;
  simdkit::fuzz::Input in(data, size);
  const auto op = static_cast<Op>(in.Choice(static_cast<std::size_t>(Op::kCount)));
  if (op == Op::kQuantize) {
    simdkit::fuzz::FuzzQuantize(in);
  } else if (op == Op::kDequantize) {
    simdkit::fuzz::FuzzDequantize(in);
  } else if (op >= Op::kToFloat8E4M3) {
    simdkit::fuzz::FuzzFloat8(in, op);
  } else {
    simdkit::fuzz::FuzzElementwise(in, op);
  }
  return 0;
}
