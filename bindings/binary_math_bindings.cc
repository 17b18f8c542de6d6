// Python entry points of the binary math functions: simdkit.atan2(x1, x2,
// out=None, *, threads=1), hypot and power, NumPy's arctan2, hypot and power
// over float dtypes with NumPy's broadcasting. Each call checks its
// arguments once, describes the broadcast as a 2-D batch (a row stride, or
// one offset per row when the outer axes do not collapse; a column
// broadcast per operand), releases the GIL once for large batches and makes
// one call into the dispatched kernels.
#include <Python.h>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/entry_points.h"
#include "bindings/module.h"
#include "simdkit/math.h"

namespace simdkit::python {
namespace {

constexpr DType kBinaryDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16,
                                   DType::kBFloat16};

// atan2(x1, x2, out=None, *, threads=1), as the unary functions take x.
const Signature kBinarySignature("math",
                                 {{"x1", ParameterKind::kArray, nullptr, kBinaryDTypes},
                                  {"x2", ParameterKind::kArray, nullptr, kBinaryDTypes},
                                  {"out", ParameterKind::kOut, "None", kBinaryDTypes},
                                  kKeywordOnly,
                                  {"threads", ParameterKind::kThreads, "1"}},
                                 ResultKind::kArray);

simdkit::DType KernelDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return simdkit::DType::kFloat64;
    case DType::kFloat16: return simdkit::DType::kFloat16;
    case DType::kBFloat16: return simdkit::DType::kBFloat16;
    default: return simdkit::DType::kFloat32;
  }
}

// A Python float or int (not bool, not a NumPy scalar): a weak scalar that
// takes the other operand's dtype, as NumPy 2 does.
bool IsPythonScalar(const py::handle& value) {
  return PyFloat_CheckExact(value.ptr()) || PyLong_CheckExact(value.ptr());
}

py::array RequireOperand(const py::handle& value, const char* function, const char* argument) {
  return RequireArray(value, function, argument,
                      "; a Python float or int also works (nothing else is converted)");
}

// The value as a 0-d array of `dtype`, converted by NumPy itself (float16
// and bfloat16 rounded once, as NumPy rounds a weak scalar).
py::array ScalarAs(const py::handle& value, DType dtype) {
  // Kept for the life of the process (a static py::object would be released
  // after the interpreter is gone).
  static const py::handle asarray = py::object(py::module_::import("numpy").attr("asarray")).release();
  return asarray(value, DescrOf(dtype)).cast<py::array>();
}

// An operand, or out=, as rows of the broadcast shape `shape` (bytes):
// the stride of each axis (0 where broadcast).
std::vector<py::ssize_t> BroadcastStrides(const py::array& array,
                                          const std::vector<py::ssize_t>& shape) {
  const std::size_t ndim = shape.size();
  const std::size_t own = static_cast<std::size_t>(array.ndim());
  std::vector<py::ssize_t> strides(ndim, 0);
  for (std::size_t j = 0; j < own; ++j) {
    if (array.shape(j) != 1) strides[ndim - own + j] = array.strides(j);
  }
  return strides;
}

// Whether the kernels can read the array in place: aligned, every stride a
// multiple of the itemsize (else it is copied into C order first).
bool ElementAligned(const py::array& array) {
  const auto item = static_cast<py::ssize_t>(array.itemsize());
  if (reinterpret_cast<std::uintptr_t>(array.data()) % static_cast<std::uintptr_t>(item) != 0) {
    return false;
  }
  for (py::ssize_t j = 0; j < array.ndim(); ++j) {
    if (array.strides(j) % item != 0) return false;
  }
  return true;
}

// The outer axes (all but the last) of a broadcast layout as one row stride
// in elements, when they collapse into one (row r at r * stride, stride >= 0);
// false otherwise.
bool CollapseRows(const std::vector<py::ssize_t>& shape, const std::vector<py::ssize_t>& strides,
                  py::ssize_t item, std::size_t& row_stride) {
  const std::size_t outer = shape.empty() ? 0 : shape.size() - 1;
  py::ssize_t step = -1;  // bytes per row, from the innermost outer axis that moves
  py::ssize_t rows_inside = 1;
  for (std::size_t j = outer; j-- > 0;) {
    if (shape[j] == 1) continue;
    if (step < 0) {
      if (strides[j] < 0) return false;
      step = strides[j] / rows_inside;
      if (step * rows_inside != strides[j]) return false;
    } else if (strides[j] != step * rows_inside) {
      return false;
    }
    rows_inside *= shape[j];
  }
  row_stride = step < 0 ? 0 : static_cast<std::size_t>(step / item);
  return true;
}

