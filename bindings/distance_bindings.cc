// Python entry points of the distance family: distance (one pair), paired
// (row pairs), cdist and pdist (all pairs) and topk (k nearest rows), over
// the metrics and dtypes of include/simdkit/distance.h. Each call validates once (metric,
// dtype, shapes, out=), then makes one call into the C++ API, with the GIL
// released for large inputs. Rows with unit column stride that do not overlap
// are read in place; any other layout is gathered once (ContiguousRows).
#include <Python.h>

#include <cstddef>
#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/entry_points.h"
#include "bindings/module.h"
#include "simdkit/distance.h"

namespace simdkit::python {
namespace {

// simdkit::DType is the kernels' element type; python::DType (DType here) is
// the NumPy dtype of an argument. Several NumPy dtypes map to one kernel
// dtype (bool and uint8 to kUInt8; uint16 and bfloat16 to kBFloat16).
using KernelDType = simdkit::DType;
using simdkit::Metric;

constexpr Metric kMetrics[] = {Metric::kDot,       Metric::kCosine,    Metric::kSqEuclidean,
                               Metric::kEuclidean, Metric::kCityblock, Metric::kHamming,
                               Metric::kJaccard};

// "'dot', 'cosine', ... or 'jaccard'": the metrics defined for `dtype`, or
// all of them.
std::string MetricList(const KernelDType* dtype = nullptr) {
  std::vector<const char*> names;
  for (Metric metric : kMetrics) {
    if (!dtype || simdkit::metric_supports(metric, *dtype)) names.push_back(simdkit::metric_name(metric));
  }
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) list += i + 1 == names.size() ? " or " : ", ";
    list += std::string("'") + names[i] + "'";
  }
  return list;
}

Metric MetricArg(const py::handle& metric, const char* function) {
  if (!PyUnicode_Check(metric.ptr())) {
    throw py::type_error(ErrorPrefix(function) + "metric must be a str, one of " + MetricList() +
                         ", got " + TypeNameOf(metric));
  }
  // A name written in Python is interned: found by pointer, without reading
  // the string. The names are interned once, with the GIL.
  static const auto* const interned = [] {
    auto* names = new std::array<PyObject*, std::size(kMetrics)>();
    for (std::size_t i = 0; i < names->size(); ++i) {
      (*names)[i] = PyUnicode_InternFromString(simdkit::metric_name(kMetrics[i]));
      if ((*names)[i] == nullptr) throw py::error_already_set();
    }
    return names;
  }();
  for (std::size_t i = 0; i < interned->size(); ++i) {
    if ((*interned)[i] == metric.ptr()) return kMetrics[i];
  }
  Py_ssize_t size = 0;
  const char* text = PyUnicode_AsUTF8AndSize(metric.ptr(), &size);
  if (text == nullptr) throw py::error_already_set();
  try {
    return simdkit::metric_from_name(std::string_view(text, static_cast<std::size_t>(size)));
  } catch (const std::invalid_argument&) {
    throw py::value_error(ErrorPrefix(function) + "unknown metric " +
                          py::repr(metric).cast<std::string>() + "; expected one of " +
                          MetricList());
  }
}

// The dtype= keyword: how to read the arrays' elements when their NumPy
// dtype does not say it.
enum class DTypeKeyword { kNone, kBFloat16, kBits };

const char* KeywordName(DTypeKeyword keyword) {
  switch (keyword) {
    case DTypeKeyword::kNone: return "None";
    case DTypeKeyword::kBFloat16: return "'bfloat16'";
    case DTypeKeyword::kBits: return "'bits'";
  }
  return "?";
}

DTypeKeyword DTypeKeywordArg(const py::handle& dtype, const char* function) {
  if (dtype.is_none()) return DTypeKeyword::kNone;
  if (!PyUnicode_Check(dtype.ptr())) {
    throw py::type_error(ErrorPrefix(function) +
                         "dtype must be None (the arrays' own dtype), 'bfloat16' or 'bits', got " +
                         TypeNameOf(dtype) + " (simdkit does not cast)");
  }
  const std::string name = dtype.cast<std::string>();
  if (name == "bfloat16") return DTypeKeyword::kBFloat16;
  if (name == "bits") return DTypeKeyword::kBits;
  throw py::value_error(ErrorPrefix(function) +
                        "dtype must be None (the arrays' own dtype), 'bfloat16' (uint16 or "
                        "bfloat16 arrays) or 'bits' (uint8 arrays of packed bits), got " +
                        py::repr(dtype).cast<std::string>() + " (simdkit does not cast)");
}

// The dtypes taken without dtype=, and with dtype='bfloat16' or 'bits'.
constexpr DType kPlainDTypes[] = {DType::kFloat64, DType::kFloat32, DType::kFloat16,
                                  DType::kBFloat16, DType::kInt8,   DType::kUInt8,
                                  DType::kBool};
