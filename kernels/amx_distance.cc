// The AMX backend (see amx_distance.h). Compiled with no -m flags: the tile
// and AVX-512 code sits in one target region below, included from
// amx_loop-inl.h, and is called only after Gate() said yes; everything
// outside it, the public entry points included, is baseline code. Where the
// compiler cannot build tile code (SIMDKIT_HAVE_AMX unset, e.g. aarch64) the
// region is left out and the gate says so; the scalar model is built
// everywhere.
#include "kernels/amx_distance.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if SIMDKIT_HAVE_AMX
#include <immintrin.h>
#endif

#include "kernels/distance_common.h"

namespace simdkit::amx {
namespace {

// Palette 1: 8 tiles of 16 rows x 64 bytes. Depth goes in 4-byte units (a
// bfloat16 pair or a byte quad), 16 units per tile row.
constexpr size_t kTileRows = 16;
constexpr size_t kTileRowBytes = 64;
constexpr size_t kTileWords = kTileRows * kTileRowBytes / 4;
// Results come in blocks of 2 x 2 accumulator tiles.
constexpr size_t kBlockSide = 2 * kTileRows;
// Depth tiles per block of the sum: 1024 tiles of 64 products stay below
// 2^31 for int8 (|product| <= 2^14, TDPBSSD) and below 2^32 for uint8
// (product <= 65025 < 2^16, TDPBUUD, read as unsigned).
constexpr size_t kBlockTiles = 1024;
static_assert(kBlockTiles * kTileRowBytes * (std::size_t{1} << 14) < (std::size_t{1} << 31));
static_assert(kBlockTiles * kTileRowBytes * std::size_t{65025} < (std::size_t{1} << 32));
// Packed B per chunk of columns: half of a 2 MiB L2.
constexpr size_t kChunkBytes = std::size_t{1} << 20;
// Elements whose int8/uint8 squares (<= 65025) RowSquare sums in int32.
constexpr size_t kExactSquaresBlock = 256;
static_assert(kExactSquaresBlock * std::size_t{65025} < (std::size_t{1} << 31));

template <DType kDType>
struct TileTraits;
template <>
struct TileTraits<DType::kBFloat16> {
  using Element = std::uint16_t;
  using Raw = float;  // TDPBF16PS accumulates in float32
  using Sum = double;
};
template <>
struct TileTraits<DType::kInt8> {
  using Element = std::int8_t;
  using Raw = std::int32_t;
  using Sum = std::int64_t;
};
template <>
struct TileTraits<DType::kUInt8> {
  using Element = std::uint8_t;
  using Raw = std::uint32_t;
  using Sum = std::int64_t;
};

inline float BFloat16Value(std::uint16_t bits) {
  const std::uint32_t word = std::uint32_t{bits} << 16;
  float value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}

// 1 / |row|, NaN for an all-zero row: as InverseNorm in distance-inl.h.
template <typename Sum>
double InverseNorm(Sum square_sum) {
  const double square = static_cast<double>(square_sum);
  return square == 0.0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / std::sqrt(square);
}

// CosineDistance's clamp (distance_common.h) to [0, 2], NaN kept, for a
// distance already formed with one rounding (see Finishing::Row) and
// rounded to float: the same as clamping the double and rounding it (the
// rounding is monotonic, 0 and 2 are floats), at twice the lanes. As
// selects, so that the finishing loop vectorizes.
inline float ClampCosineDistance(float distance) {
  distance = distance < 0.0f ? 0.0f : distance;
  return distance > 2.0f ? 2.0f : distance;
}

// Zero-initialised storage on a 64-byte boundary (whole tile rows per cache
// line); never empty.
template <typename T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t count)
      : bytes_((std::max<size_t>(count, 1) * sizeof(T) + 63) / 64 * 64),
        data_(static_cast<T*>(std::aligned_alloc(64, bytes_))) {
    if (data_ == nullptr) throw std::bad_alloc();
    std::memset(data_, 0, bytes_);
  }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* data() { return data_; }

 private:
  size_t bytes_;
  T* data_;
};

