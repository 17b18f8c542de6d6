// Distance kernels (dot, cosine, sqeuclidean, euclidean, cityblock, hamming,
// jaccard) over float64, float32, float16, bfloat16, int8, uint8 and packed
// bits, written once over Highway tags and compiled per target.
//
// Every metric is a few sums of per-element terms (e.g. cosine: a*b, a*a,
// b*b), finished by scalar code (Finish). Inputs are widened on load to a
// compute type (float16/bfloat16 to float32, int8/uint8 to int16, bits to
// uint64 words); integer terms are widening multiply-adds into int32 lanes,
// flushed to double every kBlockSteps vectors so that no lane can overflow.
//
// Re-included once per target: the include guard toggles with
// HWY_TARGET_TOGGLE, as in hwy/contrib.
#if defined(SIMDKIT_KERNELS_DISTANCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDKIT_KERNELS_DISTANCE_INL_H_
#undef SIMDKIT_KERNELS_DISTANCE_INL_H_
#else
#define SIMDKIT_KERNELS_DISTANCE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "kernels/capabilities-inl.h"
#include "kernels/convert-inl.h"
#include "kernels/distance_common.h"
#include "kernels/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdkit {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows that cdist packs for a native narrow dot-product instruction (targets
// with AVX512-VNNI, see SIMDKIT_NATIVE_NARROW_DOT): bytes as quads for
// vpdpbusd, a's row as uint8 and b's as int8, one side offset by 128 and
// corrected per row (see PackRows).
struct ByteQuads {};

// Per storage type: the lane type computations run in, and the type one
// stored element is read as (bits as bytes, packed narrow rows as their
// lanes).
template <typename Stored>
struct StorageTraits {  // float, double
  using Compute = Stored;
  using Memory = Stored;
};
template <typename Compute_, typename Memory_>
struct StorageTraitsOf {
  using Compute = Compute_;
  using Memory = Memory_;
};
template <>
struct StorageTraits<hwy::float16_t> : StorageTraitsOf<float, hwy::float16_t> {};
template <>
struct StorageTraits<hwy::bfloat16_t> : StorageTraitsOf<float, hwy::bfloat16_t> {};
template <>
struct StorageTraits<int8_t> : StorageTraitsOf<int16_t, int8_t> {};
template <>
struct StorageTraits<uint8_t> : StorageTraitsOf<int16_t, uint8_t> {};
template <>
struct StorageTraits<PackedBits> : StorageTraitsOf<uint64_t, uint8_t> {};
template <>
struct StorageTraits<ByteQuads> : StorageTraitsOf<uint8_t, uint8_t> {};

template <typename Stored>
using ComputeOf = typename StorageTraits<Stored>::Compute;
template <typename Stored>
using MemoryOf = typename StorageTraits<Stored>::Memory;
template <typename Stored>
using ComputeTag = hn::ScalableTag<ComputeOf<Stored>>;

// Tag of the accumulators: int32 for int16 terms (widening multiply-add) and
// byte quads, the compute type otherwise.
template <class DC, typename Compute = hn::TFromD<DC>>
struct AccumulatorOf {
  using type = DC;
};
template <class DC>
struct AccumulatorOf<DC, int16_t> {
  using type = hn::RepartitionToWide<DC>;
};
template <class DC>
struct AccumulatorOf<DC, uint8_t> {
  using type = hn::Repartition<int32_t, DC>;
};
template <class DC>
using AccumulatorTag = typename AccumulatorOf<DC>::type;

// Stored elements one compute vector covers.
template <typename Stored, class DC>
HWY_INLINE size_t ElementsPerStep(DC dc) {
  return hn::Lanes(dc) * (std::is_same_v<Stored, PackedBits> ? 8 : 1);
}

template <typename Stored, class DC>
HWY_INLINE hn::Vec<DC> LoadWidened(DC dc, const MemoryOf<Stored>* HWY_RESTRICT p) {
  using Compute = hn::TFromD<DC>;
#if !SIMDKIT_HAS_HARDWARE_FLOAT16_CONVERSION
  // Highway's emulated conversion would read Inf/NaN as finite: widen by the
  // bits (Float16BitsToFloat32 from kernels/convert-inl.h).
  if constexpr (std::is_same_v<Stored, hwy::float16_t>) {
    const hn::Rebind<uint16_t, DC> d16;
    const auto bits = hn::LoadU(d16, reinterpret_cast<const uint16_t*>(p));
    return Float16BitsToFloat32(dc, hn::PromoteTo(hn::RebindToUnsigned<DC>(), bits));
  }
#endif
  if constexpr (std::is_same_v<MemoryOf<Stored>, Compute>) {
    return hn::LoadU(dc, p);
  } else if constexpr (std::is_same_v<Stored, PackedBits>) {
    // Unaligned: LoadU copies bytes rather than dereferencing a uint64_t.
    return hn::LoadU(dc, reinterpret_cast<const uint64_t*>(p));
  } else {
    return hn::PromoteTo(dc, hn::LoadU(hn::Rebind<Stored, DC>(), p));
  }
}

// Loads `count` < ElementsPerStep elements without touching memory past
// them; the other lanes are zero, which adds nothing to any term.
template <typename Stored, class DC>
HWY_INLINE hn::Vec<DC> LoadWidenedPartial(DC dc, const MemoryOf<Stored>* HWY_RESTRICT p,
                                          size_t count) {
  using Memory = MemoryOf<Stored>;
  if constexpr (std::is_same_v<Memory, hn::TFromD<DC>>) {
    return LoadFirstN(dc, p, count, Memory{});
  } else {
    // The step's elements copied to an aligned buffer, zero-padded, a vector
    // of Memory at a time (one masked load where there are masked moves):
    // element by element, 1-element rows of bfloat16 cost 2.5x 16-element ones.
    // Moved as unsigned bits: 16-bit floats have no vector Set or blend.
    using Bits = hwy::UnsignedFromSize<sizeof(Memory)>;
    const hn::ScalableTag<Bits> dm;
    const size_t lanes = hn::Lanes(dm);
    HWY_ALIGN Memory buffer[HWY_MAX(hn::MaxLanes(dc) * 8, hn::MaxLanes(dm))];
    const size_t elements = ElementsPerStep<Stored>(dc);
    for (size_t i = 0; i < elements; i += lanes) {
      const size_t left = count > i ? count - i : 0;
      hn::Store(LoadFirstN(dm, reinterpret_cast<const Bits*>(p) + i, HWY_MIN(left, lanes), Bits{0}),
                dm, reinterpret_cast<Bits*>(buffer) + i);
    }
    return LoadWidened<Stored>(dc, buffer);
  }
}

// Whether this target has the native narrow dot products of int16 lanes and
// ByteQuads (AVX512-VNNI).
#undef SIMDKIT_NATIVE_NARROW_DOT  // this file is included once per target
#define SIMDKIT_NATIVE_NARROW_DOT SIMDKIT_HAS_AVX512_VNNI

// sum0 += x * y: exactly for int16 (into int32 lanes, split over sum0 and
// sum1 as Highway's widening multiply-add prefers) and for byte quads (x
// uint8, y int8, four products a lane). Highway 1.2's own ops emit vpdpwssd
// and vpdpbusd wherever VNNI is; with 1.0.3 they are inline asm: Highway
// does not compile its targets with the avx512vnni attribute the intrinsics
// need.
template <class DA, class V, class VA>
HWY_INLINE VA MulAccumulate(DA da, V x, V y, VA sum0, VA& sum1) {
  using Lane = hn::TFromV<V>;
#if SIMDKIT_NATIVE_NARROW_DOT
  if constexpr (!SIMDKIT_HIGHWAY_EMITS_VNNI_DOT &&
                (std::is_same_v<Lane, int16_t> || std::is_same_v<Lane, uint8_t>)) {
    (void)da;
    (void)sum1;
    auto sum = sum0.raw;
    if constexpr (std::is_same_v<Lane, int16_t>) {
      asm("vpdpwssd %2, %1, %0" : "+v"(sum) : "v"(x.raw), "v"(y.raw));
    } else {
      asm("vpdpbusd %2, %1, %0" : "+v"(sum) : "v"(x.raw), "v"(y.raw));
    }
    return VA{sum};
  } else  // NOLINT: the chain goes on below
#endif
  if constexpr (std::is_same_v<Lane, uint8_t>) {  // byte quads, Highway 1.2 only
    (void)sum1;
#if SIMDKIT_HIGHWAY_HAS_NATIVE_DOT_OPS
    return hn::SumOfMulQuadAccumulate(da, x, hn::BitCast(hn::RebindToSigned<hn::DFromV<V>>(), y),
                                      sum0);
#else
    static_assert(sizeof(Lane) == 0, "byte quads exist only where VNNI is");
#endif
  } else if constexpr (std::is_same_v<Lane, int16_t>) {
    return hn::ReorderWidenMulAccumulate(da, x, y, sum0, sum1);
  } else {
    (void)da;
    (void)sum1;
    return hn::MulAdd(x, y, sum0);
  }
}

// sum0 += x.
template <class DA, class V, class VA>
HWY_INLINE VA AddAccumulate(DA da, V x, VA sum0, VA& sum1) {
  if constexpr (std::is_same_v<hn::TFromV<V>, int16_t>) {
    return hn::ReorderWidenMulAccumulate(da, x, hn::Set(hn::DFromV<V>(), int16_t{1}), sum0, sum1);
  } else {
    (void)da;
    (void)sum1;
    return hn::Add(sum0, x);
  }
}

template <class DC>
HWY_INLINE hn::Vec<DC> OnesWhere(DC dc, hn::Mask<DC> mask) {
  return hn::IfThenElseZero(mask, hn::Set(dc, hn::TFromD<DC>{1}));
}

// Bit i set where lane i of `mask` is true, for vectors of at most 64 lanes
// (float lanes of 2048-bit SVE); what lies past the last lane is cleared.
template <class D>
HWY_INLINE uint64_t MaskBits(D d, hn::Mask<D> mask) {
  static_assert(hn::MaxLanes(D()) <= 64, "one bit per lane of a uint64");
  uint8_t bytes[8] = {};
  hn::StoreMaskBits(d, mask, bytes);
  uint64_t bits;
  hwy::CopyBytes<8>(bytes, &bits);
  const size_t lanes = hn::Lanes(d);
  return lanes >= 64 ? bits : bits & ((uint64_t{1} << lanes) - 1);
}

// Adds term(a, b) to the accumulator pair (sum0, sum1).
template <Term term, class DC, class DA, class V = hn::Vec<DC>, class VA = hn::Vec<DA>>
HWY_INLINE void AddTerm(DC dc, DA da, V a, V b, VA& sum0, VA& sum1) {
  if constexpr (term == Term::kProduct) {
    sum0 = MulAccumulate(da, a, b, sum0, sum1);
  } else if constexpr (term == Term::kSquareA) {
    sum0 = MulAccumulate(da, a, a, sum0, sum1);
  } else if constexpr (term == Term::kSquareB) {
    sum0 = MulAccumulate(da, b, b, sum0, sum1);
  } else if constexpr (term == Term::kSquaredDifference) {
    const V difference = hn::Sub(a, b);  // int16: |a - b| <= 255 fits
    sum0 = MulAccumulate(da, difference, difference, sum0, sum1);
  } else if constexpr (term == Term::kAbsDifference) {
    sum0 = AddAccumulate(da, hn::Abs(hn::Sub(a, b)), sum0, sum1);
  } else if constexpr (term == Term::kUnequal) {
    // Not(Eq): x86's ordered Ne would call NaN equal to everything.
    sum0 = AddAccumulate(da, OnesWhere(dc, hn::Not(hn::Eq(a, b))), sum0, sum1);
  } else if constexpr (term == Term::kOneNonzero) {
    const V zero = hn::Zero(dc);
    sum0 = AddAccumulate(da, OnesWhere(dc, hn::Xor(hn::Eq(a, zero), hn::Eq(b, zero))), sum0, sum1);
  } else if constexpr (term == Term::kEitherNonzero) {
    const V zero = hn::Zero(dc);
    sum0 = AddAccumulate(da, OnesWhere(dc, hn::Not(hn::And(hn::Eq(a, zero), hn::Eq(b, zero)))),
                         sum0, sum1);
  } else if constexpr (term == Term::kBitsDiffering) {
    sum0 = hn::Add(sum0, hn::PopulationCount(hn::Xor(a, b)));
  } else if constexpr (term == Term::kBitsInBoth) {
    sum0 = hn::Add(sum0, hn::PopulationCount(hn::And(a, b)));
  } else if constexpr (term == Term::kBitsInEither) {
    sum0 = hn::Add(sum0, hn::PopulationCount(hn::Or(a, b)));
  }
}

// Exact for the int32 and uint64 lanes of a flushed block, which cannot have
// overflowed (see kBlockSteps).
template <class DA, class VA = hn::Vec<DA>>
HWY_INLINE double LaneTotal(DA da, VA sum0, VA sum1) {
  return static_cast<double>(hn::GetLane(hn::SumOfLanes(da, hn::Add(sum0, sum1))));
}

// Vectors accumulated before the lanes are flushed to double. int16 terms
// add at most 2 * 255^2 < 2^17 to an int32 lane per step: 128 steps stay
// below 2^24 per lane, and their sum over up to 64 lanes (2048-bit SVE)
// below 2^31.
constexpr size_t kBlockSteps = 128;

