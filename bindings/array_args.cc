#include "bindings/array_args.h"

#include <Python.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace simdkit::python {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kUInt16: return "uint16";
    case DType::kBool: return "bool";
    case DType::kFloat8E4M3: return "float8_e4m3fn";
    case DType::kFloat8E5M2: return "float8_e5m2";
  }
  return "unknown";
}

namespace {

// NumPy's PyArray_Scalar (slot 60 of its C API table, the same in NumPy 1.x
// and 2.x) and the dtypes of the scalars we return, looked up once with the
// GIL held. PyArray_Scalar builds a numpy.float32 from a C float directly:
// calling numpy.float32(x) from C++ converts through a Python float and costs
// about 100 ns more per call.
struct ScalarApi {
  using ScalarFunction = PyObject* (*)(void* data, PyObject* descr, PyObject* base);
  ScalarFunction scalar = nullptr;
  py::dtype float32, float64, intp;
};

const ScalarApi& GetScalarApi() {
  static py::gil_safe_call_once_and_store<ScalarApi> storage;
  return storage.call_once_and_store_result([] {
    const py::module_ multiarray = py::detail::import_numpy_core_submodule("multiarray");
    const py::object capsule = multiarray.attr("_ARRAY_API");
    auto** table = static_cast<void**>(PyCapsule_GetPointer(capsule.ptr(), nullptr));
    if (table == nullptr) throw py::error_already_set();
    ScalarApi api;
    api.scalar = reinterpret_cast<ScalarApi::ScalarFunction>(table[60]);
    api.float32 = py::dtype::of<float>();
    api.float64 = py::dtype::of<double>();
    api.intp = py::dtype::of<py::ssize_t>();
    return api;
  }).get_stored();
}

template <typename T>
py::object MakeScalar(T value, py::dtype ScalarApi::*dtype) {
  const ScalarApi& api = GetScalarApi();
  PyObject* scalar = api.scalar(&value, (api.*dtype).ptr(), nullptr);
  if (scalar == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(scalar);
}

}  // namespace

namespace {

// An ml_dtypes type as a NumPy dtype, imported on first use (kept for the
// life of the process: a static py::object would be destroyed after the
// interpreter).
const py::dtype* MlDtypesDType(const char* name) {
  return new py::dtype(py::dtype::from_args(py::module_::import("ml_dtypes").attr(name)));
}

}  // namespace

py::array NewArray(const py::dtype& dtype, int ndim, const py::ssize_t* shape,
                   const char* function) {
  const auto cannot = [&] {
    return ErrorPrefix(function) + "cannot allocate the result, of shape " +
           ShapeString(std::vector<py::ssize_t>(shape, shape + ndim)) + " and dtype " +
           py::str(dtype).cast<std::string>();
  };
  // NumPy refuses sizes beyond PY_SSIZE_T_MAX bytes with a ValueError that
  // names neither; an allocation that large can never succeed.
  std::size_t bytes = static_cast<std::size_t>(dtype.itemsize());
  for (int axis = 0; axis < ndim; ++axis) {
    bytes = SaturatingProduct(bytes, static_cast<std::size_t>(shape[axis]));
  }
  if (bytes > static_cast<std::size_t>(std::numeric_limits<py::ssize_t>::max())) {
    throw memory_error(cannot() + ": it would take more than 2^63 bytes");
  }
  const auto& api = py::detail::npy_api::get();
  // PyArray_NewFromDescr steals a reference to the descriptor.
  PyObject* array = api.PyArray_NewFromDescr_(api.PyArray_Type_, dtype.inc_ref().ptr(), ndim,
                                              shape, nullptr, nullptr, 0, nullptr);
  if (array != nullptr) return py::reinterpret_steal<py::array>(array);
  py::error_already_set error;
  if (!error.matches(PyExc_MemoryError)) throw error;
  throw memory_error(cannot() + " (" + py::str(error.value()).cast<std::string>() + ")");
}

py::array NewArray(const py::dtype& dtype, const std::vector<py::ssize_t>& shape,
                   const char* function) {
  return NewArray(dtype, static_cast<int>(shape.size()), shape.data(), function);
}

const py::dtype& DescrOf(DType dtype) {
  // Kept for the life of the process: a static py::object would be
  // destroyed after the interpreter.
  static const py::dtype* const descrs[] = {
      new py::dtype(py::dtype::of<float>()),         new py::dtype(py::dtype::of<double>()),
      new py::dtype(py::dtype("float16")),           nullptr,
      new py::dtype(py::dtype::of<std::int8_t>()),   new py::dtype(py::dtype::of<std::uint8_t>()),
      new py::dtype(py::dtype::of<std::uint16_t>()), new py::dtype(py::dtype("bool"))};
  switch (dtype) {
    case DType::kFloat32: return *descrs[0];
    case DType::kFloat64: return *descrs[1];
    case DType::kFloat16: return *descrs[2];
    // ml_dtypes is imported on first use only.
    case DType::kBFloat16: {
      static const py::dtype* bfloat16 = MlDtypesDType("bfloat16");
      return *bfloat16;
    }
    case DType::kFloat8E4M3: {
      static const py::dtype* e4m3 = MlDtypesDType("float8_e4m3fn");
      return *e4m3;
    }
    case DType::kFloat8E5M2: {
      static const py::dtype* e5m2 = MlDtypesDType("float8_e5m2");
      return *e5m2;
    }
    case DType::kInt8: return *descrs[4];
    case DType::kUInt8: return *descrs[5];
    case DType::kUInt16: return *descrs[6];
    case DType::kBool: return *descrs[7];
  }
  throw std::logic_error("simdkit: unhandled dtype");
}

py::array NewArray(DType dtype, const std::vector<py::ssize_t>& shape, const char* function) {
  return NewArray(DescrOf(dtype), shape, function);
}

py::array NewArray(DType dtype, int ndim, const py::ssize_t* shape, const char* function) {
  return NewArray(DescrOf(dtype), ndim, shape, function);
}

py::array NewInt64Array(int ndim, const py::ssize_t* shape, const char* function) {
  static const py::dtype* const int64 = new py::dtype(py::dtype::of<std::int64_t>());
  return NewArray(*int64, ndim, shape, function);
}

bool IsLastAxis(const py::handle& axis, int ndim) {
  if (!PyLong_CheckExact(axis.ptr())) return false;
  int overflow = 0;
  const long value = PyLong_AsLongAndOverflow(axis.ptr(), &overflow);
  return overflow == 0 && ndim >= 1 && (value == -1 || value == ndim - 1);
}

py::object NumpyScalar(float value) { return MakeScalar(value, &ScalarApi::float32); }
py::object NumpyScalar(double value) { return MakeScalar(value, &ScalarApi::float64); }
py::object NumpyIndex(std::size_t index) {
  return MakeScalar(static_cast<py::ssize_t>(index), &ScalarApi::intp);
}

std::string TypeNameOf(const py::handle& obj) {
  return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

namespace {

std::string DescribeDType(const py::dtype& dtype) { return py::str(dtype).cast<std::string>(); }

}  // namespace

namespace detail {

bool IsMlDtypesDescr(PyObject* descr_object, int num, DType& result) {
  if (num < kNpyUserDefined) return false;
  const auto dtype = py::reinterpret_borrow<py::dtype>(descr_object);
  if (dtype.has_fields()) return false;
  const std::string name = py::str(dtype.attr("name")).cast<std::string>();
  const struct {
    const char* name;
    py::ssize_t itemsize;
    DType dtype;
    int* number;
  } known[] = {{"bfloat16", 2, DType::kBFloat16, &bfloat16_num},
               {"float8_e4m3fn", 1, DType::kFloat8E4M3, &float8_e4m3_num},
               {"float8_e5m2", 1, DType::kFloat8E5M2, &float8_e5m2_num}};
  for (const auto& candidate : known) {
    if (name == candidate.name && dtype.itemsize() == candidate.itemsize) {
      *candidate.number = num;
      result = candidate.dtype;
      return true;
    }
  }
  return false;
}

}  // namespace detail

std::string DTypeList(DTypes accepted) {
  std::string list;
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    if (i != 0) list += i + 1 == accepted.size() ? " or " : ", ";
    list += DTypeName(accepted[i]);
  }
  return list;
}

std::string DescribeDType(const py::array& array) { return DescribeDType(array.dtype()); }

std::string ErrorPrefix(const char* function) { return std::string("simdkit.") + function + ": "; }

py::array RequireArray(const py::handle& obj, const char* function, const char* argument,
                       const char* what_else) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(ErrorPrefix(function) + "argument '" + argument +
                         "' must be a numpy.ndarray, got " + TypeNameOf(obj) + what_else);
  }
  return py::reinterpret_borrow<py::array>(obj);
}

