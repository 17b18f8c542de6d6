// The view forms of the C++ API (Span, MatrixView, MutableMatrixView), the
// preconditions every form checks (sizes, shapes, dtypes, outputs
// overlapping inputs), ScopedTarget and version(). Results are compared
// with the pointer forms, which the per-family suites test against their
// references on every target.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "simdkit/simdkit.h"

namespace simdkit::testing {
namespace {

// Span converts from what it can point into, and refuses the rest.
static_assert(std::is_convertible_v<std::vector<float>&, Span<const float>>);
static_assert(std::is_convertible_v<const std::vector<float>&, Span<const float>>);
static_assert(std::is_convertible_v<std::vector<float>&, Span<float>>);
static_assert(std::is_convertible_v<std::array<double, 3>&, Span<const double>>);
static_assert(std::is_convertible_v<float (&)[4], Span<float>>);
static_assert(std::is_convertible_v<Span<float>, Span<const float>>);
static_assert(!std::is_convertible_v<const std::vector<float>&, Span<float>>);
static_assert(!std::is_convertible_v<std::vector<float>&&, Span<float>>);  // writes lost
static_assert(!std::is_convertible_v<std::vector<float>&, Span<const double>>);
static_assert(!std::is_convertible_v<Span<const float>, Span<float>>);
static_assert(!std::is_constructible_v<MatrixView, const std::uint16_t*, std::size_t, std::size_t>,
              "uint16_t is float16 or bfloat16: the dtype must be named");
static_assert(std::is_convertible_v<MutableMatrixView, MatrixView>);
static_assert(!std::is_convertible_v<MatrixView, MutableMatrixView>);

// Runs `call`, expecting std::invalid_argument whose message holds each of
// `parts` (the function's name and what was expected).
template <typename Call>
void ExpectInvalid(const Call& call, std::initializer_list<const char*> parts) {
  try {
    call();
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    for (const char* part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

std::vector<float> Ramp(std::size_t n, float start, float step) {
  std::vector<float> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = start + step * static_cast<float>(i % 7) -
                                                   0.25f * static_cast<float>(i % 3);
  return values;
}

TEST(Views, MatrixViewConstructors) {
  const std::vector<double> data(12);
  const MatrixView typed(data.data(), 3, 4);
  EXPECT_EQ(typed.dtype, DType::kFloat64);
  EXPECT_EQ(typed.row_stride, 4u);
  const MatrixView strided(data.data(), 2, 4, 6);
  EXPECT_EQ(strided.row_stride, 6u);
  std::vector<std::int8_t> bytes(8);
  const MutableMatrixView out(bytes.data(), 2, 4);
  EXPECT_EQ(out.dtype, DType::kInt8);
  const MatrixView as_input = out;
  EXPECT_EQ(as_input.data, bytes.data());
  EXPECT_EQ(as_input.rows, 2u);
  const MatrixView named{bytes.data(), DType::kBits, 2, 4, 4};
  EXPECT_EQ(named.dtype, DType::kBits);
}

TEST(Views, ReduceMatchesPointerForms) {
  const std::vector<float> x = Ramp(37, -2.0f, 0.5f);
  const std::vector<float> y = Ramp(37, 1.0f, -0.25f);
  EXPECT_EQ(simdkit::sum(x), simdkit::sum(x.data(), x.size()));
  EXPECT_EQ(simdkit::norm(x), simdkit::norm(x.data(), x.size()));
  EXPECT_EQ(simdkit::min(x), simdkit::min(x.data(), x.size()));
  EXPECT_EQ(simdkit::max(x), simdkit::max(x.data(), x.size()));
  EXPECT_EQ(simdkit::argmin(x), simdkit::argmin(x.data(), x.size()));
  EXPECT_EQ(simdkit::argmax(x), simdkit::argmax(x.data(), x.size()));
  EXPECT_EQ(simdkit::dot(x, y), simdkit::dot(x.data(), y.data(), x.size()));
  const std::array<double, 4> d{1.0, -3.0, 2.5, 0.5};
  EXPECT_EQ(simdkit::sum(d), 1.0);
  EXPECT_EQ(simdkit::argmin(d), 1u);
  EXPECT_EQ(simdkit::dot(d, d), 1.0 + 9.0 + 6.25 + 0.25);

  // 4 rows of 5 in a buffer with row stride 8.
  const std::vector<float> rows = Ramp(32, 3.0f, -1.0f);
  const MatrixView view(rows.data(), 4, 5, 8);
  std::vector<float> out(4), expected(4);
  const std::vector<std::pair<void (*)(const MatrixView&, Span<float>),
                              void (*)(const float*, std::size_t, std::size_t, std::size_t,
                                       float*)>>
      forms{{simdkit::sum_rows, simdkit::sum_rows},
            {simdkit::norm_rows, simdkit::norm_rows},
            {simdkit::min_rows, simdkit::min_rows},
            {simdkit::max_rows, simdkit::max_rows}};
  for (const auto& [view_form, pointer_form] : forms) {
    view_form(view, out);
    pointer_form(rows.data(), 4, 5, 8, expected.data());
    EXPECT_EQ(out, expected);
  }
  std::vector<std::size_t> index(4), expected_index(4);
  simdkit::argmax_rows(view, index);
  simdkit::argmax_rows(rows.data(), 4, 5, 8, expected_index.data());
  EXPECT_EQ(index, expected_index);
  simdkit::argmin_rows(view, index);
  simdkit::argmin_rows(rows.data(), 4, 5, 8, expected_index.data());
  EXPECT_EQ(index, expected_index);
}

TEST(Views, DotRowsBroadcastsASingleRow) {
  const std::vector<double> a{1, 2, 3, 4, 5, 6};  // 2 rows of 3
  const std::vector<double> b{1, 0, -1};
  std::vector<double> out(2);
  simdkit::dot_rows(MatrixView(a.data(), 2, 3), MatrixView(b.data(), 1, 3), out);
  EXPECT_EQ(out, (std::vector<double>{-2, -2}));
  simdkit::dot_rows(MatrixView(b.data(), 1, 3), MatrixView(a.data(), 2, 3), out);
  EXPECT_EQ(out, (std::vector<double>{-2, -2}));
  simdkit::dot_rows(MatrixView(a.data(), 2, 3), MatrixView(a.data(), 2, 3), out);
  EXPECT_EQ(out, (std::vector<double>{14, 77}));
  ExpectInvalid([&] { simdkit::dot_rows(MatrixView(a.data(), 2, 3), MatrixView(a.data(), 3, 2), out); },
                {"simdkit::dot_rows", "3 columns but b has 2"});
  const std::vector<double> c(9);
  ExpectInvalid([&] { simdkit::dot_rows(MatrixView(a.data(), 2, 3), MatrixView(c.data(), 3, 3), out); },
                {"simdkit::dot_rows", "2 rows and b has 3"});
  std::vector<float> wrong(2);
  ExpectInvalid([&] { simdkit::dot_rows(MatrixView(a.data(), 2, 3), MatrixView(b.data(), 1, 3), wrong); },
                {"simdkit::dot_rows", "a has dtype float64; expected float32"});
}

TEST(Views, ReduceChecksSizesAndDTypes) {
  const std::vector<float> x(6, 1.0f);
  const std::vector<float> shorter(5, 1.0f);
  ExpectInvalid([&] { simdkit::dot(x, shorter); }, {"simdkit::dot", "b has 5 elements; expected 6"});
  std::vector<float> out(3);
  ExpectInvalid([&] { simdkit::sum_rows(MatrixView(x.data(), 2, 3), out); },
                {"simdkit::sum_rows", "out has 3 elements; expected 2"});
  std::vector<double> out64(2);
  ExpectInvalid([&] { simdkit::sum_rows(MatrixView(x.data(), 2, 3), out64); },
                {"simdkit::sum_rows", "x has dtype float32; expected float64"});
  const std::vector<std::int8_t> bytes(6);
  std::vector<std::size_t> index(2);
  ExpectInvalid([&] { simdkit::argmax_rows(MatrixView(bytes.data(), 2, 3), index); },
                {"simdkit::argmax_rows", "int8", "expected float32 or float64"});
  ExpectInvalid([&] { simdkit::min(Span<const float>()); }, {"simdkit::min", "expected at least one"});
}

TEST(Views, DistanceMatchesPointerForms) {
  const std::vector<float> a = Ramp(4 * 6, 0.5f, 0.75f);  // 4 rows of 6
  const std::vector<float> b = Ramp(3 * 6, -1.0f, 0.5f);  // 3 rows of 6
  const MatrixView a_view(a.data(), 4, 6);
  const MatrixView b_view(b.data(), 3, 6);
  EXPECT_EQ(simdkit::distance(Metric::kCosine, Span<const float>(a.data(), 6),
                              Span<const float>(b.data(), 6)),
            simdkit::distance(Metric::kCosine, a.data(), b.data(), 6));

  std::vector<float> paired(3), paired_expected(3);
  const MatrixView a3(a.data(), 3, 6);
  simdkit::paired(Metric::kEuclidean, a3, b_view, paired);
  simdkit::paired(Metric::kEuclidean, a3, b_view, paired_expected.data());
  EXPECT_EQ(paired, paired_expected);

  // cdist into rows 5 apart of a 4 x 5 buffer: columns 3 and 4 untouched.
  std::vector<float> matrix(20, -7.0f), expected(20, -7.0f);
  simdkit::cdist(Metric::kSqEuclidean, a_view, b_view, MutableMatrixView(matrix.data(), 4, 3, 5), 1);
  simdkit::cdist(Metric::kSqEuclidean, a_view, b_view, expected.data(), 5, 1);
  EXPECT_EQ(matrix, expected);
  EXPECT_EQ(matrix[3], -7.0f);

  std::vector<std::int64_t> indices(8), expected_indices(8);
  std::vector<float> distances(8), expected_distances(8);
  simdkit::topk(Metric::kCityblock, a_view, b_view, 2, indices, distances);
  simdkit::topk(Metric::kCityblock, a_view, b_view, 2, expected_indices.data(),
                expected_distances.data());
  EXPECT_EQ(indices, expected_indices);
  EXPECT_EQ(distances, expected_distances);
}

TEST(Views, DistanceChecksOutputs) {
  const std::vector<double> a(12, 1.0);  // 2 rows of 6, float64: double results
  const MatrixView a_view(a.data(), 2, 6);
  std::vector<float> single(2);
  ExpectInvalid([&] { simdkit::paired(Metric::kDot, a_view, a_view, single); },
                {"simdkit::paired", "out holds float32 but float64 input gives float64 results"});
  std::vector<double> three(3);
  ExpectInvalid([&] { simdkit::paired(Metric::kDot, a_view, a_view, three); },
                {"simdkit::paired", "out has 3 elements; expected 2"});
  std::vector<double> matrix(6);
  ExpectInvalid([&] { simdkit::cdist(Metric::kDot, a_view, a_view, MutableMatrixView(matrix.data(), 2, 3)); },
                {"simdkit::cdist", "out is 2 x 3 float64; expected 2 x 2 float64"});
  std::vector<std::int64_t> indices(3);
  std::vector<double> distances(4);
  ExpectInvalid([&] { simdkit::topk(Metric::kDot, a_view, a_view, 2, indices, distances); },
                {"simdkit::topk", "indices has 3 elements; expected 4"});
  ExpectInvalid([&] { simdkit::distance(Metric::kDot, Span<const double>(a.data(), 6), Span<const double>(a.data(), 5)); },
                {"simdkit::distance", "b has 5 elements; expected 6"});
}

TEST(Views, ConvertMatchesPointerForms) {
  const std::vector<float> x = Ramp(19, -3.0f, 1.125f);
  std::vector<std::uint16_t> half(19), expected_half(19);
  std::vector<float> back(19), expected_back(19);
  simdkit::to_bfloat16(x, half);
  simdkit::to_bfloat16(x.data(), x.size(), expected_half.data());
  EXPECT_EQ(half, expected_half);
  simdkit::from_bfloat16(half, back);
  simdkit::from_bfloat16(half.data(), half.size(), expected_back.data());
  EXPECT_EQ(back, expected_back);
  simdkit::to_float16(x, half);
  simdkit::to_float16(x.data(), x.size(), expected_half.data());
  EXPECT_EQ(half, expected_half);
  simdkit::from_float16(half, back);
  simdkit::from_float16(half.data(), half.size(), expected_back.data());
  EXPECT_EQ(back, expected_back);

  // 3 rows of 5 with row stride 6, into q rows of stride 7 and back.
  const std::vector<float> rows = Ramp(18, -4.0f, 1.5f);
  std::vector<std::int8_t> q(21, 99), expected_q(21, 99);
  std::vector<float> scale(3), expected_scale(3);
  simdkit::quantize_int8(MatrixView(rows.data(), 3, 5, 6), MutableMatrixView(q.data(), 3, 5, 7), scale);
  simdkit::quantize_int8(rows.data(), 3, 5, 6, expected_q.data(), 7, expected_scale.data());
  EXPECT_EQ(q, expected_q);
  EXPECT_EQ(scale, expected_scale);
  std::vector<float> restored(15), expected_restored(15);
  simdkit::dequantize_int8(MatrixView(q.data(), 3, 5, 7), scale, MutableMatrixView(restored.data(), 3, 5));
  simdkit::dequantize_int8(q.data(), 3, 5, 7, scale.data(), expected_restored.data(), 5);
  EXPECT_EQ(restored, expected_restored);
}

TEST(Views, ConvertChecksSizesAndShapes) {
  const std::vector<float> x(8);
  std::vector<std::uint16_t> out(7);
  ExpectInvalid([&] { simdkit::to_float16(x, out); }, {"simdkit::to_float16", "out has 7 elements; expected 8"});
  std::vector<std::int8_t> q(8);
  std::vector<float> scale(2);
  ExpectInvalid([&] { simdkit::quantize_int8(MatrixView(x.data(), 2, 4), MutableMatrixView(q.data(), 4, 2), scale); },
                {"simdkit::quantize_int8", "q is 4 x 2 int8; expected 2 x 4 int8"});
  std::vector<float> scale3(3);
  ExpectInvalid([&] { simdkit::quantize_int8(MatrixView(x.data(), 2, 4), MutableMatrixView(q.data(), 2, 4), scale3); },
                {"simdkit::quantize_int8", "scale has 3 elements; expected 2"});
  const std::vector<double> x64(8);
  ExpectInvalid([&] { simdkit::quantize_int8(MatrixView(x64.data(), 2, 4), MutableMatrixView(q.data(), 2, 4), scale); },
                {"simdkit::quantize_int8", "x has dtype float64; expected float32"});
}

TEST(Views, MathMatchesPointerForms) {
  const std::vector<double> x{-2.0, -0.5, 0.0, 0.25, 1.0, 3.0};
  std::vector<double> y(6), expected(6);
  simdkit::apply(Function::kTanh, x, y);
  simdkit::apply(Function::kTanh, x.data(), expected.data(), x.size());
  EXPECT_EQ(y, expected);
  std::vector<double> in_place = x;
  simdkit::apply(Function::kTanh, in_place, in_place);
  EXPECT_EQ(in_place, expected);

  // 2 rows of 3 (stride 3) into rows of stride 4.
  std::vector<double> rows_out(8, 5.0), rows_expected(8, 5.0);
  const MatrixView view(x.data(), 2, 3);
  simdkit::apply_rows(Function::kExp, view, MutableMatrixView(rows_out.data(), 2, 3, 4));
  simdkit::apply_rows(Function::kExp, view, rows_expected.data(), 4);
  EXPECT_EQ(rows_out, rows_expected);
  simdkit::softmax(view, MutableMatrixView(rows_out.data(), 2, 3, 4));
  simdkit::softmax(view, rows_expected.data(), 4);
  EXPECT_EQ(rows_out, rows_expected);
  simdkit::log_softmax(view, MutableMatrixView(rows_out.data(), 2, 3, 4));
  simdkit::log_softmax(view, rows_expected.data(), 4);
  EXPECT_EQ(rows_out, rows_expected);
  simdkit::normalize(view, MutableMatrixView(rows_out.data(), 2, 3, 4));
  simdkit::normalize(view, rows_expected.data(), 4);
  EXPECT_EQ(rows_out, rows_expected);
  std::vector<double> lse(2), lse_expected(2);
  simdkit::logsumexp(view, lse);
  simdkit::logsumexp(view, lse_expected.data());
  EXPECT_EQ(lse, lse_expected);

  // float16 rows: results in float16 bits.
  std::vector<std::uint16_t> halves(6), lse_half(2), lse_half_expected(2);
  simdkit::to_float16(Ramp(6, -1.0f, 0.5f), halves);
  const MatrixView half_view{halves.data(), DType::kFloat16, 2, 3, 3};
  simdkit::logsumexp(half_view, lse_half);
  simdkit::logsumexp(half_view, lse_half_expected.data());
  EXPECT_EQ(lse_half, lse_half_expected);
}

TEST(Views, MathChecksShapesAndDTypes) {
  const std::vector<float> x(6);
  std::vector<float> y(6);
  std::vector<float> shorter(5);
  ExpectInvalid([&] { simdkit::apply(Function::kExp, x, shorter); }, {"simdkit::apply", "y has 5 elements; expected 6"});
  ExpectInvalid([&] { simdkit::softmax(MatrixView(x.data(), 2, 3), MutableMatrixView(y.data(), 3, 2)); },
                {"simdkit::apply_rowwise", "y is 3 x 2 float32; expected 2 x 3 float32"});
  std::vector<double> y64(6);
  ExpectInvalid([&] { simdkit::apply_rows(Function::kExp, MatrixView(x.data(), 2, 3), MutableMatrixView(y64.data(), 2, 3)); },
                {"simdkit::apply_rows", "y is 2 x 3 float64; expected 2 x 3 float32"});
  std::vector<double> lse(2);
  ExpectInvalid([&] { simdkit::logsumexp(MatrixView(x.data(), 2, 3), lse); },
                {"simdkit::logsumexp", "dtype float32", "Span<float> for float32"});
  std::vector<std::uint16_t> lse16(2);
  ExpectInvalid([&] { simdkit::logsumexp(MatrixView(x.data(), 2, 3), lse16); }, {"simdkit::logsumexp"});
  std::vector<float> lse32(3);
  ExpectInvalid([&] { simdkit::logsumexp(MatrixView(x.data(), 2, 3), lse32); },
                {"simdkit::logsumexp", "out has 3 elements; expected 2"});
}

// Every family refuses an output that shares memory with an input (the
// kernels would read what they have already written).
TEST(Preconditions, OutputsMustNotOverlapInputs) {
  std::vector<float> buffer(64, 1.0f);
  float* x = buffer.data();
  ExpectInvalid([&] { simdkit::sum_rows(x, 4, 8, 8, x + 8); }, {"simdkit::sum", "out overlaps x"});
  ExpectInvalid([&] { simdkit::dot_rows(x, 8, x + 32, 8, 2, 8, x + 40); }, {"simdkit::dot", "out overlaps b"});
  ExpectInvalid([&] { simdkit::cdist(Metric::kDot, MatrixView(x, 2, 8), MatrixView(x + 16, 2, 8), x + 20, 2); },
                {"simdkit::cdist", "out overlaps b"});
  ExpectInvalid([&] { simdkit::paired(Metric::kDot, MatrixView(x, 2, 8), MatrixView(x + 16, 2, 8), x + 1); },
                {"simdkit::paired", "out overlaps a"});
  std::vector<std::int64_t> indices(2);
  ExpectInvalid([&] { simdkit::topk(Metric::kDot, MatrixView(x, 2, 8), MatrixView(x + 16, 2, 8), 1, indices.data(), x + 30); },
                {"simdkit::topk", "distances overlaps x"});
  ExpectInvalid([&] {
    simdkit::topk(Metric::kDot, MatrixView(x, 2, 8), MatrixView(x + 16, 2, 8), 1,
                  reinterpret_cast<std::int64_t*>(x + 40), x + 41);
  }, {"simdkit::topk", "distances overlaps indices"});
  ExpectInvalid([&] { simdkit::to_bfloat16(x, 16, reinterpret_cast<std::uint16_t*>(x + 4)); },
                {"simdkit::to_bfloat16", "out overlaps x"});
  ExpectInvalid([&] { simdkit::quantize_int8(x, 2, 8, 8, reinterpret_cast<std::int8_t*>(x + 32), 8, x + 35); },
                {"simdkit::quantize_int8", "scale overlaps q"});
  std::vector<std::int8_t> q(16);
  ExpectInvalid([&] { simdkit::dequantize_int8(q.data(), 2, 8, 8, x, x + 1, 8); },
                {"simdkit::dequantize_int8", "out overlaps scale"});
  ExpectInvalid([&] { simdkit::logsumexp(MatrixView(x, 2, 8), x + 15); }, {"simdkit::logsumexp", "out overlaps x"});
  ExpectInvalid([&] { simdkit::apply(Function::kExp, x, x + 1, 8); }, {"simdkit::apply", "overlap"});
  // Reading one row many times (stride 0) is fine: only outputs are checked.
  std::vector<float> sums(3);
  simdkit::sum_rows(x, 3, 8, 0, sums.data());
  EXPECT_EQ(sums, (std::vector<float>{8.0f, 8.0f, 8.0f}));
}

TEST(Dispatch, ScopedTargetRestoresThePreviousChoice) {
  const std::vector<std::string> supported = simdkit::supported_targets();
  simdkit::reset_target();
  {
    const ScopedTarget scope(supported.back());
    EXPECT_EQ(simdkit::active_target(), supported.back());
    EXPECT_EQ(simdkit::probe_target(), supported.back());
    {
      const ScopedTarget inner(supported.front());
      EXPECT_EQ(simdkit::probe_target(), supported.front());
    }
    EXPECT_EQ(simdkit::forced_target(), supported.back());
  }
  EXPECT_EQ(simdkit::forced_target(), "");
  EXPECT_EQ(simdkit::active_target(), supported.front());
  EXPECT_THROW(ScopedTarget("NOT_A_TARGET"), std::invalid_argument);
  EXPECT_EQ(simdkit::forced_target(), "");
}

TEST(Version, LibraryMatchesHeaders) {
  EXPECT_STREQ(simdkit::version(), SIMDKIT_VERSION_STRING);
  EXPECT_EQ(std::string(SIMDKIT_VERSION_STRING),
            std::to_string(SIMDKIT_VERSION_MAJOR) + "." + std::to_string(SIMDKIT_VERSION_MINOR) +
                "." + std::to_string(SIMDKIT_VERSION_PATCH));
}

}  // namespace
}  // namespace simdkit::testing
