// Python entry points of the math family: the elementwise functions
// (simdkit.exp(x, out=None), ...) and the row kernels (softmax, log_softmax,
// normalize, logsumexp over an axis). Each call validates once, releases the
// GIL for large inputs, and makes one batch call into the dispatched kernels.
// The elementwise functions are raw METH_FASTCALL entry points: at n = 16
// pybind11's dispatcher would cost more than the kernel.
#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/entry_points.h"
#include "bindings/module.h"
#include "simdkit/math.h"

namespace simdkit::python {
namespace {

using KernelDType = simdkit::DType;

constexpr DType kMathDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16,
                                 DType::kBFloat16};

// exp(x, out=None, *, threads=1) and the other elementwise functions.
const Signature kElementwiseSignature("math",
                                      {{"x", ParameterKind::kArray, nullptr, kMathDTypes},
                                       {"out", ParameterKind::kOut, "None", kMathDTypes},
                                       kKeywordOnly,
                                       {"threads", ParameterKind::kThreads, "1"}},
                                      ResultKind::kArray);

// softmax(x, axis=-1, *, out=None, threads=1) and the other row kernels.
const Signature kRowwiseSignature("math",
                                  {{"x", ParameterKind::kArray, nullptr, kMathDTypes},
                                   {"axis", ParameterKind::kAxisOrNone, "-1"},
                                   kKeywordOnly,
                                   {"out", ParameterKind::kOut, "None", kMathDTypes},
                                   {"threads", ParameterKind::kThreads, "1"}},
                                  ResultKind::kArray);

const Signature kLogSumExpSignature("math",
                                    {{"x", ParameterKind::kArray, nullptr, kMathDTypes},
                                     {"axis", ParameterKind::kAxisOrNone, "-1"},
                                     kKeywordOnly,
                                     {"threads", ParameterKind::kThreads, "1"}},
                                    ResultKind::kScalarOrArray);

// threads= of a call on a small array, which runs on the calling thread
// whatever it says: checked all the same, at the cost of one pointer compare
// when it is the default (CPython's one cached 1).
void CheckThreadsOfSmallCall(const py::handle& threads, const char* function) {
  static PyObject* const kDefault = PyLong_FromLong(1);
  if (threads.ptr() != kDefault) ThreadsArg(threads, function);
}

KernelDType KernelDTypeOf(DType dtype) {
  switch (dtype) {
    case DType::kFloat64: return KernelDType::kFloat64;
    case DType::kFloat16: return KernelDType::kFloat16;
    case DType::kBFloat16: return KernelDType::kBFloat16;
    default: return KernelDType::kFloat32;
  }
}

// VisitDType for the math dtypes only (float16 and bfloat16 as uint16_t
// bit patterns), so that visitors compile for those storage types alone.
template <typename Visitor>
void VisitMathDType(DType dtype, Visitor&& visit) {
  if (dtype == DType::kFloat16 || dtype == DType::kBFloat16) return visit(TypeTag<std::uint16_t>{});
  VisitFloatDType(dtype, visit);
}

// x's rows as the kernels read them: with `one_row` (axis=None), all of its
// elements, gathered in C order unless they already are, as a single row.
template <typename T>
MatrixView ViewOf(const ContiguousRows<T>& input, DType dtype, bool one_row) {
  if (one_row) {
    const std::size_t n = input.rows() * input.cols();
    return MatrixView{input.data(), KernelDTypeOf(dtype), 1, n, n};
  }
  return MatrixView{input.data(), KernelDTypeOf(dtype), input.rows(), input.cols(),
                    input.row_stride()};
}

// Runs kernel(x's rows as a MatrixView, y's rows, y's row stride) once, with
// the GIL released for large inputs; rows that are not laid out as the
// kernels want them are gathered from x and scattered into y. With
// `one_row`, x and y (the same shape, any layouts) are each one row of all
// their elements in C order, whatever rows their layouts describe.
template <typename Kernel>
void RunOverRows(const char* function, DType dtype, const RowLayout& x_layout,
                 const RowLayout& y_layout, std::size_t elements, bool one_row,
                 const Kernel& kernel) {
  VisitMathDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel(function, elements, [&] {
      const Packing packing = one_row ? Packing::kDense : Packing::kDisjoint;
      const ContiguousRows<T> input(x_layout, packing);
      WritableRows<T> output(y_layout, packing);
      kernel(ViewOf(input, dtype, one_row), output.data(),
             one_row ? elements : output.row_stride());
      output.Scatter();
    });
  });
}