DType RequireDType(const py::array& array, DTypes accepted,
                   const char* function, const char* argument, const char* note) {
  DType dtype;
  if (detail::DTypeOfDescr(py::detail::array_proxy(array.ptr())->descr, dtype)) {
    for (DType candidate : accepted) {
      if (candidate == dtype) return dtype;
    }
  }
  throw py::type_error(ErrorPrefix(function) + "argument '" + argument +
                       "' must have dtype " + DTypeList(accepted) +
                       " in native byte order, got " + DescribeDType(array.dtype()) +
                       " (simdkit does not cast; convert with .astype())" +
                       (note ? std::string("; ") + note : std::string()));
}

std::vector<py::ssize_t> ShapeOf(const py::array& array) {
  return std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim());
}

void RequireNDim(const py::array& array, int ndim, const char* layout, const char* function,
                 const char* argument) {
  if (array.ndim() == ndim) return;
  throw py::value_error(ErrorPrefix(function) + "argument '" + argument +
                        "' must be " + std::to_string(ndim) + "-D " + layout + ", got shape " +
                        ShapeString(ShapeOf(array)));
}

void RequireExtents(const py::array& array, py::ssize_t max_extent, const char* function,
                    const char* argument) {
  for (py::ssize_t j = 0; j < array.ndim(); ++j) {
    if (array.shape(j) > max_extent) {
      throw py::value_error(ErrorPrefix(function) + "argument '" + argument +
                            "' has shape " + ShapeString(ShapeOf(array)) +
                            "; expected at most " + std::to_string(max_extent) +
                            " elements along every dimension");
    }
  }
}