// Row r's offset in elements for every row of the outer axes, in C order.
std::vector<std::ptrdiff_t> RowOffsets(const std::vector<py::ssize_t>& shape,
                                       const std::vector<py::ssize_t>& strides, py::ssize_t item,
                                       std::size_t rows) {
  std::vector<std::ptrdiff_t> offsets(rows);
  const std::size_t outer = shape.size() - 1;
  std::vector<py::ssize_t> index(outer, 0);
  std::ptrdiff_t offset = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    offsets[r] = offset / item;
    for (std::size_t j = outer; j-- > 0;) {
      offset += strides[j];
      if (++index[j] < shape[j]) break;
      offset -= strides[j] * shape[j];
      index[j] = 0;
    }
  }
  return offsets;
}

// An input operand as the kernels read it; `array` is replaced by a C-order
// copy when its layout cannot be read in place.
struct Operand {
  py::array array;
  simdkit::BinaryOperand view;
  std::vector<std::ptrdiff_t> offsets;
};

void Describe(Operand& operand, const std::vector<py::ssize_t>& shape, std::size_t rows,
              std::size_t cols) {
  const auto item = static_cast<py::ssize_t>(operand.array.itemsize());
  std::vector<py::ssize_t> strides = BroadcastStrides(operand.array, shape);
  const py::ssize_t last = shape.empty() ? 0 : strides.back();
  if (!ElementAligned(operand.array) || (cols > 1 && last != 0 && last != item)) {
    static const py::handle ascontiguousarray =
        py::object(py::module_::import("numpy").attr("ascontiguousarray")).release();
    operand.array = ascontiguousarray(operand.array).cast<py::array>();
    strides = BroadcastStrides(operand.array, shape);
  }
  operand.view.data = operand.array.data();
  operand.view.broadcast_cols = cols == 1 || shape.empty() || strides.back() == 0;
  if (!CollapseRows(shape, strides, item, operand.view.row_stride)) {
    operand.offsets = RowOffsets(shape, strides, item, rows);
    operand.view.row_offsets = operand.offsets.data();
  }
}

// y = f(x1, x2) over the broadcast shape.
py::object ApplyBinary(BinaryFunction function, const py::handle& x1_object,
                       const py::handle& x2_object, const py::handle& out,
                       const py::handle& threads_object) {
  const char* name = binary_function_name(function);
  const bool scalar1 = IsPythonScalar(x1_object), scalar2 = IsPythonScalar(x2_object);
  Operand x1, x2;
  DType dtype = DType::kFloat64;  // of two Python scalars, as NumPy
  if (!scalar1) {
    x1.array = RequireOperand(x1_object, name, "x1");
    dtype = RequireDType(x1.array, kBinarySignature.dtypes(0), name, "x1");
  }
  if (!scalar2) {
    x2.array = RequireOperand(x2_object, name, "x2");
    const DType dtype2 = RequireDType(x2.array, kBinarySignature.dtypes(1), name, "x2");
    if (!scalar1 && dtype2 != dtype) {
      throw py::type_error(ErrorPrefix(name) + "x1 has dtype " + DescribeDType(x1.array) +
                           " but x2 has dtype " + DescribeDType(x2.array) +
                           "; expected the same dtype (simdkit does not cast)");
    }
    dtype = dtype2;
  }
  if (scalar1) x1.array = ScalarAs(x1_object, dtype);
  if (scalar2) x2.array = ScalarAs(x2_object, dtype);
  const std::size_t threads = ThreadsArg(threads_object, name);
  const std::vector<py::ssize_t> shape = BroadcastShapes(ShapeOf(x1.array), ShapeOf(x2.array), name);
  py::array y;
  if (out.is_none()) {
    y = NewArray(dtype, shape, name);
  } else {
    y = RequireOut(out, DTypes(dtype), shape, name, nullptr);
    for (const py::array* input : {&x1.array, &x2.array}) {
      const bool same = y.data() == input->data() && ShapeOf(*input) == shape &&
                        std::equal(y.strides(), y.strides() + y.ndim(), input->strides());
      if (!same && ByteRangeOf(y).overlaps(ByteRangeOf(*input))) {
        throw py::value_error(ErrorPrefix(name) +
                              "out shares memory with the input; expected the input itself (in "
                              "place) or a separate array");
      }
    }
  }
  const std::size_t total = static_cast<std::size_t>(y.size());
  if (total == 0) return std::move(y);
  const std::size_t cols = shape.empty() ? 1 : static_cast<std::size_t>(shape.back());
  const std::size_t rows = total / cols;
  Describe(x1, shape, rows, cols);
  Describe(x2, shape, rows, cols);
  // y: written in place when its rows are laid out as the kernels write
  // them (aligned, unit column stride, one row stride of at least a row),
  // else through a C-order array copied into it after.
  const auto item = static_cast<py::ssize_t>(y.itemsize());
  std::size_t y_stride = cols;
  const std::vector<py::ssize_t> y_strides = BroadcastStrides(y, shape);
  const bool direct = ElementAligned(y) && (cols == 1 || y_strides.back() == item) &&
                      CollapseRows(shape, y_strides, item, y_stride) &&
                      (rows == 1 || y_stride >= cols);
  py::array target = direct ? y : NewArray(dtype, shape, name);
  if (!direct) y_stride = cols;
  void* y_data = target.mutable_data();
  RunKernel(name, total, [&] {
    simdkit::apply_binary(function, KernelDType(dtype), x1.view, x2.view, y_data, rows, cols,
                          y_stride, threads);
  });
  if (!direct) y[py::ellipsis()] = target;
  return std::move(y);
}

