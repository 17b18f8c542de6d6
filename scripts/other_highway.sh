#!/usr/bin/env bash
# other_highway.sh [ARCH]: unpacks the other supported Debian release's
# Highway (libhwy-dev and its shared library) for ARCH (default: this
# machine's, e.g. amd64; arm64 for the cross build) into
# build/other-highway/<suite>-<ARCH>/root and prints that root:
# Highway 1.2.0 from Debian 13 (trixie) on a Debian 12 machine, 1.0.3 from
# Debian 12 (bookworm) on Debian 13. Nothing on the machine changes: apt reads
# a sources list, package lists and a cache of its own under build/, naming
# the suite and the mirror this machine already uses; the packages are
# downloaded by name and unpacked with dpkg -x, not installed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-$(dpkg --print-architecture)}
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case "$codename" in
  bookworm) suite=trixie libraries=libhwy1t64 ;;
  trixie) suite=bookworm libraries=libhwy1 ;;
  *) echo "other_highway: Debian 12 (bookworm) or 13 (trixie) expected, this is '$codename'" >&2
     exit 1 ;;
esac

work="$PWD/build/other-highway/$suite-$arch"
root="$work/root"
if [ ! -f "$work/.complete" ]; then
  # The mirror and keyring this machine's apt already uses (deb822 or the
  # one-line format), never a host written into the repository.
  mirror="" keyring=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    keyring=$(awk '/^Signed-By:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' /etc/apt/sources.list)
  fi
  [ -n "$mirror" ] || { echo "other_highway: no Debian mirror found in /etc/apt" >&2; exit 1; }
  for candidate in "$keyring" /usr/share/keyrings/debian-archive-keyring.pgp \
                   /usr/share/keyrings/debian-archive-keyring.gpg; do
    if [ -n "$candidate" ] && [ -f "$candidate" ]; then keyring=$candidate; break; fi
  done

  rm -rf "$work"
  mkdir -p "$work/sources.list.d" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$work/sources.list"
  apt_options=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=$work/sources.list.d"
               -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
               -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
               -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  echo "other_highway: fetching libhwy-dev and $libraries ($arch) from Debian $suite" >&2
  apt-get "${apt_options[@]}" update -qq >&2
  (cd "$work/debs" && apt-get "${apt_options[@]}" download libhwy-dev "$libraries" >&2)
  for package in "$work"/debs/*.deb; do dpkg -x "$package" "$root"; done
  touch "$work/.complete"
fi
echo "$root"