namespace {

// The value of an int, NumPy integer or 0-d integer array (not a bool),
// clipped to the ssize_t range; false for anything else.
bool IndexValue(const py::handle& value, Py_ssize_t& result) {
  if (!PyIndex_Check(value.ptr()) || PyBool_Check(value.ptr())) return false;
  // nullptr: clip to the ssize_t range instead of raising OverflowError.
  result = PyNumber_AsSsize_t(value.ptr(), nullptr);
  if (result != -1 || !PyErr_Occurred()) return true;
  // Every ndarray has __index__, which refuses all but 0-d integer arrays.
  if (!PyErr_ExceptionMatches(PyExc_TypeError)) throw py::error_already_set();
  PyErr_Clear();
  return false;
}

}  // namespace

py::ssize_t RequireInt(const py::handle& value, const char* function, const char* argument,
                       const char* what_expected) {
  Py_ssize_t result = 0;
  if (!IndexValue(value, result)) {
    throw py::type_error(ErrorPrefix(function) + argument + " must be " +
                         what_expected + ", got " + TypeNameOf(value));
  }
  return result;
}

std::size_t ThreadsArg(const py::handle& threads, const char* function) {
  if (threads.is_none()) return 0;
  const py::ssize_t value = RequireInt(threads, function, "threads", "None or a positive int");
  if (value < 1) {
    throw py::value_error(ErrorPrefix(function) +
                          "threads must be None (one per core) or a positive int, got " +
                          std::to_string(value));
  }
  return static_cast<std::size_t>(value);
}

ByteRange ByteRangeOf(const py::array& array) {
  ByteRange range;
  if (array.size() == 0) return range;
  auto first = reinterpret_cast<std::intptr_t>(array.data());
  auto last = first + static_cast<std::intptr_t>(array.itemsize());
  for (py::ssize_t j = 0; j < array.ndim(); ++j) {
    const std::intptr_t span = static_cast<std::intptr_t>(array.shape(j) - 1) * array.strides(j);
    (span < 0 ? first : last) += span;
  }
  range.first = static_cast<std::uintptr_t>(first);
  range.last = static_cast<std::uintptr_t>(last);
  return range;
}

// What every out= must be, in the same words for every function: an ndarray
// of one of `accepted` (TypeError), of the result's `shape`, writeable
// (ValueError).
py::array RequireOut(const py::handle& out, DTypes accepted,
                     const std::vector<py::ssize_t>& shape, const char* function,
                     const char* dtype_note) {
  const py::array array = RequireArray(out, function, "out");
  RequireDType(array, accepted, function, "out", dtype_note);
  if (ShapeOf(array) != shape) {
    throw py::value_error(ErrorPrefix(function) + "out must have the result's shape " +
                          ShapeString(shape) + ", got " + ShapeString(ShapeOf(array)));
  }
  if (!array.writeable()) {
    throw py::value_error(ErrorPrefix(function) + "out must be writeable, got a read-only array");
  }
  return array;
}

