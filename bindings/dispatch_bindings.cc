// Python view of dispatch/: inspect and override the target kernels run on.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings/module.h"
#include "simdkit/dispatch.h"
#include "simdkit/version.h"

namespace simdkit::python {

namespace py = pybind11;

void RegisterDispatch(py::module_& module) {
  module.attr("__version__") = SIMDKIT_VERSION_STRING;
  module.def(
      "targets",
      [] {
        py::dict report;
        report["active"] = simdkit::active_target();
        report["compiled"] = simdkit::compiled_targets();
        report["supported"] = simdkit::supported_targets();
        return report;
      },
      "Targets as {'active': name, 'compiled': [...], 'supported': [...]}, best first.");
  module.def(
      "set_target",
      [](const py::object& name) {
        if (name.is_none()) {
          simdkit::reset_target();
        } else if (py::isinstance<py::str>(name)) {
          simdkit::set_target(name.cast<std::string>());
        } else {
          throw py::type_error("simdkit.set_target: expected a target name (str) or None, got " +
                               py::str(py::type::handle_of(name).attr("__name__")).cast<std::string>());
        }
      },
      py::arg("name"),
      "Force the target named `name` (case-insensitive) for all later calls, or\n"
      "return to the automatic choice with None. ValueError for an unknown name,\n"
      "RuntimeError for a target this CPU cannot run.");
  module.def("probe_target", &simdkit::probe_target,
             "Name of the target compiled into the code that actually runs (read\n"
             "from inside a dispatched kernel); equals targets()['active'].");
  module.def("_forced_target", &simdkit::forced_target,
             "The forced target's name, or '' while the choice is automatic.");
  module.def("_apply_environment", &simdkit::apply_environment,
             "Apply SIMDKIT_TARGET; returns a warning message or ''.");
}

}  // namespace simdkit::python
