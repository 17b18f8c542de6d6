// Validation of NumPy arguments and their description as batches of rows,
// shared by every binding. Nothing here converts or casts: an argument is
// either used as it is, or rejected with an exception naming what was
// expected.
#ifndef SIMDKIT_BINDINGS_ARRAY_ARGS_H_
#define SIMDKIT_BINDINGS_ARRAY_ARGS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace simdkit::python {

namespace py = pybind11;

// Element types of NumPy arguments, as NumPy names them. New dtypes are
// added here, in DTypeOf, DTypeName and VisitDType, and in the families'
// lists of accepted dtypes. kBFloat16 is ml_dtypes.bfloat16 (dtype name
// "bfloat16", itemsize 2), kFloat8E4M3 and kFloat8E5M2 ml_dtypes'
// float8_e4m3fn and float8_e5m2 (itemsize 1); kUInt16 is listed because it
// can hold bfloat16 bit patterns (the distance family's dtype="bfloat16"),
// kUInt8 float8 patterns.
enum class DType {
  kFloat32, kFloat64, kFloat16, kBFloat16, kInt8, kUInt8, kUInt16, kBool, kFloat8E4M3, kFloat8E5M2
};

const char* DTypeName(DType dtype);

// A list of accepted dtypes, a view of a constant array (a Signature's), so
// that checking a call's dtypes allocates nothing.
class DTypes {
 public:
  constexpr DTypes() = default;
  template <std::size_t kCount>
  constexpr DTypes(const DType (&list)[kCount]) : begin_(list), size_(kCount) {}
  // One dtype, as long as `only` lives (a call's argument).
  explicit constexpr DTypes(const DType& only) : begin_(&only), size_(1) {}
  constexpr const DType* begin() const { return begin_; }
  constexpr const DType* end() const { return begin_ + size_; }
  constexpr std::size_t size() const { return size_; }
  constexpr DType operator[](std::size_t i) const { return begin_[i]; }
  constexpr bool contains(DType dtype) const {
    for (DType accepted : *this) {
      if (accepted == dtype) return true;
    }
    return false;
  }

 private:
  const DType* begin_ = nullptr;
  std::size_t size_ = 0;
};

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls visit(TypeTag<T>{}) with the C++ storage type of `dtype`: the one
// place where a runtime dtype becomes a compile-time type. Half-precision
// values are stored as uint16_t (their bit patterns), bool as uint8_t (NumPy
// bools are the bytes 0 and 1).
template <typename Visitor>
decltype(auto) VisitDType(DType dtype, Visitor&& visit) {
  switch (dtype) {
    case DType::kFloat32: return visit(TypeTag<float>{});
    case DType::kFloat64: return visit(TypeTag<double>{});
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kUInt16: return visit(TypeTag<std::uint16_t>{});
    case DType::kInt8: return visit(TypeTag<std::int8_t>{});
    case DType::kUInt8:
    case DType::kBool:
    case DType::kFloat8E4M3:
    case DType::kFloat8E5M2: return visit(TypeTag<std::uint8_t>{});
  }
  throw std::logic_error("simdkit: unhandled dtype");
}

// VisitDType for families that only take float32 and float64 (reduce), so
// that their visitors need not compile for the other storage types.
template <typename Visitor>
decltype(auto) VisitFloatDType(DType dtype, Visitor&& visit) {
  switch (dtype) {
    case DType::kFloat32: return visit(TypeTag<float>{});
    case DType::kFloat64: return visit(TypeTag<double>{});
    default: break;
  }
  throw std::logic_error(std::string("simdkit: ") + DTypeName(dtype) + " is not a float dtype");
}

// MemoryError, which pybind11 has no builtin for. Only a message: it may be
// thrown with the GIL released.
class memory_error : public py::builtin_exception {
 public:
  using py::builtin_exception::builtin_exception;
  void set_error() const override { PyErr_SetString(PyExc_MemoryError, what()); }
};

// A new C-contiguous array of `dtype` (bfloat16: ml_dtypes.bfloat16), the
// result of `function`. memory_error naming the function, shape and dtype
// when it cannot be allocated, including shapes whose size in bytes
// overflows (which NumPy would report as a ValueError without naming them).
// Made with NumPy's PyArray_NewFromDescr from a descriptor looked up once
// per process (DescrOf): no dtype built from a string, no strides vector.
py::array NewArray(DType dtype, const std::vector<py::ssize_t>& shape, const char* function);
py::array NewArray(DType dtype, int ndim, const py::ssize_t* shape, const char* function);
py::array NewArray(const py::dtype& dtype, const std::vector<py::ssize_t>& shape,
                   const char* function);
