// Shared by the libFuzzer harnesses (one per kernel family): turning the
// fuzzer's bytes into shapes, offsets and special-value-rich arrays, buffers
// that end exactly where a kernel must stop, running a check on every
// supported target, and failing so that libFuzzer keeps the input.
//
// Buffers: each array is one heap allocation of exactly the elements the
// call may touch, so AddressSanitizer reports a single element read or
// written past either end. The gaps between rows (row strides longer than a
// row) are inside the allocation: they are poisoned for AddressSanitizer
// where its 8-byte granules allow, and output gaps are also filled with a
// sentinel and checked afterwards.
#ifndef SIMDKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define SIMDKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <fuzzer/FuzzedDataProvider.h>
#include <sanitizer/asan_interface.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "simdkit/dispatch.h"
#include "simdkit/types.h"

namespace simdkit::fuzz {

// ---------------------------------------------------------------------------
// Failing
// ---------------------------------------------------------------------------

// Prints what went wrong and on which target, then aborts: libFuzzer
// records the input as a crash, and a regression run exits non-zero.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "simdkit fuzz check failed on target %s: %s\n",
               simdkit::active_target().c_str(), what.c_str());
  std::abort();
}

// Fails with describe() when !ok; describe only runs on failure.
template <typename Describe>
void Expect(bool ok, const Describe& describe) {
  if (!ok) Fail(describe());
}

// Joins its arguments with operator<< (doubles with full precision).
template <typename... Parts>
std::string Str(const Parts&... parts) {
  std::ostringstream out;
  out.precision(21);
  (out << ... << parts);
  return out.str();
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

// Runs body(target) once on each supported target, that target forced.
template <typename Body>
void ForEachTarget(const Body& body) {
  static const std::vector<std::string> targets = simdkit::supported_targets();
  for (const std::string& target : targets) {
    simdkit::set_target(target);
    body(target);
  }
  simdkit::reset_target();
}

// ---------------------------------------------------------------------------
// Decoding the input
// ---------------------------------------------------------------------------

// The fuzzer's bytes as parameters and values. Once the bytes run out,
// values come from a generator seeded by the input, so that a short input
// still describes long arrays (deterministically: the same input always
// decodes to the same call).
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : bytes_(data, size) {
    for (std::size_t i = 0; i < size; ++i) state_ = (state_ ^ data[i]) * 0x100000001B3ull;
  }

  std::uint8_t Byte() {
    return bytes_.remaining_bytes() > 0 ? bytes_.ConsumeIntegral<std::uint8_t>()
                                        : static_cast<std::uint8_t>(Random());
  }

  // An integer in [0, max], small values as likely as large ones: first a
  // bit length, then the bits.
  std::size_t Size(std::size_t max) {
    if (max == 0) return 0;
    int bits = 0;
    while ((max >> bits) > 0) ++bits;
    const int length = Byte() % (bits + 1);
    std::size_t value = 0;
    for (int i = 0; i < length; i += 8) value = (value << 8) | Byte();
    value &= length == 0 ? 0 : (~std::size_t{0} >> (64 - length));
    return value <= max ? value : value % (max + 1);
  }

  bool Bool() { return (Byte() & 1) != 0; }

  // One of `count` choices.
  std::size_t Choice(std::size_t count) { return Byte() % count; }

  template <typename T>
  T Raw() {
    T value;
    std::uint8_t bytes[sizeof(T)];
    for (std::uint8_t& b : bytes) b = Byte();
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }

 private:
  std::uint64_t Random() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return (state_ * 0x2545F4914F6CDD1Dull) >> 32;
  }

  FuzzedDataProvider bytes_;
  std::uint64_t state_ = 0xCBF29CE484222325ull;
};

// How one array's values are drawn, chosen once per array: mostly ordinary
// numbers (so that sums are meaningful and the error bounds are tested), or
// with the special values (NaN, +-Inf, denormals, extremes) sprinkled in,
// or any bit pattern at all.
enum class Mix : std::uint8_t { kOrdinary, kRareSpecials, kManySpecials, kAnyBits, kCount };

inline Mix ChooseMix(Input& in) { return static_cast<Mix>(in.Choice(static_cast<std::size_t>(Mix::kCount))); }

