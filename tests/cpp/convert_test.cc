// Conversions float32 <-> bfloat16 / float16 and int8 quantization on every
// supported target, against scalar references written by value
// (cpp/convert_reference.h, not the kernels' bit tricks): all 2^16 half-precision patterns, special values,
// 2^20 random float32 patterns, every size up to 3 vectors + 1 at unaligned
// offsets with guards after the output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpp/convert_reference.h"
#include "cpp/target_param.h"
#include "simdkit/convert.h"

namespace simdkit::testing {
namespace {

std::string Hex(std::uint32_t bits) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08X", bits);
  return text;
}

std::vector<float> SpecialFloats() {
  std::vector<std::uint32_t> bits = {
      0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u,  // ±0, ±Inf
      0x7FC00000u, 0xFFC00000u, 0x7FC00001u, 0x7F800001u,  // quiet and signalling NaNs
      0xFF800001u, 0x7FA00000u, 0x7FBFFFFFu, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7F802000u,
      0x7F801FFFu, 0x7F807FFFu, 0x7F808000u,
      0x00000001u, 0x80000001u, 0x007FFFFFu, 0x00400000u, 0x00008000u,  // float32 subnormals
      0x00800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F7F8000u, 0x7F7F7FFFu,  // min/max normal
      0x3F808000u, 0x3F818000u, 0x3F808001u, 0x3F807FFFu,  // bfloat16 ties and neighbours
      0x3F801000u, 0x3F803000u, 0x3F801001u, 0x3F800FFFu,  // float16 ties and neighbours
      0x477FE000u, 0x477FEFFFu, 0x477FF000u, 0x477FF001u, 0x47800000u,  // 65504..65536
      0xC77FF000u, 0xC77FEFFFu,
      0x38800000u, 0x387FFFFFu, 0x387FF000u, 0x387FE000u,  // smallest normal half
      0x33800000u, 0x33000000u, 0x33000001u, 0x32FFFFFFu, 0x33C00000u,  // smallest subnormal half
      0x33A00000u, 0x34200000u, 0x34400000u, 0xB3000001u,
  };
  std::vector<float> values;
  for (std::uint32_t b : bits) values.push_back(FloatOf(b));
  return values;
}

class ConvertTest : public PerTarget {};

TEST_P(ConvertTest, AllHalfPrecisionPatternsWidenExactly) {
  std::vector<std::uint16_t> patterns(1 << 16);
  for (std::uint32_t i = 0; i < patterns.size(); ++i) patterns[i] = static_cast<std::uint16_t>(i);
  std::vector<float> half(patterns.size()), bf16(patterns.size());
  simdkit::from_float16(patterns.data(), patterns.size(), half.data());
  simdkit::from_bfloat16(patterns.data(), patterns.size(), bf16.data());
  for (std::uint32_t i = 0; i < patterns.size(); ++i) {
    ASSERT_EQ(BitsOf(half[i]), ReferenceHalfToFloatBits(patterns[i])) << "float16 " << Hex(i);
    ASSERT_EQ(BitsOf(bf16[i]), i << 16) << "bfloat16 " << Hex(i);
  }
}

TEST_P(ConvertTest, AllHalfPrecisionPatternsRoundTrip) {
  // Every non-NaN pattern widens and narrows back to itself (NaNs: per the
  // narrowing rules above, checked against the references).
  std::vector<std::uint16_t> patterns(1 << 16), back(1 << 16);
  for (std::uint32_t i = 0; i < patterns.size(); ++i) patterns[i] = static_cast<std::uint16_t>(i);
  std::vector<float> wide(patterns.size());
  simdkit::from_float16(patterns.data(), patterns.size(), wide.data());
  simdkit::to_float16(wide.data(), wide.size(), back.data());
  for (std::uint32_t i = 0; i < patterns.size(); ++i) {
    ASSERT_EQ(back[i], ReferenceHalf(wide[i])) << "float16 " << Hex(i);
    if ((i & 0x7FFFu) <= 0x7C00u) ASSERT_EQ(back[i], i) << "float16 " << Hex(i);
  }
  simdkit::from_bfloat16(patterns.data(), patterns.size(), wide.data());
  simdkit::to_bfloat16(wide.data(), wide.size(), back.data());
  for (std::uint32_t i = 0; i < patterns.size(); ++i) {
    ASSERT_EQ(back[i], ReferenceBFloat16(wide[i])) << "bfloat16 " << Hex(i);
    if ((i & 0x7FFFu) <= 0x7F80u) ASSERT_EQ(back[i], i) << "bfloat16 " << Hex(i);
  }
}

void ExpectNarrowingMatches(const std::vector<float>& x) {
  std::vector<std::uint16_t> half(x.size()), bf16(x.size());
  simdkit::to_float16(x.data(), x.size(), half.data());
  simdkit::to_bfloat16(x.data(), x.size(), bf16.data());
  size_t failures = 0;
  for (size_t i = 0; i < x.size() && failures < 10; ++i) {
    if (half[i] != ReferenceHalf(x[i])) {
      ++failures;
      ADD_FAILURE() << "to_float16(" << Hex(BitsOf(x[i])) << ") = " << Hex(half[i])
                    << ", expected " << Hex(ReferenceHalf(x[i]));
    }
    if (bf16[i] != ReferenceBFloat16(x[i])) {
      ++failures;
      ADD_FAILURE() << "to_bfloat16(" << Hex(BitsOf(x[i])) << ") = " << Hex(bf16[i])
                    << ", expected " << Hex(ReferenceBFloat16(x[i]));
    }
  }
}

TEST_P(ConvertTest, SpecialValuesNarrowAsReference) {
  const std::vector<float> specials = SpecialFloats();
  ExpectNarrowingMatches(specials);
  // Spot checks of the references themselves against NumPy / ml_dtypes.
  EXPECT_EQ(ReferenceHalf(FloatOf(0x477FF000u)), 0x7C00u);  // 65520 -> Inf
  EXPECT_EQ(ReferenceHalf(FloatOf(0x477FEFFFu)), 0x7BFFu);
  EXPECT_EQ(ReferenceHalf(FloatOf(0x33000000u)), 0x0000u);  // 2^-25: tie to even 0
  EXPECT_EQ(ReferenceHalf(FloatOf(0x33000001u)), 0x0001u);
  EXPECT_EQ(ReferenceHalf(FloatOf(0x7F800001u)), 0x7C01u);
  EXPECT_EQ(ReferenceHalf(FloatOf(0x7FA00000u)), 0x7D00u);
  EXPECT_EQ(ReferenceHalf(FloatOf(0xFFC00001u)), 0xFE00u);
  EXPECT_EQ(ReferenceBFloat16(FloatOf(0x3F818000u)), 0x3F82u);
  EXPECT_EQ(ReferenceBFloat16(FloatOf(0x7F7FFFFFu)), 0x7F80u);
  EXPECT_EQ(ReferenceBFloat16(FloatOf(0xFF800001u)), 0xFFC0u);
  EXPECT_EQ(ReferenceBFloat16(FloatOf(0x00400000u)), 0x0040u);
}

TEST_P(ConvertTest, RandomFloat32NarrowsAsReference) {
  std::mt19937 rng(20260);
  std::vector<float> x(1 << 20);
  // Half of them uniform bit patterns, half with exponents around the
  // float16 range (where its rounding, subnormals and overflow happen).
  std::uniform_int_distribution<std::uint32_t> bits;
  std::uniform_int_distribution<std::uint32_t> exponent(127 - 30, 127 + 17);
  for (size_t i = 0; i < x.size(); ++i) {
    std::uint32_t b = bits(rng);
    if (i % 2) b = (b & 0x807FFFFFu) | (exponent(rng) << 23);
    x[i] = FloatOf(b);
  }
  ExpectNarrowingMatches(x);
}

// Both 8-bit formats: each of their conversions with its reference.
struct Float8Conversions {
  const char* name;
  const Float8Spec& spec;
  void (*narrow)(const float*, size_t, std::uint8_t*);
  void (*widen)(const std::uint8_t*, size_t, float*);
};
const Float8Conversions kFloat8[] = {
    {"float8_e4m3", kE4M3Spec, &simdkit::to_float8_e4m3, &simdkit::from_float8_e4m3},
    {"float8_e5m2", kE5M2Spec, &simdkit::to_float8_e5m2, &simdkit::from_float8_e5m2}};

void ExpectFloat8NarrowingMatches(const std::vector<float>& x) {
  for (const Float8Conversions& format : kFloat8) {
    std::vector<std::uint8_t> codes(x.size());
    format.narrow(x.data(), x.size(), codes.data());
    size_t failures = 0;
    for (size_t i = 0; i < x.size() && failures < 10; ++i) {
      const std::uint8_t expected = ReferenceFloat8(format.spec, x[i]);
      if (codes[i] != expected) {
        ++failures;
        ADD_FAILURE() << "to_" << format.name << "(" << Hex(BitsOf(x[i])) << ") = "
                      << Hex(codes[i]) << ", expected " << Hex(expected);
      }
    }
  }
}

// The float32 values around each 8-bit format's rounding points: every
// pattern's value, the midpoints to the next, one float32 ulp either side,
// of both signs.
std::vector<float> Float8Boundaries() {
  std::vector<float> values;
  for (const Float8Conversions& format : kFloat8) {
    for (std::uint32_t p = 0; p <= format.spec.max_finite; ++p) {
      const double here = Float8Magnitude(format.spec, p);
      const double mid = (here + Float8Magnitude(format.spec, p + 1)) / 2;
      for (double value : {here, mid}) {
        const std::uint32_t bits = BitsOf(static_cast<float>(value));
        for (std::uint32_t b : {bits - 1, bits, bits + 1}) {
          values.push_back(FloatOf(b));
          values.push_back(-FloatOf(b));
        }
      }
    }
  }
  return values;
}

TEST_P(ConvertTest, AllFloat8PatternsWidenExactlyAndRoundTrip) {
  std::vector<std::uint8_t> codes(256), back(256);
  for (std::uint32_t i = 0; i < 256; ++i) codes[i] = static_cast<std::uint8_t>(i);
  for (const Float8Conversions& format : kFloat8) {
    std::vector<float> wide(256);
    format.widen(codes.data(), codes.size(), wide.data());
    format.narrow(wide.data(), wide.size(), back.data());
    for (std::uint32_t i = 0; i < 256; ++i) {
      ASSERT_EQ(BitsOf(wide[i]), ReferenceFloat8ToFloatBits(format.spec, codes[i]))
          << format.name << " " << Hex(i);
      ASSERT_EQ(back[i], ReferenceFloat8(format.spec, wide[i])) << format.name << " " << Hex(i);
      if (!std::isnan(wide[i])) ASSERT_EQ(back[i], i) << format.name << " " << Hex(i);
    }
  }
}

TEST_P(ConvertTest, Float32NarrowsToFloat8AsReference) {
  ExpectFloat8NarrowingMatches(SpecialFloats());
  ExpectFloat8NarrowingMatches(Float8Boundaries());
  // Spot checks of the reference itself against ml_dtypes 0.7's astype.
  EXPECT_EQ(ReferenceFloat8(kE4M3Spec, 464.0f), 0x7Eu);  // tie to even 448
  EXPECT_EQ(ReferenceFloat8(kE4M3Spec, 465.0f), 0x7Fu);  // past 448: NaN
  EXPECT_EQ(ReferenceFloat8(kE4M3Spec, -INFINITY), 0xFFu);
  EXPECT_EQ(ReferenceFloat8(kE4M3Spec, 0x1p-10f), 0x00u);  // tie to even 0
  EXPECT_EQ(ReferenceFloat8(kE5M2Spec, 61440.0f), 0x7Cu);  // tie to even: Inf
  EXPECT_EQ(ReferenceFloat8(kE5M2Spec, 61439.0f), 0x7Bu);
  EXPECT_EQ(ReferenceFloat8(kE5M2Spec, 0x1p-10f), 0x14u);
  EXPECT_EQ(ReferenceFloat8(kE5M2Spec, -NAN), 0xFEu);
  std::mt19937 rng(20261);
  std::vector<float> x(SampledRun() ? 1 << 14 : 1 << 20);
  // Half uniform bit patterns, half with exponents around the formats'
  // ranges (their subnormals to past E5M2's largest value).
  std::uniform_int_distribution<std::uint32_t> bits;
  std::uniform_int_distribution<std::uint32_t> exponent(127 - 20, 127 + 17);
  for (size_t i = 0; i < x.size(); ++i) {
    std::uint32_t b = bits(rng);
    if (i % 2) b = (b & 0x807FFFFFu) | (exponent(rng) << 23);
    x[i] = FloatOf(b);
  }
  ExpectFloat8NarrowingMatches(x);
}

// Every size up to 3 vectors + 1 of the widest target (16 floats), from
// unaligned offsets: results match element-wise conversion, and nothing past
// out[n - 1] is written.
TEST_P(ConvertTest, SizesOffsetsAndNoWritesPastEnd) {
  constexpr size_t kMaxN = 3 * 16 + 1;
  constexpr std::uint16_t kGuard16 = 0xA5A5;
  const std::vector<float> specials = SpecialFloats();
  std::vector<float> source(kMaxN + 4);
  for (size_t i = 0; i < source.size(); ++i) source[i] = specials[(i * 7) % specials.size()] * 1.0f;
  std::vector<std::uint16_t> patterns(kMaxN + 4);
  for (size_t i = 0; i < patterns.size(); ++i) patterns[i] = static_cast<std::uint16_t>(i * 2654435761u >> 9);
  for (size_t offset = 0; offset < 3; ++offset) {
    for (size_t n = 0; n <= kMaxN; ++n) {
      const float* x = source.data() + offset;
      const std::uint16_t* h = patterns.data() + offset;
      std::vector<std::uint16_t> narrow(n + offset + 8, kGuard16);
      std::vector<float> wide(n + offset + 8, -7.0f);
      const std::string where = "n=" + std::to_string(n) + " offset=" + std::to_string(offset);

      simdkit::to_bfloat16(x, n, narrow.data() + offset);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(narrow[offset + i], ReferenceBFloat16(x[i])) << where;
      for (size_t i = 0; i < narrow.size(); ++i) {
        if (i < offset || i >= offset + n) ASSERT_EQ(narrow[i], kGuard16) << where << " i=" << i;
      }
      simdkit::to_float16(x, n, narrow.data() + offset);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(narrow[offset + i], ReferenceHalf(x[i])) << where;
      for (size_t i = offset + n; i < narrow.size(); ++i) ASSERT_EQ(narrow[i], kGuard16) << where;

      simdkit::from_bfloat16(h, n, wide.data() + offset);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(BitsOf(wide[offset + i]), std::uint32_t{h[i]} << 16) << where;
      for (size_t i = 0; i < wide.size(); ++i) {
        if (i < offset || i >= offset + n) ASSERT_EQ(wide[i], -7.0f) << where << " i=" << i;
      }
      simdkit::from_float16(h, n, wide.data() + offset);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(BitsOf(wide[offset + i]), ReferenceHalfToFloatBits(h[i])) << where;
      for (size_t i = offset + n; i < wide.size(); ++i) ASSERT_EQ(wide[i], -7.0f) << where;

      // The 8-bit formats: codes from the low bytes of the patterns.
      std::vector<std::uint8_t> codes(n + offset + 8, 0xA5), bytes(n + offset);
      for (size_t i = 0; i < n; ++i) bytes[offset + i] = static_cast<std::uint8_t>(h[i]);
      for (const Float8Conversions& format : kFloat8) {
        std::fill(codes.begin(), codes.end(), std::uint8_t{0xA5});
        format.narrow(x, n, codes.data() + offset);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(codes[offset + i], ReferenceFloat8(format.spec, x[i])) << format.name << where;
        }
        for (size_t i = 0; i < codes.size(); ++i) {
          if (i < offset || i >= offset + n) ASSERT_EQ(codes[i], 0xA5) << format.name << where;
        }
        std::fill(wide.begin(), wide.end(), -7.0f);
        format.widen(bytes.data() + offset, n, wide.data() + offset);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(BitsOf(wide[offset + i]),
                    ReferenceFloat8ToFloatBits(format.spec, bytes[offset + i]))
              << format.name << where;
        }
        for (size_t i = 0; i < wide.size(); ++i) {
          if (i < offset || i >= offset + n) ASSERT_EQ(wide[i], -7.0f) << format.name << where;
        }
      }
    }
  }
}