py::array ResultLike(const py::handle& out, DType dtype, DTypes accepted,
                     const py::array& input, const char* function, bool in_place,
                     OutLayout layout) {
  if (out.is_none()) {
    return NewArray(dtype, static_cast<int>(input.ndim()), input.shape(), function);
  }
  const py::array array = RequireOut(out, accepted, ShapeOf(input), function, nullptr);
  const std::string prefix = ErrorPrefix(function) + "out ";
  if (layout == OutLayout::kCContiguous &&
      (!(array.flags() & py::array::c_style) ||
       reinterpret_cast<std::uintptr_t>(array.data()) % array.itemsize() != 0)) {
    throw py::value_error(prefix + "must be C-contiguous and aligned (as numpy.empty makes it)");
  }
  const bool same = in_place && array.data() == input.data() &&
                    std::equal(array.strides(), array.strides() + array.ndim(), input.strides());
  if (!same && ByteRangeOf(array).overlaps(ByteRangeOf(input))) {
    throw py::value_error(prefix + "shares memory with the input; expected " +
                          (in_place ? "the input itself (in place) or " : "") +
                          "a separate array");
  }
  return array;
}

OutMatrix RequireOutMatrix(const py::handle& out, DType dtype,
                           const std::vector<py::ssize_t>& shape,
                           const std::vector<std::pair<const char*, const py::array*>>& inputs,
                           const char* function) {
  const std::string prefix = ErrorPrefix(function) + "out ";
  OutMatrix result{
      RequireOut(out, DTypes(dtype), shape, function, "the result dtype for this input"), 0};
  const py::array& array = result.array;
  const bool vector = shape.size() == 1;
  const py::ssize_t rows = vector ? 1 : shape[0], cols = shape.back();
  if (rows == 0 || cols == 0) return result;  // nothing is written: any strides
  const auto item = static_cast<py::ssize_t>(array.itemsize());
  if (reinterpret_cast<std::uintptr_t>(array.data()) % static_cast<std::uintptr_t>(item) != 0) {
    throw py::value_error(prefix + "must be aligned to its itemsize (" + std::to_string(item) +
                          " bytes)");
  }
  const std::vector<py::ssize_t> strides(array.strides(), array.strides() + array.ndim());
  if (cols > 1 && strides.back() != item) {
    throw py::value_error(prefix + (vector ? "must be contiguous (strides[0] == "
                                           : "must have unit column stride (strides[1] == ") +
                          std::to_string(item) + " bytes, as in C order), got strides " +
                          ShapeString(strides));
  }
  if (rows > 1 && (array.strides(0) < cols * item || array.strides(0) % item != 0)) {
    throw py::value_error(prefix + "must have non-overlapping rows (strides[0] a multiple of " +
                          std::to_string(item) + " bytes and at least " +
                          std::to_string(cols * item) + "), got strides " +
                          ShapeString(strides));
  }
  result.row_stride = rows > 1 ? static_cast<std::size_t>(array.strides(0) / item)
                               : static_cast<std::size_t>(cols);
  const ByteRange out_range = ByteRangeOf(array);
  for (const auto& [name, input] : inputs) {
    if (out_range.overlaps(ByteRangeOf(*input))) {
      throw py::value_error(prefix + "must not share memory with input '" + name +
                            "'; expected a separate array");
    }
  }
  return result;
}

std::size_t SaturatingProduct(std::size_t a, std::size_t b, std::size_t c) {
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  std::size_t product = a;
  for (std::size_t factor : {b, c}) {
    if (factor != 0 && product > kMax / factor) return kMax;
    product *= factor;
  }
  return product;
}

