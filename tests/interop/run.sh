#!/usr/bin/env bash
# Interop stage, servers and clients nobody here wrote:
#  - lib9p's client suite against diod and nfs-ganesha (9P2000.L servers nobody here wrote),
#    against iohost, and against iohost's import tree in front of each of the two;
#  - diod's own client tools against iohost: diodls lists a tree, diodcat reads a 64 MiB file
#    byte for byte, diodload runs its I/O load (it wants a tree "ctl" with zero and null);
#  - network failover between two diods, by lib9p's client and by iohost's import tree;
#  - iohost under hostile clients (tests/interop/hostile.py).
# iohost is its sanitizer build here (address, undefined behaviour), IOHOST_UNDER_TEST overrides.
# Every line names the server; the last line is the total "N passed, N failed".
#   tests/interop/run.sh BUILD_DIR
set -uo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/diod.sh"
source "$here/../lib/iohost.sh"
source "$here/../lib/ganesha.sh"
work=$(mktemp -d /tmp/p9-interop.XXXXXX)
P9_OWN_TRAP=1
trap 'stop_diod; stop_iohost; stop_ganesha; rm -rf "$work"' EXIT
passed=0 failed=0
# iohost under the address and undefined-behaviour sanitizers for the whole stage (the release
# build is what the Xen stage runs): a report ends the process, and the checks after it fail.
iohost=${IOHOST_UNDER_TEST:-$build/host/iohost-asan}

suite() {  # suite SERVER ADDRESS EXPORT ANAME: lib9p's interop suite, lines prefixed [SERVER]
  local server=$1 log=$work/$1-suite.log
  P9_TEST_SERVER=$server P9_TEST_ADDRESS=$2 P9_TEST_EXPORT=$3 P9_TEST_ANAME=$4 \
    "$build/host/interop_tests" --gtest_brief=1 >"$log" 2>&1
  local rc=$?
  sed "s/^/[$server] /" "$log"
  local p f
  p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -1)
  f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [[ $rc -eq 0 || -n ${f:-} ]] || failed=$((failed + 1))
}

check() {  # check NAME COMMAND...: one tool run against iohost
  local name=$1; shift
  local out; out=$("$@" 2>&1)
  if [[ $? -eq 0 ]]; then echo "ok - iohost: $name"; passed=$((passed + 1))
  else echo "not ok - iohost: $name"; echo "$out" | tail -10 | sed 's/^/    | /'; failed=$((failed + 1)); fi
}

mkdir -p "$work/diod-export" "$work/iohost-export" "$work/import-export"
if start_diod "$work/diod-export" "$work/diod.log"; then
  suite diod "$DIOD_ADDRESS" "$work/diod-export" "$work/diod-export"
  stop_diod
else
  failed=$((failed + 1))
fi

# iohost's import tree in front of diod: the same suite through both servers.
mkdir -p "$work/import"
if start_diod "$work/import-export" "$work/diod-import.log" &&
   start_iohost "$iohost" "$work/import" "$work/iohost-import.log" \
     --import "shared=tcp:$DIOD_ADDRESS,aname=$work/import-export"; then
  suite iohost-import-diod "$IOHOST_ADDRESS" "$work/import-export" shared
  stop_iohost
  stop_diod
else
  failed=$((failed + 1))
fi

# nfs-ganesha (the 9P server in front of cluster file systems), directly and through iohost's
# import tree: the road for guests on many machines to one file service.
mkdir -p "$work/ganesha" "$work/ganesha-export" "$work/import2"
if start_ganesha "$work/ganesha-export" "$work/ganesha"; then
  suite ganesha "$GANESHA_ADDRESS" "$work/ganesha-export" "$work/ganesha-export"
  if start_iohost "$iohost" "$work/import2" "$work/iohost-import2.log" \
      --import "shared=tcp:$GANESHA_ADDRESS,aname=$work/ganesha-export,msize=65536"; then
    suite iohost-import-ganesha "$IOHOST_ADDRESS" "$work/ganesha-export" shared
    stop_iohost
  else
    failed=$((failed + 1))
  fi
  stop_ganesha
else
  failed=$((failed + 1))
fi

