// TopKList (kernels/distance_common.h), the k-best list every topk path
// keeps per query: against a full sort under the one order topk promises
// (best value first, NaN last, ties to the lower index), over streams that
// make it cut its buffer many times (every candidate better than the last),
// never (every candidate worse), and in between, with ties and NaN, offered
// in index order and in any order.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/distance_common.h"

namespace simdkit::testing {
namespace {

struct Stream {
  std::string name;
  std::vector<float> values;  // values[i] is candidate i's
};

std::vector<Stream> Streams(std::size_t n, std::mt19937_64& rng) {
  std::vector<Stream> streams;
  std::vector<float> rising(n), falling(n), ties(n), with_nan(n), zeros_and_infinities(n);
  std::uniform_int_distribution<int> few(0, 7);
  std::normal_distribution<float> normal;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // -0 and +0 are equal values (ties to the lower index); NaN of either sign last.
  const float specials[] = {-0.0f, 0.0f, kInf, -kInf, 1.0f, -1.0f,
                            std::numeric_limits<float>::quiet_NaN(),
                            -std::numeric_limits<float>::quiet_NaN()};
  for (std::size_t i = 0; i < n; ++i) {
    rising[i] = static_cast<float>(i);
    falling[i] = -static_cast<float>(i);
    ties[i] = static_cast<float>(few(rng));
    with_nan[i] = i % 5 == 0 ? std::numeric_limits<float>::quiet_NaN() : normal(rng);
    zeros_and_infinities[i] = specials[few(rng)];
  }
  streams.push_back({"rising", rising});
  streams.push_back({"falling", falling});
  streams.push_back({"eight distinct values", ties});
  streams.push_back({"every fifth NaN", with_nan});
  streams.push_back({"signed zeros, infinities and NaN", zeros_and_infinities});
  streams.push_back({"all NaN", std::vector<float>(n, std::numeric_limits<float>::quiet_NaN())});
  return streams;
}

// The first k candidates under topk's order, by a full sort.
std::vector<std::int64_t> Expected(const std::vector<float>& values, std::size_t k, bool larger_first) {
  std::vector<std::int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const float x = values[a], y = values[b];
    if (std::isnan(x) != std::isnan(y)) return std::isnan(y);
    if (std::isnan(x)) return false;
    return larger_first ? x > y : x < y;
  });
  order.resize(std::min(k, values.size()));
  return order;
}

// Checks TopKList<Value> on every stream (as Value).
template <typename Value>
void ExpectKBestOfEveryStream() {
  std::mt19937_64 rng(17);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{50}, std::size_t{1000}}) {
    for (const Stream& stream : Streams(n, rng)) {
      const std::vector<Value> stream_values(stream.values.begin(), stream.values.end());
      for (const Metric metric : {Metric::kDot, Metric::kSqEuclidean}) {
        const bool larger_first = larger_is_closer(metric);
        for (const std::size_t k : {std::size_t{1}, std::size_t{3}, std::size_t{100}, n + 1}) {
          if (k == 0) continue;
          const std::string what = stream.name + " n=" + std::to_string(n) + " k=" +
                                   std::to_string(k) + " " + metric_name(metric);
          const std::vector<std::int64_t> expected = Expected(stream.values, k, larger_first);

          // In index order, in blocks of 7, as the kernels offer a tile's row.
          TopKList<Value> in_order(k, metric);
          for (std::size_t first = 0; first < n; first += 7) {
            in_order.OfferInIndexOrder(stream_values.data() + first, std::min<std::size_t>(7, n - first),
                                       first);
          }
          std::vector<std::int64_t> indices(k, -1);
          std::vector<Value> values(k);
          ASSERT_EQ(in_order.Write(indices.data(), values.data()), expected.size()) << what;
          indices.resize(expected.size());
          EXPECT_EQ(indices, expected) << what << " in index order";
          for (std::size_t r = 0; r < expected.size(); ++r) {
            const Value want = stream_values[expected[r]];
            EXPECT_TRUE(values[r] == want || (std::isnan(values[r]) && std::isnan(want))) << what;
          }

          // In a random order, one at a time (the slices' merge does this).
          std::vector<std::size_t> shuffled(n);
          std::iota(shuffled.begin(), shuffled.end(), 0);
          std::shuffle(shuffled.begin(), shuffled.end(), rng);
          TopKList<Value> any_order(k, metric);
          for (const std::size_t i : shuffled) any_order.Offer(&stream_values[i], 1, i);
          std::vector<std::int64_t> any_indices(k, -1);
          ASSERT_EQ(any_order.Write(any_indices.data(), values.data()), expected.size()) << what;
          any_indices.resize(expected.size());
          EXPECT_EQ(any_indices, expected) << what << " in any order";
        }
      }
    }
  }
}

TEST(TopKList, KeepsTheKBestUnderTopKsOrder) { ExpectKBestOfEveryStream<float>(); }
TEST(TopKList, KeepsTheKBestUnderTopKsOrderInDouble) { ExpectKBestOfEveryStream<double>(); }

}  // namespace
}  // namespace simdkit::testing
