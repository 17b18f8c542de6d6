#!/usr/bin/env bash
# Installs what simdkit needs from Debian (apt) and PyPI (pip). Idempotent:
# checks first, installs only what is missing.
#
#   scripts/setup.sh main   what the main job needs: build, install, report
#   scripts/setup.sh wheel  what the wheel for users needs (scripts/wheel.sh)
#   scripts/setup.sh test   both, and what every test adds
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:?usage: scripts/setup.sh main|wheel|test}
case "$PROFILE" in
  main|wheel|test) ;;
  *) echo "setup: unknown profile '$PROFILE'; expected main, wheel or test" >&2; exit 2 ;;
esac

# Every profile builds the package: the compiler and Highway. The main job
# adds Google Benchmark for the report's C++ side; the wheel needs no more.
APT_PACKAGES=(g++ pkg-config libhwy-dev)
case "$PROFILE" in
  main) APT_PACKAGES+=(libbenchmark-dev) PIP_REQUIREMENTS=requirements.txt ;;
  wheel) PIP_REQUIREMENTS=requirements-wheel.txt ;;
esac
if [ "$PROFILE" = test ]; then
  # GoogleTest and Highway's quick reference; the heterogeneous-CPU matrix:
  # qemu, and the aarch64 cross compiler with Arm builds of the libraries
  # the tests link; the sanitized build and the fuzzers: clang and its
  # runtimes (AddressSanitizer, UndefinedBehaviorSanitizer, libFuzzer), the
  # release's default version of both (14 on Debian 12, 19 on Debian 13);
  # ccache, so that the test run's builds of the same configuration (the
  # consumers' static library and the Python package's) compile once.
  APT_PACKAGES+=(libbenchmark-dev libgtest-dev highway-doc
                 qemu-user g++-aarch64-linux-gnu libhwy-dev:arm64 libgtest-dev:arm64
                 clang libclang-rt-dev ccache)
  PIP_REQUIREMENTS=requirements-dev.txt
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$PROFILE" = test ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: enabling Debian's arm64 packages (multiarch)"
  as_root dpkg --add-architecture arm64
fi

missing_apt=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing_apt+=("$package")
done
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "setup: installing from Debian: ${missing_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" scripts/check_requirements.py "$PIP_REQUIREMENTS"; then
  echo "setup: installing from PyPI: $PIP_REQUIREMENTS"
  "$PYTHON" -m pip install -q --disable-pip-version-check -r "$PIP_REQUIREMENTS"
fi
[ "$PROFILE" = test ] || exit 0

# NumPy >= 2.4 needs x86-64-v2, so the matrix's qemu64 leg imports the last
# NumPy built for the SSE3 baseline (and an ml_dtypes for it) from here.
BASELINE_PYTHON_PATH=build/baseline-python
if [ ! -f "$BASELINE_PYTHON_PATH/.complete" ]; then
  echo "setup: installing NumPy 1.26 for the x86-64 baseline into $BASELINE_PYTHON_PATH"
  rm -rf "$BASELINE_PYTHON_PATH"
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps \
    --target "$BASELINE_PYTHON_PATH" numpy==1.26.4 ml_dtypes==0.4.1
  touch "$BASELINE_PYTHON_PATH/.complete"
fi
