// The AMX backend of cdist and topk: Intel's tile instructions (TDPBF16PS,
// TDPBSSD, TDPBUUD) for bfloat16, int8 and uint8, beside Highway's dispatch
// rather than inside it (no Highway target has tile ops). Highway-free and
// not installed.
//
// kernels/amx_distance.cc (an object library of its own, so that its test
// can link it) is compiled with no -m flags: only functions inside
// its target regions use AVX-512 or AMX, and they are reached only after the
// gate below said yes. The same packing and loop code also runs over a scalar
// model of the tile registers, on any CPU, so that machines without AMX (and
// qemu) test everything but the instructions themselves.
#ifndef SIMDKIT_KERNELS_AMX_DISTANCE_H_
#define SIMDKIT_KERNELS_AMX_DISTANCE_H_

#include <cstddef>
#include <cstdint>

#include "simdkit/distance.h"
#include "simdkit/types.h"

namespace simdkit::amx {

// What Linux answered to the tile-data permission request.
enum class TilePermission : std::uint8_t {
  kNotAsked,    // the earlier checks failed, or not asked yet
  kGranted,     // ARCH_GET_XCOMP_PERM shows XTILEDATA (before or after asking)
  kRefused,     // ARCH_REQ_XCOMP_PERM failed (seccomp, small sigaltstack, old kernel)
  kNotVisible,  // the request succeeded but GET does not show the bit
};

// Everything the gate looks at, so that its decision is a pure function.
struct GateInputs {
  bool compiled = false;  // the compiler could build the tile code
  bool amx_tile = false;  // CPUID.(7,0):EDX bit 24
  bool amx_bf16 = false;  // bit 22
  bool amx_int8 = false;  // bit 25
  bool avx512 = false;    // AVX512 F, BW, DQ and VL (the packing and finishing code)
  bool osxsave = false;   // CPUID.1:ECX bit 27: XGETBV may be executed
  std::uint64_t xcr0 = 0;
  TilePermission permission = TilePermission::kNotAsked;
};

struct GateDecision {
  bool usable = false;
  // The earlier checks passed and the permission has not been asked for:
  // ask, then decide again.
  bool ask_permission = false;
  const char* reason = "";  // why not usable; "" when usable
};

GateDecision DecideGate(const GateInputs& inputs);

// The decision on this machine and in this process, made once (thread-safe)
// with the permission requested if needed.
const GateDecision& Gate();

// Whether the backend handles (metric, dtype): int8/uint8 dot, cosine,
// sqeuclidean, euclidean; bfloat16 dot and cosine.
bool Supports(Metric metric, DType dtype);

// The same computations over the scalar model of the tile registers: any CPU,
// gate or not. For tests. Requires Supports(metric, dtype).
void CdistOnModel(Metric metric, const MatrixView& a, const MatrixView& b, float* out,
                  std::size_t out_row_stride, std::size_t threads);
void TopKOnModel(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
                 std::int64_t* indices, float* distances, std::size_t threads);

// pdist (the condensed matrix, pdist_index)
// as bands of cdist's rows against the rows after them: each pair with the
// bits cdist(x, x) gives it. x.rows >= 2.
void PdistOnModel(Metric metric, const MatrixView& x, float* out, std::size_t threads);

// On the tile instructions: only after Gate() said usable (std::logic_error
// otherwise). Whether to use them at all (disabled, the active target) is
// decided by the caller: kernels/distance.cc, with dispatch/targets.cc.
void CdistOnHardware(Metric metric, const MatrixView& a, const MatrixView& b, float* out,
                     std::size_t out_row_stride, std::size_t threads);
void TopKOnHardware(Metric metric, const MatrixView& queries, const MatrixView& x, std::size_t k,
                    std::int64_t* indices, float* distances, std::size_t threads);
void PdistOnHardware(Metric metric, const MatrixView& x, float* out, std::size_t threads);

}  // namespace simdkit::amx

#endif  // SIMDKIT_KERNELS_AMX_DISTANCE_H_
