// Python entry points of the reduce family: sum, norm, min, max, argmin,
// argmax (axis=None or an axis) and dot (numpy.vecdot over the last axis).
// Each call validates once, releases the GIL for large inputs, and makes one
// batch call into the dispatched kernels.
#include <cstddef>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/entry_points.h"
#include "bindings/module.h"
#include "simdkit/reduce.h"

namespace simdkit::python {
namespace {

template <typename T>
using RowsKernel = void (*)(const T*, std::size_t, std::size_t, std::size_t, void*);

template <typename T, typename Out, void (*kRows)(const T*, std::size_t, std::size_t, std::size_t, Out*)>
void EraseOutputType(const T* x, std::size_t rows, std::size_t cols, std::size_t row_stride,
                     void* out) {
  kRows(x, rows, cols, row_stride, static_cast<Out*>(out));
}

struct ReduceFunction {
  const char* name;
  const char* numpy_name;  // for NumPy's wording of the empty-input error
  bool returns_index;      // argmin/argmax: intp results, flat C-order index
  bool has_identity;       // sum/norm: empty rows give 0
  RowsKernel<float> rows_f32;
  RowsKernel<double> rows_f64;

  template <typename T>
  RowsKernel<T> rows() const {
    if constexpr (std::is_same_v<T, float>) {
      return rows_f32;
    } else {
      return rows_f64;
    }
  }
};

#define SIMDKIT_ERASE(fn, Out32, Out64) \
  &EraseOutputType<float, Out32, &simdkit::fn>, &EraseOutputType<double, Out64, &simdkit::fn>

const ReduceFunction kSum{"sum", "add", false, true, SIMDKIT_ERASE(sum_rows, float, double)};
const ReduceFunction kNorm{"norm", "norm", false, true, SIMDKIT_ERASE(norm_rows, float, double)};
const ReduceFunction kMin{"min", "minimum", false, false, SIMDKIT_ERASE(min_rows, float, double)};
const ReduceFunction kMax{"max", "maximum", false, false, SIMDKIT_ERASE(max_rows, float, double)};
const ReduceFunction kArgMin{"argmin", "argmin", true, false,
                             SIMDKIT_ERASE(argmin_rows, std::size_t, std::size_t)};
const ReduceFunction kArgMax{"argmax", "argmax", true, false,
                             SIMDKIT_ERASE(argmax_rows, std::size_t, std::size_t)};
#undef SIMDKIT_ERASE

constexpr DType kFloatDTypes[] = {DType::kFloat32, DType::kFloat64};

// sum(a, axis=None, keepdims=False) and the other reductions.
const Signature kReduceSignature("reduce",
                                 {{"a", ParameterKind::kArray, nullptr, kFloatDTypes},
                                  {"axis", ParameterKind::kAxisOrNone, "None"},
                                  {"keepdims", ParameterKind::kBool, "False"}},
                                 ResultKind::kScalarOrArray);

const Signature kDotSignature("reduce",
                              {{"a", ParameterKind::kArray, nullptr, kFloatDTypes},
                               {"b", ParameterKind::kArray, nullptr, kFloatDTypes}},
                              ResultKind::kScalarOrArray);

py::array NewResultArray(DType dtype, bool index, const std::vector<py::ssize_t>& shape,
                         const char* function) {
  if (index) return NewArray(py::dtype::of<py::ssize_t>(), shape, function);
  return NewArray(dtype, shape, function);
}

// Where a kernel writes a scalar result.
union ScalarResult {
  float f32;
  double f64;
  std::size_t index;
};

// A reduction's scalar result, written by its kernel, as a NumPy scalar.
py::object ScalarOf(const ReduceFunction& function, DType dtype, const ScalarResult& result) {
  if (function.returns_index) return NumpyIndex(result.index);
  if (dtype == DType::kFloat32) return NumpyScalar(result.f32);
  return NumpyScalar(result.f64);
}

// A whole small array's reduction as a NumPy scalar, kernel called
// directly (AsSmallArray: the fast path).
py::object ReduceSmall(const ReduceFunction& function, const SmallArray& a) {
  ScalarResult result;
  VisitFloatDType(a.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    function.rows<T>()(static_cast<const T*>(a.data), 1, a.size, a.size, &result);
  });
  return ScalarOf(function, a.dtype, result);
}

py::object Reduce(const ReduceFunction& function, const py::handle& a_object,
                  const py::handle& axis, bool keepdims) {
  const py::array a = RequireArray(a_object, function.name, "a");
  const DType dtype = RequireDType(a, kReduceSignature.dtypes(0), function.name, "a");
  const int ndim = static_cast<int>(a.ndim());

  const bool all_elements = axis.is_none();
  RowLayout layout;
  std::vector<py::ssize_t> result_shape;
  if (all_elements) {
    // argmin/argmax report C-order indices; the others may read memory order.
    layout = AllElements(a, !function.returns_index);
    if (keepdims) result_shape.assign(ndim, 1);
  } else {
    const int reduced_axis = NormalizeAxis(axis, ndim, function.name, /*none_allowed=*/true);
    layout = RowsAlongAxis(a, reduced_axis);
    result_shape = layout.outer_shape;
    if (keepdims) result_shape.insert(result_shape.begin() + reduced_axis, 1);
  }
  const std::size_t total = static_cast<std::size_t>(a.size());
  const std::size_t rows = all_elements ? 1 : layout.rows();
  const std::size_t cols = all_elements ? total : static_cast<std::size_t>(layout.cols);
  if (!function.has_identity && cols == 0) {
    throw py::value_error(ErrorPrefix(function.name) +
                          "zero-size array to reduction operation " + function.numpy_name +
                          " which has no identity; expected at least one element" +
                          (all_elements ? "" : " along the axis"));
  }

  // A scalar result goes to a local, not through a 0-d array.
  const bool scalar_result = all_elements && !keepdims;
  ScalarResult scalar;
  py::array result;
  if (!scalar_result) {
    result = NewResultArray(dtype, function.returns_index, result_shape, function.name);
  }
  void* out = scalar_result ? static_cast<void*>(&scalar) : result.mutable_data();
  VisitFloatDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const RowsKernel<T> kernel = function.rows<T>();
    RunKernel(function.name, total, [&] {
      const ContiguousRows<T> input(layout, all_elements ? Packing::kDense : Packing::kStrided);
      kernel(input.data(), rows, cols, all_elements ? cols : input.row_stride(), out);
    });
  });
  if (!scalar_result) return std::move(result);
  return ScalarOf(function, dtype, scalar);
}

