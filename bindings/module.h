// Each kernel family registers its Python functions from its own file.
#ifndef SIMDKIT_BINDINGS_MODULE_H_
#define SIMDKIT_BINDINGS_MODULE_H_

#include <pybind11/pybind11.h>

namespace simdkit::python {

void RegisterConvert(pybind11::module_& module);
void RegisterDispatch(pybind11::module_& module);
void RegisterDistance(pybind11::module_& module);
void RegisterMath(pybind11::module_& module);
void RegisterBinaryMath(pybind11::module_& module);
void RegisterReduce(pybind11::module_& module);

}  // namespace simdkit::python

#endif  // SIMDKIT_BINDINGS_MODULE_H_
