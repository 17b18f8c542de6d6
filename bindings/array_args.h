// Validation of NumPy arguments and their description as batches of rows,
// shared by every binding. Nothing here converts or casts: an argument is
// either used as it is, or rejected with an exception naming what was
// expected.
#ifndef SIMDKIT_BINDINGS_ARRAY_ARGS_H_
#define SIMDKIT_BINDINGS_ARRAY_ARGS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace simdkit::python {

namespace py = pybind11;

// Element types a kernel family accepts. New dtypes are added here, in
// DTypeOf and DTypeName, and in the families' dtype switches.
enum class DType { kFloat32, kFloat64 };

const char* DTypeName(DType dtype);

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls visit(TypeTag<T>{}) with the C++ element type of `dtype`: the one
// place where a runtime dtype becomes a compile-time type.
template <typename Visitor>
decltype(auto) VisitDType(DType dtype, Visitor&& visit) {
  switch (dtype) {
    case DType::kFloat32: return visit(TypeTag<float>{});
    case DType::kFloat64: return visit(TypeTag<double>{});
  }
  throw std::logic_error("simdkit: unhandled dtype");
}

// NumPy scalars of the kernels' result types (numpy.float32(x), numpy.intp(i)).
py::object NumpyScalar(float value);
py::object NumpyScalar(double value);
py::object NumpyIndex(std::size_t index);

// `obj` as an ndarray; TypeError naming `function` and `argument` otherwise.
py::array RequireArray(const py::handle& obj, const char* function, const char* argument);

// The array's dtype if it is one of `accepted` (native byte order);
// TypeError listing the accepted dtypes otherwise.
DType RequireDType(const py::array& array, const std::vector<DType>& accepted,
                   const char* function, const char* argument);

// Numpy-style axis normalisation: an int (or numpy integer) in
// [-ndim, ndim). AxisError if out of range, TypeError if not an integer.
int NormalizeAxis(const py::handle& axis, int ndim);

// A batch of rows over an ndarray without copying: row r (in C order of the
// outer index) starts at base + sum(index_j * outer_strides[j]) and holds
// `cols` elements `col_stride` bytes apart. Strides are in bytes and may be
// zero (broadcast) or negative.
struct RowLayout {
  const char* base = nullptr;
  std::vector<py::ssize_t> outer_shape;
  std::vector<py::ssize_t> outer_strides;
  py::ssize_t cols = 1;
  py::ssize_t col_stride = 0;

  std::size_t rows() const;
};

// Rows along `axis`: the other axes form the outer index.
RowLayout RowsAlongAxis(const py::array& array, int axis);

// Rows along the last axis of `array`, with its leading axes broadcast to
// `batch_shape` (numpy rules: missing or size-1 axes get stride 0).
RowLayout RowsBroadcastTo(const py::array& array, const std::vector<py::ssize_t>& batch_shape);

// All elements as one row, in memory order when `any_order` allows it and the
// array is contiguous in either order, else in C order.
RowLayout AllElements(const py::array& array, bool any_order);

// Numpy broadcasting of two shapes; ValueError naming both if incompatible.
std::vector<py::ssize_t> BroadcastShapes(const std::vector<py::ssize_t>& a,
                                         const std::vector<py::ssize_t>& b,
                                         const char* function);

// Whether rows may be `row_stride` apart (kStrided) or must follow each other
// without gaps, so that all rows read as one block (kDense).
enum class Packing { kStrided, kDense };

// Rows as the kernels want them: aligned elements, unit column stride, and a
// non-negative row stride in elements. Zero-copy when the layout already is
// so; otherwise the rows are gathered once into owned storage (C order).
template <typename T>
class ContiguousRows {
 public:
  // Call with the GIL held or not: only reads memory the array keeps alive.
  ContiguousRows(const RowLayout& layout, Packing packing);

  const T* data() const { return data_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t row_stride() const { return row_stride_; }
  bool copied() const { return !storage_.empty(); }

 private:
  std::vector<T> storage_;
  const T* data_ = nullptr;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::size_t row_stride_ = 0;
};

extern template class ContiguousRows<float>;
extern template class ContiguousRows<double>;

// Below this many elements a call keeps the GIL: releasing and re-acquiring
// it costs more than the kernel.
constexpr std::size_t kReleaseGilElements = std::size_t{1} << 14;

// Runs `work` with the GIL released when the batch is large enough to pay.
template <typename Work>
void RunKernel(std::size_t elements, const Work& work) {
  if (elements >= kReleaseGilElements) {
    py::gil_scoped_release release;
    work();
  } else {
    work();
  }
}

std::string ShapeString(const std::vector<py::ssize_t>& shape);

}  // namespace simdkit::python

#endif  // SIMDKIT_BINDINGS_ARRAY_ARGS_H_
