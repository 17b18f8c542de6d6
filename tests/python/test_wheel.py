"""The wheel for users (scripts/wheel.sh), installed as users install it.

The test command installs the wheel into a fresh virtual environment and
runs the whole suite there with the system's Highway hidden
(scripts/without_system_highway.sh), natively and under the qemu CPU models.
It sets SIMDKIT_TEST_WHEEL_DIGESTS to the source build's result digests
(result_digest.py); the checks of the installed wheel run only then, since a
source-tree install has no wheel to check.
"""

import json
import os
import re
import sys
from pathlib import Path

import pytest

import simdkit
from conftest import TESTED_TARGETS, UNDER_EMULATOR, public_kernels
from result_digest import covered_functions, digests

DIGESTS = os.environ.get("SIMDKIT_TEST_WHEEL_DIGESTS")
installed_wheel = pytest.mark.skipif(not DIGESTS, reason="SIMDKIT_TEST_WHEEL_DIGESTS is not set: "
                                     "no installed wheel to check")
PACKAGE = Path(simdkit.__file__).resolve().parent


def test_digest_battery_calls_every_public_kernel():
    assert covered_functions() == public_kernels()


@installed_wheel
def test_simdkit_comes_from_a_virtual_environment_not_the_source_tree():
    assert sys.prefix != sys.base_prefix, "not running in a virtual environment"
    assert PACKAGE.is_relative_to(Path(sys.prefix).resolve()), PACKAGE


def bundled_highway_libraries():
    """The Highway libraries auditwheel bundled beside the package (not their
    license files)."""
    return sorted(str(path) for path in (PACKAGE.parent / "simdkit.libs").glob("libhwy-*")
                  if not path.name.endswith(".copyright"))


def mapped_highway_libraries():
    maps = Path("/proc/self/maps").read_text()
    return sorted(set(re.findall(r"\S*libhwy[^/\s]*\.so[\d.]*$", maps, re.M)))


@installed_wheel
def test_the_only_highway_loaded_is_the_bundled_one():
    bundled = bundled_highway_libraries()
    assert len(bundled) == 1, bundled
    assert mapped_highway_libraries() == bundled


@installed_wheel
def test_highways_license_ships_beside_the_bundled_library():
    (library,) = bundled_highway_libraries()
    license_text = Path(f"{library}.copyright").read_text()
    assert "Apache" in license_text and "Google" in license_text


# The source build's digests are the host CPU's, and not every result is the
# target's alone: float64 sin and cos beyond simdkit's reduction range call
# the C library, whose FMA and non-FMA variants differ in the last bit.
@pytest.mark.skipif(UNDER_EMULATOR, reason="the source build's digests are the host CPU's")
@installed_wheel
def test_results_are_those_of_the_source_build_on_every_target():
    source_build = json.loads(Path(DIGESTS).read_text())
    common = [target for target in TESTED_TARGETS if target in source_build]
    assert common, f"no target in common: here {TESTED_TARGETS}, source build {list(source_build)}"
    assert digests(common) == {target: source_build[target] for target in common}