constexpr DType kBFloat16Storage[] = {DType::kUInt16, DType::kBFloat16};
constexpr DType kBitsStorage[] = {DType::kUInt8};
// Results: float64 for float64 input, float32 otherwise.
constexpr DType kResultDTypes[] = {DType::kFloat32, DType::kFloat64};

const Signature kDistanceSignature("distance",
                                   {{"a", ParameterKind::kArray, nullptr, kPlainDTypes},
                                    {"b", ParameterKind::kArray, nullptr, kPlainDTypes},
                                    {"metric", ParameterKind::kMetric},
                                    kKeywordOnly,
                                    {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                   ResultKind::kScalar);
const Signature kPairedSignature("distance",
                                 {{"A", ParameterKind::kArray, nullptr, kPlainDTypes},
                                  {"B", ParameterKind::kArray, nullptr, kPlainDTypes},
                                  {"metric", ParameterKind::kMetric},
                                  kKeywordOnly,
                                  {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                 ResultKind::kArray);
const Signature kCdistSignature("distance",
                                {{"A", ParameterKind::kArray, nullptr, kPlainDTypes},
                                 {"B", ParameterKind::kArrayOrPacked, nullptr, kPlainDTypes},
                                 {"metric", ParameterKind::kMetric, "'euclidean'"},
                                 kKeywordOnly,
                                 {"dtype", ParameterKind::kDTypeKeyword, "None"},
                                 {"threads", ParameterKind::kThreads, "None"},
                                 {"out", ParameterKind::kOut, "None", kResultDTypes}},
                                ResultKind::kArray);
const Signature kPdistSignature("distance",
                                {{"X", ParameterKind::kArray, nullptr, kPlainDTypes},
                                 {"metric", ParameterKind::kMetric, "'euclidean'"},
                                 kKeywordOnly,
                                 {"dtype", ParameterKind::kDTypeKeyword, "None"},
                                 {"threads", ParameterKind::kThreads, "None"},
                                 {"out", ParameterKind::kOut, "None", kResultDTypes}},
                                ResultKind::kArray);
const Signature kTopkSignature("distance",
                               {{"Q", ParameterKind::kArray, nullptr, kPlainDTypes},
                                {"X", ParameterKind::kArrayOrPacked, nullptr, kPlainDTypes},
                                {"k", ParameterKind::kCount},
                                {"metric", ParameterKind::kMetric},
                                kKeywordOnly,
                                {"dtype", ParameterKind::kDTypeKeyword, "None"},
                                {"threads", ParameterKind::kThreads, "None"}},
                               ResultKind::kArrays);
const Signature kPackSignature("distance",
                               {{"X", ParameterKind::kArray, nullptr, kPlainDTypes},
                                kKeywordOnly,
                                {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                               ResultKind::kPackedMatrix);

DType RequireStorage(const py::array& array, DTypeKeyword keyword, const char* function,
                     const char* argument) {
  switch (keyword) {
    case DTypeKeyword::kNone:
      return RequireDType(array, kPlainDTypes, function, argument,
                          "uint16 arrays holding bfloat16 bit patterns need dtype='bfloat16', "
                          "uint8 arrays of packed bits dtype='bits'");
    case DTypeKeyword::kBFloat16:
      return RequireDType(array, kBFloat16Storage, function, argument,
                          "dtype='bfloat16' reads bfloat16 values or their bit patterns");
    case DTypeKeyword::kBits:
      return RequireDType(array, kBitsStorage, function, argument,
                          "dtype='bits' reads bits packed 8 per byte, as numpy.packbits makes");
  }
  throw std::logic_error("simdkit: unhandled dtype keyword");
}

KernelDType KernelDTypeOf(DType storage, DTypeKeyword keyword) {
  if (keyword == DTypeKeyword::kBits) return KernelDType::kBits;
  switch (storage) {
    case DType::kFloat64: return KernelDType::kFloat64;
    case DType::kFloat32: return KernelDType::kFloat32;
    case DType::kFloat16: return KernelDType::kFloat16;
    case DType::kBFloat16:
    case DType::kUInt16: return KernelDType::kBFloat16;
    case DType::kInt8: return KernelDType::kInt8;
    case DType::kUInt8:
    case DType::kBool: return KernelDType::kUInt8;
    case DType::kFloat8E4M3:
    case DType::kFloat8E5M2: break;  // not (yet) a distance dtype
  }
  throw std::logic_error("simdkit: unhandled dtype");
}

// simdkit.PackedMatrix: a simdkit::PackedMatrix with what it was packed
// from (the NumPy dtype, and how dtype= read it), immutable.
struct PyPackedMatrix {
  simdkit::PackedMatrix matrix;
  DType storage;
  DTypeKeyword keyword;
  py::dtype numpy_dtype;

  std::vector<py::ssize_t> shape() const {
    return {static_cast<py::ssize_t>(matrix.rows()), static_cast<py::ssize_t>(matrix.cols())};
  }
};

// Two validated arguments of one dtype and one number of dimensions: arrays,
// or for B of cdist and topk a PackedMatrix (`packed`; b is then empty).
struct Operands {
  py::array a;
  py::array b;
  const PyPackedMatrix* packed = nullptr;
  py::ssize_t b_rows = 0;
  DType storage = DType::kFloat32;  // NumPy dtype of both
  KernelDType dtype = KernelDType::kFloat32;
  Metric metric = Metric::kEuclidean;
  std::size_t dims = 0;  // elements per vector (bytes for packed bits)

  // Result dtype: float64 for float64 input, float32 otherwise.
  DType result() const {
    return simdkit::result_is_double(dtype) ? DType::kFloat64 : DType::kFloat32;
  }
};

void RequireBitsExtent(KernelDType dtype, py::ssize_t dims, const char* function) {
  if (dtype == KernelDType::kBits && dims > kMaxExtent / 8) {
    throw py::value_error(ErrorPrefix(function) + "vectors of " + std::to_string(dims) +
                          " bytes hold more than 2^31 - 1 bits; expected at most " +
                          std::to_string(kMaxExtent / 8) + " bytes per vector");
  }
}

// Whether B may be a PackedMatrix (cdist and topk).
enum class PackedB { kRejected, kAccepted };

// Checks metric, dtype keyword, array types and dtypes, the number of
// dimensions, equal last dimensions, extents and that the metric applies.
Operands RequireOperands(const py::handle& a, const py::handle& b, const py::handle& metric,
                         const py::handle& dtype, const char* function, const char* a_name,
                         const char* b_name, int ndim, const char* layout,
                         PackedB packed_b = PackedB::kRejected) {
  const Metric parsed_metric = MetricArg(metric, function);
  const DTypeKeyword keyword = DTypeKeywordArg(dtype, function);
  const PyPackedMatrix* packed = packed_b == PackedB::kAccepted && py::isinstance<PyPackedMatrix>(b)
                                     ? &b.cast<const PyPackedMatrix&>()
                                     : nullptr;
  // (A default-constructed py::array would allocate an empty array.)
  Operands operands{RequireArray(a, function, a_name),
                    packed != nullptr ? py::array() : RequireArray(b, function, b_name)};
  operands.packed = packed;
  operands.metric = parsed_metric;
  operands.storage = RequireStorage(operands.a, keyword, function, a_name);
  const DType b_storage =
      packed != nullptr ? packed->storage : RequireStorage(operands.b, keyword, function, b_name);
  if (b_storage != operands.storage) {
    throw py::type_error(ErrorPrefix(function) + a_name + " has dtype " + DTypeName(operands.storage) +
                         " but " + b_name + " has dtype " + DTypeName(b_storage) +
                         "; expected the same dtype (simdkit does not cast)");
  }
  operands.dtype = KernelDTypeOf(operands.storage, keyword);
  if (packed != nullptr && packed->matrix.dtype() != operands.dtype) {
    throw py::type_error(ErrorPrefix(function) + b_name + " was packed as " +
                         simdkit::dtype_name(packed->matrix.dtype()) + " (dtype=" +
                         KeywordName(packed->keyword) + ") but this call reads " + a_name +
                         " as " + simdkit::dtype_name(operands.dtype) + " (dtype=" +
                         KeywordName(keyword) + "); expected the same");
  }
  RequireNDim(operands.a, ndim, layout, function, a_name);
  if (packed == nullptr) RequireNDim(operands.b, ndim, layout, function, b_name);
  const std::vector<py::ssize_t> b_shape = packed != nullptr ? packed->shape() : ShapeOf(operands.b);
  operands.b_rows = b_shape[0];
  const py::ssize_t dims = operands.a.shape(ndim - 1);
  if (b_shape[b_shape.size() - 1] != dims) {
    throw py::value_error(ErrorPrefix(function) + a_name + " has shape " +
                          ShapeString(ShapeOf(operands.a)) + " and " + b_name + " has shape " +
                          ShapeString(b_shape) + "; expected " +
                          (ndim == 1 ? "vectors of equal length" : "equal last dimensions"));
  }
  RequireExtents(operands.a, kMaxExtent, function, a_name);
  if (packed == nullptr) RequireExtents(operands.b, kMaxExtent, function, b_name);  // else: packed
  RequireBitsExtent(operands.dtype, dims, function);
  if (!simdkit::metric_supports(operands.metric, operands.dtype)) {
    throw py::value_error(ErrorPrefix(function) + "metric '" + simdkit::metric_name(operands.metric) +
                          "' is not defined for " +
                          (operands.dtype == KernelDType::kBits
                               ? std::string("packed bits (dtype='bits')")
                               : std::string(simdkit::dtype_name(operands.dtype)) + " input") +
                          "; expected " + MetricList(&operands.dtype));
  }
  operands.dims = static_cast<std::size_t>(dims);
  return operands;
}

// Rows of a 1-D or 2-D operand as the kernels read them (see ContiguousRows),
// and their MatrixView.
template <typename T>
MatrixView ViewOf(const ContiguousRows<T>& rows, KernelDType dtype) {
  MatrixView view;
  view.data = rows.data();
  view.dtype = dtype;
  view.rows = rows.rows();
  view.cols = rows.cols();
  view.row_stride = rows.row_stride();
  return view;
}

RowLayout RowsOf(const py::array& array) {
  return RowsAlongAxis(array, static_cast<int>(array.ndim()) - 1);
}

// ---------------------------------------------------------------------------

// A scalar distance of the result dtype as a NumPy scalar.
py::object DistanceScalar(double value, DType result) {
  if (result == DType::kFloat64) return NumpyScalar(value);
  return NumpyScalar(static_cast<float>(value));
}

py::object Distance(const py::handle& a, const py::handle& b, const py::handle& metric,
                    const py::handle& dtype) {
  const Operands ops = RequireOperands(a, b, metric, dtype, "distance", "a", "b", 1, "(dims,)");
  const RowLayout a_rows = RowsOf(ops.a);
  const RowLayout b_rows = RowsOf(ops.b);
  double value = 0.0;
  VisitDType(ops.storage, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("distance", ops.dims, [&] {
      const ContiguousRows<T> a_input(a_rows, Packing::kDisjoint);
      const ContiguousRows<T> b_input(b_rows, Packing::kDisjoint);
      value = simdkit::distance(ops.metric, ops.dtype, a_input.data(), b_input.data(), ops.dims);
    });
  });
  return DistanceScalar(value, ops.result());
}

py::array Paired(const py::handle& a, const py::handle& b, const py::handle& metric,
                 const py::handle& dtype) {
  const Operands ops = RequireOperands(a, b, metric, dtype, "paired", "A", "B", 2, "(rows, dims)");
  if (ops.a.shape(0) != ops.b.shape(0)) {
    throw py::value_error("simdkit.paired: A has shape " + ShapeString(ShapeOf(ops.a)) +
                          " and B has shape " + ShapeString(ShapeOf(ops.b)) +
                          "; expected equal shapes (one row of B per row of A)");
  }
  const std::size_t rows = static_cast<std::size_t>(ops.a.shape(0));
  py::array result = NewArray(ops.result(), {ops.a.shape(0)}, "paired");
  if (rows == 0) return result;
  void* out = result.mutable_data();
  const RowLayout a_rows = RowsOf(ops.a);
  const RowLayout b_rows = RowsOf(ops.b);
  VisitDType(ops.storage, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("paired", SaturatingProduct(rows, ops.dims), [&] {
      const ContiguousRows<T> a_input(a_rows, Packing::kDisjoint);
      const ContiguousRows<T> b_input(b_rows, Packing::kDisjoint);
      simdkit::paired(ops.metric, ViewOf(a_input, ops.dtype), ViewOf(b_input, ops.dtype), out);
    });
  });
  return result;
}

py::array Cdist(const py::handle& a, const py::handle& b, const py::handle& metric,
                const py::handle& dtype, const py::handle& threads, const py::handle& out) {
  const Operands ops = RequireOperands(a, b, metric, dtype, "cdist", "A", "B", 2, "(rows, dims)",
                                       PackedB::kAccepted);
  const std::size_t worker_count = ThreadsArg(threads, "cdist");
  const std::vector<py::ssize_t> shape{ops.a.shape(0), ops.b_rows};
  // A PackedMatrix's rows are its own: out cannot share them.
  std::vector<std::pair<const char*, const py::array*>> inputs{{"A", &ops.a}};
  if (ops.packed == nullptr) inputs.emplace_back("B", &ops.b);
  OutMatrix result =
      out.is_none()
          ? OutMatrix{NewArray(ops.result(), shape, "cdist"), static_cast<std::size_t>(shape[1])}
          : RequireOutMatrix(out, ops.result(), shape, inputs, "cdist");
  const auto m = static_cast<std::size_t>(shape[0]);
  const auto n = static_cast<std::size_t>(shape[1]);
  if (m == 0 || n == 0) return result.array;
  void* out_data = result.array.mutable_data();
  const RowLayout a_rows = RowsOf(ops.a);
  const RowLayout b_rows = ops.packed == nullptr ? RowsOf(ops.b) : RowLayout();
  VisitDType(ops.storage, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("cdist", SaturatingProduct(m, n, ops.dims), [&] {
      const ContiguousRows<T> a_input(a_rows, Packing::kDisjoint);
      if (ops.packed != nullptr) {
        simdkit::cdist(ops.metric, ViewOf(a_input, ops.dtype), ops.packed->matrix, out_data,
                       result.row_stride, worker_count);
        return;
      }
      const ContiguousRows<T> b_input(b_rows, Packing::kDisjoint);
      simdkit::cdist(ops.metric, ViewOf(a_input, ops.dtype), ViewOf(b_input, ops.dtype), out_data,
                     result.row_stride, worker_count);
    });
  });
  return result.array;
}

py::array Pdist(const py::handle& x, const py::handle& metric, const py::handle& dtype,
                const py::handle& threads, const py::handle& out) {
  const Operands ops = RequireOperands(x, x, metric, dtype, "pdist", "X", "X", 2, "(rows, dims)");
  const std::size_t worker_count = ThreadsArg(threads, "pdist");
  const auto rows = static_cast<std::size_t>(ops.a.shape(0));
  // rows < 2^31: the pairs fit in a py::ssize_t.
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(simdkit::pdist_size(rows))};
  py::array result = out.is_none()
                         ? NewArray(ops.result(), shape, "pdist")
                         : RequireOutMatrix(out, ops.result(), shape, {{"X", &ops.a}}, "pdist").array;
  if (shape[0] == 0) return result;
  void* out_data = result.mutable_data();
  const RowLayout x_rows = RowsOf(ops.a);
  VisitDType(ops.storage, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("pdist", SaturatingProduct(rows, rows, ops.dims) / 2, [&] {
      const ContiguousRows<T> x_input(x_rows, Packing::kDisjoint);
      simdkit::pdist(ops.metric, ViewOf(x_input, ops.dtype), out_data, worker_count);
    });
  });
  return result;
}

py::tuple Topk(const py::handle& q, const py::handle& x, const py::handle& k_object,
               const py::handle& metric, const py::handle& dtype, const py::handle& threads) {
  const Operands ops = RequireOperands(q, x, metric, dtype, "topk", "Q", "X", 2, "(rows, dims)",
                                       PackedB::kAccepted);
  const py::ssize_t n = ops.b_rows;
  const py::ssize_t k = RequireInt(k_object, "topk", "k", "an int");
  if (k < 1 || k > n) {
    throw py::value_error(ErrorPrefix("topk") + "k must satisfy 1 <= k <= " + std::to_string(n) +
                          " (the number of rows of X), got " +
                          py::str(k_object).cast<std::string>() +
                          (n == 0 ? "; X has no rows" : ""));
  }
  const std::size_t worker_count = ThreadsArg(threads, "topk");
  const std::vector<py::ssize_t> shape{ops.a.shape(0), k};
  py::array indices = NewInt64Array(2, shape.data(), "topk");
  py::array distances = NewArray(ops.result(), shape, "topk");
  const auto m = static_cast<std::size_t>(shape[0]);
  if (m != 0) {
    auto* index_data = static_cast<std::int64_t*>(indices.mutable_data());
    void* distance_data = distances.mutable_data();
    const RowLayout q_rows = RowsOf(ops.a);
    const RowLayout x_rows = ops.packed == nullptr ? RowsOf(ops.b) : RowLayout();
    VisitDType(ops.storage, [&](auto tag) {
      using T = typename decltype(tag)::type;
      RunKernel("topk", SaturatingProduct(m, static_cast<std::size_t>(n), ops.dims), [&] {
        const ContiguousRows<T> q_input(q_rows, Packing::kDisjoint);
        if (ops.packed != nullptr) {
          simdkit::topk(ops.metric, ViewOf(q_input, ops.dtype), ops.packed->matrix,
                        static_cast<std::size_t>(k), index_data, distance_data, worker_count);
          return;
        }
        const ContiguousRows<T> x_input(x_rows, Packing::kDisjoint);
        simdkit::topk(ops.metric, ViewOf(q_input, ops.dtype), ViewOf(x_input, ops.dtype),
                      static_cast<std::size_t>(k), index_data, distance_data, worker_count);
      });
    });
  }
  return py::make_tuple(std::move(indices), std::move(distances));
}

PyPackedMatrix Pack(const py::handle& x, const py::handle& dtype) {
  const DTypeKeyword keyword = DTypeKeywordArg(dtype, "pack");
  const py::array array = RequireArray(x, "pack", "X");
  const DType storage = RequireStorage(array, keyword, "pack", "X");
  RequireNDim(array, 2, "(rows, dims)", "pack", "X");
  RequireExtents(array, kMaxExtent, "pack", "X");
  const KernelDType kernel_dtype = KernelDTypeOf(storage, keyword);
  RequireBitsExtent(kernel_dtype, array.shape(1), "pack");
  const RowLayout rows = RowsOf(array);
  std::optional<simdkit::PackedMatrix> matrix;
  VisitDType(storage, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunKernel("pack", SaturatingProduct(rows.rows(), static_cast<std::size_t>(array.shape(1))),
              [&] {
                const ContiguousRows<T> input(rows, Packing::kDisjoint);
                matrix.emplace(ViewOf(input, kernel_dtype));
              });
  });
  return PyPackedMatrix{std::move(*matrix), storage, keyword, array.dtype()};
}