// Both tile implementations transpose this way where they have no faster one.
inline void TransposeUnits(const std::uint8_t* in, size_t stride, size_t rows, std::uint32_t* out) {
  for (size_t unit = 0; unit < kTileRows; ++unit) {
    for (size_t row = 0; row < kTileRows; ++row) {
      std::uint32_t value = 0;
      if (row < rows) std::memcpy(&value, in + row * stride + 4 * unit, 4);
      out[unit * kTileRows + row] = value;
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// The scalar model of the tile registers: the Intel SDM's TDPBSSD/TDPBUUD
// exactly (int32 sums that wrap), and TDPBF16PS with denormal inputs and
// results flushed to zero, pairs added in order. The hardware's bf16 order
// of addition differs (research/amx: it matches this order in about 80 % of
// outputs at d = 32), so bf16 agrees within rounding, bytes bit for bit.
namespace model {

struct Tiles {
  struct Tile {
    std::uint8_t bytes[kTileRows][kTileRowBytes];
  };
  static Tile* Registers() {
    thread_local Tile registers[8];
    return registers;
  }
  template <typename T>
  static T Get(int tile, size_t row, size_t index) {
    T value;
    std::memcpy(&value, Registers()[tile].bytes[row] + index * sizeof(T), sizeof(T));
    return value;
  }
  template <typename T>
  static void Put(int tile, size_t row, size_t index, T value) {
    std::memcpy(Registers()[tile].bytes[row] + index * sizeof(T), &value, sizeof(T));
  }
  static float FlushDenormal(float value) {
    return std::fpclassify(value) == FP_SUBNORMAL ? std::copysign(0.0f, value) : value;
  }

  static void Begin() {}
  static void End() {}
  static void Zero(int tile) { std::memset(&Registers()[tile], 0, sizeof(Tile)); }
  static void Load(int tile, const void* data, size_t stride) {
    for (size_t r = 0; r < kTileRows; ++r) {
      std::memcpy(Registers()[tile].bytes[r], static_cast<const std::uint8_t*>(data) + r * stride,
                  kTileRowBytes);
    }
  }
  static void Store(int tile, void* data, size_t stride) {
    for (size_t r = 0; r < kTileRows; ++r) {
      std::memcpy(static_cast<std::uint8_t*>(data) + r * stride, Registers()[tile].bytes[r],
                  kTileRowBytes);
    }
  }
  template <DType kDType>
  static void Dot(int accumulator) {
    const int a = (accumulator - 4) / 2, b = 2 + (accumulator - 4) % 2;
    for (size_t m = 0; m < kTileRows; ++m) {
      for (size_t n = 0; n < kTileRows; ++n) {
        if constexpr (kDType == DType::kBFloat16) {
          float sum = Get<float>(accumulator, m, n);
          for (size_t k = 0; k < kTileRows; ++k) {
            for (size_t half = 0; half < 2; ++half) {
              const float x = FlushDenormal(BFloat16Value(Get<std::uint16_t>(a, m, 2 * k + half)));
              const float y = FlushDenormal(BFloat16Value(Get<std::uint16_t>(b, k, 2 * n + half)));
              sum = FlushDenormal(sum + x * y);
            }
          }
          Put<float>(accumulator, m, n, sum);
        } else {
          using Element = typename TileTraits<kDType>::Element;
          std::uint32_t sum = Get<std::uint32_t>(accumulator, m, n);  // wraps as the hardware
          for (size_t k = 0; k < kTileRows; ++k) {
            for (size_t i = 0; i < 4; ++i) {
              const std::int32_t product = std::int32_t{Get<Element>(a, m, 4 * k + i)} *
                                           std::int32_t{Get<Element>(b, k, 4 * n + i)};
              sum += static_cast<std::uint32_t>(product);
            }
          }
          Put<std::uint32_t>(accumulator, m, n, sum);
        }
      }
    }
  }
  static void Transpose(const std::uint8_t* in, size_t stride, size_t rows, std::uint32_t* out) {
    TransposeUnits(in, stride, rows, out);
  }
};

#include "kernels/amx_loop-inl.h"

}  // namespace model

// ---------------------------------------------------------------------------
// The tile instructions. Every function defined in this region may use
// AVX-512 and AMX (the packing's gathers, the auto-vectorized finishing).
#if SIMDKIT_HAVE_AMX
// (Pragmas do not expand macros: the feature list is spelled twice.)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi2,avx512f,avx512bw,avx512dq,avx512vl,amx-tile,amx-bf16,amx-int8"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi2,avx512f,avx512bw,avx512dq,avx512vl,amx-tile,amx-bf16,amx-int8")
#endif
namespace hardware {

// GCC 12's tile loads and stores are asm statements without memory operands
// (and its LDTILECFG names 8 of the 64 bytes it reads): the compiler must
// finish writing a buffer before a tile loads it, and must not read a
// buffer before a tile store has written it.
inline void CompilerBarrier() { __asm__ volatile("" ::: "memory"); }

// Tile numbers are immediates (GCC pastes them into the asm text): one case
// per tile.
#define SIMDKIT_AMX_EACH_TILE(tile, STATEMENT) \
  switch (tile) {                              \
    case 0: STATEMENT(0); break;               \
    case 1: STATEMENT(1); break;               \
    case 2: STATEMENT(2); break;               \
    case 3: STATEMENT(3); break;               \
    case 4: STATEMENT(4); break;               \
    case 5: STATEMENT(5); break;               \
    case 6: STATEMENT(6); break;               \
    default: STATEMENT(7); break;              \
  }

struct Tiles {
  struct alignas(64) Config {
    std::uint8_t palette;
    std::uint8_t start_row;
    std::uint8_t reserved[14];
    std::uint16_t row_bytes[16];
    std::uint8_t rows[16];
  };
  static_assert(sizeof(Config) == 64);

  // Tile configuration is per thread: every call configures its own.
  static void Begin() {
    Config config;
    std::memset(&config, 0, sizeof(config));
    config.palette = 1;
    for (int t = 0; t < 8; ++t) {
      config.row_bytes[t] = kTileRowBytes;
      config.rows[t] = kTileRows;
    }
    // GCC 12's LDTILECFG asm names only the first 8 bytes as its input: the
    // rest of the stores could be dropped as dead without the barrier.
    CompilerBarrier();
    _tile_loadconfig(&config);
  }
  static void End() { _tile_release(); }
  static void Zero(int tile) {
#define SIMDKIT_AMX_ZERO(t) _tile_zero(t)
    SIMDKIT_AMX_EACH_TILE(tile, SIMDKIT_AMX_ZERO)
#undef SIMDKIT_AMX_ZERO
  }
  static void Load(int tile, const void* data, size_t stride) {
    CompilerBarrier();
#define SIMDKIT_AMX_LOAD(t) _tile_loadd(t, data, static_cast<long>(stride))
    SIMDKIT_AMX_EACH_TILE(tile, SIMDKIT_AMX_LOAD)
#undef SIMDKIT_AMX_LOAD
  }
  static void Store(int tile, void* data, size_t stride) {
#define SIMDKIT_AMX_STORE(t) _tile_stored(t, data, static_cast<long>(stride))
    SIMDKIT_AMX_EACH_TILE(tile, SIMDKIT_AMX_STORE)
#undef SIMDKIT_AMX_STORE
    CompilerBarrier();
  }
  template <DType kDType>
  static void Dot(int accumulator) {
    // Accumulator 4 + 2 * row + column, A tile `row`, B tile 2 + `column`.
#define SIMDKIT_AMX_DOT(c, a, b)                 \
  if constexpr (kDType == DType::kBFloat16) {    \
    _tile_dpbf16ps(c, a, b);                     \
  } else if constexpr (kDType == DType::kInt8) { \
    _tile_dpbssd(c, a, b);                       \
  } else {                                       \
    _tile_dpbuud(c, a, b);                       \
  }
    switch (accumulator) {
      case 4: SIMDKIT_AMX_DOT(4, 0, 2) break;
      case 5: SIMDKIT_AMX_DOT(5, 0, 3) break;
      case 6: SIMDKIT_AMX_DOT(6, 1, 2) break;
      default: SIMDKIT_AMX_DOT(7, 1, 3) break;
    }
#undef SIMDKIT_AMX_DOT
  }
  // One gather per 4-byte unit: 16 rows' units into one packed tile row.
  static void Transpose(const std::uint8_t* in, size_t stride, size_t rows, std::uint32_t* out) {
    if (stride > static_cast<size_t>(std::numeric_limits<std::int32_t>::max()) / kTileRows) {
      TransposeUnits(in, stride, rows, out);
      return;
    }
    const __m512i offsets = _mm512_mullo_epi32(
        _mm512_set1_epi32(static_cast<int>(stride)),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __mmask16 present =
        rows >= kTileRows ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << rows) - 1);
    for (size_t unit = 0; unit < kTileRows; ++unit) {
      const __m512i column = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), present, offsets,
                                                          in + 4 * unit, 1);
      _mm512_storeu_si512(out + unit * kTileRows, column);
    }
  }
};
#undef SIMDKIT_AMX_EACH_TILE

#include "kernels/amx_loop-inl.h"

}  // namespace hardware
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // SIMDKIT_HAVE_AMX

