// The AMX backend (kernels/amx_distance.h): its gate as a table, its packing
// and tile loop over the scalar tile model on every CPU (against the long
// double reference, and bit for bit against the Highway path for int8/uint8),
// the hardware against the model and the Highway path where the gate says
// yes, and a process whose permission request Linux refuses (seccomp), which
// must fall back instead of dying of SIGILL.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "cpp/distance_reference.h"
#include "cpp/target_param.h"
#include "kernels/amx_distance.h"
#include "simdkit/dispatch.h"
#include "simdkit/distance.h"

namespace simdkit::testing {
namespace {

// Every metric the backend takes, for every dtype it takes.
constexpr Metric kTileMetrics[] = {Metric::kDot, Metric::kCosine, Metric::kSqEuclidean,
                                   Metric::kEuclidean};
constexpr DType kTileDTypes[] = {DType::kInt8, DType::kUInt8, DType::kBFloat16};

// A matrix of random elements whose rows start `offset` elements past a
// 64-byte boundary (misaligned for the tiles, aligned for the element type, as
// C++ requires of a pointer to it) and lie `stride` elements apart.
struct Matrix {
  Matrix(DType dtype_, size_t rows_, size_t cols_, size_t stride_, size_t offset,
         std::mt19937_64& rng)
      : dtype(dtype_), rows(rows_), cols(cols_), stride(stride_),
        storage((rows * stride + offset) * dtype_size(dtype) + 64, 0xA5) {
    const auto base = reinterpret_cast<std::uintptr_t>(storage.data());
    data = storage.data() + ((64 - base % 64) % 64) + offset * dtype_size(dtype);
    std::uniform_int_distribution<int> byte(0, 255);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        std::uint8_t* element = data + (r * stride + c) * dtype_size(dtype);
        if (dtype == DType::kBFloat16) {
          const std::uint16_t bits = FloatToBFloat16(normal(rng));
          std::memcpy(element, &bits, 2);
        } else {
          *element = static_cast<std::uint8_t>(byte(rng));
        }
      }
    }
  }
  MatrixView View() const { return {data, dtype, rows, cols, stride}; }
  const void* Row(size_t r) const { return data + r * stride * dtype_size(dtype); }

  DType dtype;
  size_t rows, cols, stride;
  std::vector<std::uint8_t> storage;
  std::uint8_t* data;
};

std::string Describe(DType dtype, size_t m, size_t n, size_t d) {
  return std::string(dtype_name(dtype)) + " " + std::to_string(m) + "x" + std::to_string(n) + "x" +
         std::to_string(d);
}

std::string Describe(Metric metric, DType dtype, size_t m, size_t n, size_t d) {
  return std::string(metric_name(metric)) + " " + Describe(dtype, m, n, d);
}

// The Highway path: the public cdist/topk with the AMX backend disabled.
class HighwayPath {
 public:
  HighwayPath() { simdkit::disable_targets("AMX"); }
  ~HighwayPath() { simdkit::disable_targets(""); }
  HighwayPath(const HighwayPath&) = delete;
  HighwayPath& operator=(const HighwayPath&) = delete;
};

std::vector<float> HighwayCdist(Metric metric, const Matrix& a, const Matrix& b) {
  const HighwayPath highway;
  std::vector<float> out(a.rows * b.rows);
  simdkit::cdist(metric, a.View(), b.View(), out.data(), b.rows, 1);
  return out;
}

std::vector<float> ModelCdist(Metric metric, const Matrix& a, const Matrix& b, size_t threads = 1) {
  std::vector<float> out(a.rows * b.rows);
  amx::CdistOnModel(metric, a.View(), b.View(), out.data(), b.rows, threads);
  return out;
}

// cdist(x, x)'s upper triangle in pdist's order.
std::vector<float> UpperTriangle(const std::vector<float>& square, size_t rows) {
  std::vector<float> condensed;
  for (size_t i = 0; i < rows; ++i) {
    condensed.insert(condensed.end(), square.begin() + i * rows + i + 1, square.begin() + (i + 1) * rows);
  }
  return condensed;
}