// What pickles a PackedMatrix: its rows as a new array, and the dtype
// keyword they were read with; unpickling packs them again.
py::tuple PackedState(const PyPackedMatrix& packed) {
  py::array rows = NewArray(packed.numpy_dtype, packed.shape(), "PackedMatrix.__getstate__");
  const MatrixView view = packed.matrix.view();
  const std::size_t row_bytes = view.cols * simdkit::dtype_size(view.dtype);
  auto* out = static_cast<unsigned char*>(rows.mutable_data());
  for (std::size_t r = 0; r < view.rows; ++r) {
    const auto* row = static_cast<const unsigned char*>(view.data) +
                      r * view.row_stride * simdkit::dtype_size(view.dtype);
    std::copy(row, row + row_bytes, out + r * row_bytes);
  }
  py::object keyword = py::none();
  if (packed.keyword == DTypeKeyword::kBFloat16) keyword = py::str("bfloat16");
  if (packed.keyword == DTypeKeyword::kBits) keyword = py::str("bits");
  return py::make_tuple(std::move(rows), std::move(keyword));
}

// The fast paths' operands (docs/ARCHITECTURE.md, The Python boundary): a
// and b small (AsSmallArray) with `ndim` dimensions, of one dtype that needs
// no dtype= keyword, equal non-zero row lengths, at least one row each, a
// metric (a str) defined for that dtype, and no dtype= keyword. Anything else
// takes the general path (RequireOperands), which gives the same results and
// the errors.
struct SmallOperands {
  SmallArray a, b;
  Metric metric;
  KernelDType dtype;