// quantize_int8 on rows x cols with strides, and a guard byte after each row.
TEST_P(ConvertTest, QuantizeWithinHalfAStepAndDequantizeExactly) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (size_t cols : {size_t{0}, size_t{1}, size_t{5}, size_t{16}, size_t{33}, size_t{49}, size_t{1000}}) {
    const size_t rows = 6, row_stride = cols + 3, q_stride = cols + 2;
    std::vector<float> x(rows * row_stride + 1);
    for (float& v : x) v = normal(rng) * 3.0f;
    for (size_t c = 0; c < cols; ++c) x[1 + 1 * row_stride + c] = 0.0f;   // row 1: zeros
    for (size_t c = 0; c < cols; ++c) x[1 + 2 * row_stride + c] *= 1e-30f;  // row 2: tiny
    for (size_t c = 0; c < cols; ++c) x[1 + 3 * row_stride + c] *= 1e30f;   // row 3: huge
    std::vector<std::int8_t> q(rows * q_stride + 1, 99);
    std::vector<float> scale(rows, -1.0f);
    simdkit::quantize_int8(x.data() + 1, rows, cols, row_stride, q.data(), q_stride, scale.data());
    std::vector<float> y(rows * cols);
    simdkit::dequantize_int8(q.data(), rows, cols, q_stride, scale.data(), y.data(), cols);
    for (size_t r = 0; r < rows; ++r) {
      const float* row = x.data() + 1 + r * row_stride;
      float max_abs = 0.0f;
      for (size_t c = 0; c < cols; ++c) max_abs = std::fmax(max_abs, std::fabs(row[c]));
      const std::string where = "cols=" + std::to_string(cols) + " row=" + std::to_string(r);
      ASSERT_EQ(scale[r], max_abs / 127.0f) << where;
      for (size_t c = 0; c < cols; ++c) {
        const std::int8_t value = q[r * q_stride + c];
        ASSERT_GE(value, -127) << where;
        if (r == 1) ASSERT_EQ(value, 0) << where;
        const double error = std::fabs(static_cast<double>(row[c]) - y[r * cols + c]);
        ASSERT_LE(error, 0.5 * scale[r] * (1 + std::ldexp(1.0, -15))) << where << " c=" << c;
        ASSERT_EQ(BitsOf(y[r * cols + c]), BitsOf(static_cast<float>(value) * scale[r])) << where;
      }
      for (size_t c = cols; c < q_stride; ++c) ASSERT_EQ(q[r * q_stride + c], 99) << where;
    }
  }
}