int NormalizeAxis(const py::handle& axis, int ndim, const char* function, bool none_allowed) {
  Py_ssize_t value = 0;  // an int beyond the ssize_t range saturates: out of range
  if (!IndexValue(axis, value)) {
    throw py::type_error(ErrorPrefix(function) + "axis must be " +
                         (none_allowed ? "None or " : "") + "an int, got " + TypeNameOf(axis));
  }
  if (value < -ndim || value >= ndim) {
    py::object axis_error = py::module_::import("numpy.exceptions").attr("AxisError");
    PyErr_SetObject(axis_error.ptr(), axis_error(axis, ndim).ptr());
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
      throw py::value_error(ErrorPrefix(function) + "batch shapes " +
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

// Calls row_function(start of row) for every row of `layout`, in C order of
// the outer index (walked like an odometer, last axis fastest).
template <typename RowFunction>
void ForEachRow(const RowLayout& layout, const RowFunction& row_function) {
  std::vector<py::ssize_t> index(layout.outer_shape.size(), 0);
  const char* row = layout.base;
  const std::size_t rows = layout.rows();
  for (std::size_t r = 0; r < rows; ++r) {
    row_function(row);
    for (std::size_t j = index.size(); j-- > 0;) {
      row += layout.outer_strides[j];
      if (++index[j] < layout.outer_shape[j]) break;
      row -= layout.outer_strides[j] * layout.outer_shape[j];
      index[j] = 0;
    }
  }
}

// Whether every row can be addressed as base + r * stride with aligned,
// unit-stride columns; if so, `stride` in elements. Not std::optional, for
// DTypeOf's reason: here the stall cost distance() 20 ns a call.
template <typename T>
bool UniformRowStride(const RowLayout& layout, std::size_t& stride) {
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  if (reinterpret_cast<std::uintptr_t>(layout.base) % alignof(T) != 0) return false;
  if (layout.cols > 1 && layout.col_stride != item) return false;
  py::ssize_t outer_stride = 0;  // of the innermost outer axis longer than 1
  bool found = false;
  py::ssize_t expected = 0;      // what the next outer axis out must have
  for (std::size_t j = layout.outer_shape.size(); j-- > 0;) {
    if (layout.outer_shape[j] == 1) continue;
    if (!found) {
      outer_stride = layout.outer_strides[j];
      found = true;
    } else if (layout.outer_strides[j] != expected) {
      return false;
    }
    expected = layout.outer_strides[j] * layout.outer_shape[j];
  }
  if (!found) {  // at most one row
    stride = static_cast<std::size_t>(layout.cols);
    return true;
  }
  if (outer_stride < 0 || outer_stride % item != 0) return false;
  stride = static_cast<std::size_t>(outer_stride / item);
  return true;
}

// Sizes `storage` for rows x cols elements in C order; memory_error (with
// the GIL held or not) when that cannot be allocated.
template <typename T>
void AllocateCopy(std::vector<T>& storage, std::size_t rows, std::size_t cols) {
  const std::size_t elements = SaturatingProduct(rows, cols);
  try {
    storage.resize(elements);
    return;
  } catch (const std::bad_alloc&) {
  } catch (const std::length_error&) {  // beyond vector::max_size()
  }
  throw memory_error("cannot allocate " +
                     std::to_string(SaturatingProduct(elements, sizeof(T))) +
                     " bytes for a C-contiguous copy of " + std::to_string(rows) + " x " +
                     std::to_string(cols) + " elements (a strided, broadcast or unaligned "
                     "array is copied once; a C-contiguous one is read in place)");
}

}  // namespace

template <typename T>
ContiguousRows<T>::ContiguousRows(const RowLayout& layout, Packing packing)
    : rows_(layout.rows()), cols_(static_cast<std::size_t>(layout.cols)) {
  std::size_t stride = 0;
  if (UniformRowStride<T>(layout, stride) &&
      (packing == Packing::kStrided || rows_ <= 1 || stride == cols_ ||
       (packing == Packing::kDisjoint && stride >= cols_))) {
    data_ = reinterpret_cast<const T*>(layout.base);
    row_stride_ = stride;
    return;
  }
  AllocateCopy(storage_, rows_, cols_);
  row_stride_ = cols_;
  data_ = storage_.data();
  T* out = storage_.data();
  ForEachRow(layout, [&](const char* row) {
    for (std::size_t c = 0; c < cols_; ++c) {
      std::memcpy(out++, row + static_cast<py::ssize_t>(c) * layout.col_stride, sizeof(T));
    }
  });
}

template <typename T>
WritableRows<T>::WritableRows(const RowLayout& layout, Packing packing) : layout_(layout) {
  const std::size_t rows = layout.rows(), cols = static_cast<std::size_t>(layout.cols);
  std::size_t stride = 0;
  if (UniformRowStride<T>(layout, stride) &&
      (rows <= 1 || stride == cols || (packing != Packing::kDense && stride >= cols))) {
    data_ = reinterpret_cast<T*>(const_cast<char*>(layout.base));
    row_stride_ = stride;
    return;
  }
  AllocateCopy(storage_, rows, cols);
  data_ = storage_.data();
  row_stride_ = cols;
}

template <typename T>
void WritableRows<T>::Scatter() const {
  if (storage_.empty()) return;
  const T* in = storage_.data();
  ForEachRow(layout_, [&](const char* row) {
    char* destination = const_cast<char*>(row);
    for (py::ssize_t c = 0; c < layout_.cols; ++c) {
      std::memcpy(destination + c * layout_.col_stride, in++, sizeof(T));
    }
  });
}

template class WritableRows<float>;
template class WritableRows<double>;
template class WritableRows<std::uint16_t>;

template class ContiguousRows<float>;
template class ContiguousRows<double>;
template class ContiguousRows<std::uint16_t>;
template class ContiguousRows<std::int8_t>;
template class ContiguousRows<std::uint8_t>;

}  // namespace simdkit::python