PyObject* BinaryEntry(std::size_t index, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    const auto function = static_cast<BinaryFunction>(index);
    const char* name = binary_function_name(function);
    py::handle values[4];
    kBinarySignature.Parse(name, args, nargs, kwnames, values);
    // Fast path: two small arrays of the same dtype and shape, no out=.
    SmallArray x1, x2;
    if (values[2].is_none() && AsSmallArray(values[0].ptr(), kBinarySignature.dtypes(0), x1) &&
        AsSmallArray(values[1].ptr(), x2) && x2.dtype == x1.dtype && x1.ndim == x2.ndim &&
        std::equal(x1.shape, x1.shape + x1.ndim, x2.shape)) {
      static PyObject* const kDefaultThreads = PyLong_FromLong(1);
      if (values[3].ptr() != kDefaultThreads) ThreadsArg(values[3], name);
      py::array y = NewArray(x1.dtype, x1.ndim, x1.shape, name);
      simdkit::apply(function, KernelDType(x1.dtype), x1.data, x2.data, y.mutable_data(),
                     x1.size);
      return std::move(y);
    }
    return ApplyBinary(function, values[0], values[1], values[2], values[3]);
  });
}

}  // namespace

void RegisterBinaryMath(py::module_& module) {
  static constexpr auto entries = IndexedEntries<&BinaryEntry, kBinaryFunctionCount>();
  static const char* const kDocs[kBinaryFunctionCount] = {
      "atan2(x1, x2): the angle of the point (x2, x1) in [-pi, pi], as numpy.arctan2,\n",
      "hypot(x1, x2): sqrt(x1**2 + x2**2) without spurious overflow or underflow, as\n"
      "numpy.hypot,\n",
      "power(x1, x2): x1**x2, as numpy.power over float dtypes,\n"};
  for (std::size_t i = 0; i < kBinaryFunctionCount; ++i) {
    AddEntryPoint(
        module, binary_function_name(static_cast<BinaryFunction>(i)), kBinarySignature,
        entries[i],
        std::string(kDocs[i]) +
            "elementwise with NumPy's broadcasting and C99's special values (docs/math.md).\n"
            "x1, x2: numpy.ndarrays of the same dtype, float32, float64, float16 or\n"
            "ml_dtypes.bfloat16 (nothing is cast; 16-bit floats are computed in float32),\n"
            "any shapes that broadcast together and any strides; a Python float or int\n"
            "takes the other's dtype. The result has the broadcast shape.\n"
            "out: a writeable array of that dtype and shape (x1 or x2 itself for in place),\n"
            "or None for a new array; it is filled and returned.\n"
            "threads: how many threads share a large input (1, the default: the calling\n"
            "thread only; None: one per core); the result is the same for every count.\n");
  }
}

}  // namespace simdkit::python