std::vector<py::ssize_t> BatchShape(const py::array& array) {
  return std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim() - 1);
}

py::object Dot(const py::handle& a_object, const py::handle& b_object) {
  const py::array a = RequireArray(a_object, "dot", "a");
  const py::array b = RequireArray(b_object, "dot", "b");
  const DType dtype = RequireDType(a, kDotSignature.dtypes(0), "dot", "a");
  const DType b_dtype = RequireDType(b, kDotSignature.dtypes(1), "dot", "b");
  if (b_dtype != dtype) {
    throw py::type_error(std::string("simdkit.dot: a has dtype ") + DTypeName(dtype) +
                         " but b has dtype " + DTypeName(b_dtype) +
                         "; expected the same dtype (simdkit does not cast)");
  }
  if (a.ndim() == 0 || b.ndim() == 0) {
    throw py::value_error("simdkit.dot: expected arrays with at least one dimension, got a 0-d "
                          "array for '" + std::string(a.ndim() == 0 ? "a" : "b") + "'");
  }
  const py::ssize_t length = a.shape(a.ndim() - 1);
  if (b.shape(b.ndim() - 1) != length) {
    const auto shape_of = [](const py::array& x) {
      return ShapeString(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
    };
    throw py::value_error("simdkit.dot: last dimensions differ: a has shape " + shape_of(a) +
                          " and b has shape " + shape_of(b) +
                          "; expected vectors of equal length");
  }
  const std::vector<py::ssize_t> batch = BroadcastShapes(BatchShape(a), BatchShape(b), "dot");
  const RowLayout a_rows = RowsBroadcastTo(a, batch);
  const RowLayout b_rows = RowsBroadcastTo(b, batch);
  const std::size_t rows = a_rows.rows();
  const std::size_t cols = static_cast<std::size_t>(length);

  ScalarResult scalar;  // a scalar result goes here, not through a 0-d array
  py::array result;
  if (!batch.empty()) result = NewArray(dtype, batch, "dot");
  void* out = batch.empty() ? static_cast<void*>(&scalar) : result.mutable_data();
  VisitFloatDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("dot", SaturatingProduct(rows, cols), [&] {
      const ContiguousRows<T> a_input(a_rows, Packing::kStrided);
      const ContiguousRows<T> b_input(b_rows, Packing::kStrided);
      simdkit::dot_rows(a_input.data(), a_input.row_stride(), b_input.data(),
                        b_input.row_stride(), rows, cols, static_cast<T*>(out));
    });
  });
  if (!batch.empty()) return std::move(result);
  return VisitFloatDType(dtype, [&](auto tag) {
    return NumpyScalar(*static_cast<const typename decltype(tag)::type*>(out));
  });
}

