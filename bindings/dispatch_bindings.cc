// Python view of dispatch/: inspect and override the target kernels run on.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings/module.h"
#include "simdkit/dispatch.h"
#include "simdkit/version.h"

namespace simdkit::python {

namespace py = pybind11;

namespace {

// What targets() returns; info() adds to it.
py::dict TargetReport() {
  py::dict report;
  report["active"] = simdkit::active_target();
  report["compiled"] = simdkit::compiled_targets();
  report["supported"] = simdkit::supported_targets();
  report["disabled"] = simdkit::disabled_targets();
  const simdkit::AmxStatus amx = simdkit::amx_status();
  report["amx_available"] = amx.available;
  report["amx_used"] = amx.used;
  report["amx_reason"] = amx.reason;
  return report;
}

}  // namespace

void RegisterDispatch(py::module_& module) {
  module.attr("__version__") = SIMDKIT_VERSION_STRING;
  module.def(
      "targets",
      &TargetReport,
      "Targets as {'active': name, 'compiled': [...], 'supported': [...],\n"
      "'disabled': [...], 'amx_available': bool, 'amx_used': bool,\n"
      "'amx_reason': str}, best first. 'supported' excludes disabled targets.\n"
      "amx_*: the AMX backend of bfloat16/int8/uint8 cdist and topk (the\n"
      "pseudo-target 'AMX' of SIMDKIT_DISABLE); amx_reason says why it is not\n"
      "used ('' while it is).");
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
  module.def(
      "disable_targets",
      [](const py::object& names) {
        std::string joined;
        const auto type_error = [&] {
          return py::type_error(
              "simdkit.disable_targets: expected a list of target names (str), got " +
              py::str(py::type::handle_of(names).attr("__name__")).cast<std::string>());
        };
        if (py::isinstance<py::str>(names) || !py::isinstance<py::sequence>(names)) {
          throw type_error();
        }
        for (const py::handle name : names) {
          if (!py::isinstance<py::str>(name)) throw type_error();
          const std::string text = name.cast<std::string>();
          if (text.find(',') != std::string::npos) {
            throw py::value_error("simdkit.disable_targets: target name '" + text +
                                  "' contains a comma; pass one name per list item");
          }
          joined += (joined.empty() ? "" : ",") + text;
        }
        simdkit::disable_targets(joined);
      },
      py::arg("names"),
      "Exclude the named targets (a list of names, case-insensitive) from use,\n"
      "replacing any earlier exclusion; [] clears it. 'AMX' names the AMX\n"
      "backend of bfloat16/int8/uint8 cdist and topk. As SIMDKIT_DISABLE, at\n"
      "run time. ValueError for unknown names, for excluding every supported\n"
      "target, or for the forced one.");
  module.def("probe_target", &simdkit::probe_target,
             "Name of the target compiled into the code that actually runs (read\n"
             "from inside a dispatched kernel); equals targets()['active'].");
  module.def("_forced_target", &simdkit::forced_target,
             "The forced target's name, or '' while the choice is automatic.");
  module.def("_apply_environment", &simdkit::apply_environment,
             "Apply SIMDKIT_DISABLE and SIMDKIT_TARGET; returns the warnings.");
  module.def(
      "info",
      [] {
        py::dict info = TargetReport();
        info["simdkit_version"] = SIMDKIT_VERSION_STRING;
        info["highway_version"] = simdkit::highway_version();
        info["highway_loaded_version"] = simdkit::highway_loaded_version();
        info["highway_library"] = simdkit::highway_library_path();
        info["cpu_model"] = simdkit::cpu_model();
        info["cpu_features"] = simdkit::cpu_features();
        info["probe"] = simdkit::probe_target();
        info["forced"] = simdkit::forced_target();
        return info;
      },
      "What simdkit runs on: versions (Highway's as compiled and as loaded),\n"
      "the CPU's model and SIMD features (as the\n"
      "CPU reports them), and the compiled, supported, disabled, forced and\n"
      "active targets, with the probe's view of the active one.");
}

}  // namespace simdkit::python