// A special value of a binary floating format, as the bits of its
// magnitude (the caller picks the sign): 0, Inf, quiet and signalling NaNs
// with payloads, the largest value and its neighbours, the smallest normal,
// subnormals from the smallest to the largest, 1 and the values around it.
template <typename Bits>
Bits SpecialMagnitude(std::size_t which, int mantissa_bits, int exponent_bits) {
  const Bits one = 1;
  const Bits exponent_all = static_cast<Bits>(((one << exponent_bits) - 1) << mantissa_bits);
  const Bits mantissa_all = static_cast<Bits>((one << mantissa_bits) - 1);
  const Bits bias = static_cast<Bits>((one << (exponent_bits - 1)) - 1);
  const Bits unit = static_cast<Bits>(bias << mantissa_bits);  // 1.0
  switch (which % 14) {
    case 0: return 0;
    case 1: return exponent_all;                                                 // Inf
    case 2: return static_cast<Bits>(exponent_all | (one << (mantissa_bits - 1)));  // quiet NaN
    case 3: return static_cast<Bits>(exponent_all | 1);                          // signalling NaN
    case 4: return static_cast<Bits>(exponent_all | mantissa_all);               // NaN, full payload
    case 5: return static_cast<Bits>(exponent_all - 1);                          // largest finite
    case 6: return static_cast<Bits>(exponent_all - 2);
    case 7: return static_cast<Bits>(one << mantissa_bits);                      // smallest normal
    case 8: return 1;                                                            // smallest subnormal
    case 9: return mantissa_all;                                                 // largest subnormal
    case 10: return static_cast<Bits>(one << (mantissa_bits / 2));               // a subnormal
    case 11: return unit;
    case 12: return static_cast<Bits>(unit + 1);
    default: return static_cast<Bits>(unit - 1);
  }
}

// One value of floating type T (float or double) drawn per `mix`.
template <typename T>
T Value(Input& in, Mix mix) {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  constexpr int kMantissa = std::numeric_limits<T>::digits - 1;
  constexpr int kExponent = static_cast<int>(sizeof(T) * 8) - 1 - kMantissa;
  std::size_t kind = 4;  // ordinary
  const std::uint8_t selector = in.Byte();
  switch (mix) {
    case Mix::kOrdinary: break;
    case Mix::kRareSpecials: kind = selector < 8 ? selector % 4 : 4; break;
    case Mix::kManySpecials: kind = selector % 8; break;
    default: kind = 1; break;
  }
  const bool negative = (selector & 0x80) != 0;
  Bits bits = 0;
  switch (kind) {
    case 0:
    case 2: bits = SpecialMagnitude<Bits>(in.Byte(), kMantissa, kExponent); break;
    case 1: return in.Raw<T>();
    case 3: {  // any subnormal or any huge magnitude
      const Bits mantissa = static_cast<Bits>(in.Raw<Bits>() & ((Bits{1} << kMantissa) - 1));
      const Bits huge_exponent = static_cast<Bits>(((Bits{1} << kExponent) - 2 - in.Byte() % 4) << kMantissa);
      bits = in.Bool() ? mantissa : static_cast<Bits>(huge_exponent | mantissa);
      break;
    }
    default: {
      // A 12-bit integer scaled by 2^-8 .. 2^7: exact in float32 and
      // float64, with many ties and repeats.
      const int integer = static_cast<int>(in.Raw<std::uint16_t>() % 4096) - 2048;
      const T value = std::ldexp(static_cast<T>(integer), static_cast<int>(in.Byte() % 16) - 8);
      return value;
    }
  }
  if (negative) bits = static_cast<Bits>(bits | (Bits{1} << (sizeof(T) * 8 - 1)));
  T value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// ---------------------------------------------------------------------------
// Buffers
// ---------------------------------------------------------------------------

// Elements a view of `rows` rows `row_stride` apart, each `cols` long,
// touches: the last row ends the buffer.
inline std::size_t Span(std::size_t rows, std::size_t cols, std::size_t row_stride) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * row_stride + cols;
}

