#include "bindings/entry_points.h"

#include <Python.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace simdkit::python {

namespace {

const char* KindName(ParameterKind kind) {
  switch (kind) {
    case ParameterKind::kArray: return "array";
    case ParameterKind::kArrayOrPacked: return "array_or_packed";
    case ParameterKind::kOut: return "out";
    case ParameterKind::kAxis: return "axis";
    case ParameterKind::kAxisOrNone: return "axis_or_none";
    case ParameterKind::kBool: return "bool";
    case ParameterKind::kMetric: return "metric";
    case ParameterKind::kDTypeKeyword: return "dtype_keyword";
    case ParameterKind::kCount: return "count";
    case ParameterKind::kThreads: return "threads";
  }
  return "unknown";
}

const char* ResultName(ResultKind kind) {
  switch (kind) {
    case ResultKind::kScalar: return "scalar";
    case ResultKind::kScalarOrArray: return "scalar_or_array";
    case ResultKind::kArray: return "array";
    case ResultKind::kArrays: return "arrays";
    case ResultKind::kPackedMatrix: return "packed_matrix";
  }
  return "unknown";
}

// A default written as a Python literal, as an object kept for the life of
// the process: None, True, False, an int or a quoted string.
PyObject* DefaultObject(const std::string& literal) {
  PyObject* object = nullptr;
  if (literal == "None") {
    object = Py_None;
    Py_INCREF(object);
  } else if (literal == "True" || literal == "False") {
    object = PyBool_FromLong(literal == "True");
  } else if (literal.size() >= 2 && literal.front() == '\'' && literal.back() == '\'') {
    object = PyUnicode_FromStringAndSize(literal.data() + 1,
                                         static_cast<Py_ssize_t>(literal.size() - 2));
  } else {
    object = PyLong_FromString(literal.c_str(), nullptr, 10);
  }
  if (object == nullptr) throw py::error_already_set();
  return object;
}

struct EntryPoint {
  const char* name;
  const Signature* signature;
};

// Every function AddEntryPoint added, in order (kept for the life of the
// process, as the functions are).
std::vector<EntryPoint>& EntryPoints() {
  static auto* entry_points = new std::vector<EntryPoint>();
  return *entry_points;
}

}  // namespace

std::string Signature::Text() const {
  std::string text = "(";
  for (int i = 0; i < count_; ++i) {
    if (i > 0) text += ", ";
    if (i == positional_) text += "*, ";
    text += parameters_[i].name;
    if (parameters_[i].default_value != nullptr) {
      text += "=";
      text += parameters_[i].default_value;
    }
  }
  return text + ")";
}

void Signature::Prepare() const {
  if (interned_names_[0] != nullptr) return;
  for (int i = 0; i < count_; ++i) {
    interned_names_[i] = PyUnicode_InternFromString(parameters_[i].name);
    if (interned_names_[i] == nullptr) throw py::error_already_set();
    if (parameters_[i].default_value != nullptr) {
      defaults_[i] = DefaultObject(parameters_[i].default_value);
    }
  }
}

void Signature::ParseKeywords(const char* function, PyObject* const* args, Py_ssize_t nargs,
                              PyObject* kwnames, py::handle* values) const {
  // Only an error needs the name: building it on every call would cost an
  // allocation on the path distance() keeps short.
  const auto name = [function] { return std::string("simdkit.") + function + "()"; };
  if (nargs > positional_) {
    throw py::type_error(name() + " takes " +
                         (required_ == positional_ ? std::to_string(positional_)
                                                   : "from " + std::to_string(required_) + " to " +
                                                         std::to_string(positional_)) +
                         " positional arguments but " + std::to_string(nargs) + " were given");
  }
  // Which parameters have a value, as bits: testing values[i] instead
  // reloads what was just stored, and the wide store that zeroed the array
  // cannot forward to those loads (a third of this function's time).
  for (Py_ssize_t i = 0; i < nargs; ++i) values[i] = args[i];
  std::uint32_t given = (std::uint32_t{1} << nargs) - 1;
  const Py_ssize_t keywords = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < keywords; ++k) {
    PyObject* keyword = PyTuple_GET_ITEM(kwnames, k);
    int match = 0;
    while (match < count_ && keyword != interned_names_[match]) ++match;
    if (match == count_) {  // a name built at run time, not interned
      match = 0;
      while (match < count_ && PyUnicode_Compare(keyword, interned_names_[match]) != 0) ++match;
    }
    if (match == count_) {
      throw py::type_error(name() + " got an unexpected keyword argument " +
                           py::repr(keyword).cast<std::string>());
    }
    if (given & (std::uint32_t{1} << match)) {
      throw py::type_error(name() + " got multiple values for argument '" +
                           parameters_[match].name + "'");
    }
    values[match] = args[nargs + k];
    given |= std::uint32_t{1} << match;
  }
  for (int i = 0; i < count_; ++i) {
    if (given & (std::uint32_t{1} << i)) continue;
    if (i < required_) {
      throw py::type_error(name() + " missing required argument '" + parameters_[i].name +
                           "' (pos " + std::to_string(i + 1) + ")");
    }
    values[i] = defaults_[i];
  }
}

void AddEntryPoint(py::module_& module, const char* name, const Signature& signature,
                   FastcallFunction function, const std::string& doc) {
  signature.Prepare();
  // CPython reads the signature from the docstring's first line ("--" ends it).
  auto* definition = new PyMethodDef{
      name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function)),
      METH_FASTCALL | METH_KEYWORDS,
      (new std::string(name + signature.Text() + "\n--\n\n" + doc))->c_str()};
  PyObject* builtin = PyCFunction_NewEx(definition, module.ptr(), module.attr("__name__").ptr());
  if (builtin == nullptr) throw py::error_already_set();
  module.add_object(definition->ml_name, py::reinterpret_steal<py::object>(builtin));
  EntryPoints().push_back({name, &signature});
}

void RegisterEntryPoints(py::module_& module) {
  module.def(
      "_entry_points",
      [] {
        py::dict table;
        for (const EntryPoint& entry : EntryPoints()) {
          const Signature& signature = *entry.signature;
          py::list parameters;
          for (int i = 0; i < signature.count(); ++i) {
            const Parameter& parameter = signature[i];
            py::list dtypes;
            for (DType dtype : parameter.dtypes) dtypes.append(DTypeName(dtype));
            py::dict description;
            description["name"] = parameter.name;
            description["kind"] = KindName(parameter.kind);
            description["default"] = parameter.default_value == nullptr
                                         ? py::object(py::none())
                                         : py::object(py::str(parameter.default_value));
            description["keyword_only"] = i >= signature.positional();
            description["dtypes"] = dtypes;
            parameters.append(description);
          }
          py::dict description;
          description["family"] = signature.family();
          description["parameters"] = parameters;
          description["result"] = ResultName(signature.result());
          table[entry.name] = description;
        }
        return table;
      },
      "Every public kernel function as its bindings declare it: {name: {'family',\n"
      "'parameters': [{'name', 'kind', 'default' (a Python literal or None when\n"
      "required), 'keyword_only', 'dtypes' (of array parameters)}], 'result'}}.\n"
      "The tests check the stubs, the bad-input table and the boundary benchmark\n"
      "against it.");
}

}  // namespace simdkit::python