// The sums of up to three terms over a pair of rows of n elements, in
// double. Two chains per term hide the accumulate latency.
template <typename Stored, Term t0, Term t1, Term t2>
void PairSums(const MemoryOf<Stored>* HWY_RESTRICT a, const MemoryOf<Stored>* HWY_RESTRICT b,
              size_t n, double* HWY_RESTRICT sums) {
  const ComputeTag<Stored> dc;
  const AccumulatorTag<ComputeTag<Stored>> da;
  const size_t step = ElementsPerStep<Stored>(dc);
  sums[0] = sums[1] = sums[2] = 0.0;
  using VA = hn::Vec<decltype(da)>;
  // Adds the terms of elements [i, i + count), count <= step, to one chain
  // per term.
  const auto add_step = [&](size_t i, size_t count, VA& p0, VA& p1, VA& r0, VA& r1, VA& v0,
                            VA& v1) {
    const auto a0 = count == step ? LoadWidened<Stored>(dc, a + i)
                                  : LoadWidenedPartial<Stored>(dc, a + i, count);
    const auto b0 = count == step ? LoadWidened<Stored>(dc, b + i)
                                  : LoadWidenedPartial<Stored>(dc, b + i, count);
    AddTerm<t0>(dc, da, a0, b0, p0, p1);
    AddTerm<t1>(dc, da, a0, b0, r0, r1);
    AddTerm<t2>(dc, da, a0, b0, v0, v1);
  };
  if (n <= step) {
    // One step: the chains the loop below would leave zero are left out.
    // Adding them changes nothing: no accumulated term is -0, the only value
    // that adding +0 changes.
    auto p0 = hn::Zero(da), p1 = hn::Zero(da), r0 = hn::Zero(da), r1 = hn::Zero(da);
    auto v0 = hn::Zero(da), v1 = hn::Zero(da);
    if (n != 0) add_step(0, n, p0, p1, r0, r1, v0, v1);
    sums[0] += LaneTotal(da, p0, p1);
    if constexpr (t1 != Term::kNone) sums[1] += LaneTotal(da, r0, r1);
    if constexpr (t2 != Term::kNone) sums[2] += LaneTotal(da, v0, v1);
    return;
  }
  size_t i = 0;
  while (i < n) {
    auto p0 = hn::Zero(da), p1 = hn::Zero(da), q0 = hn::Zero(da), q1 = hn::Zero(da);
    auto r0 = hn::Zero(da), r1 = hn::Zero(da), u0 = hn::Zero(da), u1 = hn::Zero(da);
    auto v0 = hn::Zero(da), v1 = hn::Zero(da), w0 = hn::Zero(da), w1 = hn::Zero(da);
    const size_t block_end = i + HWY_MIN(n - i, kBlockSteps * step);
    for (; i + 2 * step <= block_end; i += 2 * step) {
      const auto a0 = LoadWidened<Stored>(dc, a + i), b0 = LoadWidened<Stored>(dc, b + i);
      const auto a1 = LoadWidened<Stored>(dc, a + i + step);
      const auto b1 = LoadWidened<Stored>(dc, b + i + step);
      AddTerm<t0>(dc, da, a0, b0, p0, p1);
      AddTerm<t0>(dc, da, a1, b1, q0, q1);
      AddTerm<t1>(dc, da, a0, b0, r0, r1);
      AddTerm<t1>(dc, da, a1, b1, u0, u1);
      AddTerm<t2>(dc, da, a0, b0, v0, v1);
      AddTerm<t2>(dc, da, a1, b1, w0, w1);
    }
    for (; i < block_end; i += step) {
      add_step(i, HWY_MIN(step, block_end - i), p0, p1, r0, r1, v0, v1);
    }
    sums[0] += LaneTotal(da, hn::Add(p0, q0), hn::Add(p1, q1));
    if constexpr (t1 != Term::kNone) sums[1] += LaneTotal(da, hn::Add(r0, u0), hn::Add(r1, u1));
    if constexpr (t2 != Term::kNone) sums[2] += LaneTotal(da, hn::Add(v0, w0), hn::Add(v1, w1));
  }
}

// One metric over one pair, finished.
template <typename Stored>
double PairDistance(Metric metric, const MemoryOf<Stored>* a, const MemoryOf<Stored>* b,
                    size_t n) {
  double sums[3];
  ForPlan<Stored>(metric, [&](auto plan) {
    using Plan = decltype(plan);
    PairSums<Stored, Plan::kTerms[0], Plan::kTerms[1], Plan::kTerms[2]>(a, b, n, sums);
  });
  return Finish(metric, IsBits<Stored>(), sums, n);
}

// Writes `rows` rows of n stored elements, widened to the compute type, to
// `out`, rows out_stride apart (what lies past n in a row is left as it is).
template <typename Stored, typename Compute = ComputeOf<Stored>>
void WidenRows(const MemoryOf<Stored>* HWY_RESTRICT in, size_t in_stride, size_t rows, size_t n,
               Compute* HWY_RESTRICT out, size_t out_stride) {
  const ComputeTag<Stored> dc;
  const size_t step = hn::Lanes(dc);
  for (size_t r = 0; r < rows; ++r, in += in_stride, out += out_stride) {
    size_t i = 0;
    for (; i + step <= n; i += step) hn::StoreU(LoadWidened<Stored>(dc, in + i), dc, out + i);
    if (i < n) {
      HWY_ALIGN Compute tail[hn::MaxLanes(dc)];
      hn::Store(LoadWidenedPartial<Stored>(dc, in + i, n - i), dc, tail);
      for (size_t t = 0; i + t < n; ++t) out[i + t] = tail[t];
    }
  }
}

// Packs `rows` rows of n stored elements for TileSums<TileStored>, rows
// out_stride apart (what lies past n in a row is left as it is: the zero
// padding): widened to the compute type, copied as bfloat16 pairs, or as byte
// quads. Byte quads pair uint8 lanes of a's rows with int8 lanes of b's: for
// int8 a's side is offset by +128 (a ^ 0x80), for uint8 b's side by -128
// (b ^ 0x80); the other side's offsets[r] receives what undoes that in a sum
// of products with row r, -128 * sum(b_r) or +128 * sum(a_r).
template <typename Stored, typename TileStored>
void PackRows(const MemoryOf<Stored>* HWY_RESTRICT in, size_t in_stride, size_t rows, size_t n,
              MemoryOf<TileStored>* HWY_RESTRICT out, size_t out_stride, bool b_side,
              double* offsets) {
  if constexpr (std::is_same_v<TileStored, ByteQuads>) {
    constexpr bool kSigned = std::is_same_v<Stored, int8_t>;
    const bool flipped = kSigned != b_side;
    const uint8_t flip = flipped ? 0x80 : 0;
    for (size_t r = 0; r < rows; ++r, in += in_stride, out += out_stride) {
      int64_t total = 0;
      for (size_t i = 0; i < n; ++i) {
        total += in[i];
        out[i] = static_cast<uint8_t>(static_cast<uint8_t>(in[i]) ^ flip);
      }
      offsets[r] = flipped ? 0.0 : (kSigned ? -128.0 : 128.0) * static_cast<double>(total);
    }
  } else {
    (void)b_side;
    (void)offsets;
    WidenRows<Stored>(in, in_stride, rows, n, out, out_stride);
  }
}

// The rows cdist packs for a native narrow dot product (void: none).
template <typename Stored, Term term>
using NarrowDotOf =
    std::conditional_t<SIMDKIT_NATIVE_NARROW_DOT && term == Term::kProduct &&
                           (std::is_same_v<Stored, int8_t> || std::is_same_v<Stored, uint8_t>),
                       ByteQuads, void>;

template <typename T>
struct TypeTag {
  using type = T;
};

// Columns of b per tile: 4 where 32 vector registers hold 16 accumulators
// (AVX-512, AArch64), else 2 (16 registers: AVX2 and below).
constexpr size_t kTileCols = SIMDKIT_HAS_32_VECTOR_REGISTERS ? 4 : 2;
constexpr size_t kTileRows = 4;

