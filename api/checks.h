// Argument checks shared by the public API's implementations (kernels/*.cc
// and api/views.cc). Highway-free; not installed.
#ifndef SIMDKIT_API_CHECKS_H_
#define SIMDKIT_API_CHECKS_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "simdkit/types.h"

namespace simdkit::internal {

// A function that refuses arguments (builds the message and throws): out of
// line and cold, so that the checks that pass cost a few compares, with no
// string built or frame kept for them.
#define SIMDKIT_REFUSAL [[noreturn]] __attribute__((cold, noinline))

// "simdkit::function: ", how every error message starts.
inline std::string Where(const char* function) {
  return std::string("simdkit::") + function + ": ";
}

// The bytes [begin, end) that rows of a strided matrix touch; empty when it
// has no elements.
struct Extent {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
};

inline Extent RowsExtent(const void* data, std::size_t rows, std::size_t cols,
                         std::size_t row_stride, std::size_t element_size) {
  if (data == nullptr || rows == 0 || cols == 0) return {};
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  return {begin, begin + ((rows - 1) * row_stride + cols) * element_size};
}

inline Extent ViewExtent(const MatrixView& view) {
  return RowsExtent(view.data, view.rows, view.cols, view.row_stride, dtype_size(view.dtype));
}

inline Extent ElementsExtent(const void* data, std::size_t n, std::size_t element_size) {
  return RowsExtent(data, 1, n, n, element_size);
}

inline bool Overlaps(Extent a, Extent b) { return a.begin < b.end && b.begin < a.end; }

// An output must not share memory with an input: the kernels read inputs
// while they write outputs, so an overlap would feed them their own results.
inline void CheckNoOverlap(const char* function, const char* output_name, Extent output,
                           const char* input_name, Extent input) {
  if (Overlaps(output, input)) {
    throw std::invalid_argument(Where(function) + output_name +
                                " overlaps " + input_name +
                                "; expected separate memory for outputs");
  }
}

}  // namespace simdkit::internal

#endif  // SIMDKIT_API_CHECKS_H_
