#!/usr/bin/env bash
# Runs a command with the system's Highway hidden: in a private mount
# namespace, every libhwy library the dynamic loader knows is covered by
# /dev/null, so that whatever still needs one fails to load. The installed
# wheel is tested this way, to show that it needs only the copy it bundles.
#
#   scripts/without_system_highway.sh COMMAND [ARG...]
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

mapfile -t libraries < <(/sbin/ldconfig -p | awk '/libhwy/ {print $NF}' | xargs -r readlink -f | sort -u)
if [ ${#libraries[@]} -eq 0 ]; then
  echo "without_system_highway: the loader knows no libhwy; nothing to hide" >&2
  exec "$@"
fi
# Mounting needs root, or a user namespace where we are root.
namespace=(--mount)
[ "$(id -u)" -eq 0 ] || namespace+=(--map-root-user)
exec unshare "${namespace[@]}" -- bash -c '
  while [ "$1" != -- ]; do mount --bind /dev/null "$1"; shift; done
  shift
  exec "$@"' without_system_highway "${libraries[@]}" -- "$@"
