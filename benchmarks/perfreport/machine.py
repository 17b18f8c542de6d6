"""What the report was measured on: the CPU as it reports itself, the library
versions and the date."""

from __future__ import annotations

import datetime
import platform
import re
from importlib import metadata

import numpy as np

import simdkit

# Libraries whose versions the report states (the ones it measures against).
OTHER_LIBRARIES = ("scipy", "numkong", "faiss-cpu", "numexpr", "ml_dtypes", "matplotlib", "threadpoolctl")


def slug(text: str) -> str:
    """'AMD EPYC 9R14' -> 'amd-epyc-9r14': a folder name for the CPU."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown-cpu"


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """simdkit.info() reads the CPU model and SIMD features from the CPU
    itself (CPUID; MIDR and the auxiliary vector on Arm)."""
    info = simdkit.info()
    return {
        "cpu_model": info["cpu_model"],
        "cpu_features": list(info["cpu_features"]),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "simdkit_version": info["simdkit_version"],
        "highway_version": info["highway_version"],
        "highway_loaded_version": info["highway_loaded_version"],
        "numpy_version": np.__version__,
        "versions": {name: package_version(name) for name in OTHER_LIBRARIES},
        "active_target": info["active"],
        "supported_targets": list(info["supported"]),
        "compiled_targets": list(info["compiled"]),
    }
