#include "bindings/array_args.h"

#include <Python.h>

#include <cstdint>
#include <cstring>

namespace simdkit::python {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
  }
  return "unknown";
}

namespace {

// numpy's scalar type objects, looked up once (with the GIL held).
const py::object& NumpyType(const char* name) {
  static py::gil_safe_call_once_and_store<py::object> float32, float64, intp;
  auto& slot = name[0] == 'i' ? intp : name[5] == '3' ? float32 : float64;
  return slot.call_once_and_store_result([name] {
    return py::module_::import("numpy").attr(name);
  }).get_stored();
}

}  // namespace

py::object NumpyScalar(float value) { return NumpyType("float32")(value); }
py::object NumpyScalar(double value) { return NumpyType("float64")(value); }
py::object NumpyIndex(std::size_t index) { return NumpyType("intp")(index); }

namespace {

std::string TypeNameOf(const py::handle& obj) {
  return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

std::string DescribeDType(const py::dtype& dtype) { return py::str(dtype).cast<std::string>(); }

bool IsNativeByteOrder(const py::dtype& dtype) {
  const char order = dtype.byteorder();
  if (order == '=' || order == '|') return true;
  const std::uint16_t probe = 1;
  const bool little = *reinterpret_cast<const unsigned char*>(&probe) == 1;
  return order == (little ? '<' : '>');
}

std::optional<DType> DTypeOf(const py::dtype& dtype) {
  if (!IsNativeByteOrder(dtype) || dtype.has_fields()) return std::nullopt;
  switch (dtype.num()) {
    case py::detail::npy_api::NPY_FLOAT_: return DType::kFloat32;
    case py::detail::npy_api::NPY_DOUBLE_: return DType::kFloat64;
    default: return std::nullopt;
  }
}

std::string AcceptedList(const std::vector<DType>& accepted) {
  std::string list;
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    if (i != 0) list += i + 1 == accepted.size() ? " or " : ", ";
    list += DTypeName(accepted[i]);
  }
  return list;
}

}  // namespace

py::array RequireArray(const py::handle& obj, const char* function, const char* argument) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string("simdkit.") + function + ": argument '" + argument +
                         "' must be a numpy.ndarray, got " + TypeNameOf(obj) +
                         " (simdkit does not convert; use numpy.asarray)");
  }
  return py::reinterpret_borrow<py::array>(obj);
}

DType RequireDType(const py::array& array, const std::vector<DType>& accepted,
                   const char* function, const char* argument) {
  const std::optional<DType> dtype = DTypeOf(array.dtype());
  if (dtype) {
    for (DType candidate : accepted) {
      if (candidate == *dtype) return *dtype;
    }
  }
  throw py::type_error(std::string("simdkit.") + function + ": argument '" + argument +
                       "' must have dtype " + AcceptedList(accepted) +
                       " in native byte order, got " + DescribeDType(array.dtype()) +
                       " (simdkit does not cast; convert with .astype())");
}

int NormalizeAxis(const py::handle& axis, int ndim) {
  if (!PyIndex_Check(axis.ptr()) || PyBool_Check(axis.ptr())) {
    throw py::type_error("axis must be None or an integer, got " + TypeNameOf(axis));
  }
  const Py_ssize_t value = PyNumber_AsSsize_t(axis.ptr(), PyExc_OverflowError);
  if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (value < -ndim || value >= ndim) {
    py::object axis_error = py::module_::import("numpy.exceptions").attr("AxisError");
    PyErr_SetObject(axis_error.ptr(), axis_error(value, ndim).ptr());
    throw py::error_already_set();
  }
  return static_cast<int>(value < 0 ? value + ndim : value);
}

std::size_t RowLayout::rows() const {
  std::size_t rows = 1;
  for (py::ssize_t extent : outer_shape) rows *= static_cast<std::size_t>(extent);
  return rows;
}

RowLayout RowsAlongAxis(const py::array& array, int axis) {
  RowLayout layout;
  layout.base = static_cast<const char*>(array.data());
  for (int j = 0; j < static_cast<int>(array.ndim()); ++j) {
    if (j == axis) continue;
    layout.outer_shape.push_back(array.shape(j));
    layout.outer_strides.push_back(array.strides(j));
  }
  layout.cols = array.shape(axis);
  layout.col_stride = array.strides(axis);
  return layout;
}

RowLayout RowsBroadcastTo(const py::array& array, const std::vector<py::ssize_t>& batch_shape) {
  const int ndim = static_cast<int>(array.ndim());
  const int batch_ndim = ndim - 1;
  const int missing = static_cast<int>(batch_shape.size()) - batch_ndim;
  RowLayout layout;
  layout.base = static_cast<const char*>(array.data());
  layout.outer_shape = batch_shape;
  layout.outer_strides.assign(batch_shape.size(), 0);
  for (int j = 0; j < batch_ndim; ++j) {
    if (array.shape(j) != 1) layout.outer_strides[missing + j] = array.strides(j);
  }
  layout.cols = array.shape(ndim - 1);
  layout.col_stride = array.strides(ndim - 1);
  return layout;
}