TEST_P(ConvertTest, QuantizeRoundsHalfwayToEven) {
  const std::vector<float> x = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -3.5f, 126.5f, -127.0f, 0.0f};
  std::vector<std::int8_t> q(x.size());
  float scale = 0;
  simdkit::quantize_int8(x.data(), 1, x.size(), x.size(), q.data(), x.size(), &scale);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(q, (std::vector<std::int8_t>{127, 0, 2, 2, 0, -4, 126, -127, 0}));
}

TEST_P(ConvertTest, QuantizeRejectsNonFiniteRows) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity(), FloatOf(0xFF800001u)}) {
    std::vector<float> x(2 * 40, 1.0f);
    x[40 + 37] = bad;
    std::vector<std::int8_t> q(x.size());
    std::vector<float> scale(2);
    try {
      simdkit::quantize_int8(x.data(), 2, 40, 40, q.data(), 40, scale.data());
      ADD_FAILURE() << "no exception for " << bad;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("row 1 contains NaN or Inf"), std::string::npos)
          << error.what();
    }
  }
}

SIMDKIT_INSTANTIATE_PER_TARGET(ConvertTest);

TEST(ConvertErrors, NullPointersAndShortStrides) {
  float f = 0;
  std::uint16_t h = 0;
  std::int8_t q = 0;
  EXPECT_THROW(simdkit::to_bfloat16(nullptr, 1, &h), std::invalid_argument);
  EXPECT_THROW(simdkit::to_float16(&f, 1, nullptr), std::invalid_argument);
  EXPECT_THROW(simdkit::from_bfloat16(nullptr, 1, &f), std::invalid_argument);
  EXPECT_THROW(simdkit::from_float16(&h, 1, nullptr), std::invalid_argument);
  EXPECT_NO_THROW(simdkit::to_bfloat16(nullptr, 0, nullptr));
  EXPECT_NO_THROW(simdkit::from_float16(nullptr, 0, nullptr));
  EXPECT_THROW(simdkit::quantize_int8(&f, 1, 1, 1, &q, 1, nullptr), std::invalid_argument);
  EXPECT_THROW(simdkit::quantize_int8(nullptr, 1, 1, 1, &q, 1, &f), std::invalid_argument);
  EXPECT_THROW(simdkit::quantize_int8(&f, 2, 4, 3, &q, 4, &f), std::invalid_argument);
  EXPECT_THROW(simdkit::dequantize_int8(&q, 1, 1, 1, nullptr, &f, 1), std::invalid_argument);
  EXPECT_THROW(simdkit::dequantize_int8(&q, 2, 4, 4, &f, &f, 2), std::invalid_argument);
  EXPECT_NO_THROW(simdkit::quantize_int8(nullptr, 0, 5, 5, nullptr, 5, nullptr));
}

}  // namespace
}  // namespace simdkit::testing
