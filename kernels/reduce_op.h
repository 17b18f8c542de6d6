// Shared between the per-target kernels and their callers; Highway-free.
#ifndef SIMDKIT_KERNELS_REDUCE_OP_H_
#define SIMDKIT_KERNELS_REDUCE_OP_H_

#include <cstdint>

namespace simdkit {

// Which reduction a row batch computes. argmin/argmax write size_t indices;
// the others write one element of the input type per row.
enum class ReduceOp : std::uint8_t { kSum, kNorm, kMin, kMax, kArgMin, kArgMax };

}  // namespace simdkit

#endif  // SIMDKIT_KERNELS_REDUCE_OP_H_
