#!/usr/bin/env bash
# The wheel for users: builds simdkit's wheel, repairs it with auditwheel
# (which bundles a renamed copy of the system's libhwy, so that the wheel
# needs no Highway on the machine it is installed on, and tags it with the
# oldest manylinux the build's glibc symbols allow: manylinux_2_34 with
# Debian 12's toolchain), puts Highway's license beside the bundled library,
# and shows the result with auditwheel show.
#
#   scripts/wheel.sh [OUT_DIR]   writes OUT_DIR/simdkit-<version>-<tags>.whl (default dist/)
#
# Install it with: python3 -m pip install dist/simdkit-*.whl
SETUP_PROFILE=wheel
source "$(dirname "$0")/common.sh"
OUT_DIR=${1:-dist}
WORK_DIR=build/wheel

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"/raw "$WORK_DIR"/repaired "$WORK_DIR"/unpacked "$OUT_DIR"
echo "== wheel: build"
"$PYTHON" -m pip wheel -q --disable-pip-version-check --no-build-isolation --no-deps \
  -w "$WORK_DIR/raw" .
echo "== wheel: auditwheel repair"
"$PYTHON" -m auditwheel repair -w "$WORK_DIR/repaired" "$WORK_DIR"/raw/simdkit-*.whl

# Every library auditwheel bundles ships under its own license: Highway's is
# the only one expected (libstdc++ and glibc are the manylinux platform's).
"$PYTHON" -m wheel unpack -d "$WORK_DIR/unpacked" "$WORK_DIR"/repaired/simdkit-*.whl >/dev/null
unpacked=$(echo "$WORK_DIR"/unpacked/simdkit-*)
bundled=$(cd "$unpacked/simdkit.libs" && ls)
if ! [[ "$bundled" =~ ^libhwy-[0-9a-f]+\.so[0-9.]*$ ]]; then
  echo "wheel: auditwheel bundled '$bundled'; this script ships Highway's license only" >&2
  exit 1
fi
system_highway=$(readlink -f "$(pkg-config --variable=libdir libhwy)/libhwy.so")
highway_package=$(dpkg -S "$system_highway" | cut -d: -f1)
# Debian's copyright file names the license; the license asks for its text.
{
  cat "/usr/share/doc/$highway_package/copyright"
  printf '\nThe Apache License, Version 2.0, named above:\n\n'
  cat /usr/share/common-licenses/Apache-2.0
} >"$unpacked/simdkit.libs/$bundled.copyright"
rm -f "$OUT_DIR"/simdkit-*.whl
"$PYTHON" -m wheel pack -d "$OUT_DIR" "$unpacked"

echo "== wheel: auditwheel show"
"$PYTHON" -m auditwheel show "$OUT_DIR"/simdkit-*.whl
echo "wheel: $(ls "$OUT_DIR"/simdkit-*.whl) (bundles $bundled from $highway_package, with its copyright)"