py::array NewArray(const py::dtype& dtype, int ndim, const py::ssize_t* shape,
                   const char* function);

// The NumPy dtype of `dtype` (bfloat16: ml_dtypes.bfloat16), made once.
const py::dtype& DescrOf(DType dtype);

// NumPy scalars of the kernels' result types (numpy.float32(x), numpy.intp(i)).
py::object NumpyScalar(float value);
py::object NumpyScalar(double value);
py::object NumpyIndex(std::size_t index);

// "simdkit.<function>: ", the start of every error message.
std::string ErrorPrefix(const char* function);

// The name of obj's type ("list", "ndarray"), for messages.
std::string TypeNameOf(const py::handle& obj);

// `obj` as an ndarray; TypeError naming `function` and `argument` otherwise,
// ending with `what_else` (what the caller takes besides an ndarray, with
// its leading separator).
py::array RequireArray(const py::handle& obj, const char* function, const char* argument,
                       const char* what_else = " (simdkit does not convert; use numpy.asarray)");

// The array's dtype if it is one of `accepted` (native byte order);
// TypeError listing the accepted dtypes otherwise, followed by `note` if
// given (e.g. how to pass a dtype that needs a keyword).
DType RequireDType(const py::array& array, DTypes accepted,
                   const char* function, const char* argument, const char* note = nullptr);

// "float32, float64 or bool": the accepted dtypes, for messages.
std::string DTypeList(DTypes accepted);

// The dtype's description as NumPy prints it (e.g. "float32", ">f8").
std::string DescribeDType(const py::array& array);

// The array's shape as a vector (ShapeString gives its text: "(3, 4)").
std::vector<py::ssize_t> ShapeOf(const py::array& array);

// ValueError unless `array` has `ndim` dimensions; `layout` names them in
// the message, e.g. "(rows, dims)".
void RequireNDim(const py::array& array, int ndim, const char* layout, const char* function,
                 const char* argument);

// Largest extent accepted along any dimension: kernels count in size_t, but
// we promise a clear error rather than whatever a 2^31+ extent would do.
constexpr py::ssize_t kMaxExtent = (py::ssize_t{1} << 31) - 1;

// ValueError if any dimension of `array` exceeds `max_extent` (in elements).
void RequireExtents(const py::array& array, py::ssize_t max_extent, const char* function,
                    const char* argument);

// A Python int (or NumPy integer, not bool) as a signed value: TypeError
// naming `what_expected` otherwise. Values beyond the ssize_t range saturate.
py::ssize_t RequireInt(const py::handle& value, const char* function, const char* argument,
                       const char* what_expected);

// The `threads=` argument: None gives 0 (one worker per core), a positive int
// gives itself; ValueError below 1, TypeError for non-integers.
std::size_t ThreadsArg(const py::handle& threads, const char* function);

// The bytes [first, last) that an array's elements occupy (first == last for
// zero-size arrays); like numpy.may_share_memory, bounds only.
struct ByteRange {
  std::uintptr_t first = 0;
  std::uintptr_t last = 0;
  bool overlaps(const ByteRange& other) const {
    return first < last && other.first < other.last && first < other.last &&
           other.first < last;
  }
};
ByteRange ByteRangeOf(const py::array& array);

// The result of an elementwise function of `input`: a new C-contiguous array
// of `dtype` when `out` is None, else `out` checked to be an ndarray of one
// of `accepted` (TypeError otherwise) with the input's shape, writeable, and
// not sharing memory with the input (ValueError otherwise, naming what was
// expected), except that `in_place` lets `out` be the input itself (the same
// memory and strides). `contiguous` requires `out` to be C-contiguous and
// aligned; otherwise any strides are accepted.
enum class OutLayout { kAnyStrides, kCContiguous };
py::array ResultLike(const py::handle& out, DType dtype, DTypes accepted,
                     const py::array& input, const char* function, bool in_place,
                     OutLayout layout);

// An `out=` argument as every function checks it, in the same words: an
// ndarray of one of `accepted` (TypeError, followed by `dtype_note` if
// given) with the result's `shape`, writeable (ValueError). Layout and
// overlap are the caller's.
py::array RequireOut(const py::handle& out, DTypes accepted,
                     const std::vector<py::ssize_t>& shape, const char* function,
                     const char* dtype_note);