// ---------------------------------------------------------------------------
// The gate.

GateDecision DecideGate(const GateInputs& in) {
  GateDecision decision;
  constexpr std::uint64_t kAvx512State = 0xE6;  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
  constexpr std::uint64_t kTileState = std::uint64_t{3} << 17;  // XTILECFG, XTILEDATA
  if (!in.compiled) {
#if defined(__x86_64__)
    decision.reason = "compiler lacks AMX";
#else
    decision.reason = "not an x86-64 build";
#endif
  } else if (!(in.amx_tile && in.amx_bf16 && in.amx_int8)) {
    decision.reason = "cpu lacks AMX";
  } else if (!in.avx512) {
    decision.reason = "cpu lacks AVX-512 (F, BW, DQ, VL)";
  } else if (!in.osxsave || (in.xcr0 & kAvx512State) != kAvx512State) {
    decision.reason = "OS does not enable AVX-512 state";
  } else if ((in.xcr0 & kTileState) != kTileState) {
    decision.reason = "OS does not enable tile state";
  } else {
    switch (in.permission) {
      case TilePermission::kNotAsked:
        decision.ask_permission = true;
        decision.reason = "tile permission not requested yet";
        break;
      case TilePermission::kRefused:
        decision.reason = "kernel refused permission";
        break;
      case TilePermission::kNotVisible:
        decision.reason = "kernel did not grant permission";
        break;
      case TilePermission::kGranted:
        decision.usable = true;
        break;
    }
  }
  return decision;
}

