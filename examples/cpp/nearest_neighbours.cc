// Nearest neighbours with simdkit: a database of random vectors, queries
// that are noisy copies of known rows, and the 3 nearest rows of each query
// by cosine distance (topk), checked against the full distance matrix
// (cdist + argmin_rows), against a bfloat16 copy of the database, against
// the database packed once for many queries (PackedMatrix), and on every
// target this CPU supports. Exits non-zero if any check fails.
#include <simdkit/simdkit.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kRows = 2000;  // database vectors
constexpr std::size_t kDims = 96;
constexpr std::size_t kK = 3;
const std::vector<std::size_t> kSourceRows{7, 1234, 1999};  // each query copies one

// Uniform in [-1, 1), the same on every platform: std::mt19937's output is
// fixed by the standard, and the conversion to float is exact.
float Uniform(std::mt19937& generator) {
  return static_cast<float>(generator() >> 8) * 0x1p-23f - 1.0f;
}

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : " ") + name;
  return joined;
}

struct Neighbours {
  std::vector<std::int64_t> indices;
  std::vector<float> distances;
};

// database: a MatrixView or a PackedMatrix.
template <typename Database>
Neighbours Nearest(const simdkit::MatrixView& queries, const Database& database) {
  Neighbours result{std::vector<std::int64_t>(queries.rows * kK),
                    std::vector<float>(queries.rows * kK)};
  simdkit::topk(simdkit::Metric::kCosine, queries, database, kK, result.indices,
                result.distances);
  return result;
}

int Run() {
  std::printf("simdkit %s (headers %s), active target: %s\n", simdkit::version(),
              SIMDKIT_VERSION_STRING, simdkit::active_target().c_str());
  std::printf("supported targets: %s\n", Join(simdkit::supported_targets()).c_str());

  std::mt19937 generator(2024);
  std::vector<float> database(kRows * kDims);
  for (float& value : database) value = Uniform(generator);
  std::vector<float> queries(kSourceRows.size() * kDims);
  for (std::size_t q = 0; q < kSourceRows.size(); ++q) {
    for (std::size_t d = 0; d < kDims; ++d) {
      queries[q * kDims + d] = database[kSourceRows[q] * kDims + d] + 0.05f * Uniform(generator);
    }
  }
  const simdkit::MatrixView database_view(database.data(), kRows, kDims);
  const simdkit::MatrixView query_view(queries.data(), kSourceRows.size(), kDims);
  std::printf("database: %zu vectors of %zu float32; %zu queries\n", kRows, kDims,
              kSourceRows.size());

  const Neighbours nearest = Nearest(query_view, database_view);
  bool ok = true;
  for (std::size_t q = 0; q < kSourceRows.size(); ++q) {
    const std::int64_t* row = &nearest.indices[q * kK];
    std::printf("query %zu: nearest %lld (cosine distance %.6f), then %lld, %lld\n", q,
                static_cast<long long>(row[0]), nearest.distances[q * kK],
                static_cast<long long>(row[1]), static_cast<long long>(row[2]));
    ok = ok && row[0] == static_cast<std::int64_t>(kSourceRows[q]);
  }

  // The full matrix, one row of distances per query, and its row minima.
  std::vector<float> all(kSourceRows.size() * kRows);
  simdkit::cdist(simdkit::Metric::kCosine, query_view, database_view,
                 simdkit::MutableMatrixView(all.data(), kSourceRows.size(), kRows));
  std::vector<std::size_t> closest(kSourceRows.size());
  simdkit::argmin_rows(simdkit::MatrixView(all.data(), kSourceRows.size(), kRows), closest);
  bool agree = true;
  for (std::size_t q = 0; q < kSourceRows.size(); ++q) {
    agree = agree && static_cast<std::int64_t>(closest[q]) == nearest.indices[q * kK];
  }
  std::printf("cdist + argmin_rows agree with topk: %s\n", agree ? "yes" : "NO");

  // Half the memory: the database as bfloat16 still finds the same rows.
  std::vector<std::uint16_t> compact(database.size());
  simdkit::to_bfloat16(database, compact);
  std::vector<std::uint16_t> compact_queries(queries.size());
  simdkit::to_bfloat16(queries, compact_queries);
  const Neighbours from_bf16 =
      Nearest({compact_queries.data(), simdkit::DType::kBFloat16, kSourceRows.size(), kDims, kDims},
              simdkit::MatrixView(compact.data(), simdkit::DType::kBFloat16, kRows, kDims, kDims));
  bool bf16_agrees = true;
  for (std::size_t q = 0; q < kSourceRows.size(); ++q) {
    bf16_agrees = bf16_agrees && from_bf16.indices[q * kK] == nearest.indices[q * kK];
  }
  std::printf("bfloat16 database finds the same nearest rows: %s\n", bf16_agrees ? "yes" : "NO");

  // A service answering many batches packs its database once: aligned rows
  // and their norms, with the same results.
  const simdkit::PackedMatrix packed(database_view);
  const Neighbours from_packed = Nearest(query_view, packed);
  const bool packed_agrees =
      from_packed.indices == nearest.indices && from_packed.distances == nearest.distances;
  std::printf("packed database gives the same neighbours and distances: %s\n",
              packed_agrees ? "yes" : "NO");

  // Every target this CPU runs gives the same neighbours.
  std::vector<std::string> same;
  for (const std::string& target : simdkit::supported_targets()) {
    const simdkit::ScopedTarget scope(target);
    if (simdkit::probe_target() != target) {
      std::printf("target %s was forced but %s ran\n", target.c_str(),
                  simdkit::probe_target().c_str());
      return 1;
    }
    if (Nearest(query_view, database_view).indices == nearest.indices) same.push_back(target);
  }
  const bool all_targets = same == simdkit::supported_targets();
  std::printf("same neighbours on every supported target: %s (%s)\n", all_targets ? "yes" : "NO",
              Join(same).c_str());

  // Errors are exceptions that say what was expected.
  bool refused = false;
  try {
    simdkit::dot(simdkit::Span<const float>(queries.data(), kDims),
                 simdkit::Span<const float>(database.data(), kDims - 1));
  } catch (const std::invalid_argument& error) {
    refused = true;
    std::printf("vectors of different lengths: %s\n", error.what());
  }
  return ok && agree && bf16_agrees && packed_agrees && all_targets && refused ? 0 : 1;
}

}  // namespace

int main() {
  try {
    return Run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