// An `out=` argument for a result of `dtype` and 2-D `shape` (or 1-D: one
// contiguous row, and row_stride its length): an ndarray of
// exactly that dtype (TypeError otherwise) and shape, writeable (the checks
// it shares with ResultLike, in the same words), aligned,
// with unit column stride and rows that do not overlap (any row stride from
// the row length up), not sharing memory with any of `inputs` (ValueError
// otherwise, naming what was expected). Returns it with its row stride in
// elements.
struct OutMatrix {
  py::array array;
  std::size_t row_stride = 0;
};
OutMatrix RequireOutMatrix(const py::handle& out, DType dtype,
                           const std::vector<py::ssize_t>& shape,
                           const std::vector<std::pair<const char*, const py::array*>>& inputs,
                           const char* function);

// a * b * c without overflow (saturates): sizes of work for RunKernel.
std::size_t SaturatingProduct(std::size_t a, std::size_t b, std::size_t c = 1);

// Numpy-style axis normalisation: an int (or numpy integer) in
// [-ndim, ndim). AxisError if out of range (however large), TypeError naming
// `function` if not an integer; `none_allowed` only says whether the
// message offers None (the caller handles None itself).
int NormalizeAxis(const py::handle& axis, int ndim, const char* function, bool none_allowed);

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

// Whether rows may be `row_stride` apart (kStrided: any stride, including 0
// for broadcast rows), must not overlap (kDisjoint: row_stride >= cols, as
// the distance family's MatrixView requires), or must follow each other
// without gaps, so that all rows read as one block (kDense).
enum class Packing { kStrided, kDisjoint, kDense };

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

// Rows as the kernels write them: the destination's own memory when it is
// laid out as ContiguousRows would read it with `packing` (kDisjoint or
// kDense), else owned storage (C order) that Scatter() copies into the
// destination after the kernel has run.
template <typename T>
class WritableRows {
 public:
  WritableRows(const RowLayout& layout, Packing packing);

  T* data() { return data_; }
  std::size_t row_stride() const { return row_stride_; }
  // Call with the GIL held or not, once the rows are written.
  void Scatter() const;

 private:
  RowLayout layout_;
  std::vector<T> storage_;
  T* data_ = nullptr;
  std::size_t row_stride_ = 0;
};

extern template class WritableRows<float>;
extern template class WritableRows<double>;
extern template class WritableRows<std::uint16_t>;

extern template class ContiguousRows<float>;
extern template class ContiguousRows<double>;
extern template class ContiguousRows<std::uint16_t>;
extern template class ContiguousRows<std::int8_t>;
extern template class ContiguousRows<std::uint8_t>;

// Below this many elements a call keeps the GIL: releasing and re-acquiring
// it costs more than the kernel.
constexpr std::size_t kReleaseGilElements = std::size_t{1} << 14;

// Runs `work` (the kernel of `function`) with the GIL released when the
// batch is large enough to pay. What it cannot allocate (a gathered copy, a
// kernel's scratch) becomes a memory_error naming `function`.
template <typename Work>
void RunKernel(const char* function, std::size_t elements, const Work& work) {
  try {
    if (elements >= kReleaseGilElements) {
      py::gil_scoped_release release;
      work();
    } else {
      work();
    }
  } catch (const memory_error& error) {
    throw memory_error(ErrorPrefix(function) + error.what());
  } catch (const std::bad_alloc&) {
    throw memory_error(ErrorPrefix(function) +
                       "out of memory while running the kernel (std::bad_alloc)");
  }
}

std::string ShapeString(const std::vector<py::ssize_t>& shape);

// What the fast paths in front of the public functions call the kernels
// with: `object` is exactly a numpy.ndarray (no subclass) of one of the
// DTypes, in native byte order, aligned and C-contiguous, with fewer than
// kReleaseGilElements elements, read from NumPy's array struct (no Python
// object made, nothing allocated); the caller checks the dtype and shape.
// Anything else (false) takes the general path, which gives the same
// results and the errors.
struct SmallArray {
  DType dtype;
  const void* data;
  std::size_t size;
  int ndim;
  const py::ssize_t* shape;

  // The last extent (the length of a row), 1 for a 0-d array.
  std::size_t cols() const { return ndim == 0 ? 1 : static_cast<std::size_t>(shape[ndim - 1]); }
};