  MatrixView rows_of(const SmallArray& array) const {
    const std::size_t cols = array.cols();
    return MatrixView{array.data, dtype, array.size / cols, cols, cols};
  }
  DType result() const {
    return simdkit::result_is_double(dtype) ? DType::kFloat64 : DType::kFloat32;
  }
};

bool AsSmallOperands(const py::handle& a, const py::handle& b, const py::handle& metric,
                     const py::handle& dtype, int ndim, const char* function,
                     SmallOperands& ops) {
  if (!dtype.is_none() || !PyUnicode_Check(metric.ptr()) ||
      !AsSmallArray(a.ptr(), kPlainDTypes, ops.a) || !AsSmallArray(b.ptr(), kPlainDTypes, ops.b) ||
      ops.a.ndim != ndim || ops.b.ndim != ndim || ops.a.dtype != ops.b.dtype || ops.a.size == 0 ||
      ops.b.size == 0 || ops.a.cols() != ops.b.cols()) {
    return false;
  }
  ops.metric = MetricArg(metric, function);
  ops.dtype = KernelDTypeOf(ops.a.dtype, DTypeKeyword::kNone);
  return simdkit::metric_supports(ops.metric, ops.dtype);
}

// distance(), paired(), cdist(), pdist(), topk() and pack() as raw METH_FASTCALL
// entry points: through pybind11's dispatcher, passing metric= by keyword
// alone cost ~300 ns more per call.
PyObject* DistanceEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[4];
    kDistanceSignature.Parse("distance", args, nargs, kwnames, values);
    SmallOperands ops;
    if (AsSmallOperands(values[0], values[1], values[2], values[3], 1, "distance", ops) &&
        ops.a.size == ops.b.size) {
      return DistanceScalar(simdkit::distance(ops.metric, ops.dtype, ops.a.data, ops.b.data,
                                              ops.a.size),
                            ops.result());
    }
    return Distance(values[0], values[1], values[2], values[3]);
  });
}

