#!/usr/bin/env bash
# The long fuzzing run: scripts/fuzz.sh [SECONDS] [FAMILY...] builds the
# sanitized tree and runs each libFuzzer harness (default: every family,
# convert distance math reduce) for SECONDS (default 3600), as many at a
# time as there are cores. The test command runs the same for 20 s each.
SETUP_PROFILE=test
source "$(dirname "$0")/common.sh"
seconds=${1:-3600}
shift $(($# > 0 ? 1 : 0))
build_sanitized
run_fuzzers "$seconds" "$@"
