"""simdkit's target choice is its own: a second extension module in the same
process that uses Highway (built here, linked against the system's
libhwy.so like the installed simdkit) resets Highway's process-wide choice
(hwy::SupportedTargets(), as every Highway user's first dispatch does) or
sets a target of its own between simdkit calls, and simdkit keeps running
the target it reports."""

import shutil
import subprocess
import sys
import sysconfig
import textwrap

import numpy as np
import pytest

import simdkit
from conftest import SUPPORTED_TARGETS, skip_module_under_emulator

# The build runs the host's compiler: not under an emulated CPU (where the
# C++ test Dispatch.OtherHighwayUsersCannotChangeWhatRuns covers the same).
skip_module_under_emulator("builds an extension module with the host compiler")

NEIGHBOUR_SOURCE = textwrap.dedent(r"""
    #include <Python.h>
    #include <string>
    #include "hwy/targets.h"

    // What any other Highway user in the process can do.
    static PyObject* ResetToBest(PyObject*, PyObject*) {
      hwy::GetChosenTarget().Update(hwy::SupportedTargets());
      Py_RETURN_NONE;
    }

    static PyObject* Choose(PyObject*, PyObject* name) {
      const char* wanted = PyUnicode_AsUTF8(name);
      if (wanted == nullptr) return nullptr;
      for (int shift = 0; shift < 63; ++shift) {
        const int64_t bit = int64_t{1} << shift;
        if (std::string(hwy::TargetName(bit)) == wanted) {
          hwy::GetChosenTarget().Update(bit);
          Py_RETURN_NONE;
        }
      }
      PyErr_SetString(PyExc_ValueError, "no such Highway target");
      return nullptr;
    }

    static PyMethodDef kMethods[] = {
        {"reset_to_best", ResetToBest, METH_NOARGS, nullptr},
        {"choose", Choose, METH_O, nullptr},
        {nullptr, nullptr, 0, nullptr}};
    static PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "highway_neighbour", nullptr, -1,
                                  kMethods};
    PyMODINIT_FUNC PyInit_highway_neighbour() { return PyModule_Create(&kModule); }
""")


@pytest.fixture(scope="module")
def neighbour(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.fail("no C++ compiler to build the Highway neighbour module")
    folder = tmp_path_factory.mktemp("neighbour")
    source = folder / "highway_neighbour.cc"
    source.write_text(NEIGHBOUR_SOURCE)
    module = folder / ("highway_neighbour" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run([compiler, "-std=c++17", "-O1", "-shared", "-fPIC",
                    "-I" + sysconfig.get_paths()["include"], str(source), "-o", str(module),
                    "-lhwy"], check=True)
    sys.path.insert(0, str(folder))
    try:
        import highway_neighbour
    finally:
        sys.path.remove(str(folder))
    yield highway_neighbour
    simdkit.set_target(None)


def test_a_forced_target_survives_highway_resets(neighbour):
    if len(SUPPORTED_TARGETS) < 2:
        pytest.skip("only one target is supported here")
    x = np.linspace(-3, 3, 1000)
    for target in SUPPORTED_TARGETS:
        simdkit.set_target(target)
        expected = simdkit.exp(x)
        neighbour.reset_to_best()
        assert simdkit.probe_target() == target
        assert simdkit.targets()["active"] == target
        # The same bits as before the reset: the same target's kernel ran.
        np.testing.assert_array_equal(simdkit.exp(x), expected)


def test_the_automatic_choice_survives_another_choice(neighbour):
    if len(SUPPORTED_TARGETS) < 2:
        pytest.skip("only one target is supported here")
    simdkit.set_target(None)
    best = simdkit.targets()["active"]
    for target in SUPPORTED_TARGETS:
        neighbour.choose(target)
        assert simdkit.probe_target() == best
        assert simdkit.targets()["active"] == best