// `rows` rows of `cols` elements of T, `row_stride` apart, starting
// `offset` elements into one allocation that ends with the last row. The
// offset misaligns the data with respect to vectors (0..15 elements).
template <typename T>
class Matrix {
 public:
  Matrix(std::size_t rows, std::size_t cols, std::size_t row_stride, std::size_t offset)
      : rows_(rows), cols_(cols), row_stride_(row_stride), offset_(offset),
        size_(offset + Span(rows, cols, row_stride)),
        storage_(new T[size_]) {
    std::memset(static_cast<void*>(storage_.get()), 0xA5, size_ * sizeof(T));
  }
  ~Matrix() { Unpoison(); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;

  T* data() { return storage_.get() + offset_; }
  const T* data() const { return storage_.get() + offset_; }
  T* row(std::size_t r) { return data() + r * row_stride_; }
  const T* row(std::size_t r) const { return data() + r * row_stride_; }
  T& at(std::size_t r, std::size_t c) { return row(r)[c]; }
  const T& at(std::size_t r, std::size_t c) const { return row(r)[c]; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t row_stride() const { return row_stride_; }

  MatrixView View(DType dtype) const { return {data(), dtype, rows_, cols_, row_stride_}; }

  // Sets the bytes between rows (and before the first) to 0xA5 and poisons
  // them, so that a kernel reading or writing there is caught.
  void PoisonGaps() {
    std::memset(static_cast<void*>(storage_.get()), 0xA5, offset_ * sizeof(T));
    ASAN_POISON_MEMORY_REGION(storage_.get(), offset_ * sizeof(T));
    // No gaps when rows touch or overlap (read-only inputs), nor when the
    // rows are empty (then nothing is allocated for them).
    if (row_stride_ <= cols_ || cols_ == 0) return;
    for (std::size_t r = 0; r + 1 < rows_; ++r) {
      T* gap = row(r) + cols_;
      const std::size_t bytes = (row_stride_ - cols_) * sizeof(T);
      std::memset(static_cast<void*>(gap), 0xA5, bytes);
      ASAN_POISON_MEMORY_REGION(gap, bytes);
    }
  }

  void Unpoison() { ASAN_UNPOISON_MEMORY_REGION(storage_.get(), size_ * sizeof(T)); }

  // Whether the gaps still hold PoisonGaps' bytes (call after Unpoison).
  bool GapsIntact() const {
    const auto* bytes = reinterpret_cast<const unsigned char*>(storage_.get());
    for (std::size_t i = 0; i < offset_ * sizeof(T); ++i) {
      if (bytes[i] != 0xA5) return false;
    }
    if (row_stride_ <= cols_ || cols_ == 0) return true;
    for (std::size_t r = 0; r + 1 < rows_; ++r) {
      const auto* gap = reinterpret_cast<const unsigned char*>(row(r) + cols_);
      for (std::size_t i = 0; i < (row_stride_ - cols_) * sizeof(T); ++i) {
        if (gap[i] != 0xA5) return false;
      }
    }
    return true;
  }

 private:
  std::size_t rows_, cols_, row_stride_, offset_, size_;
  std::unique_ptr<T[]> storage_;
};

// A vector: one row.
template <typename T>
class Vector : public Matrix<T> {
 public:
  Vector(std::size_t n, std::size_t offset) : Matrix<T>(n == 0 ? 0 : 1, n, n, offset) {}
  T& operator[](std::size_t i) { return this->data()[i]; }
  const T& operator[](std::size_t i) const { return this->data()[i]; }
};

// Runs `call` with the gaps of `matrices` (between rows, and before the
// first element) poisoned, then unpoisons them and checks that they were
// not written.
template <typename Call, typename... Matrices>
void WithPoisonedGaps(const Call& call, Matrices&... matrices) {
  (matrices.PoisonGaps(), ...);
  call();
  (matrices.Unpoison(), ...);
  const bool intact = (matrices.GapsIntact() && ...);
  Expect(intact, [] { return std::string("a kernel wrote between rows (into a stride gap)"); });
}

// ---------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------

template <typename T>
bool SameBits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Equal as values, or both NaN.
template <typename T>
bool SameValue(T a, T b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

}  // namespace simdkit::fuzz

#endif  // SIMDKIT_TESTS_FUZZ_FUZZ_SUPPORT_H_
