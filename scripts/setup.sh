#!/usr/bin/env bash
# Installs everything simdkit needs to build, test and benchmark, from Debian
# (apt) and PyPI (pip). Idempotent: checks first, installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(g++ pkg-config libhwy-dev libgtest-dev libbenchmark-dev highway-doc)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

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
if ! "$PYTHON" scripts/check_requirements.py requirements-dev.txt; then
  echo "setup: installing from PyPI: requirements-dev.txt"
  "$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
fi