// Whether the Highway path's cosine of bytes rounds as the AMX backend's:
// GCC fuses 1 - similarity into one rounding on x86 targets with FMA (the
// backend does so with std::fma), not on SSE4 and below.
bool HighwayCosineFused() {
  const std::string target = simdkit::active_target();
  return target == "AVX2" || target.rfind("AVX3", 0) == 0 || target.rfind("AVX10", 0) == 0;
}

bool SameValue(float x, float y) {
  return (std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof(float)) == 0;
}

bool SameValues(const std::vector<float>& x, const std::vector<float>& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!SameValue(x[i], y[i])) return false;
  }
  return true;
}

// Every metric of `a`'s dtype computed by compute(metric) (a.rows x b.rows
// values) against the reference; int8/uint8 also bit for bit against the
// Highway path (cosine only where it rounds alike, HighwayCosineFused).
// Returns the number of mismatches (reported up to a few per metric).
template <typename Compute>
size_t CheckCdist(const Matrix& a, const Matrix& b, const Compute& compute, const std::string& what) {
  std::vector<PairSums> sums(a.rows * b.rows);
  for (size_t i = 0; i < a.rows; ++i) {
    for (size_t j = 0; j < b.rows; ++j) sums[i * b.rows + j] = SumPair(a.dtype, a.Row(i), b.Row(j), a.cols);
  }
  size_t bad = 0;
  for (Metric metric : kTileMetrics) {
    const std::vector<float> out = compute(metric);
    const bool identical = a.dtype != DType::kBFloat16 &&
                           (metric != Metric::kCosine || HighwayCosineFused());
    const std::vector<float> highway = identical ? HighwayCdist(metric, a, b) : std::vector<float>();
    size_t reported = 0;
    for (size_t p = 0; p < sums.size(); ++p) {
      const float value = out[p];
      // bfloat16 sqeuclidean is finished from the dot product, as the
      // Highway panels finish it, with the same bound.
      const Expected expected = ExpectedBatchedDistance(metric, sums[p]);
      const bool ok = Agrees(value, expected) && (highway.empty() || SameValue(value, highway[p]));
      if (!ok) {
        ++bad;
        if (++reported <= 3) {
          ADD_FAILURE() << metric_name(metric) << " " << what << " [" << p / b.rows << ","
                        << p % b.rows << "] = " << value << ", expected "
                        << static_cast<double>(expected.value) << " +- "
                        << static_cast<double>(expected.bound)
                        << (highway.empty() ? "" : ", Highway " + std::to_string(highway[p]));
        }
      }
    }
  }
  return bad;
}

// ---------------------------------------------------------------------------
// The gate, as a pure function
// ---------------------------------------------------------------------------

