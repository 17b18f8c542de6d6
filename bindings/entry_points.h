// The public Python functions, each described once. A family declares its
// functions' Signature (parameters, their kinds, defaults and accepted
// dtypes, and the result kind) beside its table of names and kernels; from
// that one description come the argument parsing of both paths (ParseArgs),
// the `__text_signature__` that help() and inspect.signature read, and
// simdkit._core._entry_points(), against which the tests check the type
// stubs, the bad-input table and the boundary benchmark's cases, so that
// none of them can drift from what the function does (docs/ARCHITECTURE.md,
// "Entry points described once").
#ifndef SIMDKIT_BINDINGS_ENTRY_POINTS_H_
#define SIMDKIT_BINDINGS_ENTRY_POINTS_H_

#include <pybind11/pybind11.h>

#include <array>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "bindings/array_args.h"

namespace simdkit::python {

// What a parameter takes: how it is checked, what its stub says, and which
// categories of bad input apply to it.
enum class ParameterKind {
  kArray,           // an ndarray of one of `dtypes`
  kArrayOrPacked,   // the same, or a simdkit.PackedMatrix (cdist's B, topk's X)
  kOut,             // None, or an ndarray of one of `dtypes` that the result is written to
  kAxis,            // an int
  kAxisOrNone,      // an int, or None for all elements
  kBool,            // keepdims
  kMetric,          // a metric name
  kDTypeKeyword,    // None, or the name of a dtype the array's storage holds
  kCount,           // a positive int (topk's k)
  kThreads,         // None (every core) or a positive int
};

// What a call returns.
enum class ResultKind {
  kScalar,          // a NumPy scalar
  kScalarOrArray,   // a NumPy scalar for a whole array (axis=None or 1-D input), else an array
  kArray,           // a new array (or out=, filled)
  kArrays,          // a tuple of new arrays
  kPackedMatrix,    // a simdkit.PackedMatrix
};

struct Parameter {
  const char* name;
  ParameterKind kind;
  const char* default_value = nullptr;  // a Python literal; nullptr: required
  DTypes dtypes = {};                   // of kArray, kArrayOrPacked and kOut, in messages' order
};

// Between the parameters of a Signature, as `*` is in Python: those after
// it are keyword-only.
inline constexpr Parameter kKeywordOnly{"*", ParameterKind::kArray};

// The parameters and result of the functions of a family that share them
// (the reductions, the elementwise functions, ...). Declared as constants:
// what ParseArgs needs at run time (the names interned, the defaults as
// objects) is made once, by the first AddEntryPoint of the signature.
class Signature {
 public:
  static constexpr int kMaxParameters = 8;

  template <std::size_t kCount>
  constexpr Signature(const char* family, const Parameter (&parameters)[kCount], ResultKind result)
      : family_(family), result_(result) {
    static_assert(kCount <= kMaxParameters + 1, "raise Signature::kMaxParameters");
    for (const Parameter& parameter : parameters) {
      if (parameter.name[0] == '*') {
        positional_ = count_;
        continue;
      }
      if (parameter.default_value == nullptr) required_ = count_ + 1;
      parameters_[count_++] = parameter;
    }
    if (positional_ < 0) positional_ = count_;
  }

  const char* family() const { return family_; }
  ResultKind result() const { return result_; }
  int count() const { return count_; }
  // The first `positional()` parameters may be passed by position.
  int positional() const { return positional_; }
  // The first `required()` parameters have no default.
  int required() const { return required_; }
  const Parameter& operator[](int i) const { return parameters_[i]; }
  DTypes dtypes(int i) const { return parameters_[i].dtypes; }

  // "(a, axis=None, keepdims=False)", as Python writes it.
  std::string Text() const;

