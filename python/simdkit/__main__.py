"""``python -m simdkit info``: what this machine runs simdkit on."""

from __future__ import annotations

import argparse
import platform

import simdkit


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("model name", "Model name")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _info() -> None:
    report = simdkit.targets()
    print(f"simdkit {simdkit.__version__}")
    print(f"cpu:       {_cpu_model()} ({platform.machine()})")
    print(f"compiled:  {', '.join(report['compiled'])}")
    print(f"supported: {', '.join(report['supported'])}")
    print(f"active:    {report['active']}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simdkit")
    parser.add_argument("command", choices=["info"], nargs="?", default="info")
    parser.parse_args()
    _info()


if __name__ == "__main__":
    main()