TEST(AmxGate, DecisionTable) {
  amx::GateInputs yes;
  yes.compiled = yes.amx_tile = yes.amx_bf16 = yes.amx_int8 = yes.avx512 = yes.osxsave = true;
  yes.xcr0 = 0x602E7;  // an Emerald Rapids under Linux 6
  yes.permission = amx::TilePermission::kGranted;
  struct Row {
    const char* what;
    void (*change)(amx::GateInputs&);
    bool usable, ask;
    const char* reason;
  };
  const Row rows[] = {
      {"all yes", [](amx::GateInputs&) {}, true, false, ""},
      {"not compiled", [](amx::GateInputs& in) { in.compiled = false; }, false, false,
#if defined(__x86_64__)
       "compiler lacks AMX"},
#else
       "not an x86-64 build"},
#endif
      {"no AMX-TILE", [](amx::GateInputs& in) { in.amx_tile = false; }, false, false, "cpu lacks AMX"},
      {"no AMX-BF16", [](amx::GateInputs& in) { in.amx_bf16 = false; }, false, false, "cpu lacks AMX"},
      {"no AMX-INT8", [](amx::GateInputs& in) { in.amx_int8 = false; }, false, false, "cpu lacks AMX"},
      {"no AVX-512", [](amx::GateInputs& in) { in.avx512 = false; }, false, false,
       "cpu lacks AVX-512 (F, BW, DQ, VL)"},
      {"no OSXSAVE", [](amx::GateInputs& in) { in.osxsave = false; }, false, false,
       "OS does not enable AVX-512 state"},
      {"no ZMM state", [](amx::GateInputs& in) { in.xcr0 &= ~std::uint64_t{0x80}; }, false, false,
       "OS does not enable AVX-512 state"},
      {"no opmask state", [](amx::GateInputs& in) { in.xcr0 &= ~std::uint64_t{0x20}; }, false,
       false, "OS does not enable AVX-512 state"},
      {"no XTILECFG", [](amx::GateInputs& in) { in.xcr0 &= ~(std::uint64_t{1} << 17); }, false,
       false, "OS does not enable tile state"},
      {"no XTILEDATA", [](amx::GateInputs& in) { in.xcr0 &= ~(std::uint64_t{1} << 18); }, false,
       false, "OS does not enable tile state"},
      {"not asked", [](amx::GateInputs& in) { in.permission = amx::TilePermission::kNotAsked; },
       false, true, "tile permission not requested yet"},
      {"refused", [](amx::GateInputs& in) { in.permission = amx::TilePermission::kRefused; },
       false, false, "kernel refused permission"},
      {"not visible", [](amx::GateInputs& in) { in.permission = amx::TilePermission::kNotVisible; },
       false, false, "kernel did not grant permission"},
      // A CPU without AMX is never asked for permission, whatever else holds.
      {"no AMX, not asked",
       [](amx::GateInputs& in) {
         in.amx_tile = false;
         in.permission = amx::TilePermission::kNotAsked;
       },
       false, false, "cpu lacks AMX"},
      {"no tile state, not asked",
       [](amx::GateInputs& in) {
         in.xcr0 = 0xE7;
         in.permission = amx::TilePermission::kNotAsked;
       },
       false, false, "OS does not enable tile state"},
  };
  for (const Row& row : rows) {
    amx::GateInputs in = yes;
    row.change(in);
    const amx::GateDecision decision = amx::DecideGate(in);
    EXPECT_EQ(decision.usable, row.usable) << row.what;
    EXPECT_EQ(decision.ask_permission, row.ask) << row.what;
    EXPECT_STREQ(decision.reason, row.reason) << row.what;
  }
}