PyObject* PairedEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[4];
    kPairedSignature.Parse("paired", args, nargs, kwnames, values);
    SmallOperands ops;
    if (AsSmallOperands(values[0], values[1], values[2], values[3], 2, "paired", ops) &&
        ops.a.shape[0] == ops.b.shape[0]) {
      py::array result = NewArray(ops.result(), 1, ops.a.shape, "paired");
      simdkit::paired(ops.metric, ops.rows_of(ops.a), ops.rows_of(ops.b), result.mutable_data());
      return std::move(result);
    }
    return Paired(values[0], values[1], values[2], values[3]);
  });
}

PyObject* CdistEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                     PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[6];
    kCdistSignature.Parse("cdist", args, nargs, kwnames, values);
    SmallOperands ops;
    if (values[5].is_none() &&
        AsSmallOperands(values[0], values[1], values[2], values[3], 2, "cdist", ops) &&
        SaturatingProduct(ops.a.size, static_cast<std::size_t>(ops.b.shape[0])) <
            kReleaseGilElements) {
      const std::size_t worker_count = ThreadsArg(values[4], "cdist");
      const py::ssize_t shape[] = {ops.a.shape[0], ops.b.shape[0]};
      py::array result = NewArray(ops.result(), 2, shape, "cdist");
      simdkit::cdist(ops.metric, ops.rows_of(ops.a), ops.rows_of(ops.b), result.mutable_data(),
                     static_cast<std::size_t>(shape[1]), worker_count);
      return std::move(result);
    }
    return Cdist(values[0], values[1], values[2], values[3], values[4], values[5]);
  });
}