namespace {

GateInputs ReadCpu() {
  GateInputs in;
  in.compiled = SIMDKIT_HAVE_AMX != 0;
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    in.amx_bf16 = (edx >> 22) & 1;
    in.amx_tile = (edx >> 24) & 1;
    in.amx_int8 = (edx >> 25) & 1;
    constexpr unsigned kAvx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F DQ BW VL
    in.avx512 = (ebx & kAvx512) == kAvx512;
  }
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) in.osxsave = (ecx >> 27) & 1;
  if (in.osxsave) {
    std::uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    in.xcr0 = (std::uint64_t{high} << 32) | low;
  }
#endif
  return in;
}

// The permission is process-wide (every thread's tile state) and, once
// granted, cannot be revoked.
TilePermission RequestTilePermission() {
#if defined(__x86_64__)
  constexpr int kArchGetXcompPerm = 0x1022;
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr unsigned long kXtileData = 18;
  const auto granted = [] {
    unsigned long features = 0;
    return syscall(SYS_arch_prctl, kArchGetXcompPerm, &features) == 0 &&
           ((features >> kXtileData) & 1) != 0;
  };
  if (granted()) return TilePermission::kGranted;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXtileData) != 0) return TilePermission::kRefused;
  return granted() ? TilePermission::kGranted : TilePermission::kNotVisible;