namespace detail {

// NumPy type numbers that pybind11's npy_api does not name.
constexpr int kNpyHalf = 23;
constexpr int kNpyUserDefined = 256;  // NPY_USERDEF: first number of user dtypes

// ml_dtypes registers bfloat16 and the float8 formats as user dtypes: their
// numbers vary from process to process, but not within one, so a name (a
// Python attribute lookup and a string, over a microsecond) is read only
// until it is known. The GIL guards them.
inline int bfloat16_num = -1;
inline int float8_e4m3_num = -1;
inline int float8_e5m2_num = -1;

// Whether a user dtype (number `num`) is one of ml_dtypes' that simdkit
// reads (bfloat16, float8_e4m3fn, float8_e5m2), into `result`; its number is
// then remembered. Out of line: the builtin types' path keeps no frame for
// its strings.
[[gnu::noinline]] bool IsMlDtypesDescr(PyObject* descr_object, int num, DType& result);

inline bool IsNativeByteOrder(char order) {
  if (order == '=' || order == '|') return true;
  const std::uint16_t probe = 1;
  const bool little = *reinterpret_cast<const unsigned char*>(&probe) == 1;
  return order == (little ? '<' : '>');
}

// Reads the descriptor's fields directly: this runs on every call, and
// pybind11's dtype accessors check NumPy's version each time. Builtin type
// numbers other than void never have fields, so none of ours is structured.
// A flag and an out parameter rather than std::optional: returned through
// the stack, the optional's one-byte flag stored and its eight bytes
// reloaded stalled store forwarding (a third of the function's time).
inline bool DTypeOfDescr(PyObject* descr_object, DType& result) {
  using Api = py::detail::npy_api;
  const auto* descr = py::detail::array_descriptor_proxy(descr_object);
  if (!IsNativeByteOrder(descr->byteorder)) return false;
  const int num = descr->type_num;
  switch (num) {
    case Api::NPY_FLOAT_: result = DType::kFloat32; return true;
    case Api::NPY_DOUBLE_: result = DType::kFloat64; return true;
    case kNpyHalf: result = DType::kFloat16; return true;
    case Api::NPY_BYTE_: result = DType::kInt8; return true;
    case Api::NPY_UBYTE_: result = DType::kUInt8; return true;
    case Api::NPY_USHORT_: result = DType::kUInt16; return true;
    case Api::NPY_BOOL_: result = DType::kBool; return true;
    default: break;
  }
  if (num == bfloat16_num) {
    result = DType::kBFloat16;
    return true;
  }
  if (num < kNpyUserDefined) return false;
  if (num == float8_e4m3_num || num == float8_e5m2_num) {
    result = num == float8_e4m3_num ? DType::kFloat8E4M3 : DType::kFloat8E5M2;
    return true;
  }
  return IsMlDtypesDescr(descr_object, num, result);
}

}  // namespace detail

// Inline: every fast path starts here, and a call's frame and saved
// registers were a fifth of its cost.
inline bool AsSmallArray(PyObject* object, SmallArray& array) {
  using Api = py::detail::npy_api;
  if (Py_TYPE(object) != Api::get().PyArray_Type_) return false;
  const auto* proxy = py::detail::array_proxy(object);
  constexpr int kFlags = Api::NPY_ARRAY_C_CONTIGUOUS_ | Api::NPY_ARRAY_ALIGNED_;
  if ((proxy->flags & kFlags) != kFlags) return false;
  if (!detail::DTypeOfDescr(proxy->descr, array.dtype)) return false;
  // Both factors below kReleaseGilElements (2^14): the product cannot
  // overflow. A zero-size array with a longer axis takes the general path.
  std::size_t size = 1;
  for (int axis = 0; axis < proxy->nd; ++axis) {
    const auto extent = static_cast<std::size_t>(proxy->dimensions[axis]);
    if (extent >= kReleaseGilElements) return false;
    size *= extent;
    if (size >= kReleaseGilElements) return false;
  }
  array.data = proxy->data;
  array.size = size;
  array.ndim = proxy->nd;
  array.shape = proxy->dimensions;
  return true;
}

// AsSmallArray of one of `accepted` (a Signature's dtypes for the argument).
inline bool AsSmallArray(PyObject* object, DTypes accepted, SmallArray& array) {
  return AsSmallArray(object, array) && accepted.contains(array.dtype);
}

// Whether `axis` selects the last axis of an array of `ndim` dimensions
// (ndim >= 1): the int -1 or ndim - 1, as an exact Python int. The fast
// paths take only that; anything else goes to the general path.
bool IsLastAxis(const py::handle& axis, int ndim);

// A new int64 array (topk's indices), as NewArray makes the others.
py::array NewInt64Array(int ndim, const py::ssize_t* shape, const char* function);

}  // namespace simdkit::python

#endif  // SIMDKIT_BINDINGS_ARRAY_ARGS_H_
