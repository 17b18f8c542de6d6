// What the target being compiled can do, as 0/1 macros for the kernels'
// #if: capabilities, never one target's name, so that a target a newer
// Highway adds (AVX3_ZEN4 and AVX3_SPR in 1.2) gets every path it can run.
// Smaller HWY_TARGET bits are better targets within an architecture.
//
// No include guard: included once per target from the kernels' -inl.h files,
// each time after hwy/highway.h has set HWY_TARGET for the pass.

#undef SIMDKIT_HAS_32_VECTOR_REGISTERS
#undef SIMDKIT_HAS_HARDWARE_FLOAT16_CONVERSION
#undef SIMDKIT_HAS_AVX512_VNNI
#undef SIMDKIT_HIGHWAY_HAS_NATIVE_DOT_OPS
#undef SIMDKIT_IS_PORTABLE_FALLBACK
#undef SIMDKIT_HAS_SINGLE_LANE_VECTORS
#undef SIMDKIT_HIGHWAY_EMITS_VNNI_DOT
#undef SIMDKIT_HAS_NATIVE_FLOAT16_ARITHMETIC
#undef SIMDKIT_HAS_PAIRWISE_WIDENING_MULTIPLY
#undef SIMDKIT_IN_BOUNDS_MASKED_MOVES_MIN_LANE_BYTES
#undef SIMDKIT_HAS_LOW_BITS_PERMUTE
#undef SIMDKIT_HAS_AVX512_FLOAT_CLASS_AND_SCALE

// Whether the portable fallbacks (EMU128, SCALAR) are being compiled: arrays
// of lanes rather than vector registers.
#define SIMDKIT_IS_PORTABLE_FALLBACK (HWY_TARGET >= HWY_EMU128)

// Vectors of one lane (SCALAR, the only target whose vectors are 8 bytes or
// fewer), which have no ops across lanes such as ConcatOdd.
#define SIMDKIT_HAS_SINGLE_LANE_VECTORS (HWY_MAX_BYTES <= 8)

// 32 architectural vector registers: AVX-512 (AVX3 and every later x86
// target) and AArch64 (NEON and SVE); 16 on AVX2 and below.
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3) || \
    (HWY_ARCH_ARM_A64 && !SIMDKIT_IS_PORTABLE_FALLBACK) || HWY_HAVE_SCALABLE
#define SIMDKIT_HAS_32_VECTOR_REGISTERS 1
#else
#define SIMDKIT_HAS_32_VECTOR_REGISTERS 0
#endif

// float16 -> float32 in hardware (F16C from AVX2 on, AArch64's FCVTL). Where
// Highway emulates it (SSE2, SSSE3, SSE4, EMU128, SCALAR in 1.0.3 and 1.2),
// the emulation reads the all-ones exponent as finite: Inf became 65536 and
// NaN a number. Kernels widen by the bits there instead.
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || \
    (HWY_ARCH_ARM_A64 && !SIMDKIT_IS_PORTABLE_FALLBACK)
#define SIMDKIT_HAS_HARDWARE_FLOAT16_CONVERSION 1
#else
#define SIMDKIT_HAS_HARDWARE_FLOAT16_CONVERSION 0
#endif

// AVX512-VNNI (vpdpbusd, vpdpwssd): every x86 target from AVX3_DL on.
// AVX512-BF16 is not implied below AVX3_ZEN4 and is checked at run time.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3_DL
#define SIMDKIT_HAS_AVX512_VNNI 1
#else
#define SIMDKIT_HAS_AVX512_VNNI 0
#endif

// x86's lane permutes (vpermps, vpermpd from AVX2 on) read only the low
// bits of each index, as many as select a lane, by definition: a table of 8
// can be indexed with garbage above bit 2 (16 floats repeating the 8, for
// AVX-512's 4 bits). Highway's TableLookupLanes asks for in-range indices
// (and checks them in debug and sanitizer builds), so LookUp8 issues them.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define SIMDKIT_HAS_LOW_BITS_PERMUTE 1
#else
#define SIMDKIT_HAS_LOW_BITS_PERMUTE 0
#endif

// AVX-512's vfpclassps/pd (a lane's class: zero, subnormal, negative, Inf,
// NaN, in one instruction) and vscalefps/pd (x 2^floor(n), rounded once,
// subnormal and overflowing results included): AVX512F and DQ, every x86
// target from AVX3 on. Highway 1.0.3 has neither op.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define SIMDKIT_HAS_AVX512_FLOAT_CLASS_AND_SCALE 1
#else
#define SIMDKIT_HAS_AVX512_FLOAT_CLASS_AND_SCALE 0
#endif

// The smallest lanes (in bytes) whose masked loads and stores (MaskedLoad,
// BlendedStore) touch no memory outside the mask, so that a row's last
// partial vector can be read and written in place: AVX-512's masked moves
// for every lane size; none (16, wider than any lane) elsewhere, where
// Highway loads or blends whole vectors, or stores lane by lane. AVX2's
// vmaskmov (4- and 8-byte lanes) would do on hardware, but qemu 7.2's
// emulation of it (Debian 12's, which runs the test matrix's AVX2 leg)
// touches masked-off lanes and faulted where a row ended at a page end.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define SIMDKIT_IN_BOUNDS_MASKED_MOVES_MIN_LANE_BYTES 1
#else
#define SIMDKIT_IN_BOUNDS_MASKED_MOVES_MIN_LANE_BYTES 16
#endif

// Highway's int16 widening multiply-add (ReorderWidenMulAccumulate) adds
// the products of each pair of adjacent lanes into the int32 lane that holds
// them, leaving sum1 as it is (vpmaddwd, vpdpwssd): every x86 target but the
// portable fallbacks, in 1.0.3 and 1.2. Arm's and the fallbacks' take the
// lower and upper halves apart instead, an order the panels cannot use.
#if HWY_ARCH_X86 && !SIMDKIT_IS_PORTABLE_FALLBACK
#define SIMDKIT_HAS_PAIRWISE_WIDENING_MULTIPLY 1
#else
#define SIMDKIT_HAS_PAIRWISE_WIDENING_MULTIPLY 0
#endif

// Highway 1.2 has SumOfMulQuadAccumulate and emits the native narrow dot
// instructions from its own ops (vpdpbusd/vpdpwssd from AVX3_DL on); 1.0.3
// has neither, so the kernels issue those instructions themselves there.
#if HWY_MAJOR > 1 || (HWY_MAJOR == 1 && HWY_MINOR >= 2)
#define SIMDKIT_HIGHWAY_HAS_NATIVE_DOT_OPS 1
#define SIMDKIT_HIGHWAY_EMITS_VNNI_DOT SIMDKIT_HAS_AVX512_VNNI
#else
#define SIMDKIT_HIGHWAY_HAS_NATIVE_DOT_OPS 0
#define SIMDKIT_HIGHWAY_EMITS_VNNI_DOT 0
#endif

// Arithmetic on float16 vectors in hardware (AVX512-FP16: Highway 1.2's
// AVX3_SPR sets HWY_HAVE_FLOAT16), 32 lanes of a 512-bit vector with no
// widening. Used only where the result is the same as computing in float32
// and rounding (sqrt); elsewhere float16's 11 bits would lose accuracy.
#if SIMDKIT_HIGHWAY_HAS_NATIVE_DOT_OPS && HWY_ARCH_X86 && HWY_HAVE_FLOAT16
#define SIMDKIT_HAS_NATIVE_FLOAT16_ARITHMETIC 1
#else
#define SIMDKIT_HAS_NATIVE_FLOAT16_ARITHMETIC 0
#endif