PyObject* PdistEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                     PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[5];
    kPdistSignature.Parse("pdist", args, nargs, kwnames, values);
    SmallOperands ops;
    if (values[4].is_none() &&
        AsSmallOperands(values[0], values[0], values[1], values[2], 2, "pdist", ops) &&
        SaturatingProduct(ops.a.size, static_cast<std::size_t>(ops.a.shape[0])) <
            kReleaseGilElements) {
      const std::size_t worker_count = ThreadsArg(values[3], "pdist");
      const auto rows = static_cast<std::size_t>(ops.a.shape[0]);
      const py::ssize_t shape[] = {static_cast<py::ssize_t>(simdkit::pdist_size(rows))};
      py::array result = NewArray(ops.result(), 1, shape, "pdist");
      simdkit::pdist(ops.metric, ops.rows_of(ops.a), result.mutable_data(), worker_count);
      return std::move(result);
    }
    return Pdist(values[0], values[1], values[2], values[3], values[4]);
  });
}

PyObject* TopkEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[6];
    kTopkSignature.Parse("topk", args, nargs, kwnames, values);
    SmallOperands ops;
    if (PyLong_CheckExact(values[2].ptr()) &&
        AsSmallOperands(values[0], values[1], values[3], values[4], 2, "topk", ops) &&
        SaturatingProduct(ops.a.size, static_cast<std::size_t>(ops.b.shape[0])) <
            kReleaseGilElements) {
      const py::ssize_t k = PyLong_AsSsize_t(values[2].ptr());
      if (k >= 1 && k <= ops.b.shape[0]) {
        const std::size_t worker_count = ThreadsArg(values[5], "topk");
        const py::ssize_t shape[] = {ops.a.shape[0], k};
        py::array indices = NewInt64Array(2, shape, "topk");
        py::array distances = NewArray(ops.result(), 2, shape, "topk");
        simdkit::topk(ops.metric, ops.rows_of(ops.a), ops.rows_of(ops.b),
                      static_cast<std::size_t>(k), static_cast<std::int64_t*>(indices.mutable_data()),
                      distances.mutable_data(), worker_count);
        return py::make_tuple(std::move(indices), std::move(distances));
      }
      PyErr_Clear();  // k beyond ssize_t: the general path words the error
    }
    return Topk(values[0], values[1], values[2], values[3], values[4], values[5]);
  });
}