// y = f(x) over every element, in C order.
py::object ApplyElementwise(Function function, const py::handle& x_handle, const py::handle& out,
                            const py::handle& threads_object) {
  const char* name = function_name(function);
  const py::array x = RequireArray(x_handle, name, "x");
  const DType dtype = RequireDType(x, kElementwiseSignature.dtypes(0), name, "x");
  py::array y =
      ResultLike(out, dtype, DTypes(dtype), x, name, /*in_place=*/true, OutLayout::kAnyStrides);
  const std::size_t threads = ThreadsArg(threads_object, name);
  const std::size_t n = static_cast<std::size_t>(x.size());
  if (n == 0) return std::move(y);
  // One row of n when both are C-contiguous; else the same rows (along the
  // last axis) on both sides.
  const bool flat = (x.flags() & py::array::c_style) && (y.flags() & py::array::c_style);
  const int last = static_cast<int>(x.ndim()) - 1;
  const RowLayout x_layout = flat ? AllElements(x, false) : RowsAlongAxis(x, last);
  const RowLayout y_layout = flat ? AllElements(y, false) : RowsAlongAxis(y, last);
  RunOverRows(name, dtype, x_layout, y_layout, n, /*one_row=*/false,
              [&](const MatrixView& view, void* out, std::size_t stride) {
                simdkit::apply_rows(function, view, out, stride, threads);
              });
  return std::move(y);
}

PyObject* ElementwiseEntry(std::size_t index, PyObject* const* args, Py_ssize_t nargs,
                           PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    const auto function = static_cast<Function>(index);
    py::handle values[3];
    kElementwiseSignature.Parse(function_name(function), args, nargs, kwnames, values);
    SmallArray x;
    if (values[1].is_none() && AsSmallArray(values[0].ptr(), kElementwiseSignature.dtypes(0), x)) {
      CheckThreadsOfSmallCall(values[2], function_name(function));
      py::array y = NewArray(x.dtype, x.ndim, x.shape, function_name(function));
      simdkit::apply(function, KernelDTypeOf(x.dtype), x.data, y.mutable_data(), x.size);
      return std::move(y);
    }
    return ApplyElementwise(function, values[0], values[1], values[2]);
  });
}

// Rows along `axis`; None: all elements in C order, in rows that RunOverRows
// and LogSumExp read as one (a strided array's rows are gathered together).
RowLayout RowsFor(const py::array& array, const py::handle& axis, const char* function) {
  if (axis.is_none()) return AllElements(array, false);
  return RowsAlongAxis(
      array, NormalizeAxis(axis, static_cast<int>(array.ndim()), function, /*none_allowed=*/true));
}

py::array ApplyRowwise(RowFunction function, const char* name, const py::handle& x_object,
                       const py::handle& axis, const py::handle& out,
                       const py::handle& threads_object) {
  const py::array x = RequireArray(x_object, name, "x");
  const DType dtype = RequireDType(x, kRowwiseSignature.dtypes(0), name, "x");
  const std::size_t threads = ThreadsArg(threads_object, name);
  if (!axis.is_none() && x.ndim() == 0) {
    throw py::value_error(ErrorPrefix(name) + "x is 0-d; expected at least one dimension for axis=" +
                          py::repr(axis).cast<std::string>());
  }
  py::array y =
      ResultLike(out, dtype, DTypes(dtype), x, name, /*in_place=*/true, OutLayout::kAnyStrides);
  if (x.size() == 0) return y;
  const RowLayout x_layout = RowsFor(x, axis, name);
  const RowLayout y_layout = RowsFor(y, axis, name);
  RunOverRows(name, dtype, x_layout, y_layout, static_cast<std::size_t>(x.size()),
              /*one_row=*/axis.is_none(),
              [&](const MatrixView& view, void* out, std::size_t stride) {
                simdkit::apply_rowwise(function, view, out, stride, threads);
              });
  return y;
}

py::object LogSumExp(const py::handle& x_object, const py::handle& axis,
                     const py::handle& threads_object) {
  constexpr const char* kName = "logsumexp";
  const py::array x = RequireArray(x_object, kName, "x");
  const DType dtype = RequireDType(x, kLogSumExpSignature.dtypes(0), kName, "x");
  const std::size_t threads = ThreadsArg(threads_object, kName);
  if (!axis.is_none() && x.ndim() == 0) {
    throw py::value_error(ErrorPrefix(kName) + "x is 0-d; expected at least one dimension for axis=" +
                          py::repr(axis).cast<std::string>());
  }
  const RowLayout layout = RowsFor(x, axis, kName);
  const std::vector<py::ssize_t> shape = axis.is_none() ? std::vector<py::ssize_t>{}
                                                        : layout.outer_shape;
  py::array result = NewArray(dtype, shape, kName);
  VisitMathDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = static_cast<T*>(result.mutable_data());
    RunKernel(kName, static_cast<std::size_t>(x.size()), [&] {
      const bool one_row = axis.is_none();
      const ContiguousRows<T> input(layout, one_row ? Packing::kDense : Packing::kDisjoint);
      simdkit::logsumexp(ViewOf(input, dtype, one_row), out, threads);
    });
  });
  // A single value comes back as a NumPy scalar of x's dtype, as SciPy
  // returns it.
  if (result.ndim() == 0) return result[py::tuple()];
  return std::move(result);
}