// A tile of kRows (<= kTileRows) rows of `a` against kCols (<= kTileCols)
// rows of `b`, one term per pair: each widened vector is loaded once and used
// kCols (or kRows) times, so the multiply-add units rather than the load
// ports set the pace. Every pair is one accumulator chain in the same order
// whatever the tile's shape, so a pair's value does not depend on where its
// rows sit (duplicate rows tie exactly). Writes sums[r * kTileCols + c].
// Accumulators are named variables, not arrays: SVE vectors are sizeless.
template <typename Stored, Term term, size_t kRows = kTileRows, size_t kCols = kTileCols>
void TileSums(const MemoryOf<Stored>* HWY_RESTRICT a, size_t a_stride,
              const MemoryOf<Stored>* HWY_RESTRICT b, size_t b_stride, size_t n,
              double* HWY_RESTRICT sums) {
  const ComputeTag<Stored> dc;
  const AccumulatorTag<ComputeTag<Stored>> da;
  const size_t step = ElementsPerStep<Stored>(dc);
  for (size_t k = 0; k < kTileRows * kTileCols; ++k) sums[k] = 0.0;
  size_t i = 0;
  while (i < n) {
    // s<r><c> accumulates row r of a with row c of b; h<r><c> is the second
    // half of an int16 widening accumulator (unused for floats).
#define SIMDKIT_TILE_ROW(r)                                                      \
  auto s##r##0 = hn::Zero(da), s##r##1 = hn::Zero(da), s##r##2 = hn::Zero(da),  \
       s##r##3 = hn::Zero(da), h##r##0 = hn::Zero(da), h##r##1 = hn::Zero(da),  \
       h##r##2 = hn::Zero(da), h##r##3 = hn::Zero(da);
    SIMDKIT_TILE_ROW(0) SIMDKIT_TILE_ROW(1) SIMDKIT_TILE_ROW(2) SIMDKIT_TILE_ROW(3)
#undef SIMDKIT_TILE_ROW
    const size_t block_end = i + HWY_MIN(n - i, kBlockSteps * step);
    // One step of the tile; `load(row)` widens this step of a row.
    const auto tile_step = [&](const auto& load) HWY_ATTR {
      const auto b0 = load(b);
      const auto b1 = kCols > 1 ? load(b + b_stride) : b0;
      const auto b2 = kCols > 2 ? load(b + 2 * b_stride) : b0;
      const auto b3 = kCols > 3 ? load(b + 3 * b_stride) : b0;
#define SIMDKIT_TILE_STEP(r)                                            \
  if (r < kRows) {                                                      \
    const auto va = load(a + r * a_stride);                             \
    AddTerm<term>(dc, da, va, b0, s##r##0, h##r##0);                    \
    if (kCols > 1) AddTerm<term>(dc, da, va, b1, s##r##1, h##r##1);     \
    if (kCols > 2) AddTerm<term>(dc, da, va, b2, s##r##2, h##r##2);     \
    if (kCols > 3) AddTerm<term>(dc, da, va, b3, s##r##3, h##r##3);     \
  }
      SIMDKIT_TILE_STEP(0) SIMDKIT_TILE_STEP(1) SIMDKIT_TILE_STEP(2) SIMDKIT_TILE_STEP(3)
#undef SIMDKIT_TILE_STEP
    };
    for (; i + step <= block_end; i += step) {
      tile_step([&](const MemoryOf<Stored>* row) HWY_ATTR {
        return LoadWidened<Stored>(dc, row + i);
      });
    }
    if (i < block_end) {
      const size_t count = block_end - i;
      tile_step([&](const MemoryOf<Stored>* row) HWY_ATTR {
        return LoadWidenedPartial<Stored>(dc, row + i, count);
      });
      i = block_end;
    }
#define SIMDKIT_TILE_FLUSH(r)                                                  \
  if (r < kRows) {                                                             \
    sums[r * kTileCols + 0] += LaneTotal(da, s##r##0, h##r##0);                \
    if (kCols > 1) sums[r * kTileCols + 1] += LaneTotal(da, s##r##1, h##r##1); \
    if (kCols > 2) sums[r * kTileCols + 2] += LaneTotal(da, s##r##2, h##r##2); \
    if (kCols > 3) sums[r * kTileCols + 3] += LaneTotal(da, s##r##3, h##r##3); \
  }
    SIMDKIT_TILE_FLUSH(0) SIMDKIT_TILE_FLUSH(1) SIMDKIT_TILE_FLUSH(2) SIMDKIT_TILE_FLUSH(3)
#undef SIMDKIT_TILE_FLUSH
  }
}

// sum(row^2), which every row factor comes from.
template <typename Stored>
double SquaredNorm(const MemoryOf<Stored>* row, size_t n) {
  double sums[3];
  PairSums<Stored, Term::kProduct, Term::kNone, Term::kNone>(row, row, n, sums);
  return sums[0];
}

// 1 / |row| from sum(row^2); NaN for an all-zero row, whose cosine distance
// is undefined (as SciPy's).
inline double InverseNormOf(double squared_norm) {
  return squared_norm == 0.0 ? std::numeric_limits<double>::quiet_NaN()
                             : 1.0 / std::sqrt(squared_norm);
}

template <typename Stored>
double InverseNorm(const MemoryOf<Stored>* row, size_t n) {
  return InverseNormOf(SquaredNorm<Stored>(row, n));
}

// sum((a-b)^2) over one pair, as distance() computes it.
template <typename Stored>
double SquaredDifferenceSum(const MemoryOf<Stored>* a, const MemoryOf<Stored>* b, size_t n) {
  double sums[3];
  PairSums<Stored, Term::kSquaredDifference, Term::kNone, Term::kNone>(a, b, n, sums);
  return sums[0];
}

// What FinishSums finishes a row's sums with (its RowFactor): cosine's
// inverse norm, or the squared norm for the norm form (panels only:
// `norm_form`); none otherwise.
inline bool NeedsRowFactor(Metric metric, bool norm_form) {
  return metric == Metric::kCosine || (norm_form && IsNormForm(metric));
}

// RowFactor of rows [first, first + rows) of `view` into out[0, rows): from
// squared_norms[first + r] where they are known (a PackedMatrix's), else
// from the rows, which the panels and the few-rows form read here while
// they are in cache.
template <typename Stored>
void RowFactorsOf(Metric metric, const MatrixView& view, size_t first, size_t rows,
                  bool norm_form, const double* squared_norms, double* out) {
  const auto* data = static_cast<const MemoryOf<Stored>*>(view.data);
  const bool needed = NeedsRowFactor(metric, norm_form);
  for (size_t r = 0; r < rows; ++r) {
    if (!needed) {
      out[r] = 0.0;
      continue;
    }
    const double squared = squared_norms != nullptr
                               ? squared_norms[first + r]
                               : SquaredNorm<Stored>(data + (first + r) * view.row_stride, view.cols);
    out[r] = metric == Metric::kCosine ? InverseNormOf(squared) : squared;
  }
}

template <typename Stored>
using ResultOf = std::conditional_t<std::is_same_v<Stored, double>, double, float>;

// Panels: the outer-product form of cdist (and topk) for terms computed in
// float32 or float64 (float64, float32, float16 and bfloat16 input), and in
// int16 pairs or byte quads (int8 and uint8 input, where PairPanels;
// PanelQuads).
//
// One side's rows are read an element at a time and broadcast, kPanelRows
// rows at once; the other side is packed as panels of PanelWidth rows,
// transposed so that one depth step of a panel is contiguous and aligned. A
// step is kPanelRows broadcasts and kPanelRows * kPanelVectors multiply-adds
// into accumulators that each hold one pair: no horizontal sums, and each
// load of the panel serves kPanelRows rows. Lanes sum at most kDepthBlock
// terms before they are added into double, which bounds the error
// independently of the row length, and every pair is summed in the same order
// wherever its rows sit.
//
// A panel lane holds one column's unit of depth: one element of the compute
// type for floating input; for int8/uint8, two adjacent elements widened to
// int16, whose two products the widening multiply-add sums into the int32
// lane that holds them (SIMDKIT_HAS_PAIRWISE_WIDENING_MULTIPLY), so that
// each accumulator lane is still one pair of rows; for a product where VNNI
// is, four bytes (PanelQuads). A broadcast is one unit of a row, and a row
// of n elements is UnitsOf(n) units long, the last padded with zero. Integer
// lanes sum kDepthBlock units exactly (at most 2 * 255^2 a pair, 4 * 255 *
// 128 a quad: below 2^26) before they are added into double.
#if SIMDKIT_HAS_32_VECTOR_REGISTERS
constexpr size_t kPanelRows = 12;  // 24 accumulators, 2 panel vectors, temporaries
#else
constexpr size_t kPanelRows = 6;  // 12 accumulators of the 16 registers
#endif
constexpr size_t kPanelVectors = 2;  // one when the packed side fits a vector
constexpr size_t kDepthBlock = 256;

// sqeuclidean and euclidean through panels are finished from the dot product
// and the squared norms, |a|² + |b|² - 2 a·b (the norm form): one
// multiply-add per element instead of a subtraction and a multiply-add, as a
// matrix product computes them. Cancellation makes its error absolute: at
// most E = 2 (kDepthBlock + 4) u (|a|² + |b|²), u the compute type's unit
// roundoff (twice the panel sums' bound, plus the norms' and the finishing's).
// A value is kept when it is at least NormFormFloor() (|a|² + |b|²) =
// E (1 + 1/ρ): the exact value is then at least E/ρ, so the kept one is
// within ρ = 2^-12 (float) or 2^-26 (double), about √u, of it. Closer pairs,
// and pairs whose value or norms are not finite, are recomputed from (a-b)²
// as distance() computes them (SquaredDifferenceSum).
template <typename Compute>
constexpr double NormFormFloor() {
  constexpr double u = std::numeric_limits<Compute>::epsilon() / 2;
  constexpr double rho = std::is_same_v<Compute, float> ? 0x1p-12 : 0x1p-26;
  return 2.0 * (kDepthBlock + 4) * u * (1.0 + 1.0 / rho);
}

// The term panels sum for a metric whose tiles sum `tile_term`: the product
// for the norm form, else the same.
constexpr Term PanelTerm(Term tile_term) {
  return tile_term == Term::kSquaredDifference ? Term::kProduct : tile_term;
}
// Whether int8/uint8 rows go through panels of int16 pairs on this target
// (elsewhere they take the tiles).
template <typename Stored>
constexpr bool PairPanels() {
  return std::is_same_v<ComputeOf<Stored>, int16_t> && SIMDKIT_HAS_PAIRWISE_WIDENING_MULTIPLY;
}

// The panels' layout of int8/uint8 rows for a product where VNNI is: byte
// quads for vpdpbusd, each lane four uint8 of the broadcast row times four
// int8 of the packed one (twice the products of an int16 pair per
// instruction). One side is offset by 128 as it is loaded (QuadFlipped), and
// QuadOffsets undo that in the sums: int8 broadcasts a ^ 0x80 = a + 128,
// whose sums with packed row b are corrected by -128 sum(b); uint8 packs
// b ^ 0x80 = b - 128, corrected by +128 sum(a) of the broadcast row. The
// other side's padding is zero, so the flipped side's padding adds nothing.
template <typename Stored>
struct PanelQuads {};
template <typename Stored>
struct StorageTraits<PanelQuads<Stored>> : StorageTraitsOf<uint8_t, Stored> {};
template <typename Layout>
constexpr bool QuadPanels() {
  return std::is_same_v<Layout, PanelQuads<MemoryOf<Layout>>>;
}
// The layout (the storage type, or its quads) the panels use for `term`.
template <typename Stored, Term term>
using PanelLayoutOf =
    std::conditional_t<SIMDKIT_NATIVE_NARROW_DOT && term == Term::kProduct &&
                           (std::is_same_v<Stored, int8_t> || std::is_same_v<Stored, uint8_t>),
                       PanelQuads<Stored>, Stored>;
// Whether a side's quads are offset by 128: int8's broadcast rows, uint8's
// packed ones.
template <typename Layout>
constexpr bool QuadFlipped(bool broadcast_side) {
  return QuadPanels<Layout>() && std::is_same_v<MemoryOf<Layout>, int8_t> == broadcast_side;
}

// What a panel lane holds (see above), for a layout: the compute type, or the
// 32 bits of an int16 pair or a byte quad.
template <typename Layout>
using PanelUnitOf = std::conditional_t<PairPanels<Layout>() || QuadPanels<Layout>(), uint32_t,
                                       ComputeOf<Layout>>;
template <typename Layout>
using PanelTag = hn::ScalableTag<PanelUnitOf<Layout>>;
template <typename Layout>
constexpr size_t kUnitElements = QuadPanels<Layout>() ? 4 : PairPanels<Layout>() ? 2 : 1;
template <typename Layout>
constexpr size_t UnitsOf(size_t n) {
  return (n + kUnitElements<Layout> - 1) / kUnitElements<Layout>;
}
// The tags the terms of units of tag DU are computed in (AddTerm's DC) and
// accumulated in (its DA).
template <typename Layout, class DU>
using UnitComputeTag =
    std::conditional_t<QuadPanels<Layout>(), hn::Repartition<uint8_t, DU>,
                       std::conditional_t<PairPanels<Layout>(), hn::Repartition<int16_t, DU>, DU>>;
template <typename Layout, class DU>
using UnitAccumulatorTag = std::conditional_t<PairPanels<Layout>() || QuadPanels<Layout>(),
                                              hn::Repartition<int32_t, DU>, DU>;

// Units [0, Lanes(du)) of a row starting at p (Lanes(du) * kUnitElements
// elements) of the given side, widened (and offset: QuadFlipped).
template <typename Layout, class DU>
HWY_INLINE hn::Vec<DU> LoadUnits(DU du, const MemoryOf<Layout>* HWY_RESTRICT p,
                                 bool broadcast_side) {
  if constexpr (QuadPanels<Layout>()) {
    const hn::Repartition<uint8_t, DU> d8;
    const auto bytes = hn::LoadU(d8, reinterpret_cast<const uint8_t*>(p));
    const auto flip = hn::Set(d8, QuadFlipped<Layout>(broadcast_side) ? uint8_t{0x80} : uint8_t{0});
    return hn::BitCast(du, hn::Xor(bytes, flip));
  } else {
    (void)broadcast_side;
    return hn::BitCast(du, LoadWidened<Layout>(UnitComputeTag<Layout, DU>(), p));
  }
}
// The same for `count` elements, fewer than that; the rest are zero (before
// the offset).
template <typename Layout, class DU>
HWY_INLINE hn::Vec<DU> LoadUnitsPartial(DU du, const MemoryOf<Layout>* HWY_RESTRICT p,
                                        size_t count, bool broadcast_side) {
  if constexpr (QuadPanels<Layout>()) {
    HWY_ALIGN MemoryOf<Layout> buffer[hn::MaxLanes(du) * 4] = {};
    std::copy_n(p, count, buffer);
    return LoadUnits<Layout>(du, buffer, broadcast_side);
  } else {
    (void)broadcast_side;
    return hn::BitCast(du, LoadWidenedPartial<Layout>(UnitComputeTag<Layout, DU>(), p, count));
  }
}

// The sum of a row's n int8 or uint8 elements, exactly (QuadOffsets).
template <typename Memory>
int64_t ElementSum(const Memory* HWY_RESTRICT row, size_t n) {
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  constexpr bool kSigned = std::is_same_v<Memory, int8_t>;
  // int8 as uint8 + 128, which SumsOf8 adds without wrapping.
  const auto flip = hn::Set(d8, kSigned ? uint8_t{0x80} : uint8_t{0});
  auto total = hn::Zero(d64);
  size_t i = 0;
  for (; i + hn::Lanes(d8) <= n; i += hn::Lanes(d8)) {
    total = hn::Add(total, hn::SumsOf8(hn::Xor(hn::LoadU(d8, reinterpret_cast<const uint8_t*>(row) + i), flip)));
  }
  int64_t sum = static_cast<int64_t>(hn::GetLane(hn::SumOfLanes(d64, total))) -
                (kSigned ? 128 * static_cast<int64_t>(i) : 0);
  for (; i < n; ++i) sum += row[i];
  return sum;
}

// Panels packed per chunk of the packed side: small enough to stay in L2
// (1 MiB and more on the CPUs that run this) beside the broadcast rows.
constexpr size_t kPanelChunkBytes = size_t{512} << 10;

// Rows per panel when `packed_rows` rows remain to be packed: kPanelVectors
// vectors' worth, or one when they fit in one (a few queries, or the last
// panel of a side: 100 queries in panels of 32 computed 128 columns, in
// 32 + 32 + 32 + 16 they compute 112). A pair's sum does not depend on the
// width of its panel.
template <class DC>
HWY_INLINE size_t PanelWidth(DC dc, size_t packed_rows) {
  return (packed_rows <= hn::Lanes(dc) ? 1 : kPanelVectors) * hn::Lanes(dc);
}

// Which form sums the pairs of a cdist/topk call whose term is computed in
// floating point over nonempty rows, decided once per call from its shape
// (never per thread's slice): the few-rows form (FewRowPasses) when either
// side has fewer than kPanelRows rows, the panels otherwise. The two sum a
// pair in different orders, so this is the one thing besides the pair's own
// rows that its value depends on: every call whose shorter side has fewer
// than kPanelRows rows gives a pair the same value (one query or eleven, a
// or b the short side, cdist or topk, any thread count), and so does every
// call with at least kPanelRows rows on both sides; values of the two kinds
// may differ in the last bits, both within the bounds of docs/distance.md.
// A short side makes the call a few matrix-vector products, bound by reading
// the long side: the few-rows form streams it once, while a panel of the
// short side would be mostly padding.
template <typename Stored>
constexpr bool UseFewRows(size_t rows_a, size_t rows_b, size_t n) {
  return std::is_floating_point_v<ComputeOf<Stored>> && n != 0 &&
         HWY_MIN(rows_a, rows_b) < kPanelRows;
}
template <typename Stored>
constexpr bool UsePanels(size_t rows_a, size_t rows_b, size_t n) {
  return (std::is_floating_point_v<ComputeOf<Stored>> || PairPanels<Stored>()) && n != 0 &&
         HWY_MIN(rows_a, rows_b) >= kPanelRows;
}

// Packs rows [0, count) of n stored elements, in_stride apart, as panels of
// PanelWidth(rows left) rows: unit k of row `first` + c of a panel of width w
// goes to out[first * u + k * w + c] (u = UnitsOf(n)), widened; the rows that
// complete the last panel are zeros. A vector's depth of the
// panel's rows is loaded into `scratch` (width vectors, in L1) and gathered
// from there a depth step at a time: writing each row's elements straight to their columns
// would store to width * sizeof(Unit) bytes apart, a different cache line
// per element (13 % of a 1000 x 1000 x 768 float32 cdist on AVX3_DL).
template <typename Stored, class DU, typename Unit = hn::TFromD<DU>>
void PackPanels(DU du, const MemoryOf<Stored>* HWY_RESTRICT in, size_t in_stride, size_t count,
                size_t n, Unit* HWY_RESTRICT out, Unit* HWY_RESTRICT scratch) {
  const hn::RebindToSigned<DU> di;
  using Index = hn::TFromD<decltype(di)>;
  const size_t lanes = hn::Lanes(du), units = UnitsOf<Stored>(n);
  const size_t step = lanes * kUnitElements<Stored>;  // elements per vector
  // Lane c of column vector v reads scratch row v * lanes + c.
  const auto rows_apart = hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<Index>(lanes)));
  const auto vector_apart = hn::Set(di, static_cast<Index>(lanes * lanes));
  for (size_t first = 0, width; first < count; first += width, out += width * units) {
    width = PanelWidth(du, count - first);
    const size_t rows = HWY_MIN(width, count - first);
    for (size_t k0 = 0; k0 < units; k0 += lanes) {
      const size_t depth = HWY_MIN(lanes, units - k0);
      const size_t elements = HWY_MIN(step, n - k0 * kUnitElements<Stored>);
      for (size_t c = 0; c < width; ++c) {
        const auto* row = in + (first + c) * in_stride + k0 * kUnitElements<Stored>;
        const auto v = c >= rows          ? hn::Zero(du)
                       : elements == step ? LoadUnits<Stored>(du, row, /*broadcast_side=*/false)
                                          : LoadUnitsPartial<Stored>(du, row, elements, false);
        hn::Store(v, du, scratch + c * lanes);
      }
      for (size_t k = 0; k < depth; ++k) {
        auto index = rows_apart;
        for (size_t c = 0; c < width; c += lanes, index = hn::Add(index, vector_apart)) {
          hn::Store(hn::GatherIndex(du, scratch + k, index), du, out + (k0 + k) * width + c);
        }
      }
    }
  }
}

// out[0, Lanes(dc)) += v in double (= v if `first`); v's lanes are double,
// float or int32.
template <class DC>
HWY_INLINE void AddToDoubles(DC dc, hn::Vec<DC> v, double* HWY_RESTRICT out, bool first) {
  using T = hn::TFromD<DC>;
  if constexpr (std::is_same_v<T, double>) {
    hn::StoreU(first ? v : hn::Add(hn::LoadU(dc, out), v), dc, out);
  } else {
    const hn::ScalableTag<double> dd;
    const hn::Rebind<T, decltype(dd)> dt;
    HWY_ALIGN T lanes[hn::MaxLanes(dc)];
    hn::Store(v, dc, lanes);
    for (size_t i = 0; i < hn::Lanes(dc); i += hn::Lanes(dd)) {
      const auto wide = hn::PromoteTo(dd, hn::Load(dt, lanes + i));
      hn::StoreU(first ? wide : hn::Add(hn::LoadU(dd, out + i), wide), dd, out + i);
    }
  }
}

// The lane type of the panels' accumulators: the compute type, or int32.
template <typename Stored>
using PanelTotalOf = hn::TFromD<UnitAccumulatorTag<Stored, PanelTag<Stored>>>;

// Sums of `term` over units [0, depth) of kPanelRows rows (row_stride units
// apart) against one panel (its depth step k at panel + k * PanelWidth),
// added into sums[r * PanelWidth + c] (stored there if `first`), or stored
// as they are into totals[r * PanelWidth + c] if `totals` is given (the whole
// depth in one block). Accumulators are named variables, not arrays: SVE
// vectors are sizeless.
template <typename Stored, Term term, size_t kVectors, class DU, typename Unit = hn::TFromD<DU>,
          typename Total = PanelTotalOf<Stored>>
HWY_INLINE void PanelSums(DU du, const Unit* HWY_RESTRICT rows, size_t row_stride,
                          const Unit* HWY_RESTRICT panel, size_t depth, double* HWY_RESTRICT sums,
                          bool first, Total* HWY_RESTRICT totals) {
  const UnitComputeTag<Stored, DU> dc;
  const UnitAccumulatorTag<Stored, DU> da;
  using V = hn::Vec<decltype(da)>;
  const size_t lanes = hn::Lanes(du);
  const size_t width = kVectors * lanes;
  V unused = hn::Zero(da);  // AddTerm's second accumulator, which pairs leave as it is
#define SIMDKIT_PANEL_ROW(r) V p##r##0 = hn::Zero(da), p##r##1 = hn::Zero(da);
  SIMDKIT_PANEL_ROW(0) SIMDKIT_PANEL_ROW(1) SIMDKIT_PANEL_ROW(2) SIMDKIT_PANEL_ROW(3)
  SIMDKIT_PANEL_ROW(4) SIMDKIT_PANEL_ROW(5) SIMDKIT_PANEL_ROW(6) SIMDKIT_PANEL_ROW(7)
  SIMDKIT_PANEL_ROW(8) SIMDKIT_PANEL_ROW(9) SIMDKIT_PANEL_ROW(10) SIMDKIT_PANEL_ROW(11)
#undef SIMDKIT_PANEL_ROW
  for (size_t k = 0; k < depth; ++k, panel += width) {
    const auto b0 = hn::BitCast(dc, hn::Load(du, panel));
    const auto b1 = kVectors > 1 ? hn::BitCast(dc, hn::Load(du, panel + lanes)) : b0;
#define SIMDKIT_PANEL_STEP(r)                                                \
  if (r < kPanelRows) {                                                      \
    const auto a = hn::BitCast(dc, hn::Set(du, rows[r * row_stride + k]));   \
    AddTerm<term>(dc, da, a, b0, p##r##0, unused);                           \
    if (kVectors > 1) AddTerm<term>(dc, da, a, b1, p##r##1, unused);         \
  }
    SIMDKIT_PANEL_STEP(0) SIMDKIT_PANEL_STEP(1) SIMDKIT_PANEL_STEP(2) SIMDKIT_PANEL_STEP(3)
    SIMDKIT_PANEL_STEP(4) SIMDKIT_PANEL_STEP(5) SIMDKIT_PANEL_STEP(6) SIMDKIT_PANEL_STEP(7)
    SIMDKIT_PANEL_STEP(8) SIMDKIT_PANEL_STEP(9) SIMDKIT_PANEL_STEP(10) SIMDKIT_PANEL_STEP(11)
#undef SIMDKIT_PANEL_STEP
  }
#define SIMDKIT_PANEL_FLUSH(r)                                                      \
  if (r < kPanelRows && totals != nullptr) {                                        \
    hn::Store(p##r##0, da, totals + r * width);                                     \
    if (kVectors > 1) hn::Store(p##r##1, da, totals + r * width + lanes);           \
  } else if (r < kPanelRows) {                                                      \
    AddToDoubles(da, p##r##0, sums + r * width, first);                             \
    if (kVectors > 1) AddToDoubles(da, p##r##1, sums + r * width + lanes, first);   \
  }
  SIMDKIT_PANEL_FLUSH(0) SIMDKIT_PANEL_FLUSH(1) SIMDKIT_PANEL_FLUSH(2) SIMDKIT_PANEL_FLUSH(3)
  SIMDKIT_PANEL_FLUSH(4) SIMDKIT_PANEL_FLUSH(5) SIMDKIT_PANEL_FLUSH(6) SIMDKIT_PANEL_FLUSH(7)
  SIMDKIT_PANEL_FLUSH(8) SIMDKIT_PANEL_FLUSH(9) SIMDKIT_PANEL_FLUSH(10) SIMDKIT_PANEL_FLUSH(11)
#undef SIMDKIT_PANEL_FLUSH
}

// Vectors of FinishSums' results as it stores them, a double vector's worth
// at a time: reading back what it just stored a whole float vector at a time
// would wait for two stores to forward (the hottest load of topk's finishing).
template <typename Result>
using FinishedTag = hn::Rebind<Result, hn::ScalableTag<double>>;

// FinishSums' `exact` where the sums are the metric's own terms.
struct NoRecompute {
  double operator()(size_t) const { return std::numeric_limits<double>::quiet_NaN(); }
};

// The metric's values of `cols` sums of one row against columns [0, cols)
// (FinishTileSum, vectorised where the target converts double to float as a
// cast does: the portable fallbacks clamp to the largest finite float
// instead of rounding to infinity). `row_factor` and `column_factors` are
// RowFactor's: cosine multiplies by the first argument's inverse norm first,
// whichever side of the tile it is on (`row_first`: the row's, else the
// columns'), so that a pair's value does not depend on the orientation; the
// norm form (products summed for IsNormForm metrics: PanelTerm) adds the
// squared norms, and takes exact(c), the pair's sum((a-b)^2), where it cannot
// keep the value (NormFormFloor); integer sums (kExactSums) are exact, and
// so is the norm form's value from them.
template <Term term, bool kExactSums = false, typename Result, class Exact = NoRecompute>
void FinishSums(Metric metric, const double* HWY_RESTRICT sums, size_t cols, double row_factor,
                const double* HWY_RESTRICT column_factors, bool row_first, size_t n,
                Result* HWY_RESTRICT out, const Exact& exact = Exact()) {
  const bool cosine = metric == Metric::kCosine;
  const bool norm_form = term == Term::kProduct && IsNormForm(metric);
  constexpr double kFloor = kExactSums ? 0.0 : NormFormFloor<Result>();
  const auto norm_form_value = [&](size_t c) {
    const double norms = row_factor + column_factors[c];
    const double value = norms - (sums[c] + sums[c]);
    // Not "below the floor": NaN and infinities are recomputed too.
    return value >= kFloor * norms && value < HUGE_VAL ? value : exact(c);
  };
  size_t c = 0;
#if !SIMDKIT_IS_PORTABLE_FALLBACK
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t lanes = hn::Lanes(dd);
  const auto zero = hn::Zero(dd), one = hn::Set(dd, 1.0), two = hn::Set(dd, 2.0);
  const auto row = hn::Set(dd, row_factor);
  const auto count = hn::Set(dd, static_cast<double>(n));
  const auto floor_factor = hn::Set(dd, kFloor), infinity = hn::Set(dd, HUGE_VAL);
  for (; c + lanes <= cols; c += lanes) {
    auto v = hn::LoadU(dd, sums + c);
    if (cosine) {
      const auto columns = hn::LoadU(dd, column_factors + c);
      v = row_first ? hn::Mul(hn::Mul(v, row), columns) : hn::Mul(hn::Mul(v, columns), row);
      v = hn::Sub(one, v);
      // Comparisons, not Min/Max: NaN stays NaN (see CosineDistance).
      v = hn::IfThenElse(hn::Lt(v, zero), zero, v);
      v = hn::IfThenElse(hn::Gt(v, two), two, v);
    } else if (norm_form) {
      const auto norms = hn::Add(row, hn::LoadU(dd, column_factors + c));
      v = hn::Sub(norms, hn::Add(v, v));
      if (!hn::AllTrue(dd, hn::And(hn::Ge(v, hn::Mul(floor_factor, norms)), hn::Lt(v, infinity)))) {
        HWY_ALIGN double values[hn::MaxLanes(dd)];
        for (size_t l = 0; l < lanes; ++l) values[l] = norm_form_value(c + l);
        v = hn::Load(dd, values);
      }
      if (metric == Metric::kEuclidean) v = hn::Sqrt(v);
    } else if (metric == Metric::kEuclidean) {
      v = hn::Sqrt(v);
    } else if (metric == Metric::kHamming) {
      v = hn::Div(v, count);
    }
    if constexpr (std::is_same_v<Result, double>) {
      hn::StoreU(v, dd, out + c);
    } else {
      hn::StoreU(hn::DemoteTo(df, v), df, out + c);
    }
  }
#endif
  for (; c < cols; ++c) {
    if (norm_form) {
      const double value = norm_form_value(c);
      out[c] = static_cast<Result>(metric == Metric::kEuclidean ? std::sqrt(value) : value);
      continue;
    }
    const double row_norm = cosine ? row_factor : 0.0;
    const double column_norm = cosine ? column_factors[c] : 0.0;
    out[c] = static_cast<Result>(FinishTileSum(metric, /*bits=*/false, sums[c],
                                               row_first ? row_norm : column_norm,
                                               row_first ? column_norm : row_norm, n));
  }
}

// Sums of kPanelRows rows against one panel over the whole depth of `units`
// units, kDepthBlock at a time, into sums[r * PanelWidth + c] (or, that
// being one block, stored as they are into totals if given: PanelSums).
template <typename Stored, Term term, size_t kVectors, class DU, typename Unit = hn::TFromD<DU>,
          typename Total = PanelTotalOf<Stored>>
HWY_INLINE void PanelTotals(DU du, const Unit* HWY_RESTRICT rows, size_t row_stride,
                            const Unit* HWY_RESTRICT panel, size_t units,
                            double* HWY_RESTRICT sums, Total* HWY_RESTRICT totals) {
  const size_t width = kVectors * hn::Lanes(du);
  for (size_t k0 = 0; k0 < units; k0 += kDepthBlock) {
    PanelSums<Stored, term, kVectors>(du, rows + k0, row_stride, panel + k0 * width,
                                      HWY_MIN(kDepthBlock, units - k0), sums, k0 == 0, totals);
  }
}

// Rows of the packed side per chunk: a whole number of panels in
// kPanelChunkBytes, at most the `count` rows there are (rounded up to a panel).
template <typename Stored>
size_t PanelChunkRows(size_t n, size_t count) {
  const size_t width = PanelWidth(PanelTag<Stored>(), count);
  const size_t row_bytes = UnitsOf<Stored>(n) * sizeof(PanelUnitOf<Stored>);
  const size_t chunk = HWY_MAX(width, kPanelChunkBytes / row_bytes / width * width);
  return HWY_MIN(chunk, (count + width - 1) / width * width);
}

// Units a row of n elements takes in BroadcastRows' block: whole vectors.
template <typename Stored>
size_t BlockStride(size_t n) {
  const size_t lanes = hn::Lanes(PanelTag<Stored>());
  return (UnitsOf<Stored>(n) + lanes - 1) / lanes * lanes;
}

// Rows [i, i + rows) of `view` (rows <= kPanelRows) ready to broadcast, as
// units: where they are when there are kPanelRows of the compute type, else
// widened and zero-padded into `block` (aligned, kPanelRows rows of
// BlockStride units). Sets `stride` (in units).
template <typename Stored, typename Unit = PanelUnitOf<Stored>>
const Unit* BroadcastRows(const MatrixView& view, size_t i, size_t rows, Unit* block,
                          size_t& stride) {
  const auto* data = static_cast<const MemoryOf<Stored>*>(view.data) + i * view.row_stride;
  if constexpr (std::is_same_v<MemoryOf<Stored>, Unit>) {
    if (rows == kPanelRows) {
      stride = view.row_stride;
      return data;
    }
  }
  const PanelTag<Stored> du;
  const size_t n = view.cols, step = hn::Lanes(du) * kUnitElements<Stored>;
  stride = BlockStride<Stored>(n);
  for (size_t r = 0; r < rows; ++r) {
    const auto* row = data + r * view.row_stride;
    Unit* out = block + r * stride;
    for (size_t e = 0; e < n; e += step, out += hn::Lanes(du)) {
      hn::Store(n - e >= step ? LoadUnits<Stored>(du, row + e, /*broadcast_side=*/true)
                              : LoadUnitsPartial<Stored>(du, row + e, n - e, true),
                du, out);
    }
  }
  std::fill(block + rows * stride, block + kPanelRows * stride, Unit{0});
  return block;
}

// Whether a panel block's float32 sums are its results as they are: a metric
// whose value is its sum (dot, cityblock) over a depth of one block, which
// FinishSums would widen to double and narrow back to the same bits (a
// quarter of a 4096 x 4096 x 128 dot at d = 128, most of it at d = 4).
template <typename Compute>
bool PanelValuesAreSums(Metric metric, size_t n) {
  return std::is_same_v<Compute, float> && n <= kDepthBlock &&
         (metric == Metric::kDot || metric == Metric::kCityblock);
}

// One block of the panel form's sums: broadcast rows [i, i + rows) against
// packed rows [j, j + cols) of a panel of `width` rows, sums[r * width + c]
// being the sum of broadcast row i + r with packed row j + c; their RowFactor
// (norm form) in broadcast_factors[r] and packed_factors[c].
struct PanelBlock {
  size_t i, rows, j, cols, width;
  const double* sums;
  // Where PanelValuesAreSums: the block's float results, values[r * width + c]
  // (sums is then unused); else nullptr.
  const float* values;
  const double* broadcast_factors;
  const double* packed_factors;
};

// The panel form's loop: rows [p_begin, p_end) of `packed` are packed as
// panels a chunk at a time (a chunk stays in L2), with their RowFactor, and
// rows [b_begin, b_end) of `broadcast` pass over each chunk kPanelRows at a
// time, read where they are when they can be, their factors taken as the
// block first comes into cache (once per chunk: no pass of its own over
// either side), or from the squared norms given for a side (nullptr: none
// known). Calls chunk_packed(j0, j_end) after packing a chunk, emit for each
// block, and chunk_done(j0, j_end) after a chunk. `upper_triangle` (pdist,
// where both sides are one matrix): only broadcast rows below a chunk's last
// packed row pass over it, and only over the panels that hold a column past
// their first row, as only those have pairs (i < j).
using ChunkCallback = FunctionRef<void(size_t, size_t)>;
using PanelEmit = FunctionRef<void(const PanelBlock&)>;

template <typename Stored, Term term>
void PanelPasses(Metric metric, const MatrixView& broadcast, size_t b_begin, size_t b_end,
                 const double* broadcast_norms, const MatrixView& packed, size_t p_begin,
                 size_t p_end, const double* packed_norms, ChunkCallback chunk_packed,
                 PanelEmit emit, ChunkCallback chunk_done, bool upper_triangle = false) {
  using Layout = PanelLayoutOf<Stored, term>;
  using Unit = PanelUnitOf<Layout>;
  using Total = PanelTotalOf<Layout>;
  const PanelTag<Layout> du;
  const auto* rows_to_pack = static_cast<const MemoryOf<Stored>*>(packed.data);
  const auto* broadcast_data = static_cast<const MemoryOf<Stored>*>(broadcast.data);
  const size_t n = packed.cols, units = UnitsOf<Layout>(n);
  const size_t width = PanelWidth(du, p_end - p_begin);
  const size_t chunk = PanelChunkRows<Layout>(n, p_end - p_begin);
  auto panels = hwy::AllocateAligned<Unit>(chunk * units);
  auto block = hwy::AllocateAligned<Unit>(kPanelRows * BlockStride<Layout>(n));
  // QuadOffsets: per packed row (int8) or broadcast row (uint8).
  constexpr bool kPackedOffsets = QuadFlipped<Layout>(/*broadcast_side=*/true);
  constexpr bool kBroadcastOffsets = QuadFlipped<Layout>(/*broadcast_side=*/false);
  std::vector<double> packed_offsets(kPackedOffsets ? chunk : 0);
  double broadcast_offsets[kPanelRows];
  auto scratch = hwy::AllocateAligned<Unit>(width * hn::Lanes(du));
  std::vector<double> packed_factors(chunk);
  double broadcast_factors[kPanelRows];
  HWY_ALIGN double sums[kPanelRows * kPanelVectors * hn::MaxLanes(du)];
  HWY_ALIGN Total values[kPanelRows * kPanelVectors * hn::MaxLanes(du)];
  Total* direct = PanelValuesAreSums<Total>(metric, n) ? values : nullptr;
  const float* direct_values = nullptr;  // PanelBlock's view of them
  if constexpr (std::is_same_v<Total, float>) direct_values = direct;
  for (size_t j0 = p_begin; j0 < p_end; j0 += chunk) {
    const size_t j_end = HWY_MIN(p_end, j0 + chunk);
    PackPanels<Layout>(du, rows_to_pack + j0 * packed.row_stride, packed.row_stride, j_end - j0,
                       n, panels.get(), scratch.get());
    if constexpr (kPackedOffsets) {
      for (size_t j = j0; j < j_end; ++j) {
        packed_offsets[j - j0] = -128.0 * ElementSum(rows_to_pack + j * packed.row_stride, n);
      }
    }
    RowFactorsOf<Stored>(metric, packed, j0, j_end - j0, /*norm_form=*/true, packed_norms,
                         packed_factors.data());
    chunk_packed(j0, j_end);
    const size_t chunk_b_end = upper_triangle ? HWY_MIN(b_end, j_end - 1) : b_end;
    for (size_t i = b_begin; i < chunk_b_end; i += kPanelRows) {
      const size_t rows = HWY_MIN(kPanelRows, chunk_b_end - i);
      RowFactorsOf<Stored>(metric, broadcast, i, rows, /*norm_form=*/true, broadcast_norms,
                           broadcast_factors);
      if constexpr (kBroadcastOffsets) {
        for (size_t r = 0; r < rows; ++r) {
          broadcast_offsets[r] =
              128.0 * ElementSum(broadcast_data + (i + r) * broadcast.row_stride, n);
        }
      }
      size_t stride;
      const Unit* rows_to_broadcast = BroadcastRows<Layout>(broadcast, i, rows, block.get(), stride);
      // Panels start every kPanelVectors vectors (the last may be narrower):
      // the upper triangle skips those that end at or before column i + 1.
      const size_t full_width = kPanelVectors * hn::Lanes(du);
      const size_t first_panel =
          upper_triangle && i + 1 > j0 ? j0 + (i + 1 - j0) / full_width * full_width : j0;
      for (size_t j = first_panel, panel_width; j < j_end; j += panel_width) {
        panel_width = PanelWidth(du, j_end - j);
        const Unit* panel = panels.get() + (j - j0) * units;
        if (panel_width == hn::Lanes(du)) {
          PanelTotals<Layout, term, 1>(du, rows_to_broadcast, stride, panel, units, sums, direct);
        } else {
          PanelTotals<Layout, term, kPanelVectors>(du, rows_to_broadcast, stride, panel, units,
                                                   sums, direct);
        }
        const size_t cols = HWY_MIN(panel_width, j_end - j);
        if constexpr (kPackedOffsets || kBroadcastOffsets) {
          for (size_t r = 0; r < rows; ++r) {
            for (size_t c = 0; c < cols; ++c) {
              sums[r * panel_width + c] +=
                  kPackedOffsets ? packed_offsets[j - j0 + c] : broadcast_offsets[r];
            }
          }
        }
        emit(PanelBlock{i, rows, j, cols, panel_width, sums,
                        direct_values, broadcast_factors, packed_factors.data() + (j - j0)});
      }
    }
    chunk_done(j0, j_end);
  }
}

// Rows [row_begin, row_end) of cdist through panels: a's rows broadcast, b
// packed (a has at least kPanelRows rows). b_norms: b's squared norms, if
// known.
// The values of row r of a panel block against its columns [c0, cols), into
// out[0, cols - c0): broadcast row block.i + r of `broadcast` with rows
// block.j + c0 on of `packed`.
template <typename Stored, Term term>
void FinishBlockRow(Metric metric, const PanelBlock& block, size_t r, size_t c0,
                    const MatrixView& broadcast, const MatrixView& packed,
                    ResultOf<Stored>* out) {
  const size_t cols = block.cols - c0;
  if constexpr (std::is_same_v<ResultOf<Stored>, float>) {
    if (block.values != nullptr) {
      std::copy_n(block.values + r * block.width + c0, cols, out);
      return;
    }
  }
  const auto* a_row = static_cast<const MemoryOf<Stored>*>(broadcast.data) +
                      (block.i + r) * broadcast.row_stride;
  const auto* b = static_cast<const MemoryOf<Stored>*>(packed.data);
  const size_t n = broadcast.cols;
  FinishSums<term, std::is_integral_v<ComputeOf<Stored>>>(
      metric, block.sums + r * block.width + c0, cols, block.broadcast_factors[r],
      block.packed_factors + c0, /*row_first=*/true, n, out, [&](size_t c) {
        return SquaredDifferenceSum<Stored>(a_row, b + (block.j + c0 + c) * packed.row_stride, n);
      });
}

template <typename Stored, Term term>
void PanelCdistRows(Metric metric, const MatrixView& av, const MatrixView& bv,
                    const double* b_norms, size_t row_begin, size_t row_end,
                    ResultOf<Stored>* out, size_t out_stride) {
  const auto ignore_chunk = [](size_t, size_t) {};
  PanelPasses<Stored, term>(
      metric, av, row_begin, row_end, nullptr, bv, 0, bv.rows, b_norms, ignore_chunk,
      [&](const PanelBlock& block) {
        for (size_t r = 0; r < block.rows; ++r) {
          FinishBlockRow<Stored, term>(metric, block, r, 0, av, bv,
                                       out + (block.i + r) * out_stride + block.j);
        }
      },
      ignore_chunk);
}

// pdist through panels: the packed rows [j_begin, j_end) of x, a chunk at a
// time, against the rows of x before each, into the condensed matrix.
// `squared_norms`: every row's, where the metric takes row factors.
template <typename Stored, Term term>
void PanelPdistColumns(Metric metric, const MatrixView& x, const double* squared_norms,
                       size_t j_begin, size_t j_end, ResultOf<Stored>* out) {
  const auto ignore_chunk = [](size_t, size_t) {};
  PanelPasses<Stored, term>(
      metric, x, 0, j_end - 1, squared_norms, x, j_begin, j_end, squared_norms, ignore_chunk,
      [&](const PanelBlock& block) {
        for (size_t r = 0; r < block.rows; ++r) {
          const size_t i = block.i + r;
          if (block.j + block.cols <= i + 1) continue;  // no column j > i
          const size_t c0 = i + 1 > block.j ? i + 1 - block.j : 0;
          FinishBlockRow<Stored, term>(metric, block, r, c0, x, x,
                                       out + pdist_index(x.rows, i, block.j + c0));
        }
      },
      ignore_chunk, /*upper_triangle=*/true);
}

// topk for queries [q_begin, q_end) through panels: the queries packed, x's
// rows broadcast in index order, read once per chunk of queries; no distance
// matrix. Each finished row of a tile is compared, a vector at a time, with
// every query's TopKList::Threshold, and only the values that may enter a
// list are offered to it.
template <typename Stored, Term term>
void PanelTopK(Metric metric, const MatrixView& queries, const MatrixView& x,
               const double* x_norms, size_t q_begin, size_t q_end, size_t k, int64_t* indices,
               ResultOf<Stored>* best) {
  using Result = ResultOf<Stored>;
  const FinishedTag<Result> dr;
  const size_t result_lanes = hn::Lanes(dr);
  const size_t n = queries.cols;
  const size_t chunk = PanelChunkRows<PanelLayoutOf<Stored, term>>(n, q_end - q_begin);
  const auto* q_data = static_cast<const MemoryOf<Stored>*>(queries.data);
  const auto* x_data = static_cast<const MemoryOf<Stored>*>(x.data);
  const bool larger_first = larger_is_closer(metric);
  std::vector<TopKList<Result>> lists;
  auto thresholds = hwy::AllocateAligned<Result>(chunk);
  HWY_ALIGN Result values[kPanelRows * kPanelVectors * hn::MaxLanes(PanelTag<Stored>())] = {};
  size_t chunk_first = 0;
  PanelPasses<Stored, term>(
      metric, x, 0, x.rows, x_norms, queries, q_begin, q_end, nullptr,
      [&](size_t q0, size_t q_chunk_end) {
        chunk_first = q0;
        lists.assign(q_chunk_end - q0, TopKList<Result>(k, metric));
        std::fill(thresholds.get(), thresholds.get() + chunk,
                  std::numeric_limits<Result>::quiet_NaN());
      },
      [&](const PanelBlock& block) {
        const size_t j = block.j, cols = block.cols;
        Result* HWY_RESTRICT threshold = thresholds.get() + (j - chunk_first);
        for (size_t r = 0; r < block.rows; ++r) {
          const size_t i = block.i + r;
          const Result* direct_values = nullptr;
          if constexpr (std::is_same_v<Result, float>) direct_values = block.values;
          const Result* row_values =
              (direct_values != nullptr ? direct_values : values) + r * block.width;
          if (direct_values == nullptr) {
            const auto* x_row = x_data + i * x.row_stride;
            FinishSums<term, std::is_integral_v<ComputeOf<Stored>>>(metric, block.sums + r * block.width, cols,
                             block.broadcast_factors[r], block.packed_factors, /*row_first=*/false,
                             n, values + r * block.width, [&](size_t c) {
                               return SquaredDifferenceSum<Stored>(
                                   q_data + (j + c) * queries.row_stride, x_row, n);
                             });
          }
          for (size_t c0 = 0; c0 < cols; c0 += result_lanes) {
            // Not "worse or equal": true for NaN values and NaN thresholds too.
            // Lanes past the panel's last query are not compared: their
            // thresholds stay NaN, which would send every row to the lists.
            const auto v = hn::Load(dr, row_values + c0);
            const auto t = hn::Load(dr, threshold + c0);
            const auto may_enter = hn::And(
                hn::FirstN(dr, cols - c0), larger_first ? hn::Not(hn::Le(v, t)) : hn::Not(hn::Ge(v, t)));
            if (hn::AllFalse(dr, may_enter)) continue;
            // Only the lanes that may enter: each is another query's list, so
            // an offer changes no other lane's threshold.
            for (uint64_t bits = MaskBits(dr, may_enter); bits != 0; bits &= bits - 1) {
              const size_t c = c0 + hwy::Num0BitsBelowLS1Bit_Nonzero64(bits);
              TopKList<Result>& list = lists[j + c - chunk_first];
              list.Offer(row_values + c, 1, i);
              threshold[c] = list.Threshold();
            }
          }
        }
      },
      [&](size_t q0, size_t q_chunk_end) {
        for (size_t query = q0; query < q_chunk_end; ++query) {
          lists[query - q0].Write(indices + query * k, best + query * k);
        }
      });
}

// The few-rows form of cdist and topk for floating terms (UseFewRows): one
// side has fewer than kPanelRows rows (the short side: one query or a few),
// the other (the long side) passes once, in order, read where it is.
//
// The short side is packed widened (ShortSide) and stays in L1. Each
// accumulator is one pair with its lanes along the depth, as in a dot
// product; kShortGroup short rows x kLongRows long rows accumulate at once, so
// that a load of the long side serves kShortGroup multiply-adds and a load of
// the short side kLongRows. Every kBlockSteps steps the accumulators of 4 long
// rows are reduced together, adjacent lanes pairwise (PairUp: two levels in
// registers, the rest over a small stage once FewGroupRows long rows are
// there) rather than one horizontal sum per pair, and the totals are added
// into double. A pair's lanes go through the same pairwise tree wherever the
// pair sits (short or long side, which group, which slot), so its value
// depends only on its rows.
#if SIMDKIT_HAS_32_VECTOR_REGISTERS
constexpr size_t kShortGroup = 4;  // 16 accumulators, 4 long-row vectors, temporaries
#else
constexpr size_t kShortGroup = 2;  // 8 accumulators of the 16 registers
#endif
constexpr size_t kLongRows = 4;

// Long rows reduced together: a vector's worth, at least kLongRows.
template <class DC>
HWY_INLINE size_t FewGroupRows(DC dc) {
  return HWY_MAX(hn::Lanes(dc), kLongRows);
}

// The step at element i of a row of n elements whose last step is partial
// (i + lanes > n), widened: the vector that ends with the row, with the lanes
// of elements before i zeroed (rows of a vector or more: no partial load), or
// a zero-padded partial load (shorter rows). Both sides of the few-rows form
// take their last step through here, so that their lanes match.
template <typename Stored, class DC>
HWY_INLINE hn::Vec<DC> LoadLastStep(DC dc, const MemoryOf<Stored>* HWY_RESTRICT row, size_t i,
                                    size_t n) {
  const size_t lanes = hn::Lanes(dc);
  if (n < lanes) return LoadWidenedPartial<Stored>(dc, row, n);
  return hn::IfThenElseZero(hn::Not(hn::FirstN(dc, i + lanes - n)),
                            LoadWidened<Stored>(dc, row + n - lanes));
}

// Elements per packed short row: the row's steps, the last one whole.
template <typename Stored>
size_t ShortStride(size_t n) {
  const size_t lanes = hn::Lanes(ComputeTag<Stored>());
  return (n + lanes - 1) / lanes * lanes;
}

// The short side packed: its rows widened, ShortStride apart, as the steps
// of the long side will be loaded; and its inverse norms for cosine
// (squared_norms: the rows' own, if known).
template <typename Stored>
struct ShortSide {
  ShortSide(const MatrixView& view, bool cosine, const double* squared_norms)
      : count(view.rows), stride(ShortStride<Stored>(view.cols)), rows(count * stride) {
    const ComputeTag<Stored> dc;
    const size_t lanes = hn::Lanes(dc), n = view.cols;
    if (cosine) inverse_norms.reserve(count);
    for (size_t r = 0; r < count; ++r) {
      const auto* row = static_cast<const MemoryOf<Stored>*>(view.data) + r * view.row_stride;
      ComputeOf<Stored>* out = rows.get() + r * stride;
      size_t i = 0;
      for (; i + lanes <= n; i += lanes) hn::Store(LoadWidened<Stored>(dc, row + i), dc, out + i);
      if (i < n) hn::Store(LoadLastStep<Stored>(dc, row, i, n), dc, out + i);
      if (cosine) {
        inverse_norms.push_back(squared_norms != nullptr ? InverseNormOf(squared_norms[r])
                                                         : InverseNorm<Stored>(row, n));
      }
    }
  }

  size_t count, stride;
  ScratchArray<ComputeOf<Stored>> rows;
  std::vector<double> inverse_norms;
};

#if !SIMDKIT_HAS_SINGLE_LANE_VECTORS
// Adjacent lanes of a summed in pairs into the lower half, those of b into
// the upper half.
template <class DC, class V>
HWY_INLINE V PairUp(DC dc, V a, V b) {
  return hn::Add(hn::ConcatEven(dc, b, a), hn::ConcatOdd(dc, b, a));
}
#endif

// Two PairUp levels over the accumulators of 4 long rows, into stage[0,
// max(lanes, 4)): row r's partial sums in lanes [r lanes / 4, (r + 1) lanes
// / 4), or, with fewer than 4 lanes, the 4 rows' totals.
template <class DC, class V>
HWY_INLINE void ReduceLongRows(DC dc, V v0, V v1, V v2, V v3, hn::TFromD<DC>* HWY_RESTRICT stage) {
#if SIMDKIT_HAS_SINGLE_LANE_VECTORS
  (void)dc;
  stage[0] = hn::GetLane(v0);
  stage[1] = hn::GetLane(v1);
  stage[2] = hn::GetLane(v2);
  stage[3] = hn::GetLane(v3);
#else
  const V low = PairUp(dc, v0, v1), high = PairUp(dc, v2, v3);
  if (hn::Lanes(dc) == 2) {
    hn::Store(low, dc, stage);
    hn::Store(high, dc, stage + 2);
  } else {
    hn::Store(PairUp(dc, low, high), dc, stage);
  }
#endif
}

// The remaining PairUp levels over one short row's stage, which holds
// FewGroupRows long rows as ReduceLongRows left them, 4 rows a vector: their
// totals, in order, in stage[0, FewGroupRows).
template <class DC, typename T = hn::TFromD<DC>>
HWY_INLINE void FinishLongRows(DC dc, T* HWY_RESTRICT stage) {
#if SIMDKIT_HAS_SINGLE_LANE_VECTORS
  (void)dc;
  (void)stage;
#else
  const size_t lanes = hn::Lanes(dc);
  for (size_t count = lanes / kLongRows; count > 1; count /= 2) {
    for (size_t t = 0; t < count / 2; ++t) {
      const auto low = hn::Load(dc, stage + 2 * t * lanes);
      const auto high = hn::Load(dc, stage + (2 * t + 1) * lanes);
      hn::Store(PairUp(dc, low, high), dc, stage + t * lanes);
    }
  }
#endif
}

// Sums of `term` of kShort packed short rows (short_rows, short_stride apart)
// with kLongRows long rows (long_rows[r], where they are) over the elements
// [i_begin, i_end) (whole steps; i_end may be the row's padded end, its last
// step then partial), reduced by ReduceLongRows into stage + s * stage_stride
// for short row s. Accumulators are named variables, not arrays: SVE vectors
// are sizeless.
template <typename Stored, Term term, size_t kShort, class DC, typename T = hn::TFromD<DC>>
HWY_INLINE void FewRowSums(DC dc, const MemoryOf<Stored>* const* HWY_RESTRICT long_rows,
                           const T* HWY_RESTRICT short_rows, size_t short_stride, size_t i_begin,
                           size_t i_end, size_t n, T* HWY_RESTRICT stage, size_t stage_stride) {
  using V = hn::Vec<DC>;
  const size_t lanes = hn::Lanes(dc);
  const MemoryOf<Stored>* HWY_RESTRICT r0 = long_rows[0];
  const MemoryOf<Stored>* HWY_RESTRICT r1 = long_rows[1];
  const MemoryOf<Stored>* HWY_RESTRICT r2 = long_rows[2];
  const MemoryOf<Stored>* HWY_RESTRICT r3 = long_rows[3];
  V unused = hn::Zero(dc);  // AddTerm's second accumulator: integer terms only
#define SIMDKIT_FEW_SHORT(s) \
  V f##s##0 = hn::Zero(dc), f##s##1 = hn::Zero(dc), f##s##2 = hn::Zero(dc), f##s##3 = hn::Zero(dc);
  SIMDKIT_FEW_SHORT(0) SIMDKIT_FEW_SHORT(1) SIMDKIT_FEW_SHORT(2) SIMDKIT_FEW_SHORT(3)
#undef SIMDKIT_FEW_SHORT
  size_t i = i_begin;
  // One step; `load(row)` widens this step of a long row.
  const auto few_step = [&](const auto& load) HWY_ATTR {
    const V x0 = load(r0), x1 = load(r1), x2 = load(r2), x3 = load(r3);
#define SIMDKIT_FEW_STEP(s)                                       \
  if (s < kShort) {                                               \
    const V y = hn::Load(dc, short_rows + s * short_stride + i); \
    AddTerm<term>(dc, dc, x0, y, f##s##0, unused);                \
    AddTerm<term>(dc, dc, x1, y, f##s##1, unused);                \
    AddTerm<term>(dc, dc, x2, y, f##s##2, unused);                \
    AddTerm<term>(dc, dc, x3, y, f##s##3, unused);                \
  }
    SIMDKIT_FEW_STEP(0) SIMDKIT_FEW_STEP(1) SIMDKIT_FEW_STEP(2) SIMDKIT_FEW_STEP(3)
#undef SIMDKIT_FEW_STEP
  };
  const size_t whole_end = HWY_MIN(i_end, n / lanes * lanes);
  for (; i < whole_end; i += lanes) {
    few_step([&](const MemoryOf<Stored>* row) HWY_ATTR {
      return LoadWidened<Stored>(dc, row + i);
    });
  }
  if (i < i_end) {
    few_step([&](const MemoryOf<Stored>* row) HWY_ATTR {
      return LoadLastStep<Stored>(dc, row, i, n);
    });
  }
#define SIMDKIT_FEW_REDUCE(s) \
  if (s < kShort) ReduceLongRows(dc, f##s##0, f##s##1, f##s##2, f##s##3, stage + s * stage_stride);
  SIMDKIT_FEW_REDUCE(0) SIMDKIT_FEW_REDUCE(1) SIMDKIT_FEW_REDUCE(2) SIMDKIT_FEW_REDUCE(3)
#undef SIMDKIT_FEW_REDUCE
}

// The few-rows form's loop: rows [begin, end) of `long_side` pass once, in
// order, FewGroupRows at a time, over the packed short side; calls emit(j,
// rows, sums) for each group of long rows [j, j + rows), sums[s * group + r]
// being the sum of short row s with long row j + r in double (group:
// FewGroupRows). A group's rows stay in L1 or L2 while every short row and
// depth block passes over them.
using FewRowEmit = FunctionRef<void(size_t, size_t, const double*)>;

template <typename Stored, Term term>
void FewRowPasses(const MatrixView& long_side, size_t begin, size_t end,
                  const ShortSide<Stored>& short_side, FewRowEmit emit) {
  using Compute = ComputeOf<Stored>;
  const ComputeTag<Stored> dc;
  const size_t lanes = hn::Lanes(dc), n = long_side.cols, group = FewGroupRows(dc);
  const size_t padded = short_side.stride, shorts = short_side.count;
  const size_t stage_stride = group / kLongRows * HWY_MAX(lanes, kLongRows);
  const ScratchArray<Compute> stage(shorts * stage_stride);
  const ScratchArray<double, 2048> sums(shorts * group);
  const auto* data = static_cast<const MemoryOf<Stored>*>(long_side.data);
  for (size_t j = begin; j < end; j += group) {
    // Whole sets of kLongRows long rows that hold a row; the stage of the
    // others is zeroed, not computed (their sums are not emitted).
    const size_t present = HWY_MIN(group, (end - j + kLongRows - 1) / kLongRows * kLongRows);
    for (size_t r0 = present; r0 < group; r0 += kLongRows) {
      for (size_t s = 0; s < shorts; ++s) {
        Compute* out = stage.get() + s * stage_stride + r0 / kLongRows * HWY_MAX(lanes, kLongRows);
        for (size_t k = 0; k < HWY_MAX(lanes, kLongRows); k += lanes) hn::Store(hn::Zero(dc), dc, out + k);
      }
    }
    for (size_t i0 = 0; i0 < padded; i0 += kBlockSteps * lanes) {
      const size_t i1 = HWY_MIN(padded, i0 + kBlockSteps * lanes);
      for (size_t r0 = 0; r0 < present; r0 += kLongRows) {
        // Rows past the end repeat the last one; their sums are not emitted.
        const MemoryOf<Stored>* long_rows[kLongRows];
        for (size_t r = 0; r < kLongRows; ++r) {
          long_rows[r] = data + HWY_MIN(j + r0 + r, end - 1) * long_side.row_stride;
        }
        Compute* out = stage.get() + r0 / kLongRows * HWY_MAX(lanes, kLongRows);
        for (size_t s0 = 0; s0 < shorts; s0 += kShortGroup) {
          const Compute* y = short_side.rows.get() + s0 * padded;
          Compute* s_out = out + s0 * stage_stride;
          const size_t count = HWY_MIN(kShortGroup, shorts - s0);
          if (count == 1) {
            FewRowSums<Stored, term, 1>(dc, long_rows, y, padded, i0, i1, n, s_out, stage_stride);
          } else if (count == 2) {
            FewRowSums<Stored, term, 2>(dc, long_rows, y, padded, i0, i1, n, s_out, stage_stride);
          } else if constexpr (kShortGroup == 4) {
            if (count == 3) {
              FewRowSums<Stored, term, 3>(dc, long_rows, y, padded, i0, i1, n, s_out, stage_stride);
            } else {
              FewRowSums<Stored, term, 4>(dc, long_rows, y, padded, i0, i1, n, s_out, stage_stride);
            }
          }
        }
      }
      for (size_t s = 0; s < shorts; ++s) {
        Compute* totals = stage.get() + s * stage_stride;
        FinishLongRows(dc, totals);
        for (size_t r = 0; r < group; r += lanes) {
          AddToDoubles(dc, hn::Load(dc, totals + r), sums.get() + s * group + r, i0 == 0);
        }
      }
    }
    emit(j, HWY_MIN(group, end - j), static_cast<const double*>(sums.get()));
  }
}

// cdist through the few-rows form: the side with fewer rows (a on a tie)
// packed, the other streamed, split across threads. b_squared_norms: b's, if
// known.
template <typename Stored, Term term>
void FewCdist(Metric metric, const MatrixView& av, const MatrixView& bv,
              const double* b_squared_norms, ResultOf<Stored>* out, size_t out_stride,
              size_t threads) {
  const bool a_short = av.rows <= bv.rows, cosine = metric == Metric::kCosine;
  const MatrixView& long_side = a_short ? bv : av;
  const double* long_squared_norms = a_short ? b_squared_norms : nullptr;
  const ShortSide<Stored> short_side(a_short ? av : bv, cosine,
                                     a_short ? nullptr : b_squared_norms);
  const size_t n = av.cols, group = FewGroupRows(ComputeTag<Stored>());
  const size_t work = av.rows * bv.rows * n;
  ParallelRows(threads, long_side.rows, work, [&](size_t begin, size_t end) {
    const ScratchArray<double, 1024> long_norms(cosine ? group : 0);
    const ScratchArray<double, 1024> row_sums(a_short ? 0 : short_side.count);
    FewRowPasses<Stored, term>(long_side, begin, end, short_side,
                               [&](size_t j, size_t rows, const double* sums) {
      if (cosine) {
        RowFactorsOf<Stored>(metric, long_side, j, rows, false, long_squared_norms,
                             long_norms.get());
      }
      for (size_t s = 0; s < short_side.count && a_short; ++s) {
        FinishSums<term>(metric, sums + s * group, rows,
                         cosine ? short_side.inverse_norms[s] : 0.0, long_norms.get(),
                         /*row_first=*/true, n, out + s * out_stride + j);
      }
      for (size_t r = 0; r < rows && !a_short; ++r) {
        for (size_t s = 0; s < short_side.count; ++s) row_sums.get()[s] = sums[s * group + r];
        FinishSums<term>(metric, row_sums.get(), short_side.count,
                         cosine ? long_norms.get()[r] : 0.0, short_side.inverse_norms.data(),
                         /*row_first=*/true, n, out + (j + r) * out_stride);
      }
    });
  });
}

// topk through the few-rows form. Few queries: x streams past them once, in
// index order, split across threads that each keep lists of their slice
// (merged at the end); each group's values are compared a vector at a time
// with the query's TopKList::Threshold, and only those that may enter are
// offered. Few rows of x: the queries stream past them, each query's list
// built from its few values.
template <typename Stored, Term term>
void FewTopK(Metric metric, const MatrixView& queries, const MatrixView& x,
             const double* x_squared_norms, size_t k, int64_t* indices, ResultOf<Stored>* best,
             size_t threads) {
  using Result = ResultOf<Stored>;
  const bool cosine = metric == Metric::kCosine;
  const size_t n = x.cols, group = FewGroupRows(ComputeTag<Stored>());
  const size_t work = queries.rows * x.rows * n;
  if (x.rows < queries.rows) {
    const ShortSide<Stored> short_x(x, cosine, x_squared_norms);
    ParallelRows(threads, queries.rows, work, [&](size_t begin, size_t end) {
      const ScratchArray<double, 1024> q_norms(cosine ? group : 0);
      const ScratchArray<double, 1024> row_sums(x.rows);
      const ScratchArray<Result, 1024> values(x.rows);
      FewRowPasses<Stored, term>(queries, begin, end, short_x,
                                 [&](size_t j, size_t rows, const double* sums) {
        if (cosine) RowFactorsOf<Stored>(metric, queries, j, rows, false, nullptr, q_norms.get());
        for (size_t r = 0; r < rows; ++r) {
          for (size_t c = 0; c < x.rows; ++c) row_sums.get()[c] = sums[c * group + r];
          FinishSums<term>(metric, row_sums.get(), x.rows, cosine ? q_norms.get()[r] : 0.0,
                           short_x.inverse_norms.data(), /*row_first=*/true, n, values.get());
          TopKList<Result> list(k, metric);
          list.OfferInIndexOrder(values.get(), x.rows, 0);
          list.Write(indices + (j + r) * k, best + (j + r) * k);
        }
      });
    });
    return;
  }
  const FinishedTag<Result> dr;
  const size_t result_lanes = hn::Lanes(dr);
  const bool larger_first = larger_is_closer(metric);
  const ShortSide<Stored> short_q(queries, cosine, nullptr);
  std::mutex merging;
  std::vector<std::vector<TopKList<Result>>> slices;  // each slice's lists
  ParallelRows(threads, x.rows, work, [&](size_t begin, size_t end) {
    std::vector<TopKList<Result>> lists(queries.rows, TopKList<Result>(k, metric));
    const ScratchArray<double, 1024> x_norms(cosine ? group : 0);
    const ScratchArray<Result, 1024> values(group);
    FewRowPasses<Stored, term>(x, begin, end, short_q,
                               [&](size_t j, size_t rows, const double* sums) {
      if (cosine) RowFactorsOf<Stored>(metric, x, j, rows, false, x_squared_norms, x_norms.get());
      for (size_t q = 0; q < queries.rows; ++q) {
        FinishSums<term>(metric, sums + q * group, rows,
                         cosine ? short_q.inverse_norms[q] : 0.0, x_norms.get(),
                         /*row_first=*/true, n, values.get());
        TopKList<Result>& list = lists[q];
        for (size_t c0 = 0; c0 < rows; c0 += result_lanes) {
          // Not "worse or equal": true for NaN values and NaN thresholds too.
          const auto v = hn::Load(dr, values.get() + c0);
          const auto t = hn::Set(dr, list.Threshold());
          const auto may_enter = hn::And(hn::FirstN(dr, rows - c0),
                                         larger_first ? hn::Not(hn::Le(v, t)) : hn::Not(hn::Ge(v, t)));
          if (hn::AllFalse(dr, may_enter)) continue;
          list.OfferInIndexOrder(values.get() + c0, HWY_MIN(result_lanes, rows - c0), j + c0);
        }
      }
    });
    const std::lock_guard<std::mutex> lock(merging);
    slices.push_back(std::move(lists));
  });
  // The k best of the slices' k best: each list is the exact k best of its
  // slice under one total order (value, NaN last, then index), so this is
  // the k best of x, whatever the split.
  // (One slice, as every small call has: nothing to merge, nothing to
  // allocate for it.)
  std::vector<int64_t> kept_indices(slices.size() > 1 ? k : 0);
  std::vector<Result> kept_values(kept_indices.size());
  for (size_t q = 0; q < queries.rows; ++q) {
    TopKList<Result>& merged = slices[0][q];
    for (size_t slice = 1; slice < slices.size(); ++slice) {
      const size_t kept = slices[slice][q].Write(kept_indices.data(), kept_values.data());
      for (size_t c = 0; c < kept; ++c) {
        merged.Offer(&kept_values[c], 1, static_cast<size_t>(kept_indices[c]));
      }
    }
    merged.Write(indices + q * k, best + q * k);
  }
}

// The longest row (packed, in bytes) that CdistRows packs for its tiles:
// beyond it, the pairs are computed one by one from the inputs.
constexpr size_t kMaxPackedRowBytes = size_t{4} << 20;

// Rows [row_begin, row_end) of the a×b distance matrix into `out`. For
// cosine, a's inverse row norms are given; b's are given, or computed here
// chunk by chunk (nullptr) while the chunk is in cache: a second pass over a
// large b from memory would cost as much as the products.
// Single-term metrics go through tiles (TiledRows below); cosine's norms are
// computed once per row. Floating terms with rows go through the few-rows
// form or the panels instead (UseFewRows, UsePanels), and so do int8/uint8
// with a block of rows on both sides where PairPanels.
template <typename Stored>
void CdistRows(Metric metric, const MatrixView& av, const MatrixView& bv, size_t row_begin,
               size_t row_end, const double* a_inverse_norms, const double* b_inverse_norms,
               ResultOf<Stored>* out, size_t out_stride) {
  using Memory = MemoryOf<Stored>;
  const auto* a = static_cast<const Memory*>(av.data);
  const auto* b = static_cast<const Memory*>(bv.data);
  const size_t n = av.cols;
  const bool is_bits = IsBits<Stored>();
  std::vector<double> chunk_inverse_norms;
  const double* chunk_norms = b_inverse_norms;  // b's norms from row chunk_first on
  size_t chunk_first = 0;
  const auto finish_pair = [&](size_t i, size_t j, double sum) {
    const bool cosine = metric == Metric::kCosine;
    out[i * out_stride + j] = static_cast<ResultOf<Stored>>(
        FinishTileSum(metric, is_bits, sum, cosine ? a_inverse_norms[i] : 0.0,
                      cosine ? chunk_norms[j - chunk_first] : 0.0, n));
  };
  const size_t row_bytes = HWY_MAX(size_t{1}, n * sizeof(Memory));
  const size_t chunk = HWY_MAX(kTileCols, (size_t{256} << 10) / row_bytes / kTileCols * kTileCols);

  // Tiles of kTileRows x kTileCols pairs of the single term `term`, with b
  // taken in chunks that stay in L2 while every group of a's rows passes over
  // them. Rows are packed as TileStored (see PackRows): narrow inputs once
  // per chunk (b) and per row group (a) rather than on every load of the
  // tile, whose loads then cost nothing more than float32's; rows whose
  // length is not a whole number of vectors are packed too, zero-padded, so
  // the tile never takes the slow partial-vector path (short rows would
  // spend most of their time there).
  const auto TiledRows = [&](auto tile_stored_tag, auto term_tag) -> bool {
    using TileStored = typename decltype(tile_stored_tag)::type;
    constexpr Term term = decltype(term_tag)::type::value;
    using Packed = MemoryOf<TileStored>;
    constexpr bool kNarrowDot = !std::is_same_v<TileStored, ComputeOf<Stored>>;
    constexpr bool kByteQuads = std::is_same_v<TileStored, ByteQuads>;
    constexpr bool kCanPack = !IsBits<Stored>();
    double sums[kTileRows * kTileCols];
    const size_t step = hn::Lanes(ComputeTag<TileStored>());
    const bool packed = kCanPack && (kNarrowDot || !std::is_same_v<Stored, Packed> || n % step != 0);
    const size_t padded = (n + step - 1) / step * step;
    // Packing copies whole rows; rows this long gain nothing from tiles, and
    // their copies could take more memory than the inputs.
    if (packed && padded * sizeof(Packed) > kMaxPackedRowBytes) return false;
    std::vector<Packed> a_packed(packed ? kTileRows * padded : 0);
    std::vector<Packed> b_packed(packed ? HWY_MIN(chunk, bv.rows) * padded : 0);
    // Byte quads' corrections per packed row (see PackRows).
    double a_offsets[kTileRows] = {};
    std::vector<double> b_offsets(kByteQuads ? HWY_MIN(chunk, bv.rows) : 0);
    for (size_t j0 = 0; j0 < bv.rows; j0 += chunk) {
      const size_t j_end = HWY_MIN(bv.rows, j0 + chunk);
      if (packed) {
        PackRows<Stored, TileStored>(b + j0 * bv.row_stride, bv.row_stride, j_end - j0, n,
                                     b_packed.data(), padded, /*b_side=*/true, b_offsets.data());
      }
      if constexpr (kCanPack) {  // cosine does not apply to bits
        if (metric == Metric::kCosine) {
          chunk_first = j0;
          if (b_inverse_norms != nullptr) {
            chunk_norms = b_inverse_norms + j0;
          } else {
            chunk_inverse_norms.resize(j_end - j0);
            for (size_t j = j0; j < j_end; ++j) {
              chunk_inverse_norms[j - j0] =
                  packed && !kNarrowDot
                      ? InverseNorm<Packed>(b_packed.data() + (j - j0) * padded, padded)
                      : InverseNorm<Stored>(b + j * bv.row_stride, n);
            }
            chunk_norms = chunk_inverse_norms.data();
          }
        }
      }
      // Rows [i, i + rows) of a: full tile groups, then one row at a time.
      for (size_t i = row_begin; i < row_end;) {
        const size_t rows = i + kTileRows <= row_end ? kTileRows : 1;
        if (packed) {
          PackRows<Stored, TileStored>(a + i * av.row_stride, av.row_stride, rows, n,
                                       a_packed.data(), padded, /*b_side=*/false, a_offsets);
        }
        // Sums of those rows against b's rows [j, j + kCols).
        const auto tile = [&](auto rows_constant, auto cols_constant, size_t j) {
          constexpr size_t kRows = decltype(rows_constant)::value;
          constexpr size_t kCols = decltype(cols_constant)::value;
          bool summed = false;
          if constexpr (kCanPack) {
            if (packed) {
              TileSums<TileStored, term, kRows, kCols>(a_packed.data(), padded,
                                                       b_packed.data() + (j - j0) * padded,
                                                       padded, padded, sums);
              summed = true;
            }
          }
          if constexpr (!kNarrowDot) {
            if (!summed) {
              TileSums<Stored, term, kRows, kCols>(a + i * av.row_stride, av.row_stride,
                                                   b + j * bv.row_stride, bv.row_stride, n,
                                                   sums);
            }
          }
          for (size_t r = 0; r < kRows; ++r) {
            for (size_t c = 0; c < kCols; ++c) {
              double sum = sums[r * kTileCols + c];
              if constexpr (kByteQuads) sum += a_offsets[r] + b_offsets[j + c - j0];
              finish_pair(i + r, j + c, sum);
            }
          }
        };
        using Full = std::integral_constant<size_t, kTileRows>;
        using FullCols = std::integral_constant<size_t, kTileCols>;
        using One = std::integral_constant<size_t, 1>;
        size_t j = j0;
        for (; j + kTileCols <= j_end; j += kTileCols) {
          rows == kTileRows ? tile(Full(), FullCols(), j) : tile(One(), FullCols(), j);
        }
        for (; j < j_end; ++j) rows == kTileRows ? tile(Full(), One(), j) : tile(One(), One(), j);
        i += rows;
      }
    }
    return true;
  };

  const bool tiled = ForPlan<Stored>(metric, [&](auto plan) -> bool {
    using Plan = decltype(plan);
    constexpr Term term = Plan::kTileTerm;
    using Compute = ComputeOf<Stored>;
    // Floating terms reach here only for empty rows (UseFewRows, UsePanels
    // take the others), which tiles would not speed up.
    if constexpr (term == Term::kNone || std::is_floating_point_v<Compute>) {
      return false;
    } else {
      using NarrowDot = NarrowDotOf<Stored, term>;
      if constexpr (!std::is_void_v<NarrowDot>) {
        if (TiledRows(TypeTag<NarrowDot>(), TypeTag<std::integral_constant<Term, term>>())) {
          return true;
        }
      }
      return TiledRows(TypeTag<Compute>(), TypeTag<std::integral_constant<Term, term>>());
    }
  });
  if (tiled) return;
  for (size_t i = row_begin; i < row_end; ++i) {
    for (size_t j = 0; j < bv.rows; ++j) {
      out[i * out_stride + j] = static_cast<ResultOf<Stored>>(
          PairDistance<Stored>(metric, a + i * av.row_stride, b + j * bv.row_stride, n));
    }
  }
}

// Every row's inverse norm for cosine through the tiles (empty otherwise),
// from its squared norm where known.
template <typename Stored>
std::vector<double> TileInverseNorms(Metric metric, const MatrixView& view,
                                     const double* squared_norms) {
  std::vector<double> norms;
  if constexpr (!IsBits<Stored>()) {
    if (metric == Metric::kCosine) {
      norms.resize(view.rows);
      RowFactorsOf<Stored>(metric, view, 0, view.rows, /*norm_form=*/false, squared_norms,
                           norms.data());
    }
  }
  return norms;
}

// Every row's squared norm (SquaredNorm), for a PackedMatrix.
template <typename Stored>
void SquaredNormsOnTarget(const MatrixView& view, double* out) {
  if constexpr (IsBits<Stored>()) {
    std::fill(out, out + view.rows, 0.0);  // no metric of bits takes norms
  } else {
    const auto* data = static_cast<const MemoryOf<Stored>*>(view.data);
    for (size_t r = 0; r < view.rows; ++r) {
      out[r] = SquaredNorm<Stored>(data + r * view.row_stride, view.cols);
    }
  }
}

template <typename Stored>
void PairedOnTarget(Metric metric, const MatrixView& a, const MatrixView& b, void* out) {
  const auto* pa = static_cast<const MemoryOf<Stored>*>(a.data);
  const auto* pb = static_cast<const MemoryOf<Stored>*>(b.data);
  auto* result = static_cast<ResultOf<Stored>*>(out);
  for (size_t r = 0; r < a.rows; ++r) {
    result[r] = static_cast<ResultOf<Stored>>(
        PairDistance<Stored>(metric, pa + r * a.row_stride, pb + r * b.row_stride, a.cols));
  }
}

// Calls body(std::integral_constant<Term, the metric's tile term>) where the
// panels or the few-rows form may take the call (floating terms, and
// int8/uint8 where PairPanels), and returns what it returns: whether it
// computed the call. False, without calling it, elsewhere.
template <typename Stored, typename Body>
bool WithPanelTerm(Metric metric, const Body& body) {
  if constexpr (std::is_floating_point_v<ComputeOf<Stored>> || PairPanels<Stored>()) {
    return ForPlan<Stored>(metric, [&](auto plan) -> bool {
      constexpr Term term = decltype(plan)::kTileTerm;
      if constexpr (term == Term::kNone) {
        return false;
      } else {
        return body(std::integral_constant<Term, term>());
      }
    });
  }
  return false;
}

// b_squared_norms: b's SquaredNorms, when a PackedMatrix computed them on
// this target (nullptr: computed here, as the kernels need them).
template <typename Stored>
void CdistOnTarget(Metric metric, const MatrixView& a, const MatrixView& b,
                   const double* b_squared_norms, void* out, size_t out_stride, size_t threads) {
  auto* result = static_cast<ResultOf<Stored>*>(out);
  const bool done = WithPanelTerm<Stored>(metric, [&](auto term_constant) -> bool {
    constexpr Term term = decltype(term_constant)::value;
    if constexpr (std::is_floating_point_v<ComputeOf<Stored>>) {
      if (UseFewRows<Stored>(a.rows, b.rows, a.cols)) {
        FewCdist<Stored, term>(metric, a, b, b_squared_norms, result, out_stride, threads);
        return true;
      }
    }
    if (!UsePanels<Stored>(a.rows, b.rows, a.cols)) return false;
    ParallelRows(threads, a.rows, a.rows * b.rows * a.cols, [&](size_t begin, size_t end) {
      PanelCdistRows<Stored, PanelTerm(term)>(metric, a, b, b_squared_norms, begin, end, result,
                                              out_stride);
    });
    return true;
  });
  if (done) return;
  const std::vector<double> a_norms = TileInverseNorms<Stored>(metric, a, nullptr);
  // b's: from its known squared norms, else chunk by chunk in CdistRows.
  const std::vector<double> b_norms =
      b_squared_norms != nullptr ? TileInverseNorms<Stored>(metric, b, b_squared_norms)
                                 : std::vector<double>();
  const size_t work = a.rows * b.rows * HWY_MAX(a.cols, size_t{1});
  ParallelRows(threads, a.rows, work, [&](size_t begin, size_t end) {
    CdistRows<Stored>(metric, a, b, begin, end, a_norms.data(),
                      b_norms.empty() ? nullptr : b_norms.data(), result, out_stride);
  });
}

// The condensed matrix of x's rows (pdist_index), each pair computed once
// and by the form cdist(x, x) takes, so with the same bits as its [i, j]:
// through panels, each thread a slice of the packed rows j (of equal cost,
// j pairs each) against the rows before them, with every row's norm computed
// once for both sides; else (tiles, pair by pair: exact or per-pair sums)
// cdist's rows in bands against the rows after them, and for fewer rows than
// a panel block (the few-rows form) the whole square.
template <typename Stored>
void PdistOnTarget(Metric metric, const MatrixView& x, void* out, size_t threads) {
  using Result = ResultOf<Stored>;
  auto* result = static_cast<Result*>(out);
  const size_t rows = x.rows, n = x.cols;
  if (rows < 2) return;
  const size_t work = rows * (rows - 1) / 2 * HWY_MAX(n, size_t{1});
  const bool done = WithPanelTerm<Stored>(metric, [&](auto term_constant) -> bool {
    constexpr Term term = decltype(term_constant)::value;
    if (!UsePanels<Stored>(rows, rows, n)) return false;
    std::vector<double> squared_norms;
    if (NeedsRowFactor(metric, /*norm_form=*/true)) {
      squared_norms.resize(rows);
      SquaredNormsOnTarget<Stored>(x, squared_norms.data());
    }
    ParallelTriangle(threads, rows, work, /*cost_grows=*/true, [&](size_t begin, size_t end) {
      if (begin == end) return;
      PanelPdistColumns<Stored, PanelTerm(term)>(
          metric, x, squared_norms.empty() ? nullptr : squared_norms.data(), begin, end, result);
    });
    return true;
  });
  if (done) return;
  if (UseFewRows<Stored>(rows, rows, n)) {
    std::vector<Result> square(rows * rows);
    CdistOnTarget<Stored>(metric, x, x, nullptr, square.data(), rows, /*threads=*/1);
    for (size_t i = 0; i + 1 < rows; ++i) {
      std::copy(square.begin() + i * rows + i + 1, square.begin() + (i + 1) * rows,
                result + pdist_index(rows, i, i + 1));
    }
    return;
  }
  // Bands of cdist's rows i against rows i + 1 on (a band's own triangle is
  // computed twice over, kPdistBandRows / rows of the work).
  constexpr size_t kPdistBandRows = 8 * kTileRows;
  const std::vector<double> inverse_norms = TileInverseNorms<Stored>(metric, x, nullptr);
  ParallelTriangle(threads, rows, work, /*cost_grows=*/false, [&](size_t begin, size_t end) {
    std::vector<Result> band(kPdistBandRows * rows);
    for (size_t i0 = begin; i0 < end && i0 + 1 < rows; i0 += kPdistBandRows) {
      MatrixView band_rows = x, later_rows = x;
      band_rows.data = static_cast<const MemoryOf<Stored>*>(x.data) + i0 * x.row_stride;
      band_rows.rows = HWY_MIN(end, i0 + kPdistBandRows) - i0;
      later_rows.data = static_cast<const MemoryOf<Stored>*>(x.data) + (i0 + 1) * x.row_stride;
      later_rows.rows = rows - i0 - 1;
      CdistRows<Stored>(metric, band_rows, later_rows, 0, band_rows.rows,
                        inverse_norms.empty() ? nullptr : inverse_norms.data() + i0, nullptr,
                        band.data(), later_rows.rows);
      for (size_t r = 0; r < band_rows.rows && i0 + r + 1 < rows; ++r) {
        const Result* values = band.data() + r * later_rows.rows;
        std::copy(values + r, values + later_rows.rows, result + pdist_index(rows, i0 + r, i0 + r + 1));
      }
    }
  });
}

// Queries are taken kQueryBlock at a time against kCandidateBlock rows of x:
// the distance tile is small (kQueryBlock * kCandidateBlock values) and
// stays in cache while each query's top-k list absorbs its row.
constexpr size_t kQueryBlock = 32;
constexpr size_t kCandidateBlock = 256;

// x_squared_norms: as CdistOnTarget's b_squared_norms.
template <typename Stored>
void TopKOnTarget(Metric metric, const MatrixView& queries, const MatrixView& x,
                  const double* x_squared_norms, size_t k, int64_t* indices, void* distances,
                  size_t threads) {
  auto* best = static_cast<ResultOf<Stored>*>(distances);
  const size_t work = queries.rows * x.rows * HWY_MAX(x.cols, size_t{1});
  const bool done = WithPanelTerm<Stored>(metric, [&](auto term_constant) -> bool {
    constexpr Term term = decltype(term_constant)::value;
    if constexpr (std::is_floating_point_v<ComputeOf<Stored>>) {
      if (UseFewRows<Stored>(queries.rows, x.rows, x.cols)) {
        FewTopK<Stored, term>(metric, queries, x, x_squared_norms, k, indices, best, threads);
        return true;
      }
    }
    if (!UsePanels<Stored>(queries.rows, x.rows, x.cols)) return false;
    ParallelRows(threads, queries.rows, work, [&](size_t begin, size_t end) {
      PanelTopK<Stored, PanelTerm(term)>(metric, queries, x, x_squared_norms, begin, end, k,
                                         indices, best);
    });
    return true;
  });
  if (done) return;
  const std::vector<double> q_norms = TileInverseNorms<Stored>(metric, queries, nullptr);
  const std::vector<double> x_norms = TileInverseNorms<Stored>(metric, x, x_squared_norms);
  ParallelRows(threads, queries.rows, work, [&](size_t begin, size_t end) {
    std::vector<ResultOf<Stored>> tile(kQueryBlock * kCandidateBlock);
    for (size_t q0 = begin; q0 < end; q0 += kQueryBlock) {
      const size_t q_end = HWY_MIN(end, q0 + kQueryBlock);
      std::vector<TopKList<ResultOf<Stored>>> lists(q_end - q0,
                                                   TopKList<ResultOf<Stored>>(k, metric));
      for (size_t x0 = 0; x0 < x.rows; x0 += kCandidateBlock) {
        const size_t x_end = HWY_MIN(x.rows, x0 + kCandidateBlock);
        MatrixView q_block = queries;
        q_block.data = static_cast<const MemoryOf<Stored>*>(queries.data) + q0 * queries.row_stride;
        q_block.rows = q_end - q0;
        MatrixView x_block = x;
        x_block.data = static_cast<const MemoryOf<Stored>*>(x.data) + x0 * x.row_stride;
        x_block.rows = x_end - x0;
        CdistRows<Stored>(metric, q_block, x_block, 0, q_block.rows,
                          q_norms.empty() ? nullptr : q_norms.data() + q0,
                          x_norms.empty() ? nullptr : x_norms.data() + x0, tile.data(),
                          kCandidateBlock);
        for (size_t q = 0; q < q_block.rows; ++q) {
          lists[q].OfferInIndexOrder(tile.data() + q * kCandidateBlock, x_block.rows, x0);
        }
      }
      for (size_t q = q0; q < q_end; ++q) {
        lists[q - q0].Write(indices + q * k, best + q * k);
      }
    }
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdkit
HWY_AFTER_NAMESPACE();

#endif  // SIMDKIT_KERNELS_DISTANCE_INL_H_