PyObject* PackEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[2];
    kPackSignature.Parse("pack", args, nargs, kwnames, values);
    SmallArray x;
    if (values[1].is_none() && AsSmallArray(values[0].ptr(), kPackSignature.dtypes(0), x) &&
        x.ndim == 2 && x.size != 0) {
      const std::size_t cols = x.cols();
      const KernelDType dtype = KernelDTypeOf(x.dtype, DTypeKeyword::kNone);
      return py::cast(PyPackedMatrix{
          simdkit::PackedMatrix(MatrixView{x.data, dtype, x.size / cols, cols, cols}), x.dtype,
          DTypeKeyword::kNone, DescrOf(x.dtype)});
    }
    return py::cast(Pack(values[0], values[1]));
  });
}

constexpr const char* kMetricsDoc =
    "Metrics (as scipy.spatial.distance): 'dot' (sum a*b, a similarity), 'cosine',\n"
    "'sqeuclidean', 'euclidean', 'cityblock', 'hamming' (fraction of differing\n"
    "components; the number of differing bits for dtype='bits'), 'jaccard'.\n"
    "Dtypes: float64, float32, float16, bfloat16 (ml_dtypes, or uint16 bit patterns\n"
    "with dtype='bfloat16'), int8, uint8, bool, and packed bits (uint8 with\n"
    "dtype='bits'; hamming and jaccard only). Both arrays must share one dtype:\n"
    "nothing is cast. Results are float64 for float64 input, float32 otherwise.\n";

}  // namespace