# Network failover: two diods exporting one folder; the first is killed mid-file. Once with
# lib9p's client dialling "A|B" itself, once through iohost's import of "A|B"; then the same
# with the first stopped (SIGSTOP: connected, answering nothing) instead of killed.
failover() {  # failover MODE: one run of tests/interop/failover_test.cpp
  local mode=$1 log a_pid a_address
  log=$work/failover-$mode.log
  mkdir -p "$work/failover"
  start_diod "$work/failover" "$work/diod-fo-a-$mode.log" || { failed=$((failed + 1)); return; }
  a_pid=$DIOD_PID a_address=$DIOD_ADDRESS
  if ! start_diod "$work/failover" "$work/diod-fo-b-$mode.log"; then
    kill "$a_pid"; failed=$((failed + 1)); return
  fi
  local target aname
  target="$a_address|$DIOD_ADDRESS" aname=$work/failover
  if [[ $mode == import* ]]; then
    mkdir -p "$work/import3"
    if ! start_iohost "$iohost" "$work/import3" "$work/iohost-failover-$mode.log" \
        --import "shared=tcp:$a_address|tcp:$DIOD_ADDRESS,aname=$work/failover,recover=10,hang=1"; then
      kill "$a_pid"; stop_diod; failed=$((failed + 1)); return
    fi
    target=$IOHOST_ADDRESS aname=shared
  fi
  P9_FAILOVER_MODE=$mode P9_FAILOVER_ADDRESS=$target P9_FAILOVER_KILL=$a_pid P9_TEST_EXPORT=$work/failover \
    P9_TEST_ANAME=$aname "$build/host/interop_tests" --gtest_filter='Failover.*' --gtest_brief=1 >"$log" 2>&1
  local rc=$?
  sed "s/^/[failover-$mode] /" "$log"
  if [[ $rc -eq 0 ]] && grep -q '^\[  PASSED  \] 1 test' "$log"; then
    local how="killed"
    [[ $mode == *-stop ]] && how="stopped (SIGSTOP)"
    echo "ok - failover ($mode): the first diod $how mid-file, the writes went on through the second"
    passed=$((passed + 1))
  else
    echo "not ok - failover ($mode)"; failed=$((failed + 1))
    [[ $mode == import* ]] && tail -20 "$work/iohost-failover-$mode.log" | sed 's/^/    | /'
  fi
  kill -9 "$a_pid" 2>/dev/null; wait "$a_pid" 2>/dev/null  # -9: a stopped diod ignores the rest
  [[ $mode == import* ]] && stop_iohost
  stop_diod
}
failover client
failover import
failover client-stop
failover import-stop

# The same suite with every export call on the worker pool (--export-io workers).
mkdir -p "$work/workers"
if start_iohost "$iohost" "$work/workers" "$work/iohost-workers.log" \
    --export-io workers --export "data=$work/iohost-export"; then
  suite iohost-export-on-workers "$IOHOST_ADDRESS" "$work/iohost-export" data
  stop_iohost
else
  failed=$((failed + 1))
fi

head -c $((64 << 20)) /dev/urandom > "$work/iohost-export/big64.bin"
mkdir -p "$work/iohost-export/dir/sub" && echo listed > "$work/iohost-export/dir/sub/file"
if start_iohost "$iohost" "$work" "$work/iohost.log" \
    --export "data=$work/iohost-export" --dev ctl --dev dev; then
  suite iohost "$IOHOST_ADDRESS" "$work/iohost-export" data
  check "diodls lists a tree" bash -c "diodls -s '$IOHOST_ADDRESS' -a data -l dir | grep -q ' sub\$' && \
    diodls -s '$IOHOST_ADDRESS' -a data dir/sub | grep -qx file"
  check "diodcat reads 64 MiB byte for byte" bash -c \
    "diodcat -s '$IOHOST_ADDRESS' -a data -m 65536 big64.bin | cmp - '$work/iohost-export/big64.bin'"
  check "diodload runs against zero and null" bash -c \
    "diodload -s '$IOHOST_ADDRESS' -r 2 -n 2 2>&1 | tee /dev/stderr | grep -q 'MB/s'"
  check "a hostile client (a 4 GiB size field, garbage) loses only its own connection" python3 - \
    "$IOHOST_ADDRESS" "$work/iohost.log" <<'PY'
import socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
def connect():
    return socket.create_connection((host, int(port)), 5)
def version(s):  # Tversion, tag NOTAG, msize 8192, "9P2000.L"
    body = struct.pack("<BHI", 100, 0xffff, 8192) + struct.pack("<H", 8) + b"9P2000.L"
    s.sendall(struct.pack("<I", len(body) + 4) + body)
    size = struct.unpack("<I", s.recv(4))[0]
    return s.recv(size - 4)[0] == 101
good, bad = connect(), connect()
assert version(good) and version(bad)
bad.sendall(struct.pack("<I", 0xffffffff) + b"\x78" + b"\x00" * 64)  # Tclunk of 4 GiB
bad.settimeout(5)
assert bad.recv(100) == b"", "the hostile connection should be closed"
assert version(good), "the other client must be served still"
for _ in range(50):
    if "outside [7, msize" in open(sys.argv[2]).read():
        sys.exit(0)
    time.sleep(0.1)
sys.exit("iohost logged no reason for dropping the hostile client")
PY
  check "SIGUSR1's status report counts a session's fids as they come and go" python3 - \
    "$IOHOST_ADDRESS" "$work/iohost.log" "$IOHOST_PID" <<'PY'
import os, signal, socket, struct, sys, time
host, port = sys.argv[1].rsplit(":", 1)
log, pid = sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, int(port)), 5)
me = "tcp:%s:%d" % s.getsockname()
def rpc(kind, tag, body):
    s.sendall(struct.pack("<IBH", 7 + len(body), kind, tag) + body)
    size = struct.unpack("<I", s.recv(4, socket.MSG_WAITALL))[0]
    reply = s.recv(size - 4, socket.MSG_WAITALL)
    assert reply[0] == kind + 1, "reply %d to message %d" % (reply[0], kind)
def string(t):
    return struct.pack("<H", len(t)) + t
rpc(100, 0xffff, struct.pack("<I", 8192) + string(b"9P2000.L"))                 # Tversion
rpc(104, 1, struct.pack("<II", 0, 0xffffffff) + string(b"") + string(b"data") + struct.pack("<I", 0))  # Tattach
for fid in (1, 2):
    rpc(110, 1, struct.pack("<IIH", 0, fid, 0))                                   # Twalk to a new fid
def reported():  # SIGUSR1, then this session's line of the report that follows
    ends = open(log).read().count("status: end")
    os.kill(pid, signal.SIGUSR1)
    for _ in range(50):
        text = open(log).read()
        if text.count("status: end") > ends:
            lines = [l for l in text.splitlines() if l.startswith("iohost: status: " + me + ": ")]
            return lines[-1].split(": ")[-1]
        time.sleep(0.1)
    sys.exit("no status report within 5 s")
assert reported().startswith("3 fids, "), reported()
rpc(120, 1, struct.pack("<I", 2))                                                 # Tclunk
assert reported().startswith("2 fids, "), reported()
PY
  # The process is still up after all of it, and logged no failure of its own.
  check "iohost survived the stage" kill -0 "$IOHOST_PID"
  # Its loop, not some worker thread, takes the signal: it logs it and removes its unix socket.
  check "SIGTERM stops iohost through its loop (logged, its unix socket removed)" bash -c \
    "kill -TERM $IOHOST_PID; for _ in \$(seq 50); do [ -e '$IOHOST_SOCKET' ] || break; sleep 0.1; done
     grep -q 'stopping on Terminated' '$work/iohost.log' && [ ! -e '$IOHOST_SOCKET' ]"
else
  failed=$((failed + 1))
fi
[[ $failed -eq 0 ]] || { echo "--- iohost log (last 30 lines)"; tail -30 "$work/iohost.log" 2>/dev/null; }

# Hostile clients (issue 27): every attack on iohost, built with the address and undefined-
# behaviour sanitizers (a sanitizer report ends the process: "iohost is alive" then fails).
hostile_log=$work/hostile.log
"$here/hostile.py" "$iohost" 2>&1 | tee "$hostile_log" | sed 's/^/[hostile] /'
p=$(sed -nE 's/^hostile: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$hostile_log")
f=$(sed -nE 's/^hostile: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$hostile_log")
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))

echo "interop: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
