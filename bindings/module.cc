#include <pybind11/pybind11.h>

#include "bindings/entry_points.h"
#include "bindings/module.h"

PYBIND11_MODULE(_core, module) {
  module.doc() = "simdkit's compiled core; use the simdkit package, which re-exports it.";
  simdkit::python::RegisterDispatch(module);
  simdkit::python::RegisterReduce(module);
  simdkit::python::RegisterDistance(module);
  simdkit::python::RegisterMath(module);
  simdkit::python::RegisterBinaryMath(module);
  simdkit::python::RegisterConvert(module);
  simdkit::python::RegisterEntryPoints(module);
}
