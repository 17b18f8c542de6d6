"""``python -m simdkit info``: what this machine runs simdkit on."""

from __future__ import annotations

import argparse
import json
import platform

import numpy

import simdkit


def _print_info(as_json: bool) -> None:
    info = simdkit.info()
    if as_json:
        print(json.dumps(info, indent=2))
        return
    print(f"simdkit {info['simdkit_version']} (Highway {info['highway_version']}, "
          f"NumPy {numpy.__version__}, Python {platform.python_version()})")
    library = info["highway_library"] or "linked statically"
    print(f"highway:   {info['highway_loaded_version']} loaded ({library}), "
          f"{info['highway_version']} compiled")
    print(f"cpu:       {info['cpu_model']} ({platform.machine()})")
    print(f"features:  {' '.join(info['cpu_features']) or '(none reported)'}")
    print(f"compiled:  {', '.join(info['compiled'])}")
    print(f"supported: {', '.join(info['supported'])}")
    if info["disabled"]:
        print(f"disabled:  {', '.join(info['disabled'])}")
    amx = "used" if info["amx_used"] else f"not used: {info['amx_reason']}"
    if info["amx_available"] and not info["amx_used"]:
        amx = f"available, {amx}"
    print(f"amx:       {amx} (bfloat16/int8/uint8 cdist and topk)")
    how = f"forced ({info['forced']})" if info["forced"] else "automatic"
    print(f"active:    {info['active']} ({how}; probe: {info['probe']})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simdkit",
                                     description="Show the CPU and the targets simdkit runs on.")
    parser.add_argument("command", choices=["info"], nargs="?", default="info")
    parser.add_argument("--json", action="store_true", help="print simdkit.info() as JSON")
    arguments = parser.parse_args()
    _print_info(arguments.json)


if __name__ == "__main__":
    main()