void RegisterDistance(py::module_& module) {
  AddEntryPoint(
      module, "distance", kDistanceSignature, &DistanceEntry,
      std::string("The distance between two 1-D arrays of equal length, as a NumPy scalar.\n\n") +
          kMetricsDoc);

  py::class_<PyPackedMatrix>(
      module, "PackedMatrix",
      "A matrix packed by simdkit.pack for many cdist/topk calls as their second\n"
      "operand: immutable, picklable (pickles as its rows). Not constructed directly.")
      .def_property_readonly(
          "shape",
          [](const PyPackedMatrix& self) { return py::make_tuple(self.matrix.rows(), self.matrix.cols()); })
      .def_property_readonly("dtype", [](const PyPackedMatrix& self) { return self.numpy_dtype; })
      .def_property_readonly(
          "nbytes", [](const PyPackedMatrix& self) { return self.matrix.nbytes(); },
          "Memory held: the aligned rows and their norms.")
      .def("__repr__",
           [](const PyPackedMatrix& self) {
             return "simdkit.PackedMatrix(shape=" + ShapeString(self.shape()) + ", dtype=" +
                    py::str(self.numpy_dtype).cast<std::string>() +
                    (self.keyword == DTypeKeyword::kNone
                         ? std::string()
                         : std::string(", read as dtype=") + KeywordName(self.keyword)) +
                    ")";
           })
      .def(py::pickle(&PackedState, [](const py::tuple& state) {
        if (state.size() != 2) {
          throw py::value_error("simdkit.PackedMatrix: expected a state of (rows, dtype)");
        }
        return Pack(state[0], state[1]);
      }));
  const struct {
    const char* name;
    const Signature& signature;
    FastcallFunction function;
    std::string doc;
  } entries[] = {
      {"paired", kPairedSignature, &PairedEntry,
       std::string("Distances between row i of A and row i of B, for two 2-D arrays of\n"
                   "equal shape (m, d); returns shape (m,).\n\n") +
           kMetricsDoc},
      {"cdist", kCdistSignature, &CdistEntry,
       std::string("All pairwise distances of the rows of A (m, d) and B (n, d), shape\n"
                   "(m, n), as scipy.spatial.distance.cdist. threads: None uses every\n"
                   "core, else a positive int. out: an ndarray of the result dtype and\n"
                   "shape (m, n), writeable, with unit column stride (rows may be\n"
                   "further apart), not sharing memory with A or B; it is filled and\n"
                   "returned. B may be a simdkit.PackedMatrix (simdkit.pack).\n\n") +
           kMetricsDoc},
      {"pdist", kPdistSignature, &PdistEntry,
       std::string("The condensed distance matrix of the rows of X (m, d), as\n"
                   "scipy.spatial.distance.pdist: the m * (m - 1) / 2 distances of rows\n"
                   "i < j, row by row of the upper triangle (squareform's order), each\n"
                   "computed once, with the values cdist(X, X)[i, j] gives. threads: as in\n"
                   "cdist. out: a contiguous 1-D ndarray of the result dtype and that\n"
                   "length, writeable, not sharing memory with X; it is filled and\n"
                   "returned.\n\n") +
           kMetricsDoc},
      {"pack", kPackSignature, &PackEntry,
       "X (n, d) packed for many cdist(A, B) / topk(Q, X) calls that take it as B or X:\n"
       "its rows copied 64-byte aligned with their norms, so that each call pays\n"
       "neither again. Results are the same as with X itself. dtype: as in cdist\n"
       "('bfloat16' or 'bits' to read uint16 / uint8 arrays so); queries must then\n"
       "have X's dtype. Returns a simdkit.PackedMatrix."},
      {"topk", kTopkSignature, &TopkEntry,
       std::string("For each row of Q (m, d), the k rows of X (n, d) closest to it, best\n"
                   "first: (indices, distances), int64 indices and their distances, both\n"
                   "of shape (m, k). Closest is the smallest distance, or the largest\n"
                   "value for 'dot'. Ties go to the lower index; NaN distances rank last.\n"
                   "Requires 1 <= k <= n. X may be a simdkit.PackedMatrix (simdkit.pack).\n\n") +
           kMetricsDoc},
  };
  for (const auto& entry : entries) {
    AddEntryPoint(module, entry.name, entry.signature, entry.function, entry.doc);
  }
}

}  // namespace simdkit::python
