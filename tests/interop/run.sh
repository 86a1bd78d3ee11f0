#!/usr/bin/env bash
# Interop stage: lib9p against diod, a 9P2000.L server nobody here wrote, on a loopback port
# with a fresh export folder; diod is always stopped afterwards.
#   tests/interop/run.sh BUILD_DIR
set -uo pipefail
build=${1:-build}
source "$(dirname "$0")/../lib/diod.sh"
work=$(mktemp -d /tmp/p9-interop.XXXXXX)
DIOD_CLEANUP=$work
mkdir -p "$work/export"
start_diod "$work/export" "$work/diod.log" || exit 1
P9_TEST_ADDRESS="$DIOD_ADDRESS" P9_TEST_EXPORT="$work/export" "$build/host/interop_tests" --gtest_brief=1
rc=$?
[[ $rc -eq 0 ]] || { echo "--- diod log (last 30 lines)"; tail -30 "$work/diod.log"; }
exit $rc