RowLayout AllElements(const py::array& array, bool any_order) {
  const int flags = array.flags();
  const bool contiguous = (flags & py::array::c_style) ||
                          (any_order && (flags & py::array::f_style));
  if (contiguous || array.ndim() == 0) {
    RowLayout layout;
    layout.base = static_cast<const char*>(array.data());
    layout.cols = array.size();
    layout.col_stride = array.itemsize();
    return layout;
  }
  // C order: rows along the last axis, gathered by ContiguousRows and then
  // read as one row.
  return RowsAlongAxis(array, static_cast<int>(array.ndim()) - 1);
}

std::vector<py::ssize_t> BroadcastShapes(const std::vector<py::ssize_t>& a,
                                         const std::vector<py::ssize_t>& b,
                                         const char* function) {
  const std::size_t ndim = std::max(a.size(), b.size());
  std::vector<py::ssize_t> shape(ndim, 1);
  for (std::size_t j = 0; j < ndim; ++j) {
    const py::ssize_t ea = j + a.size() >= ndim ? a[j + a.size() - ndim] : 1;
    const py::ssize_t eb = j + b.size() >= ndim ? b[j + b.size() - ndim] : 1;
    if (ea != eb && ea != 1 && eb != 1) {
      throw py::value_error(std::string("simdkit.") + function + ": batch shapes " +
                            ShapeString(a) + " and " + ShapeString(b) +
                            " cannot be broadcast together");
    }
    shape[j] = ea == 1 ? eb : ea;
  }
  return shape;
}

std::string ShapeString(const std::vector<py::ssize_t>& shape) {
  std::string text = "(";
  for (std::size_t j = 0; j < shape.size(); ++j) {
    text += std::to_string(shape[j]);
    if (shape.size() == 1 || j + 1 < shape.size()) text += ",";
    if (j + 1 < shape.size()) text += " ";
  }
  return text + ")";
}

namespace {

// The row stride in elements if every row can be addressed as
// base + r * stride with aligned, unit-stride columns.
template <typename T>
std::optional<std::size_t> UniformRowStride(const RowLayout& layout) {
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  if (reinterpret_cast<std::uintptr_t>(layout.base) % alignof(T) != 0) return std::nullopt;
  if (layout.cols > 1 && layout.col_stride != item) return std::nullopt;
  std::optional<py::ssize_t> stride;  // of the innermost outer axis longer than 1
  py::ssize_t expected = 0;           // what the next outer axis out must have
  for (std::size_t j = layout.outer_shape.size(); j-- > 0;) {
    if (layout.outer_shape[j] == 1) continue;
    if (!stride) {
      stride = layout.outer_strides[j];
    } else if (layout.outer_strides[j] != expected) {
      return std::nullopt;
    }
    expected = layout.outer_strides[j] * layout.outer_shape[j];
  }
  if (!stride) return static_cast<std::size_t>(layout.cols);  // at most one row
  if (*stride < 0 || *stride % item != 0) return std::nullopt;
  return static_cast<std::size_t>(*stride / item);
}

}  // namespace

template <typename T>
ContiguousRows<T>::ContiguousRows(const RowLayout& layout, Packing packing)
    : rows_(layout.rows()), cols_(static_cast<std::size_t>(layout.cols)) {
  const std::optional<std::size_t> stride = UniformRowStride<T>(layout);
  if (stride && (packing == Packing::kStrided || rows_ <= 1 || *stride == cols_)) {
    data_ = reinterpret_cast<const T*>(layout.base);
    row_stride_ = *stride;
    return;
  }
  storage_.resize(rows_ * cols_);
  row_stride_ = cols_;
  data_ = storage_.data();
  // Walk the outer index like an odometer, last axis fastest (C order).
  std::vector<py::ssize_t> index(layout.outer_shape.size(), 0);
  const char* row = layout.base;
  T* out = storage_.data();
  for (std::size_t r = 0; r < rows_; ++r) {
    for (std::size_t c = 0; c < cols_; ++c) {
      std::memcpy(out++, row + static_cast<py::ssize_t>(c) * layout.col_stride, sizeof(T));
    }
    for (std::size_t j = index.size(); j-- > 0;) {
      row += layout.outer_strides[j];
      if (++index[j] < layout.outer_shape[j]) break;
      row -= layout.outer_strides[j] * layout.outer_shape[j];
      index[j] = 0;
    }
  }
}

template class ContiguousRows<float>;
template class ContiguousRows<double>;

}  // namespace simdkit::python