// keepdims as pybind11 took a bool: True/False, None (false) or anything
// with __bool__ (numpy.bool_, 0 and 1).
bool KeepDims(const py::handle& keepdims, const char* function) {
  if (keepdims.ptr() == Py_False) return false;  // the default, without the caster
  py::detail::make_caster<bool> caster;
  if (!caster.load(keepdims, /*convert=*/true)) {
    throw py::type_error(ErrorPrefix(function) + "keepdims must be a bool, got " +
                         TypeNameOf(keepdims));
  }
  return static_cast<bool>(caster);
}

const ReduceFunction* const kReduceFunctions[] = {&kSum, &kNorm, &kMin, &kMax, &kArgMin, &kArgMax};

// The reductions and dot as raw METH_FASTCALL entry points: keywords cost
// what positional arguments cost, and a small array of floats goes straight
// to the kernel (docs/ARCHITECTURE.md, The Python boundary).
PyObject* ReduceEntry(std::size_t index, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    const ReduceFunction& function = *kReduceFunctions[index];
    py::handle values[3];
    kReduceSignature.Parse(function.name, args, nargs, kwnames, values);
    const bool keepdims = KeepDims(values[2], function.name);
    SmallArray a;
    if (values[1].is_none() && !keepdims &&
        AsSmallArray(values[0].ptr(), kReduceSignature.dtypes(0), a) &&
        (a.size != 0 || function.has_identity)) {
      return ReduceSmall(function, a);
    }
    return Reduce(function, values[0], values[1], keepdims);
  });
}

PyObject* DotEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                   PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[2];
    kDotSignature.Parse("dot", args, nargs, kwnames, values);
    SmallArray a, b;
    if (AsSmallArray(values[0].ptr(), kDotSignature.dtypes(0), a) &&
        AsSmallArray(values[1].ptr(), kDotSignature.dtypes(1), b) &&
        a.ndim == 1 && b.ndim == 1 && a.dtype == b.dtype && a.size == b.size) {
      return VisitFloatDType(a.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T value{};
        simdkit::dot_rows(static_cast<const T*>(a.data), a.size, static_cast<const T*>(b.data),
                          b.size, 1, a.size, &value);
        return NumpyScalar(value);
      });
    }
    return Dot(values[0], values[1]);
  });
}

}  // namespace

void RegisterReduce(py::module_& module) {
  static const char* const kDocs[] = {
      "Sum of the elements of `a` (float32 or float64), over all elements\n"
      "(axis=None) or along `axis`, as numpy.sum. Blocked pairwise summation;\n"
      "see docs/reduce.md for the error bound.",
      "Euclidean (L2) norm sqrt(sum(a*a)), over all elements (axis=None) or\n"
      "along `axis`, as numpy.linalg.norm of a vector.",
      "Minimum of `a` (NaN if any element is NaN), as numpy.min.\n"
      "Raises ValueError for zero-size input.",
      "Maximum of `a` (NaN if any element is NaN), as numpy.max.\n"
      "Raises ValueError for zero-size input.",
      "Index of the first minimum (or first NaN), as numpy.argmin: the flat\n"
      "C-order index for axis=None.",
      "Index of the first maximum (or first NaN), as numpy.argmax: the flat\n"
      "C-order index for axis=None."};
  static constexpr auto entries = IndexedEntries<&ReduceEntry, std::size(kReduceFunctions)>();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    AddEntryPoint(module, kReduceFunctions[i]->name, kReduceSignature, entries[i], kDocs[i]);
  }
  AddEntryPoint(
      module, "dot", kDotSignature, &DotEntry,
      "Dot products over the last axis, as numpy.vecdot for real input:\n"
      "1-D with 1-D gives a scalar; (m, d) with (m, d) or (d,) gives (m,);\n"
      "batch shapes broadcast. Both arrays must share one float dtype.");
}

}  // namespace simdkit::python