#else
  return TilePermission::kRefused;
#endif
}

}  // namespace

const GateDecision& Gate() {
  static const GateDecision decision = [] {
    GateInputs in = ReadCpu();
    GateDecision first = DecideGate(in);
    if (!first.ask_permission) return first;
    in.permission = RequestTilePermission();
    return DecideGate(in);
  }();
  return decision;
}

// ---------------------------------------------------------------------------
// Entry points: baseline code.

bool Supports(Metric metric, DType dtype) {
  switch (dtype) {
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBFloat16:
      return metric == Metric::kDot || metric == Metric::kCosine ||
             metric == Metric::kSqEuclidean || metric == Metric::kEuclidean;
    default:
      return false;
  }
}

void CdistOnModel(Metric metric, const MatrixView& a, const MatrixView& b, float* out,
                  std::size_t out_row_stride, std::size_t threads) {
  model::CdistOf(metric, a, b, out, out_row_stride, threads);
}

void TopKOnModel(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
                 std::int64_t* indices, float* distances, std::size_t threads) {
  model::TopKOf(metric, queries, x, k, indices, distances, threads);
}

namespace {

using CdistFunction = void (*)(Metric, const MatrixView&, const MatrixView&, float*, std::size_t,
                               std::size_t);

// Bands of kBandRows rows of x against the rows after the band's first: a
// band's own triangle is computed twice over (kBandRows / x.rows of the
// work), the rest once.
void PdistInBands(CdistFunction cdist, Metric metric, const MatrixView& x, float* out,
                  std::size_t threads) {
  constexpr std::size_t kBandRows = 256;
  const std::size_t rows = x.rows, element = dtype_size(x.dtype);
  std::vector<float> band(std::min(kBandRows, rows) * rows);
  const auto* data = static_cast<const unsigned char*>(x.data);
  for (std::size_t i0 = 0; i0 + 1 < rows; i0 += kBandRows) {
    MatrixView band_rows = x, later_rows = x;
    band_rows.data = data + i0 * x.row_stride * element;
    band_rows.rows = std::min(kBandRows, rows - 1 - i0);
    later_rows.data = data + (i0 + 1) * x.row_stride * element;
    later_rows.rows = rows - 1 - i0;
    cdist(metric, band_rows, later_rows, band.data(), later_rows.rows, threads);
    for (std::size_t r = 0; r < band_rows.rows; ++r) {
      const float* values = band.data() + r * later_rows.rows;
      std::copy(values + r, values + later_rows.rows, out + pdist_index(rows, i0 + r, i0 + r + 1));
    }
  }
}

}  // namespace

void PdistOnModel(Metric metric, const MatrixView& x, float* out, std::size_t threads) {
  PdistInBands(&CdistOnModel, metric, x, out, threads);
}

void PdistOnHardware(Metric metric, const MatrixView& x, float* out, std::size_t threads) {
  PdistInBands(&CdistOnHardware, metric, x, out, threads);
}

void CdistOnHardware(Metric metric, const MatrixView& a, const MatrixView& b, float* out,
                     std::size_t out_row_stride, std::size_t threads) {
  if (!Gate().usable) throw std::logic_error("simdkit: AMX hardware path without the gate's yes");
#if SIMDKIT_HAVE_AMX
  hardware::CdistOf(metric, a, b, out, out_row_stride, threads);
#else
  (void)metric, (void)a, (void)b, (void)out, (void)out_row_stride, (void)threads;
#endif
}

void TopKOnHardware(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
                    std::int64_t* indices, float* distances, std::size_t threads) {
  if (!Gate().usable) throw std::logic_error("simdkit: AMX hardware path without the gate's yes");
#if SIMDKIT_HAVE_AMX
  hardware::TopKOf(metric, queries, x, k, indices, distances, threads);
#else
  (void)metric, (void)queries, (void)x, (void)k, (void)indices, (void)distances, (void)threads;
#endif
}

}  // namespace simdkit::amx