  // Matches `args`/`kwnames` of a METH_FASTCALL call of `function` to the
  // parameters: values[i] is the argument given for parameter i, else its
  // default (None when it has none). TypeError as CPython words it for
  // arguments that do not match. Keywords are found by pointer first:
  // CPython interns the keyword names of calls written in Python.
  void Parse(const char* function, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
             py::handle* values) const {
    // Inline, the common call (positions only, all required ones given)
    // costs a few moves; anything else is parsed out of line.
    if (kwnames == nullptr && nargs >= required_ && nargs <= positional_) {
      for (Py_ssize_t i = 0; i < nargs; ++i) values[i] = args[i];
      for (int i = static_cast<int>(nargs); i < count_; ++i) values[i] = defaults_[i];
      return;
    }
    ParseKeywords(function, args, nargs, kwnames, values);
  }

  // Interns the names and makes the defaults (with the GIL, at import).
  void Prepare() const;

 private:
  void ParseKeywords(const char* function, PyObject* const* args, Py_ssize_t nargs,
                     PyObject* kwnames, py::handle* values) const;

  const char* family_;
  ResultKind result_;
  std::array<Parameter, kMaxParameters> parameters_{};
  int count_ = 0;
  int positional_ = -1;
  int required_ = 0;
  mutable std::array<PyObject*, kMaxParameters> interned_names_{};
  mutable std::array<PyObject*, kMaxParameters> defaults_{};
};

using FastcallFunction = PyObject* (*)(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                                       PyObject* kwnames);

// Adds `function` to `module` as the builtin `name` (a string with static
// storage, such as a literal) taking `signature`'s parameters, called with
// METH_FASTCALL | METH_KEYWORDS and the module as `self`, so that it pickles
// by reference (as simdkit._core.<name>, the object simdkit exports). Its
// docstring is `doc` under the signature's text, and it is listed by
// _entry_points(). The definition and the doc are kept for the life of the
// process, as CPython requires.
void AddEntryPoint(py::module_& module, const char* name, const Signature& signature,
                   FastcallFunction function, const std::string& doc);

// simdkit._core._entry_points(): every function added by AddEntryPoint, as
// {name: {"family", "parameters": [{"name", "kind", "default",
// "keyword_only", "dtypes"}], "result"}}.
void RegisterEntryPoints(py::module_& module);

// The entry point of a family of functions that differ by an index into the
// family's table (the reductions, the elementwise functions, ...).
using IndexedFastcallFunction = PyObject* (*)(std::size_t index, PyObject* const* args,
                                              Py_ssize_t nargs, PyObject* kwnames);

namespace detail {
template <IndexedFastcallFunction kEntry, std::size_t... kIndex>
constexpr std::array<FastcallFunction, sizeof...(kIndex)> IndexedEntries(
    std::index_sequence<kIndex...>) {
  return {{[](PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    return kEntry(kIndex, args, nargs, kwnames);
  }...}};
}
}  // namespace detail

// kEntry as kCount FastcallFunctions, the i-th calling kEntry(i, ...): each
// function of a family is a function of its own, with the module as its
// `self` (an index as `self` would pickle as getattr(index, name)).
template <IndexedFastcallFunction kEntry, std::size_t kCount>
constexpr std::array<FastcallFunction, kCount> IndexedEntries() {
  return detail::IndexedEntries<kEntry>(std::make_index_sequence<kCount>());
}

// Runs body() (returning py::object) for a raw Python entry point: the
// result as a new reference, or nullptr with the Python error set from the
// C++ exception, as pybind11 translates them.
template <typename Body>
PyObject* CallFromPython(const Body& body) noexcept {
  try {
    return body().release().ptr();
  } catch (py::error_already_set& error) {
    error.restore();
  } catch (const py::builtin_exception& error) {
    error.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::domain_error& error) {
    PyErr_SetString(PyExc_ValueError, error.what());
  } catch (const std::invalid_argument& error) {
    PyErr_SetString(PyExc_ValueError, error.what());
  } catch (const std::length_error& error) {
    PyErr_SetString(PyExc_ValueError, error.what());
  } catch (const std::out_of_range& error) {
    PyErr_SetString(PyExc_IndexError, error.what());
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "simdkit: unknown C++ exception");
  }
  return nullptr;
}

}  // namespace simdkit::python

#endif  // SIMDKIT_BINDINGS_ENTRY_POINTS_H_