TEST(AmxGate, StatusIsConsistent) {
  const AmxStatus status = simdkit::amx_status();
  EXPECT_EQ(status.available, amx::Gate().usable);
  if (!status.available) {
    EXPECT_FALSE(status.used);
    EXPECT_EQ(status.reason, amx::Gate().reason);
  }
  EXPECT_EQ(status.used, status.reason.empty());
  {
    const HighwayPath highway;
    EXPECT_FALSE(simdkit::amx_status().used);
    EXPECT_EQ(simdkit::disabled_targets().front(), "AMX");
    if (status.available) {
      EXPECT_EQ(simdkit::amx_status().reason, "disabled (SIMDKIT_DISABLE / disable_targets)");
    }
  }
  EXPECT_EQ(simdkit::amx_status().used, status.used);
  for (const std::string& target : simdkit::supported_targets()) {
    const ScopedTarget forced(target);
    const bool at_least_avx3_dl = target == "AVX3_DL" || target == "AVX3_ZEN4" ||
                                  target == "AVX3_SPR" || target == "AVX10_2";
    EXPECT_EQ(simdkit::amx_status().used, status.available && at_least_avx3_dl) << target;
    if (status.available && !at_least_avx3_dl) {
      EXPECT_EQ(simdkit::amx_status().reason, "target below AVX3_DL") << target;
    }
  }
  EXPECT_THROW(simdkit::set_target("amx"), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// The tile loop over the scalar model, on any CPU
// ---------------------------------------------------------------------------

// Depths around tile rows (64 bytes: 64 bytes, 32 bfloat16) and a long row.
constexpr size_t kDepths[] = {1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129, 768};

TEST(AmxModel, CdistMatchesReferenceAndHighway) {
  std::mt19937_64 rng(16);
  // Around one and two accumulator tiles (16, 32) and beyond, as a and b.
  const std::vector<size_t> a_rows =
      SampledRun() ? std::vector<size_t>{1, 33} : std::vector<size_t>{1, 16, 17, 32, 33, 65};
  const std::vector<size_t> b_rows =
      SampledRun() ? std::vector<size_t>{17} : std::vector<size_t>{1, 15, 31, 33, 40};
  size_t layout = 0;
  for (DType dtype : kTileDTypes) {
    for (size_t d : kDepths) {
      if (SampledRun() && d > 129) continue;
      for (size_t m : a_rows) {
        for (size_t n : b_rows) {
          // Row starts at 0..3 bytes past a line, strides longer than rows.
          const size_t extra = layout % 3 == 0 ? 0 : layout % 7;
          const Matrix a(dtype, m, d, d + extra, layout % 4, rng);
          const Matrix b(dtype, n, d, d + 2 * extra, (layout + 1) % 4, rng);
          ++layout;
          const std::string what = Describe(dtype, m, n, d) + " on the model";
          ASSERT_EQ(CheckCdist(a, b, [&](Metric metric) { return ModelCdist(metric, a, b); }, what),
                    0u)
              << what;
        }
      }
    }
  }
}

// Every m and n up to 40 at a short depth: each edge of the 32 x 32 blocks.
TEST(AmxModel, CdistEveryShapeUpTo40) {
  std::mt19937_64 rng(40);
  const size_t step = SampledRun() ? 7 : 1;
  for (DType dtype : kTileDTypes) {
    for (size_t m = 1; m <= 40; m += step) {
      const Matrix a(dtype, m, 5, 5, 1, rng);
      for (size_t n = 1; n <= 40; n += step) {
        const Matrix b(dtype, n, 5, 9, 3, rng);
        const std::string what = Describe(dtype, m, n, 5) + " on the model";
        ASSERT_EQ(CheckCdist(a, b, [&](Metric metric) { return ModelCdist(metric, a, b); }, what),
                  0u)
            << what;
      }
    }
  }
}

// Rows longer than one depth block (1024 tiles = 64 KiB): blocks of int32
// sums added in int64. -128 * -128 over 2^17 + 5 elements is 2^31 + 81920,
// beyond int32; the sums are exact and float32 holds them.
TEST(AmxModel, IntegerSumsBeyondOneDepthBlockAreExact) {
  const size_t d = (size_t{1} << 17) + 5;
  struct Case {
    DType dtype;
    int a, b;
  };
  for (const Case& c : {Case{DType::kInt8, -128, -128}, Case{DType::kInt8, -128, 127},
                        Case{DType::kUInt8, 255, 255}, Case{DType::kUInt8, 0, 255}}) {
    // Two rows each, the second one element shorter in effect (a zero), so
    // that rows differ and the partial sums of both are checked.
    std::vector<std::uint8_t> a(2 * d, static_cast<std::uint8_t>(c.a));
    std::vector<std::uint8_t> b(3 * d, static_cast<std::uint8_t>(c.b));
    a[2 * d - 1] = 0;
    b[3 * d - 1] = 0;
    const MatrixView av{a.data(), c.dtype, 2, d, d}, bv{b.data(), c.dtype, 3, d, d};
    for (Metric metric : {Metric::kDot, Metric::kSqEuclidean, Metric::kCosine}) {
      std::vector<float> model(6), highway(6);
      amx::CdistOnModel(metric, av, bv, model.data(), 3, 1);
      {
        const HighwayPath path;
        simdkit::cdist(metric, av, bv, highway.data(), 3, 1);
      }
      for (size_t i = 0; i < 2; ++i) {
        for (size_t j = 0; j < 3; ++j) {
          const size_t full = d - ((i == 1 || j == 2) ? 1 : 0);
          const std::int64_t term = metric == Metric::kDot ? std::int64_t{c.a} * c.b
                                                           : std::int64_t{c.a - c.b} * (c.a - c.b);
          const std::string what = Describe(metric, c.dtype, 2, 3, d) + " a=" +
                                   std::to_string(c.a) + " b=" + std::to_string(c.b);
          if (metric == Metric::kCosine) {
            if (HighwayCosineFused()) {
              EXPECT_TRUE(SameValue(model[i * 3 + j], highway[i * 3 + j]))
                  << what << " [" << i << "," << j << "]: " << model[i * 3 + j] << " vs "
                  << highway[i * 3 + j];
            }
            continue;
          }
          EXPECT_EQ(model[i * 3 + j], highway[i * 3 + j]) << what << " [" << i << "," << j << "]";
          // The pair differing only where one row is 0 adds one term less,
          // or the lone square of the other element (sqeuclidean).
          std::int64_t exact = term * static_cast<std::int64_t>(full);
          if (metric == Metric::kSqEuclidean && (i == 1) != (j == 2)) {
            exact += i == 1 ? std::int64_t{c.b} * c.b : std::int64_t{c.a} * c.a;
          }
          EXPECT_EQ(model[i * 3 + j], static_cast<float>(static_cast<double>(exact)))
              << what << " [" << i << "," << j << "]";
        }
      }
    }
  }
}

// topk on the model: the k best of the model's own cdist row (ties to the
// lower index, NaN last), and for bytes exactly the Highway path's answer.
TEST(AmxModel, TopKIsTheBestOfItsCdist) {
  std::mt19937_64 rng(7);
  for (DType dtype : kTileDTypes) {
    for (size_t d : {3, 64, 129}) {
      if (SampledRun() && d != 129) continue;
      // Ties: every 8th row of x repeats row 0.
      Matrix q(dtype, 37, d, d + 1, 2, rng);
      Matrix x(dtype, 75, d, d, 1, rng);
      for (size_t r = 8; r < x.rows; r += 8) {
        std::memcpy(const_cast<void*>(x.Row(r)), x.Row(0), d * dtype_size(dtype));
      }
      // Zero rows: cosine NaN, ranked last.
      for (size_t r : {5, 50}) std::memset(const_cast<void*>(x.Row(r)), 0, d * dtype_size(dtype));
      for (Metric metric : kTileMetrics) {
        for (size_t k : {size_t{1}, size_t{10}, x.rows}) {
          std::vector<std::int64_t> indices(q.rows * k);
          std::vector<float> distances(q.rows * k);
          amx::TopKOnModel(metric, q.View(), x.View(), k, indices.data(), distances.data(), 2);
          const std::vector<float> all = ModelCdist(metric, q, x);
          const std::string what = Describe(metric, dtype, q.rows, x.rows, d) + " k=" + std::to_string(k);
          for (size_t i = 0; i < q.rows; ++i) {
            std::vector<std::int64_t> order(x.rows);
            for (size_t j = 0; j < x.rows; ++j) order[j] = static_cast<std::int64_t>(j);
            const float* row = all.data() + i * x.rows;
            std::stable_sort(order.begin(), order.end(), [&](std::int64_t u, std::int64_t v) {
              const float fu = row[u], fv = row[v];
              if (std::isnan(fu) != std::isnan(fv)) return std::isnan(fv);
              return larger_is_closer(metric) ? fu > fv : fu < fv;
            });
            for (size_t r = 0; r < k; ++r) {
              ASSERT_EQ(indices[i * k + r], order[r]) << what << " query " << i << " rank " << r;
              ASSERT_TRUE(SameValue(distances[i * k + r], row[order[r]])) << what << " query " << i;
            }
          }
          if (dtype == DType::kBFloat16 || (metric == Metric::kCosine && !HighwayCosineFused())) {
            continue;
          }
          std::vector<std::int64_t> highway_indices(q.rows * k);
          std::vector<float> highway_distances(q.rows * k);
          {
            const HighwayPath highway;
            simdkit::topk(metric, q.View(), x.View(), k, highway_indices.data(),
                          highway_distances.data(), 1);
          }
          EXPECT_EQ(indices, highway_indices) << what;
          EXPECT_TRUE(SameValues(distances, highway_distances)) << what;
        }
      }
    }
  }
}

// bfloat16 sqeuclidean and euclidean are finished from the tiles' dot
// products only where the norm form's bound allows (docs/distance.md); the
// rest is summed again. Near duplicates (a value far below |a|^2 + |b|^2),
// equal rows (0), rows of subnormals (which the tiles flush to zero),
// infinities and NaN must all come out as the reference says, on the model
// and on the hardware.
TEST(AmxModel, BFloat16NormFormRecomputesWhatItCannotKeep) {
  std::mt19937_64 rng(11);
  const size_t d = 70;
  Matrix a(DType::kBFloat16, 12, d, d, 1, rng), b(DType::kBFloat16, 40, d, d + 2, 3, rng);
  const auto element = [](Matrix& m, size_t r, size_t c) {
    return reinterpret_cast<std::uint16_t*>(m.data + (r * m.stride + c) * 2);
  };
  const auto subnormal = [](std::uint16_t bits) { return static_cast<std::uint16_t>(bits & 0x807F); };
  // Every other element subnormal: products stay within float's range.
  for (size_t c = 1; c < d; c += 2) *element(a, 11, c) = subnormal(*element(a, 10, c));
  *element(a, 0, 5) = 0x7F80;  // +Inf
  for (size_t r = 0; r < b.rows; ++r) {
    for (size_t c = 0; c < d; ++c) {
      std::uint16_t bits = *element(a, r % a.rows, c);
      if (r / a.rows == 1 && c % 9 == 0) bits ^= 1;  // a last bit apart
      if (r / a.rows == 2 && c % 2 == 1) bits = subnormal(bits);  // b[34] equals a[11]
      *element(b, r, c) = bits;
    }
  }
  *element(b, 36, 5) = 0x7F80;  // Inf - Inf with a[0]: NaN
  *element(b, 37, 1) = 0xFF80;  // -Inf
  *element(b, 38, 2) = 0x7FC0;  // NaN
  const std::string what = "bfloat16 close, equal, subnormal and special rows";
  ASSERT_EQ(CheckCdist(a, b, [&](Metric metric) { return ModelCdist(metric, a, b); }, what), 0u);
  if (!amx::Gate().usable) return;
  const auto hardware = [&](Metric metric) {
    std::vector<float> out(a.rows * b.rows);
    amx::CdistOnHardware(metric, a.View(), b.View(), out.data(), b.rows, 1);
    return out;
  };
  ASSERT_EQ(CheckCdist(a, b, hardware, what + " on the tiles"), 0u);
}

TEST(AmxModel, ThreadsSplitColumnsWithTheSameResults) {
  std::mt19937_64 rng(2);
  const Matrix a(DType::kInt8, 70, 100, 100, 0, rng), b(DType::kInt8, 300, 100, 100, 0, rng);
  EXPECT_EQ(ModelCdist(Metric::kCosine, a, b, 1), ModelCdist(Metric::kCosine, a, b, 2));
}

// pdist's bands (256 rows) cross at 300 rows; the last band is short.
TEST(AmxModel, PdistIsTheUpperTriangleOfCdist) {
  std::mt19937_64 rng(5);
  for (DType dtype : kTileDTypes) {
    for (size_t rows : {2, 17, 300}) {
      const Matrix x(dtype, rows, 40, 43, 1, rng);
      for (Metric metric : kTileMetrics) {
        std::vector<float> condensed(simdkit::pdist_size(rows));
        amx::PdistOnModel(metric, x.View(), condensed.data(), 2);
        EXPECT_TRUE(SameValues(condensed, UpperTriangle(ModelCdist(metric, x, x), rows)))
            << Describe(metric, dtype, rows, rows, 40);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The hardware, where the gate says yes
// ---------------------------------------------------------------------------

TEST(AmxHardware, MatchesModelReferenceAndHighway) {
  if (!amx::Gate().usable) GTEST_SKIP() << "no AMX here: " << amx::Gate().reason;
  std::mt19937_64 rng(3);
  size_t layout = 0;
  for (DType dtype : kTileDTypes) {
    for (size_t d : kDepths) {
      for (size_t m : {1, 17, 32, 70}) {
        for (size_t n : {1, 15, 47, 100}) {
          const size_t extra = layout % 2 == 0 ? 0 : 3;
          const Matrix a(dtype, m, d, d + extra, layout % 4, rng);
          const Matrix b(dtype, n, d, d + extra, (layout + 3) % 4, rng);
          ++layout;
          const std::string what = Describe(dtype, m, n, d) + " on the tiles";
          const auto hardware = [&](Metric metric) {
            std::vector<float> out(m * n);
            amx::CdistOnHardware(metric, a.View(), b.View(), out.data(), n, 1);
            if (dtype != DType::kBFloat16) {
              EXPECT_TRUE(SameValues(out, ModelCdist(metric, a, b))) << metric_name(metric) << " " << what;
            }
            // The public cdist runs on the tiles where amx_status() says used.
            std::vector<float> automatic(m * n);
            simdkit::cdist(metric, a.View(), b.View(), automatic.data(), n, 2);
            if (simdkit::amx_status().used) {
              EXPECT_TRUE(SameValues(automatic, out)) << metric_name(metric) << " " << what;
            }
            return out;
          };
          ASSERT_EQ(CheckCdist(a, b, hardware, what), 0u) << what;
        }
      }
    }
  }
}

TEST(AmxHardware, TopKMatchesModel) {
  if (!amx::Gate().usable) GTEST_SKIP() << "no AMX here: " << amx::Gate().reason;
  std::mt19937_64 rng(4);
  for (DType dtype : {DType::kInt8, DType::kUInt8}) {
    const Matrix q(dtype, 50, 130, 130, 1, rng), x(dtype, 900, 130, 131, 0, rng);
    for (Metric metric : kTileMetrics) {
      const size_t k = 17;
      std::vector<std::int64_t> model_indices(q.rows * k), hardware_indices(q.rows * k);
      std::vector<float> model_distances(q.rows * k), hardware_distances(q.rows * k);
      amx::TopKOnModel(metric, q.View(), x.View(), k, model_indices.data(),
                       model_distances.data(), 1);
      amx::TopKOnHardware(metric, q.View(), x.View(), k, hardware_indices.data(),
                          hardware_distances.data(), 2);
      EXPECT_EQ(hardware_indices, model_indices) << metric_name(metric);
      EXPECT_TRUE(SameValues(hardware_distances, model_distances)) << metric_name(metric);
    }
  }
}

TEST(AmxHardware, PdistIsTheUpperTriangleOfCdist) {
  if (!amx::Gate().usable) GTEST_SKIP() << "no AMX here: " << amx::Gate().reason;
  std::mt19937_64 rng(6);
  for (DType dtype : kTileDTypes) {
    const size_t rows = 300;
    const Matrix x(dtype, rows, 130, 131, 1, rng);
    for (Metric metric : kTileMetrics) {
      std::vector<float> square(rows * rows), condensed(simdkit::pdist_size(rows));
      amx::CdistOnHardware(metric, x.View(), x.View(), square.data(), rows, 1);
      amx::PdistOnHardware(metric, x.View(), condensed.data(), 2);
      EXPECT_TRUE(SameValues(condensed, UpperTriangle(square, rows))) << metric_name(metric);
      // The public pdist runs on the tiles where amx_status() says used.
      std::vector<float> automatic(condensed.size());
      simdkit::pdist(metric, x.View(), automatic.data(), 2);
      if (simdkit::amx_status().used) {
        EXPECT_TRUE(SameValues(automatic, condensed)) << metric_name(metric);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Linux refuses the permission: fallback, not SIGILL
// ---------------------------------------------------------------------------

// Set in the re-executed child of DeniedPermissionFallsBack.
constexpr const char* kDeniedChild = "SIMDKIT_AMX_TEST_DENIED_CHILD";

// Runs only in that child, a fresh process (the permission is reset by exec)
// whose arch_prctl(ARCH_REQ_XCOMP_PERM) fails with EPERM.
TEST(AmxDeniedChild, FallsBackWithCorrectResults) {
  const char* expected_reason = std::getenv(kDeniedChild);
  if (expected_reason == nullptr) GTEST_SKIP() << "runs in DeniedPermissionFallsBack's child";
  const AmxStatus status = simdkit::amx_status();
  EXPECT_FALSE(status.available);
  EXPECT_EQ(status.reason, expected_reason);
  std::mt19937_64 rng(5);
  for (DType dtype : kTileDTypes) {
    const Matrix a(dtype, 33, 70, 70, 0, rng), b(dtype, 20, 70, 70, 0, rng);
    const std::string what = Describe(dtype, a.rows, b.rows, a.cols) + " denied";
    const auto public_cdist = [&](Metric metric) {
      std::vector<float> out(a.rows * b.rows);
      simdkit::cdist(metric, a.View(), b.View(), out.data(), b.rows, 1);
      return out;
    };
    EXPECT_EQ(CheckCdist(a, b, public_cdist, what), 0u) << what;
    for (Metric metric : kTileMetrics) {
      const std::vector<float> out = public_cdist(metric);
      std::vector<std::int64_t> indices(a.rows * 3);
      std::vector<float> distances(a.rows * 3);
      simdkit::topk(metric, a.View(), b.View(), 3, indices.data(), distances.data(), 1);
      for (size_t i = 0; i < a.rows; ++i) EXPECT_EQ(distances[i * 3], *std::min_element(
          out.begin() + i * b.rows, out.begin() + (i + 1) * b.rows,
          [&](float u, float v) { return larger_is_closer(metric) ? u > v : u < v; })) << what;
    }
  }
}

TEST(AmxGate, DeniedPermissionFallsBack) {
#if defined(__x86_64__)
  // What the child must report: the refusal where this process was granted
  // the permission, else this process's own reason (no CPU or OS support:
  // never asked).
  const std::string expected =
      amx::Gate().usable ? "kernel refused permission" : amx::Gate().reason;
  constexpr int kNoSeccomp = 77;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_arch_prctl, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])),
                                 filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      _exit(kNoSeccomp);
    }
    setenv(kDeniedChild, expected.c_str(), 1);
    const char* arguments[] = {"amx_test_denied_child",
                               "--gtest_filter=AmxDeniedChild.FallsBackWithCorrectResults",
                               nullptr};
    execv("/proc/self/exe", const_cast<char* const*>(arguments));
    _exit(kNoSeccomp);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kNoSeccomp) {
    GTEST_SKIP() << "seccomp filters or re-executing this binary are unavailable here";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status)
                                 << (WIFSIGNALED(status) && WTERMSIG(status) == SIGILL
                                         ? " (SIGILL: a tile instruction without permission)"
                                         : "");
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's checks failed (its output is above)";
#else
  GTEST_SKIP() << "arch_prctl and tile permissions are x86-64 only";
#endif
}

}  // namespace
}  // namespace simdkit::testing
