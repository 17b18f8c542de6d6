// Python entry points of the reduce family: sum, norm, min, max, argmin,
// argmax (axis=None or an axis) and dot (numpy.vecdot over the last axis).
// Each call validates once, releases the GIL for large inputs, and makes one
// batch call into the dispatched kernels.
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "bindings/array_args.h"
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

const std::vector<DType> kFloatDTypes{DType::kFloat32, DType::kFloat64};

py::array NewResultArray(DType dtype, bool index, const std::vector<py::ssize_t>& shape,
                         const char* function) {
  if (index) return NewArray(py::dtype::of<py::ssize_t>(), shape, function);
  return NewArray(dtype, shape, function);
}

py::object Reduce(const ReduceFunction& function, const py::object& a_object,
                  const py::object& axis, bool keepdims) {
  const py::array a = RequireArray(a_object, function.name, "a");
  const DType dtype = RequireDType(a, kFloatDTypes, function.name, "a");
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

  const bool scalar_result = all_elements && !keepdims;
  py::array result = NewResultArray(dtype, function.returns_index, result_shape, function.name);
  void* out = result.mutable_data();
  VisitFloatDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const RowsKernel<T> kernel = function.rows<T>();
    RunKernel(function.name, total, [&] {
      const ContiguousRows<T> input(layout, all_elements ? Packing::kDense : Packing::kStrided);
      kernel(input.data(), rows, cols, all_elements ? cols : input.row_stride(), out);
    });
  });
  if (!scalar_result) return std::move(result);
  if (function.returns_index) return NumpyIndex(*static_cast<const std::size_t*>(out));
  return VisitFloatDType(dtype, [&](auto tag) {
    return NumpyScalar(*static_cast<const typename decltype(tag)::type*>(out));
  });
}

std::vector<py::ssize_t> BatchShape(const py::array& array) {
  return std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim() - 1);
}

py::object Dot(const py::object& a_object, const py::object& b_object) {
  const py::array a = RequireArray(a_object, "dot", "a");
  const py::array b = RequireArray(b_object, "dot", "b");
  const DType dtype = RequireDType(a, kFloatDTypes, "dot", "a");
  if (RequireDType(b, kFloatDTypes, "dot", "b") != dtype) {
    throw py::type_error(std::string("simdkit.dot: a has dtype ") + DTypeName(dtype) +
                         " but b has dtype " + DTypeName(RequireDType(b, kFloatDTypes, "dot", "b")) +
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

  py::array result = NewArray(dtype, batch, "dot");
  void* out = result.mutable_data();
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

void DefineReduce(py::module_& module, const ReduceFunction& function, const char* doc) {
  module.def(
      function.name,
      [&function](const py::object& a, const py::object& axis, bool keepdims) {
        return Reduce(function, a, axis, keepdims);
      },
      py::arg("a"), py::arg("axis") = py::none(), py::arg("keepdims") = false, doc);
}

}  // namespace

void RegisterReduce(py::module_& module) {
  DefineReduce(module, kSum,
               "Sum of the elements of `a` (float32 or float64), over all elements\n"
               "(axis=None) or along `axis`, as numpy.sum. Blocked pairwise summation;\n"
               "see docs/reduce.md for the error bound.");
  DefineReduce(module, kNorm,
               "Euclidean (L2) norm sqrt(sum(a*a)), over all elements (axis=None) or\n"
               "along `axis`, as numpy.linalg.norm of a vector.");
  DefineReduce(module, kMin,
               "Minimum of `a` (NaN if any element is NaN), as numpy.min.\n"
               "Raises ValueError for zero-size input.");
  DefineReduce(module, kMax,
               "Maximum of `a` (NaN if any element is NaN), as numpy.max.\n"
               "Raises ValueError for zero-size input.");
  DefineReduce(module, kArgMin,
               "Index of the first minimum (or first NaN), as numpy.argmin: the flat\n"
               "C-order index for axis=None.");
  DefineReduce(module, kArgMax,
               "Index of the first maximum (or first NaN), as numpy.argmax: the flat\n"
               "C-order index for axis=None.");
  module.def("dot", &Dot, py::arg("a"), py::arg("b"),
             "Dot products over the last axis, as numpy.vecdot for real input:\n"
             "1-D with 1-D gives a scalar; (m, d) with (m, d) or (d,) gives (m,);\n"
             "batch shapes broadcast. Both arrays must share one float dtype.");
}

}  // namespace simdkit::python