// The fast paths of the row kernels: x small (AsSmallArray) of a math
// dtype and not empty, rows along the last axis or all elements as one row
// (axis=None): its rows as the kernels read them; false for anything else.
bool AsSmallRows(const py::handle& x_object, const py::handle& axis, SmallArray& x,
                 MatrixView& rows) {
  if (!AsSmallArray(x_object.ptr(), kMathDTypes, x) || x.size == 0) return false;
  if (!axis.is_none() && !IsLastAxis(axis, x.ndim)) return false;
  const std::size_t cols = axis.is_none() ? x.size : x.cols();
  rows = MatrixView{x.data, KernelDTypeOf(x.dtype), x.size / cols, cols, cols};
  return true;
}

struct RowKernel {
  RowFunction function;
  const char* name;
  const char* doc;
};

const RowKernel kRowKernels[] = {
    {RowFunction::kSoftmax, "softmax",
     "exp(x - max) / sum(exp(x - max)), as scipy.special.softmax,"},
    {RowFunction::kLogSoftmax, "log_softmax",
     "x - max - log(sum(exp(x - max))), as scipy.special.log_softmax,"},
    {RowFunction::kNormalize, "normalize",
     "x / norm(x) (all-zero rows stay zero),"},
};

PyObject* RowwiseEntry(std::size_t index, PyObject* const* args, Py_ssize_t nargs,
                       PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    const RowKernel& kernel = kRowKernels[index];
    py::handle values[4];
    kRowwiseSignature.Parse(kernel.name, args, nargs, kwnames, values);
    SmallArray x;
    MatrixView rows;
    if (values[2].is_none() && AsSmallRows(values[0], values[1], x, rows)) {
      CheckThreadsOfSmallCall(values[3], kernel.name);
      py::array y = NewArray(x.dtype, x.ndim, x.shape, kernel.name);
      simdkit::apply_rowwise(kernel.function, rows, y.mutable_data(), rows.cols);
      return std::move(y);
    }
    return ApplyRowwise(kernel.function, kernel.name, values[0], values[1], values[2], values[3]);
  });
}

PyObject* LogSumExpEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[3];
    kLogSumExpSignature.Parse("logsumexp", args, nargs, kwnames, values);
    SmallArray x;
    MatrixView rows;
    if (AsSmallRows(values[0], values[1], x, rows)) {
      CheckThreadsOfSmallCall(values[2], "logsumexp");
      if (!values[1].is_none() && x.ndim > 1) {
        py::array result = NewArray(x.dtype, x.ndim - 1, x.shape, "logsumexp");
        simdkit::logsumexp(rows, result.mutable_data());
        return std::move(result);
      }
      // One value: a NumPy scalar of x's dtype (16-bit floats through the
      // general path, which makes theirs from a 0-d array).
      if (x.dtype == DType::kFloat32 || x.dtype == DType::kFloat64) {
        return VisitFloatDType(x.dtype, [&](auto tag) {
          typename decltype(tag)::type value{};
          simdkit::logsumexp(rows, &value);
          return NumpyScalar(value);
        });
      }
    }
    return LogSumExp(values[0], values[1], values[2]);
  });
}

constexpr const char* kThreadsDoc =
    "threads: how many threads share a large input (1, the default: the calling\n"
    "thread only; None: one per core); the result is the same for every count.\n";

constexpr const char* kDTypesDoc =
    "x: a numpy.ndarray of float32, float64, float16 or ml_dtypes.bfloat16 (nothing\n"
    "is cast; 16-bit floats are computed in float32), any shape and strides; the\n"
    "result has x's dtype and shape.\n";

}  // namespace

void RegisterMath(py::module_& module) {
  static constexpr auto elementwise = IndexedEntries<&ElementwiseEntry, kFunctionCount>();
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    const char* name = function_name(static_cast<Function>(i));
    AddEntryPoint(
        module, name, kElementwiseSignature, elementwise[i],
        std::string(name) +
            "(x) elementwise (see docs/math.md for the definition and accuracy).\n" + kDTypesDoc +
            "out: a writeable array of x's dtype and shape, x itself for in place, or\n"
            "None for a new array; it is filled and returned.\n" + kThreadsDoc);
  }
  static constexpr auto rowwise = IndexedEntries<&RowwiseEntry, std::size(kRowKernels)>();
  for (std::size_t i = 0; i < rowwise.size(); ++i) {
    AddEntryPoint(
        module, kRowKernels[i].name, kRowwiseSignature, rowwise[i],
        std::string(kRowKernels[i].doc) +
            " along `axis` (default: the last; None: all elements as one row).\n" + kDTypesDoc +
            "out: a writeable array of x's dtype and shape (x itself for in place).\n" +
            kThreadsDoc);
  }
  AddEntryPoint(
      module, "logsumexp", kLogSumExpSignature, &LogSumExpEntry,
      std::string("log(sum(exp(x))) along `axis` (default: the last; None: all elements),\n"
                  "computed stably as scipy.special.logsumexp; -inf for empty rows.\n"
                  "Returns x's shape without that axis, or a NumPy scalar.\n") +
          kDTypesDoc + kThreadsDoc);
}

}  // namespace simdkit::python
