// Library-internal view of the CPU's features, for kernels that use an
// instruction their Highway target does not imply (e.g. AVX512-BF16 beside
// AVX3_DL) and must check for it at run time.
#ifndef SIMDKIT_DISPATCH_CPU_INFO_H_
#define SIMDKIT_DISPATCH_CPU_INFO_H_

#include <string_view>

namespace simdkit {

// Whether cpu_features() lists `name` (e.g. "avx512bf16"). Reads CPUID or
// the auxiliary vector on each call: cache the answer.
bool cpu_has_feature(std::string_view name);

}  // namespace simdkit

#endif  // SIMDKIT_DISPATCH_CPU_INFO_H_
