// Python entry points of the conversion family: to_bfloat16/from_bfloat16,
// to_float16/from_float16, to_float8_e4m3/from_float8_e4m3,
// to_float8_e5m2/from_float8_e5m2 (any shape, out=), quantize_int8/dequantize_int8
// (per row along an axis). Each call validates once, releases the GIL for
// large inputs, and makes one batch call into the dispatched kernels.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/array_args.h"
#include "bindings/entry_points.h"
#include "bindings/module.h"
#include "simdkit/convert.h"

namespace simdkit::python {
namespace {

constexpr DType kFloat32Only[] = {DType::kFloat32};
constexpr DType kInt8Only[] = {DType::kInt8};
constexpr DType kBFloat16Only[] = {DType::kBFloat16};
constexpr DType kFloat16Only[] = {DType::kFloat16};
constexpr DType kFloat8E4M3Only[] = {DType::kFloat8E4M3};
constexpr DType kFloat8E5M2Only[] = {DType::kFloat8E5M2};
constexpr DType kBFloat16Storage[] = {DType::kBFloat16, DType::kUInt16};
constexpr DType kFloat16Storage[] = {DType::kFloat16, DType::kUInt16};
constexpr DType kFloat8E4M3Storage[] = {DType::kFloat8E4M3, DType::kUInt8};
constexpr DType kFloat8E5M2Storage[] = {DType::kFloat8E5M2, DType::kUInt8};

// The format's own dtype and the unsigned integer type of its bit patterns.
DTypes StorageOf(DType format) {
  switch (format) {
    case DType::kFloat16: return kFloat16Storage;
    case DType::kBFloat16: return kBFloat16Storage;
    case DType::kFloat8E4M3: return kFloat8E4M3Storage;
    case DType::kFloat8E5M2: return kFloat8E5M2Storage;
    default: break;
  }
  throw std::logic_error("simdkit: not a narrow float format");
}

// to_bfloat16(x, out=None), to_float16(x, out=None).
const Signature kToBFloat16Signature("convert",
                                     {{"x", ParameterKind::kArray, nullptr, kFloat32Only},
                                      {"out", ParameterKind::kOut, "None", kBFloat16Storage}},
                                     ResultKind::kArray);
const Signature kToFloat16Signature("convert",
                                    {{"x", ParameterKind::kArray, nullptr, kFloat32Only},
                                     {"out", ParameterKind::kOut, "None", kFloat16Storage}},
                                    ResultKind::kArray);
const Signature kToFloat8E4M3Signature("convert",
                                       {{"x", ParameterKind::kArray, nullptr, kFloat32Only},
                                        {"out", ParameterKind::kOut, "None", kFloat8E4M3Storage}},
                                       ResultKind::kArray);
const Signature kToFloat8E5M2Signature("convert",
                                       {{"x", ParameterKind::kArray, nullptr, kFloat32Only},
                                        {"out", ParameterKind::kOut, "None", kFloat8E5M2Storage}},
                                       ResultKind::kArray);
// from_bfloat16(y, out=None, *, dtype=None), from_float16(...),
// from_float8_*(...): uint16 (uint8) bit patterns pass with dtype= naming
// the format.
const Signature kFromBFloat16Signature("convert",
                                       {{"y", ParameterKind::kArray, nullptr, kBFloat16Only},
                                        {"out", ParameterKind::kOut, "None", kFloat32Only},
                                        kKeywordOnly,
                                        {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                       ResultKind::kArray);
const Signature kFromFloat16Signature("convert",
                                      {{"y", ParameterKind::kArray, nullptr, kFloat16Only},
                                       {"out", ParameterKind::kOut, "None", kFloat32Only},
                                       kKeywordOnly,
                                       {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                      ResultKind::kArray);
const Signature kFromFloat8E4M3Signature("convert",
                                         {{"y", ParameterKind::kArray, nullptr, kFloat8E4M3Only},
                                          {"out", ParameterKind::kOut, "None", kFloat32Only},
                                          kKeywordOnly,
                                          {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                         ResultKind::kArray);
const Signature kFromFloat8E5M2Signature("convert",
                                         {{"y", ParameterKind::kArray, nullptr, kFloat8E5M2Only},
                                          {"out", ParameterKind::kOut, "None", kFloat32Only},
                                          kKeywordOnly,
                                          {"dtype", ParameterKind::kDTypeKeyword, "None"}},
                                         ResultKind::kArray);
const Signature kQuantizeSignature("convert",
                                   {{"x", ParameterKind::kArray, nullptr, kFloat32Only},
                                    {"axis", ParameterKind::kAxis, "-1"}},
                                   ResultKind::kArrays);
const Signature kDequantizeSignature("convert",
                                     {{"q", ParameterKind::kArray, nullptr, kInt8Only},
                                      {"scale", ParameterKind::kArray, nullptr, kFloat32Only},
                                      {"axis", ParameterKind::kAxis, "-1"}},
                                     ResultKind::kArray);

// The dtype= keyword of from_bfloat16/from_float16/from_float8_*: None, or
// the format's name, which lets uint16 (uint8) arrays of bit patterns
// through.
bool BitPatternsArg(const py::handle& dtype, const char* format, const char* patterns,
                    const char* function) {
  if (dtype.is_none()) return false;
  const std::string expected = ErrorPrefix(function) +
                               "dtype must be None (the array's own dtype) or '" + format +
                               "' (" + patterns + " arrays of " + format + " bit patterns), got ";
  if (!PyUnicode_Check(dtype.ptr())) {
    throw py::type_error(expected + TypeNameOf(dtype) + " (simdkit does not cast)");
  }
  if (dtype.cast<std::string>() == format) return true;
  throw py::value_error(expected + py::repr(dtype).cast<std::string>() +
                        " (simdkit does not cast)");
}

// A conversion's kernel with its pointer types erased (float32 on one side,
// the format's bit patterns on the other), so that one table holds them all.
using Kernel = void (*)(const void* from, std::size_t n, void* to);
template <typename From, typename To, void (*kKernel)(const From*, std::size_t, To*)>
void Erased(const void* from, std::size_t n, void* to) {
  kKernel(static_cast<const From*>(from), n, static_cast<To*>(to));
}

py::array Narrow(const py::object& x_object, const py::object& out, const Signature& signature,
                 Kernel kernel, const char* function) {
  const py::array x = RequireArray(x_object, function, "x");
  RequireDType(x, signature.dtypes(0), function, "x");
  py::array y = ResultLike(out, signature.dtypes(1)[0], signature.dtypes(1), x, function,
                            /*in_place=*/false, OutLayout::kCContiguous);
  const RowLayout layout = AllElements(x, false);
  void* to = y.mutable_data();
  RunKernel(function, static_cast<std::size_t>(x.size()), [&] {
    const ContiguousRows<float> input(layout, Packing::kDense);
    kernel(input.data(), input.rows() * input.cols(), to);
  });
  return y;
}

py::array Widen(const py::object& y_object, const py::object& out, const py::object& dtype,
                const Signature& signature, Kernel kernel, const char* function) {
  const py::array y = RequireArray(y_object, function, "y");
  const DType format = signature.dtypes(0)[0];
  const DTypes storage = StorageOf(format);
  const char* name = DTypeName(format);
  const char* patterns = DTypeName(storage[1]);
  if (BitPatternsArg(dtype, name, patterns, function)) {
    RequireDType(y, storage, function, "y");
  } else {
    const std::string note = std::string(patterns) + " arrays holding " + name +
                             " bit patterns need dtype='" + name + "'";
    RequireDType(y, signature.dtypes(0), function, "y", note.c_str());
  }
  py::array x = ResultLike(out, DType::kFloat32, signature.dtypes(1), y, function,
                            /*in_place=*/false, OutLayout::kCContiguous);
  const RowLayout layout = AllElements(y, false);
  void* to = x.mutable_data();
  VisitDType(storage[1], [&](auto tag) {
    using Bits = typename decltype(tag)::type;
    RunKernel(function, static_cast<std::size_t>(y.size()), [&] {
      const ContiguousRows<Bits> input(layout, Packing::kDense);
      kernel(input.data(), input.rows() * input.cols(), to);
    });
  });
  return x;
}

// Rows along `axis` are computed into a C-contiguous (..., cols) array, the
// axis last; this moves it back into place (a copy only when axis is not
// the last one), so that results are C-contiguous with the input's shape.
py::array MoveAxisBack(const py::array& rows_last, int axis, int ndim) {
  if (axis == ndim - 1) return rows_last;
  const py::module_ numpy = py::module_::import("numpy");
  return numpy.attr("ascontiguousarray")(numpy.attr("moveaxis")(rows_last, -1, axis));
}

// The shape of `array` with `axis` moved last.
std::vector<py::ssize_t> AxisLastShape(const RowLayout& layout) {
  std::vector<py::ssize_t> shape = layout.outer_shape;
  shape.push_back(layout.cols);
  return shape;
}

int RequireAxis(const py::array& array, const py::handle& axis, const char* function,
                const char* argument) {
  if (array.ndim() == 0) {
    throw py::value_error(ErrorPrefix(function) + "argument '" + argument +
                          "' must have at least one dimension, got a 0-d array");
  }
  return NormalizeAxis(axis, static_cast<int>(array.ndim()), function, /*none_allowed=*/false);
}

py::tuple QuantizeInt8(const py::handle& x_object, const py::handle& axis_object) {
  constexpr const char* kName = "quantize_int8";
  const py::array x = RequireArray(x_object, kName, "x");
  RequireDType(x, kQuantizeSignature.dtypes(0), kName, "x");
  const int axis = RequireAxis(x, axis_object, kName, "x");
  const RowLayout layout = RowsAlongAxis(x, axis);
  const std::size_t rows = layout.rows(), cols = static_cast<std::size_t>(layout.cols);
  py::array q = NewArray(DType::kInt8, AxisLastShape(layout), kName);
  py::array scale = NewArray(DType::kFloat32, layout.outer_shape, kName);
  auto* q_data = static_cast<std::int8_t*>(q.mutable_data());
  auto* scale_data = static_cast<float*>(scale.mutable_data());
  RunKernel(kName, static_cast<std::size_t>(x.size()), [&] {
    const ContiguousRows<float> input(layout, Packing::kStrided);
    simdkit::quantize_int8(input.data(), rows, cols, input.row_stride(), q_data, cols,
                           scale_data);
  });
  return py::make_tuple(MoveAxisBack(q, axis, static_cast<int>(x.ndim())), scale);
}

py::array DequantizeInt8(const py::handle& q_object, const py::handle& scale_object,
                         const py::handle& axis_object) {
  constexpr const char* kName = "dequantize_int8";
  const py::array q = RequireArray(q_object, kName, "q");
  RequireDType(q, kDequantizeSignature.dtypes(0), kName, "q");
  const py::array scale = RequireArray(scale_object, kName, "scale");
  RequireDType(scale, kDequantizeSignature.dtypes(1), kName, "scale");
  const int axis = RequireAxis(q, axis_object, kName, "q");
  const RowLayout layout = RowsAlongAxis(q, axis);
  if (ShapeOf(scale) != layout.outer_shape) {
    throw py::value_error(ErrorPrefix(kName) + "scale must have q's shape without axis " +
                          std::to_string(axis) + ", " + ShapeString(layout.outer_shape) +
                          ", got " + ShapeString(ShapeOf(scale)));
  }
  const std::size_t rows = layout.rows(), cols = static_cast<std::size_t>(layout.cols);
  py::array y = NewArray(DType::kFloat32, AxisLastShape(layout), kName);
  auto* y_data = static_cast<float*>(y.mutable_data());
  const RowLayout scale_layout = AllElements(scale, false);
  RunKernel(kName, static_cast<std::size_t>(q.size()), [&] {
    const ContiguousRows<std::int8_t> input(layout, Packing::kStrided);
    const ContiguousRows<float> scales(scale_layout, Packing::kDense);
    simdkit::dequantize_int8(input.data(), rows, cols, input.row_stride(), scales.data(),
                             y_data, cols);
  });
  return MoveAxisBack(y, axis, static_cast<int>(q.ndim()));
}

// quantize_int8 and dequantize_int8 as raw METH_FASTCALL entry points, with
// fast paths for small C-contiguous arrays quantized along their last axis.
PyObject* QuantizeEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[2];
    kQuantizeSignature.Parse("quantize_int8", args, nargs, kwnames, values);
    SmallArray x;
    if (AsSmallArray(values[0].ptr(), kQuantizeSignature.dtypes(0), x) && x.size != 0 &&
        IsLastAxis(values[1], x.ndim)) {
      const std::size_t cols = x.cols();
      py::array q = NewArray(DType::kInt8, x.ndim, x.shape, "quantize_int8");
      py::array scale = NewArray(DType::kFloat32, x.ndim - 1, x.shape, "quantize_int8");
      simdkit::quantize_int8(static_cast<const float*>(x.data), x.size / cols, cols, cols,
                             static_cast<std::int8_t*>(q.mutable_data()), cols,
                             static_cast<float*>(scale.mutable_data()));
      return py::make_tuple(std::move(q), std::move(scale));
    }
    return QuantizeInt8(values[0], values[1]);
  });
}

PyObject* DequantizeEntry(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    py::handle values[3];
    kDequantizeSignature.Parse("dequantize_int8", args, nargs, kwnames, values);
    SmallArray q, scale;
    if (AsSmallArray(values[0].ptr(), kDequantizeSignature.dtypes(0), q) && q.size != 0 &&
        IsLastAxis(values[2], q.ndim) &&
        AsSmallArray(values[1].ptr(), kDequantizeSignature.dtypes(1), scale) &&
        scale.ndim == q.ndim - 1 &&
        std::equal(scale.shape, scale.shape + scale.ndim, q.shape)) {
      const std::size_t cols = q.cols();
      py::array y = NewArray(DType::kFloat32, q.ndim, q.shape, "dequantize_int8");
      simdkit::dequantize_int8(static_cast<const std::int8_t*>(q.data), q.size / cols, cols, cols,
                               static_cast<const float*>(scale.data),
                               static_cast<float*>(y.mutable_data()), cols);
      return std::move(y);
    }
    return DequantizeInt8(values[0], values[1], values[2]);
  });
}

// to_<format>(x, out=None) (float32 x -> the format) and
// from_<format>(y, out=None, *, dtype=None) (the format -> float32), as raw
// METH_FASTCALL entry points.
struct Conversion {
  const char* name;
  const Signature& signature;  // its parameters' dtypes: the input's and the result's
  Kernel kernel;
  bool narrow;  // to_*
  const char* doc;
};

const Conversion kConversions[] = {
    {"to_bfloat16", kToBFloat16Signature,
     &Erased<float, std::uint16_t, &simdkit::to_bfloat16>, true,
     "float32 array -> ml_dtypes.bfloat16 array of the same shape, rounded to\n"
     "nearest even (±Inf kept, NaN -> quiet NaN), bit-identical to\n"
     "x.astype(ml_dtypes.bfloat16). out: a writeable C-contiguous bfloat16 or\n"
     "uint16 array of x's shape."},
    {"from_bfloat16", kFromBFloat16Signature,
     &Erased<std::uint16_t, float, &simdkit::from_bfloat16>, false,
     "ml_dtypes.bfloat16 array (or uint16 bit patterns with dtype='bfloat16')\n"
     "-> float32 array of the same shape, exactly. out: a writeable\n"
     "C-contiguous float32 array of y's shape."},
    {"to_float16", kToFloat16Signature, &Erased<float, std::uint16_t, &simdkit::to_float16>, true,
     "float32 array -> numpy.float16 array of the same shape, bit-identical to\n"
     "x.astype(numpy.float16) (IEEE round to nearest even, overflow to ±Inf).\n"
     "out: a writeable C-contiguous float16 or uint16 array of x's shape."},
    {"from_float16", kFromFloat16Signature, &Erased<std::uint16_t, float, &simdkit::from_float16>,
     false,
     "numpy.float16 array (or uint16 bit patterns with dtype='float16') ->\n"
     "float32 array of the same shape, exactly. out: a writeable C-contiguous\n"
     "float32 array of y's shape."},
    {"to_float8_e4m3", kToFloat8E4M3Signature,
     &Erased<float, std::uint8_t, &simdkit::to_float8_e4m3>, true,
     "float32 array -> ml_dtypes.float8_e4m3fn array of the same shape,\n"
     "bit-identical to x.astype(ml_dtypes.float8_e4m3fn): round to nearest\n"
     "even; no infinities, so values that round beyond 448 and ±Inf become\n"
     "NaN, as ml_dtypes does (it does not saturate). out: a writeable\n"
     "C-contiguous float8_e4m3fn or uint8 array of x's shape."},
    {"from_float8_e4m3", kFromFloat8E4M3Signature,
     &Erased<std::uint8_t, float, &simdkit::from_float8_e4m3>, false,
     "ml_dtypes.float8_e4m3fn array (or uint8 bit patterns with\n"
     "dtype='float8_e4m3fn') -> float32 array of the same shape, exactly (NaN\n"
     "-> quiet NaN). out: a writeable C-contiguous float32 array of y's shape."},
    {"to_float8_e5m2", kToFloat8E5M2Signature,
     &Erased<float, std::uint8_t, &simdkit::to_float8_e5m2>, true,
     "float32 array -> ml_dtypes.float8_e5m2 array of the same shape,\n"
     "bit-identical to x.astype(ml_dtypes.float8_e5m2): round to nearest\n"
     "even, overflow (|x| >= 61440) to ±Inf, NaN -> quiet NaN. out: a\n"
     "writeable C-contiguous float8_e5m2 or uint8 array of x's shape."},
    {"from_float8_e5m2", kFromFloat8E5M2Signature,
     &Erased<std::uint8_t, float, &simdkit::from_float8_e5m2>, false,
     "ml_dtypes.float8_e5m2 array (or uint8 bit patterns with\n"
     "dtype='float8_e5m2') -> float32 array of the same shape, exactly (±Inf\n"
     "kept, NaN -> quiet NaN). out: a writeable C-contiguous float32 array of\n"
     "y's shape."},
};

// A small array in its own format and nothing else asked for goes straight
// to the kernel (AsSmallArray: the fast path); anything else through
// Narrow/Widen.
PyObject* ConversionEntry(std::size_t index, PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames) {
  return CallFromPython([&]() -> py::object {
    const Conversion& conversion = kConversions[index];
    const Signature& signature = conversion.signature;
    py::handle values[3];
    signature.Parse(conversion.name, args, nargs, kwnames, values);
    const py::object out = py::reinterpret_borrow<py::object>(values[1]);
    const bool narrow = conversion.narrow;
    SmallArray input;
    if (out.is_none() && (narrow || values[2].is_none()) &&
        AsSmallArray(values[0].ptr(), signature.dtypes(0), input)) {
      py::array result = NewArray(signature.dtypes(1)[0], input.ndim, input.shape, conversion.name);
      conversion.kernel(input.data, input.size, result.mutable_data());
      return std::move(result);
    }
    const py::object x = py::reinterpret_borrow<py::object>(values[0]);
    if (narrow) return Narrow(x, out, signature, conversion.kernel, conversion.name);
    return Widen(x, out, py::reinterpret_borrow<py::object>(values[2]), signature,
                 conversion.kernel, conversion.name);
  });
}

}  // namespace

void RegisterConvert(py::module_& module) {
  static constexpr auto entries = IndexedEntries<&ConversionEntry, std::size(kConversions)>();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    AddEntryPoint(module, kConversions[i].name, kConversions[i].signature, entries[i],
                  kConversions[i].doc);
  }
  AddEntryPoint(
      module, "quantize_int8", kQuantizeSignature, &QuantizeEntry,
      "Symmetric int8 quantization of float32 `x` per row along `axis`:\n"
      "returns (q, scale), q int8 of x's shape, scale float32 of x's shape\n"
      "without `axis`; scale = max|row| / 127, q = x / scale rounded to\n"
      "nearest even; a row of zeros gives scale 0 and zeros. A row holding\n"
      "NaN or Inf raises ValueError. |x - q * scale| <= scale / 2 (1 + 2^-15).");
  AddEntryPoint(
      module, "dequantize_int8", kDequantizeSignature, &DequantizeEntry,
      "float32 q * scale, with one scale per row of int8 `q` along `axis`\n"
      "(scale has q's shape without `axis`), as quantize_int8 returns them.");
}

}  // namespace simdkit::python
