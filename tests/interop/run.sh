#!/usr/bin/env bash
# Interop stage: lib9p against diod, a 9P2000.L server nobody here wrote. Starts diod on a free
# loopback port with a fresh export folder, checks that it came up (diod keeps spinning instead
# of exiting when it cannot bind), runs the tests, and always stops it.
#   tests/interop/run.sh BUILD_DIR
set -uo pipefail
build=${1:-build}
work=$(mktemp -d /tmp/p9-interop.XXXXXX)
export_dir=$work/export
mkdir -p "$export_dir"
diod_pid=""
cleanup() {
  [[ -n $diod_pid ]] && kill "$diod_pid" 2>/dev/null && wait "$diod_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
diod -f -n -N -l "127.0.0.1:$port" -e "$export_dir" -c /dev/null -L "$work/diod.log" &
diod_pid=$!
for _ in $(seq 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
  if ! kill -0 "$diod_pid" 2>/dev/null; then echo "interop: diod exited at start:"; cat "$work/diod.log"; exit 1; fi
  sleep 0.1
done
if ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
  echo "interop: diod did not listen on 127.0.0.1:$port within 10 s:"; cat "$work/diod.log"; exit 1
fi

P9_TEST_ADDRESS="127.0.0.1:$port" P9_TEST_EXPORT="$export_dir" "$build/host/interop_tests" --gtest_brief=1
rc=$?
[[ $rc -eq 0 ]] || { echo "--- diod log (last 30 lines)"; tail -30 "$work/diod.log"; }
exit $rc
